// Regression: spawn_blocking counted an idle pool thread without claiming
// it, so two quick calls could both count on the same idle thread: the
// second job waited behind the first, and deadlocked when the first waited
// for the second (29 of 200 runs). Now a spawn claims the idle thread under
// the lock as it decides, and the next spawn starts a thread of its own.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::ScaledForSanitizers;
using testing::Watchdog;

// A one-shot signal between two blocking jobs.
class Signal {
 public:
  void set() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      set_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

TEST(SpawnBlockingIdleClaimTest, JobWaitingForALaterJobNeverDeadlocks) {
  const int kRuns = ScaledForSanitizers(200, 100);
  Watchdog dog("spawn_blocking A waiting for B", seconds(120));
  for (int run = 0; run < kRuns; ++run) {
    dog.set_status("run " + std::to_string(run));
    // A fresh runtime each run, with exactly one idle blocking thread.
    Runtime rt = Runtime::Builder()
                     .worker_threads(1)
                     .enable_io(false)
                     .enable_time(false)
                     .build();
    EXPECT_EQ(rt.block_on(rt.spawn_blocking([] { return 0; })), 0);
    // Let the warm-up thread reach its idle wait (where the race was).
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    auto signal = std::make_shared<Signal>();
    auto a = rt.spawn_blocking([signal] {
      signal->wait();
      return 1;
    });
    auto b = rt.spawn_blocking([signal] {
      signal->set();
      return 2;
    });
    EXPECT_EQ(rt.block_on(std::move(b)), 2);
    EXPECT_EQ(rt.block_on(std::move(a)), 1);
  }
}

TEST(SpawnBlockingIdleClaimTest, ManyJobsEachWaitingForTheNext) {
  // A chain: job i waits for job i+1, spawned right after it, over a pool
  // with a few idle threads. Every job needs a thread of its own.
  constexpr int kJobs = 16;
  Watchdog dog("spawn_blocking chain", seconds(120));
  Runtime rt = Runtime::Builder()
                   .worker_threads(1)
                   .enable_io(false)
                   .enable_time(false)
                   .build();
  for (int round = 0; round < ScaledForSanitizers(20, 10); ++round) {
    std::vector<std::shared_ptr<Signal>> signals;
    for (int i = 0; i <= kJobs; ++i)
      signals.push_back(std::make_shared<Signal>());
    std::vector<JoinHandle<int>> jobs;
    for (int i = 0; i < kJobs; ++i) {
      jobs.push_back(rt.spawn_blocking([i, signals] {
        signals[i + 1]->wait();
        signals[i]->set();
        return i;
      }));
    }
    signals[kJobs]->set();
    for (int i = 0; i < kJobs; ++i)
      EXPECT_EQ(rt.block_on(std::move(jobs[i])), i);
  }
}

TEST(SpawnBlockingIdleClaimTest, KeepAliveOfDurationMaxSaturates) {
  // A keep-alive of milliseconds::max() means "never exit", not an
  // overflowed deadline in the past.
  Runtime rt = Runtime::Builder()
                   .worker_threads(1)
                   .thread_keep_alive(std::chrono::milliseconds::max())
                   .enable_io(false)
                   .enable_time(false)
                   .build();
  EXPECT_EQ(rt.block_on(rt.spawn_blocking([] { return 1; })), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(rt.metrics().blocking_threads, 1u);
  EXPECT_EQ(rt.block_on(rt.spawn_blocking([] { return 2; })), 2);
  EXPECT_TRUE(rt.shutdown_timeout(std::chrono::nanoseconds::max()));
}

}  // namespace
}  // namespace magpie
