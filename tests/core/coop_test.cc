// Tests for core/coop.h, the cooperative budget: a unit taken by a poll that
// answers Pending goes back (RestoreOnPending), one whose poll made progress
// stays spent, a spent budget wakes the task, Unconstrained lifts it for a
// region and restores what was left, Reserve holds units back for later,
// and BudgetScopes nest.

#include "runtime/core/coop.h"

#include <optional>

#include "gtest/gtest.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/waker.h"

namespace magpie::coop {
namespace {

struct WakeCounter {
  core::Atomic<int> wakes{0};
  void wake_by_ref() { wakes.fetch_add(1, std::memory_order_relaxed); }
  int count() const { return wakes.load(std::memory_order_relaxed); }
};

class CoopTest : public ::testing::Test {
 protected:
  // Takes units until the budget is spent; returns how many it got. Each
  // is marked as progress, so none goes back.
  int Drain() {
    int taken = 0;
    while (true) {
      std::optional<RestoreOnPending> unit = poll_proceed(cx_);
      if (!unit) return taken;
      unit->made_progress();
      ++taken;
      if (taken > 10 * kPollBudget) return taken;  // unconstrained
    }
  }

  Arc<WakeCounter> counter_ = make_arc<WakeCounter>();
  Waker waker_ = waker_from(counter_);
  Context cx_{waker_};
};

TEST_F(CoopTest, OutsideAnyPollTheBudgetIsUnconstrained) {
  EXPECT_TRUE(has_budget_remaining());
  EXPECT_GT(Drain(), 10 * kPollBudget);
  EXPECT_EQ(counter_->count(), 0);
}

TEST_F(CoopTest, ProgressSpendsAUnitAndASpentBudgetWakesTheTask) {
  BudgetScope scope;
  EXPECT_EQ(Drain(), kPollBudget);
  EXPECT_FALSE(has_budget_remaining());
  // The refusal woke the task, so it is polled again behind other work.
  EXPECT_EQ(counter_->count(), 1);
}

TEST_F(CoopTest, PendingGivesItsUnitBack) {
  BudgetScope scope(3);
  for (int i = 0; i < 1000; ++i) {
    std::optional<RestoreOnPending> unit = poll_proceed(cx_);
    ASSERT_TRUE(unit.has_value()) << "Pending poll " << i << " spent budget";
    // No made_progress(): the poll answers Pending.
  }
  EXPECT_EQ(Drain(), 3);
  EXPECT_EQ(counter_->count(), 1);
}

TEST_F(CoopTest, MadeProgressKeepsTheUnitSpentEvenWhenMoved) {
  BudgetScope scope(2);
  {
    std::optional<RestoreOnPending> unit = poll_proceed(cx_);
    ASSERT_TRUE(unit.has_value());
    RestoreOnPending moved = std::move(*unit);
    moved.made_progress();
  }  // both the moved-from and the moved-to guard are gone: nothing back
  EXPECT_EQ(Drain(), 1);
}

TEST_F(CoopTest, AMovedGuardGivesBackExactlyOnce) {
  BudgetScope scope(2);
  {
    std::optional<RestoreOnPending> unit = poll_proceed(cx_);
    ASSERT_TRUE(unit.has_value());
    RestoreOnPending moved = std::move(*unit);
  }
  EXPECT_EQ(Drain(), 2);
}

TEST_F(CoopTest, UnconstrainedLiftsTheBudgetAndRestoresWhatWasLeft) {
  BudgetScope scope(5);
  {
    std::optional<RestoreOnPending> unit = poll_proceed(cx_);
    ASSERT_TRUE(unit.has_value());
    unit->made_progress();
  }
  {
    Unconstrained unconstrained;
    EXPECT_GT(Drain(), 10 * kPollBudget);
    // A guard taken while unconstrained restores nothing afterwards.
    std::optional<RestoreOnPending> unit = poll_proceed(cx_);
    ASSERT_TRUE(unit.has_value());
  }
  EXPECT_EQ(Drain(), 4);
  // And inside a spent budget, Unconstrained still proceeds (timeout's
  // deadline check, coop rule 2).
  {
    Unconstrained unconstrained;
    EXPECT_TRUE(poll_proceed(cx_).has_value());
  }
  EXPECT_FALSE(has_budget_remaining());
}

TEST_F(CoopTest, ReserveHoldsUnitsBackForWhatIsPolledAfter) {
  BudgetScope scope(4);
  {
    Reserve for_later(1);
    EXPECT_EQ(Drain(), 3);
  }
  EXPECT_EQ(Drain(), 1);  // the held unit is there for the second branch
  {
    Reserve nothing_left(1);  // holds what is left: nothing
    EXPECT_EQ(Drain(), 0);
  }
  EXPECT_EQ(Drain(), 0);
  {
    Unconstrained unconstrained;
    Reserve unconstrained_reserve(1);
    EXPECT_GT(Drain(), 10 * kPollBudget);
  }
}

TEST_F(CoopTest, BudgetScopesNest) {
  BudgetScope outer(2);
  {
    BudgetScope inner(7);
    EXPECT_EQ(Drain(), 7);
  }
  EXPECT_EQ(Drain(), 2);
}

}  // namespace
}  // namespace magpie::coop
