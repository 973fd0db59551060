// Tests for magpie::JoinSet (runtime/join_set.h): results in completion
// order, nullopt when empty, abort_all, abort on destruction, exceptions as
// JoinResult values, join_next cancellation safety, the latest waker woken,
// the coop budget spent by the handle (the leaf), tasks that finished before
// they were added, and a stress run on 4 workers.

#include "runtime/join_set.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/arc.h"
#include "runtime/core/coop.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/task/errors.h"
#include "runtime/task/lost_task.h"
#include "runtime/testing/drop_counter.h"
#include "runtime/testing/gate.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::DropCounter;
using testing::Event;
using testing::Gate;
using testing::WakeCounter;
using testing::Watchdog;

// Polls set.join_next() once with `waker`.
template <class T>
Poll<std::optional<JoinResult<T>>> PollNext(JoinSet<T>& set,
                                            const Waker& waker) {
  Context cx(waker);
  auto next = set.join_next();
  return next.poll(cx);
}

// Answers Pending without keeping the waker: lost by definition (the
// executor reports it, lost_task.h), until abort() drops it.
struct PendingForever {
  using Output = int;
  DropCounter counter;
  Poll<int> poll(Context&) { return Pending; }
};

// Counts the lost-task reports of `ex` (PendingForever is lost on purpose).
void ExpectLost(LocalExecutor& ex, core::Atomic<int>* reports) {
  ex.on_lost_task([reports](const task::LostTask&) {
    reports->fetch_add(1, std::memory_order_relaxed);
  });
}

TEST(JoinSetTest, ResultsComeInCompletionOrder) {
  LocalExecutor ex;
  JoinSet<int> set;
  std::vector<Arc<Event>> events;
  for (int i = 0; i < 5; ++i) {
    events.push_back(make_arc<Event>());
    set.spawn_on(Gate(events[i], i), ex);
  }
  EXPECT_EQ(set.len(), 5u);
  ex.run_until_stalled();
  auto counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  EXPECT_TRUE(PollNext(set, waker).is_pending());
  const int order[] = {3, 1, 4, 0, 2};
  for (int i : order) {
    events[i]->set();
    ex.run_until_stalled();
  }
  EXPECT_GE(counter->count(), 1);
  for (int i : order) {
    auto poll = PollNext(set, waker);
    ASSERT_TRUE(poll.is_ready());
    ASSERT_TRUE(poll.value().has_value());
    EXPECT_TRUE(poll.value()->ok());
    EXPECT_EQ(poll.value()->value(), i);
  }
  EXPECT_TRUE(set.is_empty());
  auto end = PollNext(set, waker);
  ASSERT_TRUE(end.is_ready());
  EXPECT_FALSE(end.value().has_value());
}

TEST(JoinSetTest, EmptySetAnswersNullopt) {
  JoinSet<int> set;
  auto poll = PollNext(set, noop_waker());
  ASSERT_TRUE(poll.is_ready());
  EXPECT_FALSE(poll.value().has_value());
}

TEST(JoinSetTest, AbortAllDeliversCancellations) {
  LocalExecutor ex;
  core::Atomic<int> lost{0};
  ExpectLost(ex, &lost);
  core::Atomic<int> drops{0};
  JoinSet<int> set;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(set.spawn_on(PendingForever{DropCounter(&drops)}, ex).id());
  }
  ex.run_until_stalled();
  EXPECT_EQ(lost.load(), 5);
  set.abort_all();
  ex.run_until_stalled();
  EXPECT_EQ(drops.load(), 5);
  std::vector<std::uint64_t> seen;
  for (int i = 0; i < 5; ++i) {
    auto poll = PollNext(set, noop_waker());
    ASSERT_TRUE(poll.is_ready());
    ASSERT_TRUE(poll.value().has_value());
    EXPECT_TRUE(poll.value()->is_cancelled());
    EXPECT_FALSE(poll.value()->ok());
    seen.push_back(poll.value()->id());
    EXPECT_THROW(std::move(*poll.value()).get(), TaskCancelled);
  }
  EXPECT_EQ(seen, ids);  // aborted in order, so completed in order
  EXPECT_FALSE(PollNext(set, noop_waker()).value().has_value());
}

TEST(JoinSetTest, DestroyingTheSetAbortsItsTasks) {
  LocalExecutor ex;
  core::Atomic<int> lost{0};
  ExpectLost(ex, &lost);
  core::Atomic<int> drops{0};
  {
    JoinSet<int> set;
    for (int i = 0; i < 5; ++i) {
      set.spawn_on(PendingForever{DropCounter(&drops)}, ex);
    }
    ex.run_until_stalled();
    EXPECT_EQ(drops.load(), 0);
    EXPECT_EQ(lost.load(), 5);
  }
  ex.run_until_stalled();
  EXPECT_EQ(drops.load(), 5);
  EXPECT_EQ(ex.num_tasks(), 0u);
}

TEST(JoinSetTest, ATasksExceptionIsAValue) {
  LocalExecutor ex;
  JoinSet<int> set;
  set.spawn_on(
      poll_fn([](Context&) -> Poll<int> { throw std::runtime_error("boom"); }),
      ex);
  ex.run_until_stalled();
  auto poll = PollNext(set, noop_waker());
  ASSERT_TRUE(poll.is_ready());
  JoinResult<int>& r = *poll.value();
  EXPECT_TRUE(r.is_exception());
  EXPECT_FALSE(r.is_cancelled());
  EXPECT_THROW(std::rethrow_exception(r.error()), std::runtime_error);
  EXPECT_THROW(std::move(r).get(), std::runtime_error);
}

TEST(JoinSetTest, DroppingJoinNextLosesNothing) {
  LocalExecutor ex;
  JoinSet<int> set;
  auto event = make_arc<Event>();
  set.spawn_on(Gate(event, 9), ex);
  ex.run_until_stalled();
  {
    auto next = set.join_next();
    Waker waker = noop_waker();
    Context cx(waker);
    EXPECT_TRUE(next.poll(cx).is_pending());
  }  // cancelled
  event->set();
  ex.run_until_stalled();
  {
    [[maybe_unused]] auto unpolled = set.join_next();  // never polled
  }
  EXPECT_EQ(set.len(), 1u);
  auto poll = PollNext(set, noop_waker());
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value()->value(), 9);
}

TEST(JoinSetTest, TheLatestWakerIsWoken) {
  LocalExecutor ex;
  JoinSet<int> set;
  auto event = make_arc<Event>();
  set.spawn_on(Gate(event, 1), ex);
  ex.run_until_stalled();
  auto a = make_arc<WakeCounter>();
  auto b = make_arc<WakeCounter>();
  EXPECT_TRUE(PollNext(set, waker_from(a)).is_pending());
  EXPECT_TRUE(PollNext(set, waker_from(b)).is_pending());
  event->set();
  ex.run_until_stalled();
  EXPECT_EQ(a->count(), 0);
  EXPECT_EQ(b->count(), 1);
}

TEST(JoinSetTest, ATaskThatFinishedBeforeItWasAdded) {
  LocalExecutor ex;
  auto h = ex.spawn(poll_fn([](Context&) -> Poll<int> { return 3; }));
  ex.run_until_stalled();
  JoinSet<int> set;
  AbortHandle stop = set.insert(std::move(h));
  EXPECT_TRUE(stop.is_finished());
  auto poll = PollNext(set, noop_waker());
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value()->value(), 3);
}

TEST(JoinSetTest, TheHandleSpendsTheBudget) {
  LocalExecutor ex;
  JoinSet<int> set;
  for (int i = 0; i < 5; ++i) {
    set.spawn_on(poll_fn([i](Context&) -> Poll<int> { return i; }), ex);
  }
  ex.run_until_stalled();
  auto counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  int results = 0;
  {
    coop::BudgetScope scope(2);
    while (true) {
      auto poll = PollNext(set, waker);
      if (poll.is_pending()) break;
      ++results;
    }
  }
  EXPECT_EQ(results, 2);
  EXPECT_GE(counter->count(), 1);  // told to come back
  EXPECT_EQ(set.len(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto poll = PollNext(set, waker);  // unconstrained now
    ASSERT_TRUE(poll.is_ready());
    ASSERT_TRUE(poll.value().has_value());
  }
  EXPECT_TRUE(set.is_empty());
}

// Out of budget while results wait both in the set's batch and on the
// shared ready list (whose first pusher's wake was already spent): the set
// must still ask to be polled again. This hung the JoinSet benchmark once.
TEST(JoinSetTest, OutOfBudgetWithAResultOnTheListStillWakes) {
  LocalExecutor ex;
  JoinSet<int> set;
  std::vector<Arc<Event>> events;
  for (int i = 0; i < 4; ++i) {
    events.push_back(make_arc<Event>());
    set.spawn_on(Gate(events[i], i), ex);
  }
  ex.run_until_stalled();
  for (int i = 0; i < 3; ++i) events[i]->set();
  ex.run_until_stalled();
  auto counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  auto first = PollNext(set, waker);  // takes results 0, 1, 2 as a batch
  ASSERT_TRUE(first.is_ready());
  EXPECT_EQ(first.value()->value(), 0);
  events[3]->set();  // onto the (empty) list: wakes us once
  ex.run_until_stalled();
  const int woken = counter->count();
  {
    coop::BudgetScope scope(1);
    auto second = PollNext(set, waker);
    ASSERT_TRUE(second.is_ready());
    EXPECT_EQ(second.value()->value(), 1);
    EXPECT_TRUE(PollNext(set, waker).is_pending());  // budget spent
  }
  EXPECT_GT(counter->count(), woken);  // asked to be polled again
  std::vector<int> rest;
  for (int i = 0; i < 2; ++i) {
    auto poll = PollNext(set, waker);
    ASSERT_TRUE(poll.is_ready());
    rest.push_back(poll.value()->value());
  }
  EXPECT_EQ(rest, (std::vector<int>{3, 2}));
  EXPECT_TRUE(set.is_empty());
}

TEST(JoinSetTest, VoidTasksOnTheCurrentRuntime) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto body = []() -> Task<int> {
    JoinSet<void> set;
    for (int i = 0; i < 10; ++i) {
      set.spawn([]() -> Task<void> { co_await yield_now(); }());
    }
    set.spawn_on([]() -> Task<void> { co_return; }(), Handle::current());
    int n = 0;
    while (true) {
      auto next = set.join_next();
      auto r = co_await next;
      if (!r) break;
      EXPECT_TRUE(r->ok());
      ++n;
    }
    co_return n;
  };
  EXPECT_EQ(rt.block_on(body()), 11);
}

// Sets destroyed while their tasks complete on other workers: completions
// race the close (ready-list rule 2); nothing leaks or is touched after it
// is freed (ASan/TSan), and every task ends.
TEST(JoinSetTest, DestroyedWhileTasksComplete) {
  Watchdog dog("JoinSet destroyed while tasks complete", seconds(120));
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  const int rounds = testing::ScaledForSanitizers(50, 10);
  for (int round = 0; round < rounds; ++round) {
    {
      JoinSet<int> set;
      for (int i = 0; i < 100; ++i) {
        set.spawn_on(
            [](int i) -> Task<int> {
              if (i % 2 == 0) co_await yield_now();
              co_return i;
            }(i),
            rt.handle());
      }
    }  // aborts what has not finished; the rest race the close
  }
  Watchdog drained("tasks drain after the sets are gone", seconds(60));
  while (!rt.handle().dump_tasks().empty()) std::this_thread::yield();
}

// Many tasks on 4 workers, some aborted from the outside while running:
// every task's result arrives exactly once.
TEST(JoinSetTest, StressOnFourWorkers) {
  Watchdog dog("JoinSet stress", seconds(120));
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  const int tasks = testing::ScaledForSanitizers(5000, 500);
  const int rounds = testing::ScaledForSanitizers(5, 2);
  for (int round = 0; round < rounds; ++round) {
    auto body = [](int tasks) -> Task<std::pair<long, int>> {
      JoinSet<int> set;
      std::vector<AbortHandle> stops;
      for (int i = 0; i < tasks; ++i) {
        stops.push_back(set.spawn([](int i) -> Task<int> {
          for (int y = 0; y < i % 5; ++y) co_await yield_now();
          co_return i;
        }(i)));
      }
      for (int i = 0; i < tasks; i += 7) stops[i].abort();
      long sum = 0;
      int results = 0;
      while (true) {
        auto next = set.join_next();
        auto r = co_await next;
        if (!r) break;
        ++results;
        if (r->ok()) sum += r->value();
      }
      co_return std::pair<long, int>(sum, results);
    };
    auto [sum, results] = rt.block_on(body(tasks));
    EXPECT_EQ(results, tasks);
    long most = 0;
    for (int i = 0; i < tasks; ++i) most += i;
    EXPECT_LE(sum, most);
    // Tasks aborted before their first poll never ran; the rest finished.
    long never = 0;
    for (int i = 0; i < tasks; i += 7) never += i;
    EXPECT_GE(sum, most - never);
  }
}

}  // namespace
}  // namespace magpie
