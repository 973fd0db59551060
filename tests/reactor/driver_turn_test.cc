// Tests for turning the reactor's driver from threads other than a reactor
// thread (Reactor::Options::own_thread off; the Runtime's IoDriver::kWorkers):
//  - the turn lock admits one holder at a time;
//  - a turn that waits without limit ends on unpark();
//  - a timer inserted while a thread waits in a turn with no timer (or a
//    later one) ends that wait, so the sleep completes (reactor.h rule 4);
//  - a zero-wait turn fires due timers without waiting;
//  - start_thread() hands the driver to a reactor thread, and shutdown
//    still fails pending timers.
// No timed assertions: completion is asserted, bounded by a watchdog.

#include <chrono>
#include <optional>
#include <thread>

#include "gtest/gtest.h"
#include "reactor/enter_guard.h"
#include "reactor/reactor.h"
#include "reactor/reactor_error.h"
#include "reactor/time/sleep.h"
#include "runtime/block_on.h"
#include "runtime/core/atomic.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

reactor::Reactor StartWithoutThread() {
  reactor::Reactor::Options options;
  options.own_thread = false;
  absl::StatusOr<reactor::Reactor> started = reactor::Reactor::start(options);
  EXPECT_TRUE(started.ok()) << started.status();
  return *std::move(started);
}

// Turns `driver` until `stop`, as an idle worker would.
class Turner {
 public:
  explicit Turner(reactor::Driver& driver)
      : thread_([this, &driver] {
          while (!stop_.load(std::memory_order_acquire)) {
            if (!driver.try_lock_turn()) continue;
            driver.turn(std::nullopt);
            driver.unlock_turn();
          }
        }),
        driver_(driver) {}
  ~Turner() {
    stop_.store(true, std::memory_order_release);
    driver_.unpark();
    thread_.join();
  }

 private:
  core::Atomic<bool> stop_{false};
  std::thread thread_;
  reactor::Driver& driver_;
};

TEST(DriverTurnTest, OneTurnerAtATime) {
  reactor::Reactor reactor = StartWithoutThread();
  EXPECT_FALSE(reactor.is_running());
  reactor::Driver& driver = reactor.handle().driver();
  ASSERT_TRUE(driver.try_lock_turn());
  EXPECT_FALSE(driver.try_lock_turn());
  driver.turn(std::chrono::nanoseconds(0));  // a poll: returns at once
  driver.unlock_turn();
  ASSERT_TRUE(driver.try_lock_turn());
  driver.unlock_turn();
}

TEST(DriverTurnTest, UnparkEndsAnUnboundedTurn) {
  Watchdog dog("unpark ends a turn", seconds(30));
  reactor::Reactor reactor = StartWithoutThread();
  reactor::Driver& driver = reactor.handle().driver();
  const std::uint64_t before = driver.turns();
  std::thread turner([&] {
    ASSERT_TRUE(driver.try_lock_turn());
    driver.turn(std::nullopt);  // no timer, no source: only unpark ends it
    driver.unlock_turn();
  });
  std::this_thread::sleep_for(milliseconds(5));
  driver.unpark();
  turner.join();
  EXPECT_GT(driver.turns(), before);
}

TEST(DriverTurnTest, EarlierTimerEndsAWaitingTurn) {
  Watchdog dog("earlier timer while a thread waits in the driver", seconds(30));
  reactor::Reactor reactor = StartWithoutThread();
  reactor::EnterGuard guard = reactor.enter();
  Turner turner(reactor.handle().driver());
  std::this_thread::sleep_for(milliseconds(5));  // it waits, no timer
  block_on(sleep(milliseconds(5)));
  // A far timer, then an earlier one while the turner sleeps until it.
  std::thread far([&] {
    reactor::EnterGuard inner = reactor.enter();
    block_on(sleep(milliseconds(300)));
  });
  std::this_thread::sleep_for(milliseconds(5));
  block_on(sleep(milliseconds(2)));
  far.join();
}

TEST(DriverTurnTest, ZeroWaitTurnFiresDueTimers) {
  Watchdog dog("zero-wait turns fire timers", seconds(30));
  reactor::Reactor reactor = StartWithoutThread();
  reactor::EnterGuard guard = reactor.enter();
  reactor::Driver& driver = reactor.handle().driver();
  core::Atomic<bool> stop{false};
  std::thread poller([&] {
    while (!stop.load(std::memory_order_acquire)) {
      if (driver.try_lock_turn()) {
        driver.turn(std::chrono::nanoseconds(0));
        driver.unlock_turn();
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  block_on(sleep(milliseconds(3)));
  stop.store(true, std::memory_order_release);
  poller.join();
}

TEST(DriverTurnTest, StartThreadHandsOverAndShutdownFailsTimers) {
  Watchdog dog("hand-over to a reactor thread", seconds(30));
  reactor::Reactor reactor = StartWithoutThread();
  reactor::EnterGuard guard = reactor.enter();
  {
    Turner turner(reactor.handle().driver());
    block_on(sleep(milliseconds(2)));
  }
  reactor.start_thread();
  EXPECT_TRUE(reactor.is_running());
  block_on(sleep(milliseconds(2)));
  std::thread waiter([&] {
    reactor::EnterGuard inner = reactor.enter();
    EXPECT_THROW(block_on(sleep(std::chrono::hours(1))), reactor::ReactorError);
  });
  std::this_thread::sleep_for(milliseconds(10));
  reactor.shutdown();
  waiter.join();
}

}  // namespace
}  // namespace magpie
