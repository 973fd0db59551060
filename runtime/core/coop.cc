#include "runtime/core/coop.h"

namespace magpie::coop {
namespace {

constexpr int kUnconstrained = -1;

// Remaining units for the task being polled on this thread.
thread_local int budget = kUnconstrained;

}  // namespace

BudgetScope::BudgetScope(int units) : saved_(budget) { budget = units; }

BudgetScope::~BudgetScope() { budget = saved_; }

Unconstrained::Unconstrained() : saved_(budget) { budget = kUnconstrained; }

Unconstrained::~Unconstrained() { budget = saved_; }

Reserve::Reserve(int units) : held_(0) {
  if (budget == kUnconstrained) return;
  held_ = units < budget ? units : budget;
  budget -= held_;
}

Reserve::~Reserve() {
  if (budget != kUnconstrained) budget += held_;
}

void RestoreOnPending::give_back() noexcept {
  // A guard is destroyed inside the poll (and so the BudgetScope) that made
  // it, so the budget is constrained exactly when it was taken.
  if (budget != kUnconstrained) budget += 1;
}

std::optional<RestoreOnPending> poll_proceed(Context& cx) {
  if (budget == kUnconstrained) return RestoreOnPending(false);
  if (budget > 0) {
    budget -= 1;
    return RestoreOnPending(true);
  }
  cx.waker().wake_by_ref();
  return std::nullopt;
}

bool has_budget_remaining() { return budget != 0; }

}  // namespace magpie::coop
