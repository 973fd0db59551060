#include "runtime/core/coop.h"

namespace magpie::coop {

namespace coop_internal {

constinit thread_local int budget = kUnconstrained;

void budget_spent(Context& cx) { cx.waker().wake_by_ref(); }

}  // namespace coop_internal

using coop_internal::budget;
using coop_internal::kUnconstrained;

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

}  // namespace magpie::coop
