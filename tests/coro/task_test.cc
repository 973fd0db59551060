// Tests for magpie::Task: laziness, leaf futures polled with the Context of
// the latest poll (DESIGN.md §1), nesting and move-only outputs, exceptions
// through several levels, a flat native stack at a depth of a million, and
// frames freed (innermost first) whenever a Task is destroyed.

#include "runtime/coro/task.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/poll_fn.h"

namespace magpie {
namespace {

// Deep enough that even a small native frame per level (a recursive
// destroy, a resume that is not a tail call) would overflow the 8 MiB main
// stack in every build config.
constexpr int kMillion = 1'000'000;

// A one-shot event that any thread may fire. Its future keeps the leaf
// contract: register the waker of every Pending poll, then re-check.
struct Event {
  AtomicWaker waiter;
  core::Atomic<bool> fired{false};
  core::Atomic<int> polls{0};
  core::Atomic<int> registrations{0};  // Pending polls that registered.
  int value = 0;  // Written before `fired` is set (release).

  void fire(int v) {
    value = v;
    // ORDERING: release pairs with the acquire loads in EventFuture::poll.
    fired.store(true, std::memory_order_release);
    waiter.wake();
  }
};

class EventFuture {
 public:
  using Output = int;
  explicit EventFuture(Event& event) : event_(&event) {}

  Poll<int> poll(Context& cx) {
    event_->polls.fetch_add(1, std::memory_order_relaxed);
    // ORDERING: acquire pairs with the release store in Event::fire().
    if (event_->fired.load(std::memory_order_acquire)) return event_->value;
    event_->waiter.register_waker(cx.waker());
    // ORDERING: release pairs with the acquire in tests that wait for a
    // registration before firing.
    event_->registrations.fetch_add(1, std::memory_order_release);
    if (event_->fired.load(std::memory_order_acquire)) return event_->value;
    return Pending;
  }

 private:
  Event* event_;
};

// A waker target that counts its wakes.
struct WakeCount {
  void wake_by_ref() { wakes.fetch_add(1, std::memory_order_relaxed); }
  int count() const { return wakes.load(std::memory_order_relaxed); }
  core::Atomic<int> wakes{0};
};

Poll<int> poll_once(Task<int>& task, const Waker& waker) {
  Context cx(waker);
  return task.poll(cx);
}

// Records construction and destruction of the frames that hold one.
struct Tracker {
  int live = 0;
  std::vector<int> destroyed;  // Levels, in destruction order.
};

class Tracked {
 public:
  Tracked(Tracker& tracker, int level) : tracker_(&tracker), level_(level) {
    tracker_->live += 1;
  }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  ~Tracked() {
    tracker_->live -= 1;
    tracker_->destroyed.push_back(level_);
  }

 private:
  Tracker* tracker_;
  int level_;
};

struct Boom : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------
// Laziness and ownership

Task<void> set_flag(bool& ran) {
  ran = true;
  co_return;
}

TEST(TaskTest, BodyDoesNotRunBeforeFirstPoll) {
  bool ran = false;
  Task<void> task = set_flag(ran);
  Task<void> moved = std::move(task);  // Free to move before the first poll.
  EXPECT_FALSE(ran);
  EXPECT_FALSE(task);  // NOLINT(bugprone-use-after-move)
  block_on(std::move(moved));
  EXPECT_TRUE(ran);

  bool never = false;
  { Task<void> dropped = set_flag(never); }
  EXPECT_FALSE(never);
}

Task<int> answer() { co_return 42; }

TEST(TaskTest, ReadyLeafDoesNotSuspend) {
  Task<int> task = answer();
  Poll<int> poll = poll_once(task, noop_waker());
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value(), 42);
}

TEST(TaskTest, MoveAssignmentDestroysTheReplacedFrame) {
  Tracker tracker;
  Event event;
  auto holds = [](Tracker& t, Event& e) -> Task<int> {
    Tracked tracked(t, 0);
    co_return co_await EventFuture(e);
  };
  Task<int> task = holds(tracker, event);
  ASSERT_TRUE(poll_once(task, noop_waker()).is_pending());
  EXPECT_EQ(tracker.live, 1);
  task = answer();
  EXPECT_EQ(tracker.live, 0);
  EXPECT_EQ(block_on(std::move(task)), 42);
}

// ---------------------------------------------------------------------------
// Leaf futures

Task<int> wait_event(Event& event, int& resumed) {
  int value = co_await EventFuture(event);
  resumed += 1;
  co_return value;
}

Task<int> wait_event_plus_one(Event& event, int& resumed) {
  co_return co_await wait_event(event, resumed) + 1;
}

TEST(TaskTest, LeafCompletedFromAnotherThread) {
  Event event;
  int resumed = 0;
  std::thread firer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    event.fire(41);
  });
  EXPECT_EQ(block_on(wait_event_plus_one(event, resumed)), 42);
  firer.join();
  EXPECT_EQ(resumed, 1);
}

// DESIGN.md §1: every Pending poll hands the leaf the waker of *that* poll,
// so the waker the leaf holds is always the latest one; the waiting
// coroutine is not resumed while the leaf is Pending.
TEST(TaskTest, LeafAlwaysHoldsTheWakerOfTheLatestPoll) {
  Event event;
  int resumed = 0;
  Arc<WakeCount> a = make_arc<WakeCount>();
  Arc<WakeCount> b = make_arc<WakeCount>();
  const Waker waker_a = waker_from(a);
  const Waker waker_b = waker_from(b);
  Task<int> task = wait_event_plus_one(event, resumed);

  for (int round = 0; round < 4; ++round) {
    const bool a_last = round % 2 == 1;
    const Waker& first = a_last ? waker_b : waker_a;
    const Waker& last = a_last ? waker_a : waker_b;
    ASSERT_TRUE(poll_once(task, first).is_pending());
    ASSERT_TRUE(poll_once(task, last).is_pending());
    EXPECT_EQ(event.polls.load(std::memory_order_relaxed), 2 * (round + 1))
        << "the leaf is re-polled exactly once per poll of the root";
    EXPECT_EQ(resumed, 0);

    const int a_before = a->count();
    const int b_before = b->count();
    event.waiter.wake();  // A spurious wake of whatever the leaf holds.
    EXPECT_EQ(a->count() - a_before, a_last ? 1 : 0) << "round " << round;
    EXPECT_EQ(b->count() - b_before, a_last ? 0 : 1) << "round " << round;
  }

  event.fire(41);
  Poll<int> poll = poll_once(task, waker_b);
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value(), 42);
  EXPECT_EQ(resumed, 1);
}

// DESIGN.md §6 scenario 1: polled Pending on one thread with that thread's
// waker, then finished by block_on on another; the event must wake the new
// poller, not the old one.
TEST(TaskTest, MigratesBetweenThreadsBetweenPolls) {
  Event event;
  int resumed = 0;
  Task<int> task = wait_event_plus_one(event, resumed);
  Arc<WakeCount> first_poller = make_arc<WakeCount>();
  std::thread([&] {
    ASSERT_TRUE(poll_once(task, waker_from(first_poller)).is_pending());
  }).join();
  std::thread firer([&] {
    // Fire only once the new poller registered: the stored waker is then
    // block_on's, never the first poller's.
    while (event.registrations.load(std::memory_order_acquire) < 2) {
      std::this_thread::yield();
    }
    event.fire(41);
  });
  EXPECT_EQ(block_on(task), 42);
  firer.join();
  EXPECT_EQ(resumed, 1);
  EXPECT_EQ(first_poller->count(), 0) << "woke the stale waker";
}

// The awaited future stays where it is across polls (future.h rule 3).
class AddressCheckingFuture {
 public:
  using Output = void;
  Poll<void> poll(Context& cx) {
    if (first_seen_ == nullptr) first_seen_ = this;
    EXPECT_EQ(first_seen_, this);
    if (++polls_ < 3) {
      cx.waker().wake_by_ref();
      return Pending;
    }
    return ready();
  }

 private:
  const AddressCheckingFuture* first_seen_ = nullptr;
  int polls_ = 0;
};

Task<int> await_lvalue_and_temporary_leaves() {
  AddressCheckingFuture lvalue;
  co_await lvalue;
  co_await AddressCheckingFuture();
  int polls = 0;
  auto counted = poll_fn([&polls](Context& cx) -> Poll<int> {
    if (++polls < 2) {
      cx.waker().wake_by_ref();
      return Pending;
    }
    return polls;
  });
  co_return co_await counted;
}

TEST(TaskTest, LeavesArePolledInPlace) {
  EXPECT_EQ(block_on(await_lvalue_and_temporary_leaves()), 2);
}

// ---------------------------------------------------------------------------
// Nesting and outputs

Task<std::unique_ptr<int>> boxed(int value) {
  co_return std::make_unique<int>(value);
}

Task<void> add_to(int& total, int amount) {
  total += amount;
  co_return;
}

Task<std::unique_ptr<int>> sum_boxes() {
  std::unique_ptr<int> a = co_await boxed(1);
  Task<std::unique_ptr<int>> b_task = boxed(2);
  std::unique_ptr<int> b = co_await b_task;  // An lvalue Task is consumed.
  EXPECT_FALSE(b_task);
  int total = 0;
  co_await add_to(total, *a);
  Task<void> add_b = add_to(total, *b);
  co_await std::move(add_b);
  co_return std::make_unique<int>(total + *co_await boxed(3));
}

TEST(TaskTest, NestedTasksAndMoveOnlyOutputs) {
  std::unique_ptr<int> result = block_on(sum_boxes());
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(*result, 6);
}

Task<int> sequential_sum(int count) {
  int total = 0;
  for (int i = 0; i < count; ++i) total += co_await answer();
  co_return total;
}

TEST(TaskTest, ManySequentialAwaits) {
  EXPECT_EQ(block_on(sequential_sum(10'000)), 42 * 10'000);
}

// ---------------------------------------------------------------------------
// Exceptions

Task<int> level3_throws() {
  throw Boom("level3");
  co_return 0;
}

Task<int> level2_passes() { co_return co_await level3_throws() + 1; }

Task<int> level1_catches_and_rethrows(std::vector<std::string>& seen) {
  try {
    co_return co_await level2_passes();
  } catch (const Boom& boom) {
    seen.push_back(boom.what());
    throw;
  }
}

Task<int> root_awaits(std::vector<std::string>& seen) {
  co_return co_await level1_catches_and_rethrows(seen);
}

TEST(TaskTest, ExceptionPropagatesThroughLevelsToBlockOn) {
  std::vector<std::string> seen;
  EXPECT_THROW(block_on(root_awaits(seen)), Boom);
  EXPECT_EQ(seen, std::vector<std::string>{"level3"});
}

Task<int> recovers() {
  try {
    co_await level2_passes();
  } catch (const Boom&) {
    co_return -1;
  }
  co_return 0;
}

TEST(TaskTest, ExceptionCaughtMidChain) { EXPECT_EQ(block_on(recovers()), -1); }

// Pending on its first poll, throws on its second: the throw happens during
// a later root poll, and still comes out of the co_await on the leaf.
class ThrowsOnSecondPoll {
 public:
  using Output = int;
  Poll<int> poll(Context& cx) {
    if (++polls_ == 1) {
      cx.waker().wake_by_ref();
      return Pending;
    }
    throw Boom("leaf");
  }

 private:
  int polls_ = 0;
};

Task<int> catches_leaf_throw() {
  try {
    co_return co_await ThrowsOnSecondPoll();
  } catch (const Boom&) {
    co_return -7;
  }
}

Task<int> leaf_throw_uncaught() { co_return co_await ThrowsOnSecondPoll(); }

Task<int> awaits_leaf_throw() { co_return co_await leaf_throw_uncaught(); }

TEST(TaskTest, ExceptionFromRepolledLeaf) {
  EXPECT_EQ(block_on(catches_leaf_throw()), -7);
  EXPECT_THROW(block_on(awaits_leaf_throw()), Boom);
}

TEST(TaskDeathTest, PollAfterCompletionIsAContractViolation) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_DEATH(
      {
        Task<int> task = answer();
        (void)poll_once(task, noop_waker());
        (void)poll_once(task, noop_waker());
      },
      "");
}

// ---------------------------------------------------------------------------
// Depth: the native stack stays flat (task.h rules 4 and 5)

Task<int> depth(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await depth(n - 1);
}

TEST(TaskStressTest, NestingAMillionDeep) {
  EXPECT_EQ(block_on(depth(kMillion)), kMillion);
}

// Records the lowest stack address any poll of it runs at.
class StackProbe {
 public:
  using Output = int;
  explicit StackProbe(std::uintptr_t& lowest) : lowest_(&lowest) {}
  Poll<int> poll(Context&) {
    volatile char here = 0;
    const auto address = reinterpret_cast<std::uintptr_t>(&here);
    if (address < *lowest_) *lowest_ = address;
    return 0;
  }

 private:
  std::uintptr_t* lowest_;
};

Task<int> probed_depth(int n, std::uintptr_t& lowest) {
  if (n == 0) co_return co_await StackProbe(lowest);
  co_return 1 + co_await probed_depth(n - 1, lowest);
}

TEST(TaskStressTest, StackUseDoesNotGrowWithDepth) {
  // Far below one frame per level, far above what a few dozen nested
  // resumes take even under ASan.
  constexpr std::uintptr_t kStackBound = 256 * 1024;
  volatile char top = 0;
  const auto top_address = reinterpret_cast<std::uintptr_t>(&top);
  std::uintptr_t lowest = top_address;
  EXPECT_EQ(block_on(probed_depth(kMillion, lowest)), kMillion);
  EXPECT_LT(top_address - lowest, kStackBound);
}

Task<int> deep_wait(int n, Event& event, Tracker& tracker) {
  Tracked tracked(tracker, n);
  if (n == 0) co_return co_await EventFuture(event);
  co_return 1 + co_await deep_wait(n - 1, event, tracker);
}

TEST(TaskStressTest, DeepChainSuspendsOnLeafThenCompletes) {
  Event event;
  Tracker tracker;
  Task<int> task = deep_wait(kMillion, event, tracker);
  ASSERT_TRUE(poll_once(task, noop_waker()).is_pending());
  EXPECT_EQ(tracker.live, kMillion + 1);
  ASSERT_TRUE(poll_once(task, noop_waker()).is_pending());
  std::thread firer([&] { event.fire(7); });
  firer.join();
  Arc<WakeCount> count = make_arc<WakeCount>();
  Poll<int> poll = poll_once(task, waker_from(count));
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value(), kMillion + 7);
  EXPECT_EQ(tracker.live, 0);
  EXPECT_EQ(event.polls.load(std::memory_order_relaxed), 3);
}

TEST(TaskStressTest, DeepChainDestroyedWhileSuspended) {
  Event event;
  Tracker tracker;
  {
    Task<int> task = deep_wait(kMillion, event, tracker);
    ASSERT_TRUE(poll_once(task, noop_waker()).is_pending());
    EXPECT_EQ(tracker.live, kMillion + 1);
  }
  EXPECT_EQ(tracker.live, 0);
  // Innermost first (task.h rule 5): level 0 is the innermost frame.
  ASSERT_EQ(tracker.destroyed.size(), std::size_t{kMillion + 1});
  for (int level = 0; level <= kMillion; ++level) {
    ASSERT_EQ(tracker.destroyed[level], level);
  }
}

// ---------------------------------------------------------------------------
// Frames are freed in every state (run under --config=asan for LSan)

Task<int> owns_heap(std::unique_ptr<std::string> param, Event& event,
                    Tracker& tracker, int level) {
  Tracked tracked(tracker, level);
  auto local = std::make_unique<std::vector<int>>(100, level);
  Task<int> never_awaited = answer();  // Unstarted, owned by this frame.
  if (level == 0) co_return co_await EventFuture(event) + (*local)[0];
  co_return co_await owns_heap(std::make_unique<std::string>(*param), event,
                               tracker, level - 1) +
      1;
}

TEST(TaskTest, NothingLeaksWhenDestroyedBeforeFirstPoll) {
  Event event;
  Tracker tracker;
  {
    Task<int> task =
        owns_heap(std::make_unique<std::string>("p"), event, tracker, 3);
  }
  EXPECT_EQ(tracker.live, 0);
  EXPECT_TRUE(tracker.destroyed.empty());  // The body never ran.
}

TEST(TaskTest, NothingLeaksWhenDestroyedMidWay) {
  Event event;
  Tracker tracker;
  {
    Task<int> task =
        owns_heap(std::make_unique<std::string>("p"), event, tracker, 3);
    ASSERT_TRUE(poll_once(task, noop_waker()).is_pending());
    EXPECT_EQ(tracker.live, 4);
  }
  EXPECT_EQ(tracker.live, 0);
  EXPECT_EQ(tracker.destroyed, (std::vector<int>{0, 1, 2, 3}));
}

TEST(TaskTest, NothingLeaksAfterCompletion) {
  Event event;
  Tracker tracker;
  event.fire(10);
  EXPECT_EQ(block_on(owns_heap(std::make_unique<std::string>("p"), event,
                               tracker, 3)),
            13);
  EXPECT_EQ(tracker.live, 0);

  Task<int> kept =
      owns_heap(std::make_unique<std::string>("p"), event, tracker, 2);
  Poll<int> poll = poll_once(kept, noop_waker());
  ASSERT_TRUE(poll.is_ready());  // The finished frame lives until `kept` goes.
  EXPECT_EQ(poll.value(), 12);
}

TEST(TaskTest, NothingLeaksWhenTheBodyThrows) {
  Task<int> task = level2_passes();
  EXPECT_THROW((void)poll_once(task, noop_waker()), Boom);
}

}  // namespace
}  // namespace magpie

namespace magpie {
namespace {

// Memory per frame (issue 10): a 16-byte ChainRoot (a root's state, or a
// child's parent and root) and one word for the awaited child or, once the
// body threw, the exception; the frame's handle and the running poll's
// state are not kept.
static_assert(sizeof(coro_internal::PromiseBase) == 24);
// A frame awaiting a leaf keeps the leaf's address and its own promise.
static_assert(sizeof(coro_internal::LeafAwaiter<AddressCheckingFuture>) == 16);

// An output as aligned as std::max_align_t: PromiseBase::handle() must still
// find the frame (its debug check runs in get_return_object()).
struct alignas(alignof(std::max_align_t)) Wide {
  long double value;
};

Task<Wide> wide_child(long double v) { co_return Wide{v}; }

Task<long double> wide_parent() {
  Wide w = co_await wide_child(2.5L);
  co_return w.value * 2;
}

TEST(TaskTest, MaxAlignedOutputThroughAChain) {
  EXPECT_EQ(block_on(wide_parent()), 5.0L);
}

}  // namespace
}  // namespace magpie
