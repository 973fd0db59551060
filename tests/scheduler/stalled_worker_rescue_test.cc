// Stalled-worker rescue (runtime/scheduler/worker.h): tasks queued behind a
// worker stuck in one poll run on a busy worker, which never steals
// otherwise; with the rescue off they wait for their worker; and the
// rescue loses and repeats no task.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"
#include "runtime/yield_now.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

// Tasks the blocked worker queues: the first goes to its LIFO slot (not
// stealable), the others to its local queue.
constexpr int kChildren = 16;
constexpr int kQueuedChildren = kChildren - 1;

// Keeps one worker busy (never idle, so it never steals the usual way)
// until `stop`.
Task<void> spin(std::atomic<std::thread::id>* thread, std::atomic<bool>* stop) {
  thread->store(std::this_thread::get_id());
  while (!stop->load()) co_await yield_now();
}

struct Scenario {
  std::atomic<bool> blocker_started{false};
  std::atomic<std::thread::id> spinner_thread{};
  std::atomic<bool> stop{false};
  std::atomic<int> children_done{0};
  // Set by the blocker: how many children ran while it blocked its worker;
  // -1: the spinner never started beside it.
  std::atomic<int> done_while_blocked{-2};
};

// How long the blocker waits for the spinner to start on the other worker
// (a loaded machine, a sanitizer build); not part of what is measured.
constexpr seconds kSpinnerStartLimit{60};

// Blocks its worker (a blocking call in user code, in its one poll) until
// the spinner runs on the other worker, then queues kChildren tasks on its
// own worker and blocks on until `want` of them ran or `limit` passed.
// Queued only once the other worker is busy: an idle one would take them
// the usual way.
auto blocker(Scenario* s, int want, milliseconds limit) {
  return poll_fn([s, want, limit](Context&) -> Poll<void> {
    s->blocker_started.store(true);
    const auto start_deadline =
        std::chrono::steady_clock::now() + kSpinnerStartLimit;
    while (s->spinner_thread.load() == std::thread::id{} &&
           std::chrono::steady_clock::now() < start_deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    if (s->spinner_thread.load() == std::thread::id{}) {
      s->done_while_blocked.store(-1);
      return ready();
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (int i = 0; i < kChildren; ++i) {
      spawn(poll_fn([s](Context&) -> Poll<void> {
        s->children_done.fetch_add(1);
        return ready();
      }));
    }
    while (s->children_done.load() < want &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    s->done_while_blocked.store(s->children_done.load());
    return ready();
  });
}

// The children that ran while the blocker held its worker, and the
// runtime's rescue count.
struct Outcome {
  int done_while_blocked = -1;
  std::uint64_t rescues = 0;
};

Outcome run_scenario(bool rescue, int want, milliseconds limit) {
  Runtime rt = Runtime::Builder()
                   .worker_threads(2)
                   .rescue_stalled_workers(rescue)
                   .build();
  Scenario s;
  auto blocked = rt.spawn(blocker(&s, want, limit));
  while (!s.blocker_started.load()) std::this_thread::sleep_for(milliseconds(1));
  // The blocker's worker cannot take it: the spinner runs on the other.
  auto spinner = rt.spawn(spin(&s.spinner_thread, &s.stop));
  rt.block_on(std::move(blocked));
  s.stop.store(true);
  rt.block_on(std::move(spinner));
  // Every child runs in the end, rescued or not.
  while (s.done_while_blocked.load() >= 0 &&
         s.children_done.load() < kChildren) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  Outcome out{s.done_while_blocked.load(), 0};
  for (const auto& w : rt.metrics().workers) out.rescues += w.rescues;
  rt.shutdown();
  return out;
}

TEST(StalledWorkerRescueTest, BusyWorkerRunsTasksQueuedBehindABlockedOne) {
  Watchdog dog("stalled-worker rescue", seconds(180));
  // Bounded by 30 s: without a rescue the queued children would wait all
  // of it (the control test below shows they do).
  const Outcome out = run_scenario(true, kQueuedChildren, milliseconds(30000));
  ASSERT_GE(out.done_while_blocked, 0) << "the spinner never started";
  EXPECT_GE(out.done_while_blocked, kQueuedChildren)
      << "tasks queued behind a blocked worker waited for it";
  EXPECT_GE(out.rescues, 1u);
}

TEST(StalledWorkerRescueTest, WithRescueOffQueuedTasksWaitForTheirWorker) {
  Watchdog dog("stalled-worker rescue off", seconds(180));
  // The spinner's worker is never idle, so only a rescue could move them.
  const Outcome out = run_scenario(false, kQueuedChildren, milliseconds(300));
  ASSERT_GE(out.done_while_blocked, 0) << "the spinner never started";
  EXPECT_EQ(out.done_while_blocked, 0);
  EXPECT_EQ(out.rescues, 0u);
}

// Oversubscribed workers, polls that block now and then, and tasks that
// spawn more: every task runs exactly once, rescued or not.
Task<void> leaf(std::atomic<int>* polls, int i) {
  if (i % 16 == 0) std::this_thread::sleep_for(milliseconds(1));
  polls->fetch_add(1);
  co_return;
}

Task<void> parent(std::atomic<int>* polls, int i, int fanout) {
  std::vector<JoinHandle<void>> children;
  children.reserve(fanout);
  for (int j = 0; j < fanout; ++j) {
    children.push_back(spawn(leaf(polls, i * fanout + j)));
  }
  // Past the rescue's 2 ms, with this parent's children queued behind it.
  if (i % 8 == 0) std::this_thread::sleep_for(milliseconds(5));
  for (auto& child : children) co_await child;
  polls->fetch_add(1);
}

Task<void> spawn_parents(std::atomic<int>* polls, int parents, int fanout) {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(parents);
  for (int i = 0; i < parents; ++i) {
    handles.push_back(spawn(parent(polls, i, fanout)));
  }
  for (auto& handle : handles) co_await handle;
}

TEST(StalledWorkerRescueTest, RescuesLoseAndRepeatNoTask) {
  Watchdog dog("stalled-worker rescue, no task lost", seconds(240));
  constexpr int kParents = 200;
  constexpr int kFanout = 20;
  Runtime rt = Runtime::Builder().worker_threads(4).event_interval(7).build();
  std::atomic<int> polls{0};
  rt.block_on(spawn_parents(&polls, kParents, kFanout));
  std::uint64_t rescues = 0;
  for (const auto& w : rt.metrics().workers) rescues += w.rescues;
  rt.shutdown();
  EXPECT_EQ(polls.load(), kParents * (kFanout + 1));
  // Not asserted (it depends on the OS's scheduling), but shown: a run
  // without any rescue tested nothing beyond the plain scheduler.
  RecordProperty("rescues", static_cast<int>(rescues));
}

}  // namespace
}  // namespace magpie
