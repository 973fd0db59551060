// The task dump's diagnostics (runtime/task/task_dump.h): the leaf future a
// task is parked on, poll and wake counts and ages, names, and block_on
// roots.

#include "runtime/task/task_dump.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/mutex.h"
#include "runtime/coro/task.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

// A leaf future that stays Pending until its gate opens, keeping the
// waker of its latest poll. poke() wakes it without opening it.
struct GateState {
  core::Mutex mu;
  bool open ABSL_GUARDED_BY(mu) = false;
  Waker waker ABSL_GUARDED_BY(mu);
};

class GateFuture {
 public:
  using Output = void;
  explicit GateFuture(std::shared_ptr<GateState> state)
      : state_(std::move(state)) {}
  Poll<void> poll(Context& cx) {
    core::MutexLock lock(&state_->mu);
    if (state_->open) return ready();
    state_->waker = cx.waker();
    return Pending;
  }

 private:
  std::shared_ptr<GateState> state_;
};

Waker take_waker(GateState& state) {
  core::MutexLock lock(&state.mu);
  return std::move(state.waker);
}
void poke(GateState& state) { take_waker(state).wake(); }
void open(GateState& state) {
  Waker waker;
  {
    core::MutexLock lock(&state.mu);
    state.open = true;
    waker = std::move(state.waker);
  }
  std::move(waker).wake();
}

// Polls a Task inside a hand-written future (a combinator of sorts).
class WrapTask {
 public:
  using Output = void;
  explicit WrapTask(Task<void> inner) : inner_(std::move(inner)) {}
  Poll<void> poll(Context& cx) { return inner_.poll(cx); }

 private:
  Task<void> inner_;
};

Task<void> AwaitGate(std::shared_ptr<GateState> state) {
  GateFuture gate(std::move(state));
  co_await gate;
}
Task<void> Middle(std::shared_ptr<GateState> state) {
  co_await AwaitGate(std::move(state));
}
Task<void> Outer(std::shared_ptr<GateState> state) {
  co_await Middle(std::move(state));
}

// Dumps until one entry with `id` (roots: `root`) satisfies `pred`.
template <class Dump, class Pred>
TaskDump wait_for(Dump dump, Pred pred) {
  Watchdog dog("task dump reaches the expected state", seconds(60));
  while (true) {
    for (const TaskDump& t : dump()) {
      if (pred(t)) return t;
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
}

TaskDump wait_parked(const Runtime& rt, std::uint64_t id,
                     std::uint32_t polls = 1) {
  return wait_for([&] { return rt.handle().dump_tasks(); },
                  [&](const TaskDump& t) {
                    return !t.block_on_root && t.id == id && t.is_idle() &&
                           t.polls >= polls;
                  });
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(TaskDumpTest, NamesTheLeafOfACoAwaitedCustomFuture) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto state = std::make_shared<GateState>();
  auto h = rt.spawn(AwaitGate(state));
  const TaskDump t = wait_parked(rt, h.id());
  EXPECT_TRUE(contains(t.leaf_name(), "GateFuture")) << t.to_string();
  EXPECT_TRUE(contains(t.to_string(), "parked on magpie::")) << t.to_string();
  EXPECT_FALSE(contains(t.leaf_name(), "Task")) << t.to_string();
  open(*state);
  rt.block_on(std::move(h));
}

TEST(TaskDumpTest, NamesTheLeafOfADirectlySpawnedFuture) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto state = std::make_shared<GateState>();
  auto h = rt.spawn(GateFuture(state));
  const TaskDump t = wait_parked(rt, h.id());
  EXPECT_TRUE(contains(t.leaf_name(), "GateFuture")) << t.to_string();
  open(*state);
  rt.block_on(std::move(h));
}

TEST(TaskDumpTest, NestedTaskAwaitsKeepTheInnermostLeaf) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto state = std::make_shared<GateState>();
  auto h = rt.spawn(Outer(state));
  const TaskDump t = wait_parked(rt, h.id());
  EXPECT_TRUE(contains(t.leaf_name(), "GateFuture")) << t.to_string();
  // A hand-written future polling a Task does not hide the deeper leaf.
  auto state2 = std::make_shared<GateState>();
  auto h2 = rt.spawn(WrapTask(Middle(state2)));
  const TaskDump t2 = wait_parked(rt, h2.id());
  EXPECT_TRUE(contains(t2.leaf_name(), "GateFuture")) << t2.to_string();
  open(*state);
  open(*state2);
  rt.block_on(std::move(h));
  rt.block_on(std::move(h2));
}

TEST(TaskDumpTest, PollAndWakeCountsIncrease) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto state = std::make_shared<GateState>();
  auto h = rt.spawn(AwaitGate(state));
  TaskDump t = wait_parked(rt, h.id());
  EXPECT_EQ(t.polls, 1u);
  EXPECT_EQ(t.wakes, 0u);
  ASSERT_TRUE(t.since_last_poll.has_value());
  EXPECT_FALSE(t.since_last_wake.has_value());
  EXPECT_TRUE(contains(t.to_string(), "last wake never")) << t.to_string();
  EXPECT_TRUE(contains(t.to_string(), "polls=1 wakes=0")) << t.to_string();
  constexpr std::uint32_t kPokes = 3;
  for (std::uint32_t i = 1; i <= kPokes; ++i) {
    poke(*state);
    t = wait_parked(rt, h.id(), 1 + i);
    EXPECT_EQ(t.polls, 1 + i);
    EXPECT_EQ(t.wakes, i);
    EXPECT_TRUE(t.since_last_wake.has_value());
  }
  EXPECT_TRUE(contains(t.to_string(), "polls=4 wakes=3")) << t.to_string();
  EXPECT_TRUE(contains(t.to_string(), "last wake ")) << t.to_string();
  open(*state);
  rt.block_on(std::move(h));
}

// Wakes itself `times` times (one Pending each), then waits at the gate.
class SpinThenGate {
 public:
  using Output = void;
  SpinThenGate(std::shared_ptr<GateState> state, std::uint32_t times)
      : gate_(std::move(state)), times_(times) {}
  Poll<void> poll(Context& cx) {
    if (times_ > 0) {
      --times_;
      cx.waker().wake_by_ref();
      return Pending;
    }
    return gate_.poll(cx);
  }

 private:
  GateFuture gate_;
  std::uint32_t times_;
};

TEST(TaskDumpTest, CountsSaturateAndSaySo) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto state = std::make_shared<GateState>();
  // Past the 16-bit counts' saturation point (core/poll_stats.h).
  constexpr std::uint32_t kSpins = core::kCountSaturated + 10;
  auto h = rt.spawn(SpinThenGate(state, kSpins));
  const TaskDump t = wait_parked(rt, h.id(), core::kCountSaturated);
  EXPECT_EQ(t.polls, core::kCountSaturated);
  EXPECT_EQ(t.wakes, core::kCountSaturated);
  EXPECT_TRUE(contains(t.to_string(), "polls=61440+ wakes=61440+"))
      << t.to_string();
  ASSERT_TRUE(t.since_last_poll.has_value());
  ASSERT_TRUE(t.since_last_wake.has_value());
  EXPECT_EQ(t.since_last_poll->count() % core::kStampUnitMs, 0);
  open(*state);
  rt.block_on(std::move(h));
}

TEST(TaskDumpTest, ShowsTheName) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  // One gate each: a gate keeps only the latest poll's waker.
  auto state = std::make_shared<GateState>();
  auto state2 = std::make_shared<GateState>();
  auto state3 = std::make_shared<GateState>();
  auto named = rt.spawn_named("accept-loop", GateFuture(state));
  auto with_options =
      rt.handle().spawn(SpawnOptions{.name = "conn 7"}, GateFuture(state2));
  const int line = __LINE__ + 1;
  auto unnamed = rt.spawn(GateFuture(state3));
  TaskDump a = wait_parked(rt, named.id());
  TaskDump b = wait_parked(rt, with_options.id());
  TaskDump c = wait_parked(rt, unnamed.id());
  EXPECT_EQ(a.name, "accept-loop");
  EXPECT_TRUE(contains(a.to_string(), "name=\"accept-loop\", spawned at "))
      << a.to_string();
  EXPECT_TRUE(contains(b.to_string(), "name=\"conn 7\"")) << b.to_string();
  EXPECT_TRUE(c.name.empty());
  EXPECT_FALSE(contains(c.to_string(), "name=")) << c.to_string();
  EXPECT_EQ(c.spawn_line, static_cast<std::uint32_t>(line));
  open(*state);
  open(*state2);
  open(*state3);
  rt.block_on(std::move(named));
  rt.block_on(std::move(with_options));
  rt.block_on(std::move(unnamed));
}

TEST(TaskDumpTest, FreeSpawnNamedInsideATask) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto state = std::make_shared<GateState>();
  auto inner = rt.block_on(
      rt.spawn([](std::shared_ptr<GateState> s) -> Task<JoinHandle<void>> {
        co_return spawn_named("child", GateFuture(std::move(s)));
      }(state)));
  const TaskDump t = wait_parked(rt, inner.id());
  EXPECT_EQ(t.name, "child");
  open(*state);
  rt.block_on(std::move(inner));
}

TEST(TaskDumpTest, BlockOnRootAppearsWhileBlocked) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto state = std::make_shared<GateState>();
  std::uint32_t line = 0;
  std::thread blocker([&] {
    line = __LINE__ + 1;
    rt.block_on(Outer(state));
  });
  const TaskDump root =
      wait_for([&] { return rt.handle().dump_tasks(); },
               [](const TaskDump& t) {
                 return t.block_on_root && t.polls >= 1 && !t.running;
               });
  EXPECT_TRUE(contains(root.to_string(), "task b")) << root.to_string();
  EXPECT_TRUE(contains(root.to_string(), ": block_on root, parked"))
      << root.to_string();
  EXPECT_TRUE(contains(root.leaf_name(), "GateFuture")) << root.to_string();
  ASSERT_NE(root.spawn_file, nullptr);
  EXPECT_TRUE(contains(root.spawn_file, "task_dump_test.cc"));
  // Also in the process-wide list.
  bool listed = false;
  for (const TaskDump& t : dump_block_on_roots()) {
    listed |= t.block_on_root && t.id == root.id;
  }
  EXPECT_TRUE(listed);
  // A wake that does not open the gate: polled again, counted.
  poke(*state);
  const TaskDump again = wait_for([&] { return rt.handle().dump_tasks(); },
                                  [&](const TaskDump& t) {
                                    return t.block_on_root && t.id == root.id &&
                                           t.polls >= 2 && !t.running;
                                  });
  EXPECT_GE(again.wakes, 1u);
  open(*state);
  blocker.join();
  EXPECT_EQ(root.spawn_line, line);
  for (const TaskDump& t : rt.handle().dump_tasks()) {
    EXPECT_FALSE(t.block_on_root) << t.to_string();
  }
}

TEST(TaskDumpTest, LocalExecutorBlockOnRootAndTasks) {
  LocalExecutor ex;
  auto state = std::make_shared<GateState>();
  auto task_state = std::make_shared<GateState>();
  auto h = ex.spawn_named("local", AwaitGate(task_state));
  std::vector<TaskDump> seen;
  std::thread dumper([&] {
    // From another thread, while the owner blocks.
    wait_for([&] { return ex.dump_tasks(); },
             [](const TaskDump& t) {
               return t.block_on_root && t.polls >= 1 && !t.running;
             });
    seen = ex.dump_tasks();
    open(*state);
  });
  ex.block_on(GateFuture(state));
  dumper.join();
  bool root = false, task = false;
  for (const TaskDump& t : seen) {
    if (t.block_on_root) {
      root = true;
      EXPECT_TRUE(contains(t.leaf_name(), "GateFuture")) << t.to_string();
    } else {
      task = true;
      EXPECT_EQ(t.name, "local");
      EXPECT_TRUE(contains(t.leaf_name(), "GateFuture")) << t.to_string();
    }
  }
  EXPECT_TRUE(root);
  EXPECT_TRUE(task);
  open(*task_state);
  ex.block_on(std::move(h));
}

TEST(TaskDumpTest, LineFormat) {
  TaskDump t;
  t.id = 17;
  t.join_interested = true;
  t.references = 3;
  t.wakers = 1;
  t.name = "conn";
  t.spawn_file = "server.cc";
  t.spawn_line = 42;
  t.polls = 3;
  t.wakes = 2;
  t.since_last_poll = milliseconds(12'345);
  t.since_last_wake = milliseconds(850);
  t.leaf = &typeid(GateFuture);
  EXPECT_EQ(t.to_string(),
            "task 17: idle, join-handle, refs=3, name=\"conn\", spawned at "
            "server.cc:42, wakers=1, parked on magpie::(anonymous "
            "namespace)::GateFuture, last poll 12.3s ago, last wake 850ms "
            "ago, polls=3 wakes=2");
  t.wakers = 0;
  t.lost = true;
  EXPECT_TRUE(contains(t.to_string(),
                       "server.cc:42, wakers=0, LOST (idle with no live "
                       "Waker), parked on"))
      << t.to_string();
  t.since_last_poll = milliseconds(307'000);
  t.since_last_wake = milliseconds(7'500'000);
  EXPECT_TRUE(
      contains(t.to_string(), "last poll 5m07s ago, last wake 2h05m ago"))
      << t.to_string();
  // Saturated counts and ages within the stamps' unit (core/poll_stats.h,
  // "Encoding").
  t.polls = core::kCountSaturated;
  t.wakes = core::kCountSaturated - 1;
  t.since_last_poll = milliseconds(0);
  t.since_last_wake = milliseconds(896);
  EXPECT_TRUE(contains(t.to_string(),
                       "last poll <128ms ago, last wake 896ms ago, "
                       "polls=61440+ wakes=61439"))
      << t.to_string();
  TaskDump fresh;
  fresh.id = 3;
  fresh.notified = true;
  EXPECT_EQ(fresh.to_string(),
            "task 3: notified, refs=0, wakers=0, not yet polled, last wake "
            "never, "
            "polls=0 wakes=0");
  TaskDump root;
  root.id = 2;
  root.block_on_root = true;
  root.running = true;
  EXPECT_EQ(root.to_string(),
            "task b2: block_on root, polling, not yet polled, last wake "
            "never, polls=0 wakes=0");
}

}  // namespace
}  // namespace magpie
