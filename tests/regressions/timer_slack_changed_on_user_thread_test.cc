// Regression: Driver::turn set 1 us of timer slack (prctl PR_SET_TIMERSLACK)
// on every thread that turned the driver, on the belief that only magpie's
// own threads do. A Reactor built with Options::own_thread = false is turned
// by the embedding program's threads through park_driver(), so a user's
// thread had its timer slack changed behind its back. The slack is now set
// where magpie creates its threads (Reactor::set_up_own_thread):
//  - a user thread that turns a standalone reactor, waiting with and without
//    a timer due and polling, keeps the slack it had;
//  - a Runtime's worker threads run with 1 us, in both IoDriver modes;
//  - so does the reactor thread of a Reactor that owns one.
// No timed assertions; a Watchdog bounds the test.

#include <dirent.h>
#include <sys/prctl.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "reactor/magpie_reactor.h"
#include "reactor/sys/timer_slack.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

// A slack no default and no magpie setting has, so a change shows.
constexpr unsigned long kUserSlackNs = 123457;
constexpr unsigned long kFineSlackNs =
    static_cast<unsigned long>(reactor::sys::kFineTimerSlack.count());
constexpr auto kWatchdog = seconds(60);
constexpr int kTurns = 20;

unsigned long CurrentSlack() {
  return static_cast<unsigned long>(::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
}

TEST(TimerSlackChangedOnUserThread, UserThreadTurningStandaloneReactorKeepsIt) {
  Watchdog watchdog("standalone reactor turns", kWatchdog);
  reactor::Reactor::Options options;
  options.own_thread = false;
  absl::StatusOr<reactor::Reactor> reactor = reactor::Reactor::start(options);
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  std::shared_ptr<park::ParkDriver> driver = reactor->park_driver();

  unsigned long before = 0;
  unsigned long after = 0;
  std::thread user([&] {
    ASSERT_EQ(::prctl(PR_SET_TIMERSLACK, kUserSlackNs, 0, 0, 0), 0);
    before = CurrentSlack();
    ASSERT_TRUE(driver->try_lock());
    for (int i = 0; i < kTurns; ++i) {
      driver->turn(milliseconds(1));              // waits (timer or max_wait)
      driver->turn(std::chrono::nanoseconds(0));  // a busy worker's poll
    }
    driver->unlock();
    after = CurrentSlack();
  });
  user.join();
  EXPECT_EQ(before, kUserSlackNs);
  EXPECT_EQ(after, kUserSlackNs);
}

Task<unsigned long> WorkerSlack() { co_return CurrentSlack(); }

class TimerSlackOnWorkers : public ::testing::TestWithParam<IoDriver> {};

TEST_P(TimerSlackOnWorkers, RuntimeWorkersGetFineSlack) {
  Watchdog watchdog("worker slack", kWatchdog);
  Runtime rt =
      Runtime::Builder().worker_threads(2).io_driver(GetParam()).build();
  auto handle = rt.spawn(WorkerSlack());
  EXPECT_EQ(rt.block_on(std::move(handle)), kFineSlackNs);
  // The caller of block_on is the user's: untouched.
  EXPECT_NE(CurrentSlack(), kFineSlackNs);
}

INSTANTIATE_TEST_SUITE_P(BothModes, TimerSlackOnWorkers,
                         ::testing::Values(IoDriver::kWorkers,
                                           IoDriver::kReactorThread));

// The reactor thread's slack, read from /proc (Linux 4.6+); nullopt when
// the thread or the file is not found.
std::optional<unsigned long> ThreadSlackByName(const std::string& name) {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return std::nullopt;
  std::optional<unsigned long> found;
  while (dirent* entry = ::readdir(dir)) {
    const std::string tid = entry->d_name;
    if (tid == "." || tid == "..") continue;
    std::ifstream comm("/proc/self/task/" + tid + "/comm");
    std::string thread_name;
    if (!std::getline(comm, thread_name) || thread_name != name) continue;
    // Per thread under /proc/<tid> (not listed in /proc/self/task/<tid>).
    std::ifstream slack("/proc/" + tid + "/timerslack_ns");
    unsigned long value = 0;
    if (slack >> value) found = value;
    break;
  }
  ::closedir(dir);
  return found;
}

TEST(TimerSlackChangedOnUserThread, ReactorThreadGetsFineSlack) {
  Watchdog watchdog("reactor thread slack", kWatchdog);
  reactor::Reactor::Options options;
  options.thread_name = "slack-reactor";
  absl::StatusOr<reactor::Reactor> reactor = reactor::Reactor::start(options);
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  // The thread sets its slack before its first turn; one timer round trip
  // proves it has turned.
  {
    reactor::EnterGuard guard = reactor->enter();
    block_on(sleep(milliseconds(1)));
  }
  const std::optional<unsigned long> slack = ThreadSlackByName("slack-reactor");
  if (!slack.has_value())
    GTEST_SKIP() << "/proc/<tid>/timerslack_ns not readable";
  EXPECT_EQ(*slack, kFineSlackNs);
}

}  // namespace
}  // namespace magpie
