// Tests for magpie::join / join_all (runtime/core/join.h) and the WakeSet
// under them: outputs in argument order whatever order the children finish
// in, only woken children re-polled, finished children destroyed at once,
// the latest waker woken, exceptions, the coop budget left to the leaves,
// and cross-thread wakes under a real runtime.

#include "runtime/core/join.h"

#include <chrono>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/coop.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/gate.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Event;
using testing::Gate;
using testing::WakeCounter;
using testing::Watchdog;

std::vector<Arc<Event>> MakeEvents(int n) {
  std::vector<Arc<Event>> events;
  for (int i = 0; i < n; ++i) events.push_back(make_arc<Event>());
  return events;
}

TEST(JoinTest, OutputsComeBackInArgumentOrder) {
  auto events = MakeEvents(3);
  auto joined =
      join(Gate(events[0], 10), Gate(events[1], 11), Gate(events[2], 12));
  auto counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  Context cx(waker);
  EXPECT_TRUE(joined.poll(cx).is_pending());
  events[2]->set();
  EXPECT_TRUE(joined.poll(cx).is_pending());
  events[0]->set();
  EXPECT_TRUE(joined.poll(cx).is_pending());
  events[1]->set();
  auto poll = joined.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value(), std::make_tuple(10, 11, 12));
  EXPECT_EQ(counter->count(), 3);  // one wake per child
}

TEST(JoinTest, VoidOutputsBecomeMonostate) {
  auto joined = join(poll_fn([](Context&) -> Poll<void> { return ready(); }),
                     poll_fn([](Context&) -> Poll<int> { return 7; }));
  Waker waker = noop_waker();
  Context cx(waker);
  auto poll = joined.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(std::get<1>(poll.value()), 7);
  static_assert(
      std::is_same_v<std::tuple_element_t<0, decltype(joined)::Output>,
                     std::monostate>);
}

TEST(JoinTest, EmptyJoinsAreReadyAtOnce) {
  Waker waker = noop_waker();
  Context cx(waker);
  auto none = join();
  EXPECT_TRUE(none.poll(cx).is_ready());
  auto all = join_all(std::vector<Gate>());
  auto poll = all.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  EXPECT_TRUE(poll.value().empty());
}

TEST(JoinAllTest, OnlyWokenChildrenArePolledAgain) {
  constexpr int kChildren = 100;
  auto events = MakeEvents(kChildren);
  std::vector<core::Atomic<int>> polls(kChildren);
  std::vector<Gate> gates;
  for (int i = 0; i < kChildren; ++i)
    gates.emplace_back(events[i], i, &polls[i]);
  auto all = join_all(std::move(gates));
  Waker waker = noop_waker();
  Context cx(waker);
  EXPECT_TRUE(all.poll(cx).is_pending());
  for (auto& p : polls) EXPECT_EQ(p.load(), 1);
  events[37]->set();
  EXPECT_TRUE(all.poll(cx).is_pending());
  for (int i = 0; i < kChildren; ++i) {
    EXPECT_EQ(polls[i].load(), i == 37 ? 2 : 1) << i;
  }
  // A poll with nothing woken polls nobody.
  EXPECT_TRUE(all.poll(cx).is_pending());
  EXPECT_EQ(polls[37].load(), 2);
  EXPECT_EQ(polls[36].load(), 1);
  // Finish in reverse order; outputs still in index order.
  for (int i = kChildren - 1; i >= 0; --i) events[i]->set();
  auto poll = all.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  for (int i = 0; i < kChildren; ++i) EXPECT_EQ(poll.value()[i], i);
  // Each child: first poll, and the poll after its wake.
  for (auto& p : polls) EXPECT_EQ(p.load(), 2);
}

TEST(JoinAllTest, FinishedChildrenAreDestroyedAtOnceAndOnce) {
  auto events = MakeEvents(2);
  core::Atomic<int> drops0{0};
  core::Atomic<int> drops1{0};
  {
    std::vector<Gate> gates;
    gates.emplace_back(events[0], 0, nullptr, &drops0);
    gates.emplace_back(events[1], 1, nullptr, &drops1);
    auto all = join_all(std::move(gates));
    Waker waker = noop_waker();
    Context cx(waker);
    EXPECT_TRUE(all.poll(cx).is_pending());
    events[1]->set();
    EXPECT_TRUE(all.poll(cx).is_pending());
    EXPECT_EQ(drops1.load(), 1);  // done, dropped while the join waits
    EXPECT_EQ(drops0.load(), 0);
  }
  EXPECT_EQ(drops0.load(), 1);  // the unfinished one goes with the join
  EXPECT_EQ(drops1.load(), 1);
}

TEST(JoinAllTest, WakingAChildAfterTheJoinIsGone) {
  // A child's waker kept by a leaf outlives the join (wake-set rule 3).
  auto event = make_arc<Event>();
  {
    std::vector<Gate> gates;
    gates.emplace_back(event, 1);
    auto all = join_all(std::move(gates));
    Waker waker = noop_waker();
    Context cx(waker);
    EXPECT_TRUE(all.poll(cx).is_pending());
  }              // the Event still holds the child's waker
  event->set();  // wakes into a set nobody polls; freed with the last waker
}

TEST(JoinTest, TheLatestWakerIsWoken) {
  auto events = MakeEvents(2);
  auto joined = join(Gate(events[0], 0), Gate(events[1], 1));
  auto a = make_arc<WakeCounter>();
  auto b = make_arc<WakeCounter>();
  Waker waker_a = waker_from(a);
  Waker waker_b = waker_from(b);
  {
    Context cx(waker_a);
    EXPECT_TRUE(joined.poll(cx).is_pending());
  }
  {
    Context cx(waker_b);
    EXPECT_TRUE(joined.poll(cx).is_pending());
  }
  events[0]->set();
  EXPECT_EQ(a->count(), 0);
  EXPECT_EQ(b->count(), 1);
}

TEST(JoinAllTest, TheLatestWakerIsWoken) {
  auto events = MakeEvents(3);
  std::vector<Gate> gates;
  for (int i = 0; i < 3; ++i) gates.emplace_back(events[i], i);
  auto all = join_all(std::move(gates));
  auto a = make_arc<WakeCounter>();
  auto b = make_arc<WakeCounter>();
  Waker waker_a = waker_from(a);
  Waker waker_b = waker_from(b);
  {
    Context cx(waker_a);
    EXPECT_TRUE(all.poll(cx).is_pending());
  }
  {
    Context cx(waker_b);
    EXPECT_TRUE(all.poll(cx).is_pending());
  }
  events[1]->set();
  events[2]->set();
  EXPECT_EQ(a->count(), 0);
  EXPECT_GE(b->count(), 1);
}

struct Throws {
  using Output = int;
  Poll<int> poll(Context&) { throw std::runtime_error("child failed"); }
};

TEST(JoinTest, AChildsExceptionPropagates) {
  auto event = make_arc<Event>();
  core::Atomic<int> drops{0};
  auto joined = join(Gate(event, 1, nullptr, &drops), Throws());
  Waker waker = noop_waker();
  Context cx(waker);
  EXPECT_THROW((void)joined.poll(cx), std::runtime_error);
}

// A non-leaf child (it never calls poll_proceed) that is ready at once.
auto ReadyChild(int v) {
  return poll_fn([v](Context&) -> Poll<int> { return v; });
}

TEST(JoinAllTest, TheCombinatorSpendsNoBudget) {
  coop::BudgetScope scope(1);
  std::vector<decltype(ReadyChild(0))> children;
  for (int i = 0; i < 50; ++i) children.push_back(ReadyChild(i));
  auto all = join_all(std::move(children));
  Waker waker = noop_waker();
  Context cx(waker);
  auto poll = all.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value().size(), 50u);
  EXPECT_TRUE(coop::has_budget_remaining());
}

TEST(JoinAllTest, SpawnedTasksFinishingOutOfOrder) {
  Watchdog dog("join_all over spawned tasks", seconds(60));
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  constexpr int kTasks = 200;
  auto body = []() -> Task<std::vector<int>> {
    std::vector<JoinHandle<int>> handles;
    for (int i = 0; i < kTasks; ++i) {
      // Later tasks yield less, so they tend to finish first.
      handles.push_back(spawn([](int i) -> Task<int> {
        for (int y = 0; y < (kTasks - i) % 17; ++y) co_await yield_now();
        co_return i* i;
      }(i)));
    }
    auto all = join_all(std::move(handles));
    co_return co_await all;
  };
  std::vector<int> out = rt.block_on(body());
  ASSERT_EQ(out.size(), static_cast<std::size_t>(kTasks));
  for (int i = 0; i < kTasks; ++i) EXPECT_EQ(out[i], i * i);
}

TEST(JoinTest, InsideACoroutine) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto body = []() -> Task<int> {
    auto a = []() -> Task<int> {
      co_await yield_now();
      co_return 1;
    };
    auto b = []() -> Task<void> { co_return; };
    auto both = join(a(), b(), a());
    auto [x, unit, y] = co_await both;
    (void)unit;
    co_return x + y;
  };
  EXPECT_EQ(rt.block_on(body()), 2);
}

// Children woken from other threads while the join is being polled: every
// wake reaches the join's task (DESIGN §6, scenarios 2 and 5).
TEST(JoinAllTest, CrossThreadWakesStress) {
  Watchdog dog("join_all cross-thread wakes", seconds(120));
  const int rounds = testing::ScaledForSanitizers(200, 20);
  constexpr int kChildren = 64;
  constexpr int kThreads = 4;
  for (int round = 0; round < rounds; ++round) {
    auto events = MakeEvents(kChildren);
    std::vector<Gate> gates;
    for (int i = 0; i < kChildren; ++i) gates.emplace_back(events[i], i);
    auto all = join_all(std::move(gates));
    std::vector<std::thread> setters;
    for (int t = 0; t < kThreads; ++t) {
      setters.emplace_back([&events, t] {
        for (int i = t; i < kChildren; i += kThreads) events[i]->set();
      });
    }
    std::vector<int> out = block_on(all);
    for (auto& t : setters) t.join();
    ASSERT_EQ(out.size(), static_cast<std::size_t>(kChildren));
    for (int i = 0; i < kChildren; ++i) ASSERT_EQ(out[i], i);
  }
}

}  // namespace
}  // namespace magpie
