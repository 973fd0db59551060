// Tests for park::WorkerParker: an unpark before park is kept (with and
// without a driver); a parker parks in a free driver and on its futex when
// another thread holds the driver, and unpark() reaches it in either place;
// poll_driver() turns only a free driver and never waits; many rounds of
// two parkers sharing one driver lose no wake (bounded; no timed asserts).

#include "runtime/park/worker_parker.h"

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/park/park_driver.h"
#include "runtime/park/parker.h"

namespace magpie {
namespace {

// A driver whose turn waits (on a Parker) until unpark(), like epoll_wait
// on the eventfd with no other event source.
class FakeDriver final : public park::ParkDriver {
 public:
  bool try_lock() override {
    return !locked_.exchange(true, std::memory_order_acquire);
  }
  void turn(std::optional<std::chrono::nanoseconds> max_wait) override {
    turns.fetch_add(1, std::memory_order_relaxed);
    if (max_wait.has_value() && max_wait->count() <= 0) {
      polls.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    wait_.park();
  }
  void unlock() override { locked_.store(false, std::memory_order_release); }
  void unpark() override {
    unparks.fetch_add(1, std::memory_order_relaxed);
    wait_.unpark();
  }

  core::Atomic<int> turns{0};
  core::Atomic<int> polls{0};
  core::Atomic<int> unparks{0};

 private:
  core::Atomic<bool> locked_{false};
  park::Parker wait_;
};

TEST(WorkerParkerTest, UnparkBeforeParkIsNotLostWithoutADriver) {
  park::WorkerParker parker(nullptr);
  EXPECT_FALSE(parker.has_driver());
  EXPECT_FALSE(parker.poll_driver());
  parker.unpark();
  parker.unpark();  // tokens do not add up
  parker.park();    // returns at once
}

TEST(WorkerParkerTest, UnparkBeforeParkIsNotLostWithADriver) {
  auto driver = std::make_shared<FakeDriver>();
  park::WorkerParker parker(driver);
  parker.unpark();
  parker.park();  // returns at once, without turning
  EXPECT_EQ(driver->turns.load(), 0);
  EXPECT_EQ(driver->unparks.load(), 0);
}

TEST(WorkerParkerTest, ParksInAFreeDriverAndUnparkReachesIt) {
  auto driver = std::make_shared<FakeDriver>();
  park::WorkerParker parker(driver);
  core::Atomic<bool> returned{false};
  std::thread sleeper([&] {
    parker.park();
    returned.store(true, std::memory_order_release);
  });
  // Once the sleeper is in its turn, unpark() goes through the driver.
  while (driver->turns.load(std::memory_order_relaxed) == 0) {
    std::this_thread::yield();
  }
  parker.unpark();
  sleeper.join();
  EXPECT_TRUE(returned.load(std::memory_order_acquire));
  EXPECT_EQ(driver->turns.load(), 1);
  EXPECT_EQ(driver->unparks.load(), 1);
  EXPECT_TRUE(driver->try_lock());  // given back
  driver->unlock();
}

TEST(WorkerParkerTest, ParksOnTheFutexWhileAnotherThreadHoldsTheDriver) {
  auto driver = std::make_shared<FakeDriver>();
  ASSERT_TRUE(driver->try_lock());  // "another worker" holds it
  park::WorkerParker parker(driver);
  EXPECT_FALSE(parker.poll_driver());  // busy: no turn
  std::thread sleeper([&] { parker.park(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  parker.unpark();
  sleeper.join();
  EXPECT_EQ(driver->turns.load(), 0);
  EXPECT_EQ(driver->unparks.load(), 0);
  driver->unlock();
}

TEST(WorkerParkerTest, PollDriverTurnsWithoutWaiting) {
  auto driver = std::make_shared<FakeDriver>();
  park::WorkerParker parker(driver);
  EXPECT_TRUE(parker.poll_driver());
  EXPECT_EQ(driver->polls.load(), 1);
  // An unpark while not parked is kept for the next park().
  parker.unpark();
  parker.park();
  EXPECT_EQ(driver->turns.load(), 1);
}

// Two workers share one driver; a producer publishes rounds and unparks
// both. Each consumer parks until it has seen every round: a lost wake
// hangs (the test runner's timeout), a spurious return just loops.
TEST(WorkerParkerTest, TwoParkersOneDriverLoseNoWake) {
  constexpr int kRounds = 3000;
  auto driver = std::make_shared<FakeDriver>();
  park::WorkerParker a(driver);
  park::WorkerParker b(driver);
  core::Atomic<int> produced{0};
  auto consume = [&](park::WorkerParker& parker) {
    for (int seen = 0; seen < kRounds;) {
      const int now = produced.load(std::memory_order_acquire);
      if (now > seen) {
        seen = now;
        continue;
      }
      parker.park();
    }
  };
  std::thread ta([&] { consume(a); });
  std::thread tb([&] { consume(b); });
  for (int i = 0; i < kRounds; ++i) {
    produced.fetch_add(1, std::memory_order_release);
    a.unpark();
    b.unpark();
    if (i % 64 == 0) std::this_thread::yield();
  }
  ta.join();
  tb.join();
  EXPECT_EQ(produced.load(), kRounds);
}

}  // namespace
}  // namespace magpie
