// magpie::coop — the cooperative budget: a task that keeps getting Ready
// from its children is made to yield after a bounded number of operations,
// so one task cannot hold a worker forever (DESIGN.md §3).
//
// How it works: a worker gives each task poll a budget (kPollBudget units)
// in a thread-local. Leaf futures of the runtime (JoinHandle, channels, sync
// primitives, I/O, timers) open their poll with
//
//   auto coop = coop::poll_proceed(cx);
//   if (!coop) return Pending;          // budget spent; the task was woken
//   ...
//   if (/* made progress: Ready */) { coop->made_progress(); return ...; }
//   return Pending;                     // ~RestoreOnPending gives it back
//
// poll_proceed() takes one unit; when none is left it wakes the task (so it
// is queued again, behind other work) and answers nullopt. The unit is only
// *spent* if the leaf says it made progress: a leaf that answers Pending
// gives its unit back when its RestoreOnPending guard is destroyed, so a
// task awaiting many pending things (a loop over 200 JoinHandles) never runs
// out of budget by waiting. The idea and the name are Tokio's
// (tokio/src/runtime/coop.rs, `RestoreOnPending`).
//
// The rules (cited as "coop rule N"):
//  1. A unit is spent only by a poll that made progress (Ready); every
//     Pending answer gives its unit back.
//  2. A deadline is checked whatever the budget says: timers that bound
//     other work (magpie::timeout) poll their clock inside an Unconstrained
//     scope, so a budget spent by the inner future cannot hide a deadline.
//     A combinator that races futures (magpie::select) keeps a unit in
//     Reserve for each later branch while it polls an earlier one, so a
//     first branch that spends the budget cannot starve a second one (a
//     hand-written timeout: select(work, sleep(d))).
//  3. Every executor budgets each poll of a task or a top-level future: the
//     runtime's workers, block_on and LocalExecutor (as Tokio's block_on
//     does). Without it a future that loops on always-ready leaves under
//     block_on would never answer Pending, and a timeout around it would
//     never be checked. Outside any poll (plain threads) the budget is
//     unconstrained: poll_proceed always succeeds and restores nothing.
//
// Threads: the budget is per thread. BudgetScope, Unconstrained, Reserve
// and RestoreOnPending are used by the thread that polls, during one poll, and
// never cross threads.
//
// Cost: poll_proceed(), the guard and BudgetScope are inline (a
// thread-local load, a compare, a store): every I/O poll and every task poll
// passes through them. The echo server paid ~60 instructions per request
// for the out-of-line calls (callgrind). Only the budget-spent path (a wake)
// is out of line.

#ifndef MAGPIE_RUNTIME_CORE_COOP_H_
#define MAGPIE_RUNTIME_CORE_COOP_H_

#include <cstdint>
#include <optional>

#include "runtime/core/context.h"

namespace magpie::coop {

namespace coop_internal {

// The budget's "no limit" value (outside any poll, or in Unconstrained).
inline constexpr int kUnconstrained = -1;

// Remaining units for the task being polled on this thread. constinit: no
// thread-local initialization guard on the inline paths below.
extern constinit thread_local int budget;

// poll_proceed() with nothing left: wakes the task (so it is queued again).
void budget_spent(Context& cx);

}  // namespace coop_internal

// Units per task poll: the same as Tokio's, large enough that a task doing
// real work rarely hits it, small enough to bound a poll's length.
inline constexpr int kPollBudget = 128;

// Sets the calling thread's budget for the duration of one task poll, and
// restores the previous one (polls can nest, e.g. block_on in a test).
class BudgetScope {
 public:
  explicit BudgetScope(int units = kPollBudget)
      : saved_(coop_internal::budget) {
    coop_internal::budget = units;
  }
  ~BudgetScope() { coop_internal::budget = saved_; }
  BudgetScope(const BudgetScope&) = delete;
  BudgetScope& operator=(const BudgetScope&) = delete;

 private:
  int saved_;
};

// Lifts the budget for a region of one poll (coop rule 2): poll_proceed
// always succeeds inside it. What was left is restored on destruction.
class Unconstrained {
 public:
  Unconstrained();
  ~Unconstrained();
  Unconstrained(const Unconstrained&) = delete;
  Unconstrained& operator=(const Unconstrained&) = delete;

 private:
  int saved_;
};

// Holds back `units` of the budget for a region of one poll (coop rule 2):
// what is polled inside sees that much less, and the units are there again
// for whatever is polled after the region. Holds back what is left if that
// is less; nothing when unconstrained.
class Reserve {
 public:
  explicit Reserve(int units = 1);
  ~Reserve();
  Reserve(const Reserve&) = delete;
  Reserve& operator=(const Reserve&) = delete;

 private:
  int held_;
};

// One unit of budget taken by a leaf's poll. Unless made_progress() is
// called, the unit goes back to the budget when the guard is destroyed
// (coop rule 1). Move-only; lives on the polling thread's stack.
class [[nodiscard]] RestoreOnPending {
 public:
  RestoreOnPending(RestoreOnPending&& other) noexcept
      : restore_(other.restore_) {
    other.restore_ = false;
  }
  RestoreOnPending& operator=(RestoreOnPending&&) = delete;
  RestoreOnPending(const RestoreOnPending&) = delete;
  RestoreOnPending& operator=(const RestoreOnPending&) = delete;
  ~RestoreOnPending() {
    if (restore_) give_back();
  }

  // The poll made progress (it answers Ready): the unit stays spent.
  void made_progress() noexcept { restore_ = false; }

 private:
  friend std::optional<RestoreOnPending> poll_proceed(Context& cx);
  explicit RestoreOnPending(bool restore) noexcept : restore_(restore) {}
  static void give_back() noexcept {
    // A guard is destroyed inside the poll (and so the BudgetScope) that
    // made it, so the budget is constrained exactly when it was taken.
    if (coop_internal::budget != coop_internal::kUnconstrained) {
      coop_internal::budget += 1;
    }
  }

  bool restore_;  // False when unconstrained or once progress was made.
};

// Takes one unit. nullopt when the budget is spent: the task has been woken
// and the caller must answer Pending. See the usage at the top.
[[nodiscard]] inline std::optional<RestoreOnPending> poll_proceed(Context& cx) {
  int& budget = coop_internal::budget;
  if (budget == coop_internal::kUnconstrained) return RestoreOnPending(false);
  if (budget > 0) [[likely]] {
    budget -= 1;
    return RestoreOnPending(true);
  }
  coop_internal::budget_spent(cx);
  return std::nullopt;
}

// True if the current thread has budget left (or is unconstrained).
inline bool has_budget_remaining() { return coop_internal::budget != 0; }

}  // namespace magpie::coop

#endif  // MAGPIE_RUNTIME_CORE_COOP_H_
