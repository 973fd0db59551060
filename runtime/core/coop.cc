#include "runtime/core/coop.h"

namespace magpie::coop {
namespace {

constexpr int kUnconstrained = -1;

// Remaining units for the task being polled on this thread.
thread_local int budget = kUnconstrained;

}  // namespace

BudgetScope::BudgetScope(int units) : saved_(budget) { budget = units; }

BudgetScope::~BudgetScope() { budget = saved_; }

bool poll_proceed(Context& cx) {
  if (budget == kUnconstrained) return true;
  if (budget > 0) {
    --budget;
    return true;
  }
  cx.waker().wake_by_ref();
  return false;
}

bool has_budget_remaining() { return budget != 0; }

}  // namespace magpie::coop
