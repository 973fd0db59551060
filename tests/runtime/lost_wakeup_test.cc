// DESIGN.md §6 scenarios 1-5 on the multi-threaded Runtime, each with 2, 4
// and 8 workers (more workers than this machine's cores, deliberately), with
// seeded random timing and a watchdog that names what never finished.

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/sync/oneshot.h"
#include "tests/support/event_future.h"
#include "tests/support/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ScaledForSanitizers;
using testing::Watchdog;

using testing::Event;
using testing::EventFuture;

void SpinFor(int iterations) {
  for (int i = 0; i < iterations; ++i) asm volatile("" ::: "memory");
}

class LostWakeupTest : public ::testing::TestWithParam<int> {
 protected:
  Runtime MakeRuntime() {
    return Runtime::Builder().worker_threads(GetParam()).build();
  }
  std::string Name(const char* scenario) {
    return std::string(scenario) + " with " + std::to_string(GetParam()) +
           " workers";
  }
};

// Scenario 1: a future polled inside task T1 (Pending, T1's waker stored) is
// moved into a new task T2, which may run on another worker; the event fires
// from outside. T2's waker must be the one woken.
TEST_P(LostWakeupTest, MigratingTask) {
  const int kRounds = ScaledForSanitizers(500, 60);
  Watchdog dog(Name("scenario 1, migrating task"), seconds(120));
  Runtime rt = MakeRuntime();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  std::mt19937 rng(101);
  for (int round = 0; round < kRounds; ++round) {
    auto event = make_arc<Event>();
    auto [tx, rx] = oneshot::channel<JoinHandle<int>>();
    rt.spawn(
        poll_fn([f = EventFuture{event}, tx = std::optional(std::move(tx))](
                    Context& cx) mutable -> Poll<void> {
          if (f.poll(cx).is_ready()) {
            // Fired already: still hand the finished future over.
          }
          // Move the (polled, Pending) future into a fresh task.
          auto moved = spawn(std::move(f));
          (void)std::move(*tx).send(std::move(moved));
          return ready();
        }));
    const int delay = static_cast<int>(rng() % 3000);
    std::thread firer([event, delay] {
      SpinFor(delay);
      event->set();
    });
    std::optional<JoinHandle<int>> second = rt.block_on(std::move(rx));
    ASSERT_TRUE(second.has_value());
    EXPECT_GE(rt.block_on(std::move(*second)), 1);
    firer.join();
  }
}

// Scenario 2: the event fires while the task is inside poll, after it
// registered and before it returns Pending (no re-check in this future, so
// only the RUNNING+NOTIFIED transition can save it).
TEST_P(LostWakeupTest, WakeDuringPoll) {
  const int kRounds = ScaledForSanitizers(1000, 100);
  Watchdog dog(Name("scenario 2, wake during poll"), seconds(120));
  Runtime rt = MakeRuntime();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  for (int round = 0; round < kRounds; ++round) {
    auto event = make_arc<Event>();
    auto h = rt.spawn(poll_fn(
        [event, fired_in_poll = false](Context& cx) mutable -> Poll<int> {
          if (event->fired.load(std::memory_order_acquire)) return 1;
          event->waker.register_waker(cx.waker());
          if (!fired_in_poll) {
            fired_in_poll = true;
            std::thread([event] { event->set(); }).join();
          }
          return Pending;
        }));
    EXPECT_EQ(rt.block_on(std::move(h)), 1);
  }
}

// Scenario 3: many task pairs ping-pong messages over per-round oneshot
// channels while idle workers steal; every message arrives, every task ends.
Task<int> Pinger(std::vector<oneshot::Sender<int>> out,
                 std::vector<oneshot::Receiver<int>> in) {
  int received = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    (void)std::move(out[i]).send(static_cast<int>(i));
    std::optional<int> reply = co_await in[i];
    if (reply && *reply == static_cast<int>(i)) ++received;
  }
  co_return received;
}

Task<int> Ponger(std::vector<oneshot::Receiver<int>> in,
                 std::vector<oneshot::Sender<int>> out) {
  int received = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::optional<int> msg = co_await in[i];
    if (msg) ++received;
    (void)std::move(out[i]).send(msg.value_or(-1));
  }
  co_return received;
}

Task<int> StealStorm(int pairs, int rounds) {
  std::vector<JoinHandle<int>> handles;
  for (int p = 0; p < pairs; ++p) {
    std::vector<oneshot::Sender<int>> ping_tx, pong_tx;
    std::vector<oneshot::Receiver<int>> ping_rx, pong_rx;
    for (int r = 0; r < rounds; ++r) {
      auto [a, b] = oneshot::channel<int>();
      ping_tx.push_back(std::move(a));
      ping_rx.push_back(std::move(b));
      auto [c, d] = oneshot::channel<int>();
      pong_tx.push_back(std::move(c));
      pong_rx.push_back(std::move(d));
    }
    // Spawned from one worker: they land in its queue, the others steal.
    handles.push_back(spawn(Pinger(std::move(ping_tx), std::move(pong_rx))));
    handles.push_back(spawn(Ponger(std::move(ping_rx), std::move(pong_tx))));
  }
  int total = 0;
  for (auto& h : handles) total += co_await h;
  co_return total;
}

TEST_P(LostWakeupTest, StealStorm) {
  const int kPairs = ScaledForSanitizers(1000, 60);
  const int kRounds = ScaledForSanitizers(100, 20);
  const int kRepeats = ScaledForSanitizers(5, 2);
  Watchdog dog(Name("scenario 3, steal storm"), seconds(120));
  Runtime rt = MakeRuntime();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  for (int repeat = 0; repeat < kRepeats; ++repeat) {
    EXPECT_EQ(rt.block_on(rt.spawn(StealStorm(kPairs, kRounds))),
              2 * kPairs * kRounds);
  }
}

// Scenario 4: bursts of work separated by idle gaps long enough for every
// worker to fall asleep; no burst is left unprocessed.
Task<int> Burst(int width) {
  std::vector<JoinHandle<int>> children;
  for (int i = 0; i < width; ++i) {
    children.push_back(spawn([](int v) -> Task<int> {
      co_await yield_now();
      co_return v;
    }(1)));
  }
  int sum = 0;
  for (auto& child : children) sum += co_await child;
  co_return sum;
}

TEST_P(LostWakeupTest, SleepyWorkers) {
  const int kBursts = ScaledForSanitizers(40, 10);
  Watchdog dog(Name("scenario 4, sleepy workers"), seconds(120));
  Runtime rt = MakeRuntime();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  std::mt19937 rng(404);
  for (int burst = 0; burst < kBursts; ++burst) {
    // Long enough for all workers to park (their search gives up at once).
    std::this_thread::sleep_for(milliseconds(2 + rng() % 10));
    dog.set_status("stuck in burst " + std::to_string(burst));
    const int width = 1 + static_cast<int>(rng() % 64);
    // From outside (inject queue) and from inside (local queues).
    std::vector<JoinHandle<int>> outside;
    for (int i = 0; i < width; ++i) outside.push_back(rt.spawn(Burst(4)));
    for (auto& h : outside) EXPECT_EQ(rt.block_on(std::move(h)), 4);
  }
}

void RunWakeFlood(int workers);

// Scenario 5: many threads wake many tasks through their own waker clones,
// including tasks that have completed; no task is polled after completion,
// none is lost, nothing leaks (ASan/LSan).
TEST_P(LostWakeupTest, CrossThreadWakeFlood) {
  const int kRepeats = ScaledForSanitizers(20, 3);
  for (int repeat = 0; repeat < kRepeats; ++repeat) RunWakeFlood(GetParam());
}

void RunWakeFlood(int workers) {
  const int kTasks = ScaledForSanitizers(200, 40);
  constexpr int kThreads = 4;
  const int kWakesPerThread = ScaledForSanitizers(20000, 2000);
  Watchdog dog("scenario 5, cross-thread wake flood with " +
                   std::to_string(workers) + " workers",
               seconds(120));
  Runtime rt = Runtime::Builder().worker_threads(workers).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });

  struct Shared {
    core::Mutex mu;
    std::vector<Waker> wakers ABSL_GUARDED_BY(mu);  // one slot per task
    core::Atomic<int> progress{0};
    core::Atomic<int> polled_after_complete{0};
  };
  auto shared = std::make_shared<Shared>();
  {
    core::MutexLock lock(&shared->mu);
    shared->wakers.resize(kTasks);
  }
  const int target = kThreads * kWakesPerThread / 2;
  std::vector<JoinHandle<int>> handles;
  for (int t = 0; t < kTasks; ++t) {
    handles.push_back(rt.spawn(poll_fn(
        [shared, t, done = false](Context& cx) mutable -> Poll<int> {
          if (done) shared->polled_after_complete.fetch_add(1);
          {
            core::MutexLock lock(&shared->mu);
            shared->wakers[t] = cx.waker();  // the waker of this poll
          }
          if (shared->progress.load(std::memory_order_acquire) >= target) {
            done = true;
            return t;
          }
          return Pending;
        })));
  }
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([shared, th] {
      std::mt19937 rng(500 + th);
      for (int i = 0; i < kWakesPerThread; ++i) {
        shared->progress.fetch_add(1, std::memory_order_release);
        Waker w;
        {
          core::MutexLock lock(&shared->mu);
          w = shared->wakers[rng() % kTasks];
        }
        if (i % 2 == 0) {
          std::move(w).wake();
        } else {
          w.wake_by_ref();
        }
      }
      // Final sweep: every task sees the final progress.
      for (int t = 0; t < kTasks; ++t) {
        Waker w;
        {
          core::MutexLock lock(&shared->mu);
          w = shared->wakers[t];
        }
        w.wake_by_ref();
      }
    });
  }
  for (int t = 0; t < kTasks; ++t) {
    EXPECT_EQ(rt.block_on(std::move(handles[t])), t);
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(shared->polled_after_complete.load(), 0);
  rt.shutdown();
  core::MutexLock lock(&shared->mu);
  shared->wakers.clear();  // the last references: the cells are freed here
}

INSTANTIATE_TEST_SUITE_P(Workers, LostWakeupTest, ::testing::Values(2, 4, 8),
                         [](const auto& info) {
                           return std::to_string(info.param) + "workers";
                         });

}  // namespace
}  // namespace magpie
