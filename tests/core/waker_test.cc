// Tests for Waker, Context, Arc and waker_from: reference counting balances
// across clone/drop/wake, and Arc-backed wakers free their target exactly
// when the last reference goes.

#include "runtime/core/waker.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"

namespace magpie {
namespace {

// A vtable that counts every operation, with a live-reference balance.
struct CountingTarget {
  core::Atomic<int> clones{0};
  core::Atomic<int> wakes{0};
  core::Atomic<int> wakes_by_ref{0};
  core::Atomic<int> drops{0};
  core::Atomic<int> live{1};  // references currently held by wakers

  static RawWaker Clone(const void* data) {
    auto* t = static_cast<CountingTarget*>(const_cast<void*>(data));
    t->clones.fetch_add(1, std::memory_order_relaxed);
    t->live.fetch_add(1, std::memory_order_relaxed);
    return RawWaker{data, &kVTable};
  }
  static void Wake(const void* data) {
    auto* t = static_cast<CountingTarget*>(const_cast<void*>(data));
    t->wakes.fetch_add(1, std::memory_order_relaxed);
    t->live.fetch_sub(1, std::memory_order_relaxed);
  }
  static void WakeByRef(const void* data) {
    auto* t = static_cast<CountingTarget*>(const_cast<void*>(data));
    t->wakes_by_ref.fetch_add(1, std::memory_order_relaxed);
  }
  static void Drop(const void* data) {
    auto* t = static_cast<CountingTarget*>(const_cast<void*>(data));
    t->drops.fetch_add(1, std::memory_order_relaxed);
    t->live.fetch_sub(1, std::memory_order_relaxed);
  }
  static constexpr RawWakerVTable kVTable = {&Clone, &Wake, &WakeByRef, &Drop};

  Waker MakeWaker() { return Waker::from_raw(RawWaker{this, &kVTable}); }
};

TEST(WakerTest, CloneDropAndWakeBalance) {
  CountingTarget target;
  {
    Waker w = target.MakeWaker();
    Waker copy = w;  // clone
    EXPECT_EQ(target.live.load(), 2);
    Waker moved = std::move(copy);  // no clone, no drop
    EXPECT_TRUE(copy.is_empty());   // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(target.clones.load(), 1);
    moved.wake_by_ref();
    EXPECT_EQ(target.wakes_by_ref.load(), 1);
    std::move(moved).wake();        // consumes
    EXPECT_TRUE(moved.is_empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(target.wakes.load(), 1);
    EXPECT_EQ(target.live.load(), 1);
    Waker& same = w;
    w = same;  // self-assignment keeps the reference
    EXPECT_EQ(target.live.load(), 1);
  }
  EXPECT_EQ(target.live.load(), 0);
  EXPECT_EQ(target.drops.load(), 1);
  EXPECT_EQ(target.clones.load(),
            target.wakes.load() + target.drops.load() - 1);
}

TEST(WakerTest, WillWakeComparesTarget) {
  CountingTarget a;
  CountingTarget b;
  Waker wa = a.MakeWaker();
  Waker wa2 = wa;
  Waker wb = b.MakeWaker();
  EXPECT_TRUE(wa.will_wake(wa2));
  EXPECT_FALSE(wa.will_wake(wb));
  // Assigning a waker that will_wake the current one skips the clone.
  const int clones_before = a.clones.load();
  wa2 = wa;
  EXPECT_EQ(a.clones.load(), clones_before);
}

TEST(WakerTest, EmptyAndNoopWakersDoNothing) {
  Waker empty;
  EXPECT_TRUE(empty.is_empty());
  empty.wake_by_ref();
  std::move(empty).wake();
  Waker noop = noop_waker();
  EXPECT_FALSE(noop.is_empty());
  Waker noop2 = noop;
  EXPECT_TRUE(noop.will_wake(noop2));
  noop2.wake_by_ref();
  std::move(noop2).wake();
  Context cx(noop);
  EXPECT_TRUE(cx.waker().will_wake(noop));
}

TEST(WakerTest, IntoRawAndFromRawTransferOwnership) {
  CountingTarget target;
  {
    Waker w = target.MakeWaker();
    RawWaker raw = std::move(w).into_raw();
    EXPECT_EQ(target.drops.load(), 0);
    Waker back = Waker::from_raw(raw);
  }
  EXPECT_EQ(target.drops.load(), 1);
  EXPECT_EQ(target.live.load(), 0);
}

struct ArcTarget {
  explicit ArcTarget(core::Atomic<int>* destroyed) : destroyed(destroyed) {}
  ~ArcTarget() { destroyed->fetch_add(1, std::memory_order_relaxed); }
  void wake_by_ref() { woken.fetch_add(1, std::memory_order_relaxed); }
  core::Atomic<int>* destroyed;
  core::Atomic<int> woken{0};
};

TEST(ArcTest, CountsAndFreesOnLastReference) {
  core::Atomic<int> destroyed{0};
  Arc<ArcTarget> a = make_arc<ArcTarget>(&destroyed);
  EXPECT_EQ(a.use_count(), 1u);
  {
    Arc<ArcTarget> b = a;
    EXPECT_EQ(a.use_count(), 2u);
    EXPECT_TRUE(a.ptr_eq(b));
    Arc<ArcTarget> c = std::move(b);
    EXPECT_EQ(a.use_count(), 2u);
    EXPECT_FALSE(static_cast<bool>(b));  // NOLINT(bugprone-use-after-move)
  }
  EXPECT_EQ(a.use_count(), 1u);
  EXPECT_EQ(destroyed.load(), 0);
  a = Arc<ArcTarget>();
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(ArcTest, WakerFromArcMovesTheSameCount) {
  core::Atomic<int> destroyed{0};
  Arc<ArcTarget> target = make_arc<ArcTarget>(&destroyed);
  ArcTarget* raw = target.get();
  Waker w = waker_from(target);
  EXPECT_EQ(target.use_count(), 2u);
  Waker w2 = w;
  EXPECT_EQ(target.use_count(), 3u);
  w.wake_by_ref();
  std::move(w2).wake();  // wake_by_ref then drop (ArcTarget has no wake())
  EXPECT_EQ(raw->woken.load(), 2);
  EXPECT_EQ(target.use_count(), 2u);
  target = Arc<ArcTarget>();  // the waker alone keeps it alive
  EXPECT_EQ(destroyed.load(), 0);
  w.wake_by_ref();
  EXPECT_EQ(raw->woken.load(), 3);
  w = Waker();  // last reference: freed
  EXPECT_EQ(destroyed.load(), 1);
}

struct ConsumingTarget {
  void wake_by_ref() { by_ref.fetch_add(1, std::memory_order_relaxed); }
  void wake() { by_value.fetch_add(1, std::memory_order_relaxed); }
  core::Atomic<int> by_ref{0};
  core::Atomic<int> by_value{0};
};

TEST(ArcTest, ConsumingWakeCallsWake) {
  Arc<ConsumingTarget> target = make_arc<ConsumingTarget>();
  waker_from(target).wake();
  EXPECT_EQ(target->by_value.load(), 1);
  EXPECT_EQ(target->by_ref.load(), 0);
  EXPECT_EQ(target.use_count(), 1u);
}

TEST(ArcTest, ConcurrentCloneWakeDropFreesExactlyOnce) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  core::Atomic<int> destroyed{0};
  {
    Arc<ArcTarget> target = make_arc<ArcTarget>(&destroyed);
    Waker root = waker_from(std::move(target));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([mine = Waker(root)]() mutable {
        for (int i = 0; i < kRounds; ++i) {
          Waker copy = mine;
          if (i % 2 == 0) {
            std::move(copy).wake();
          } else {
            copy.wake_by_ref();
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(destroyed.load(), 0);
  }
  EXPECT_EQ(destroyed.load(), 1);
}

}  // namespace
}  // namespace magpie
