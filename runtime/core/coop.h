// magpie::coop — the cooperative budget: a task that keeps getting Ready
// from its children is made to yield after a bounded number of operations,
// so one task cannot hold a worker forever (DESIGN.md §3).
//
// How it works: a worker gives each task poll a budget (kPollBudget units)
// in a thread-local. Leaf futures of the runtime (yield_now, JoinHandle,
// channels, I/O, timers) call `if (!coop::poll_proceed(cx)) return Pending;`
// before doing their work: it spends one unit, and when none is left it
// wakes the task (so it is queued again, behind other work) and answers
// false. Outside a budgeted poll (block_on, plain threads) the budget is
// unconstrained and poll_proceed always answers true.
//
// Threads: the budget is per thread; BudgetScope is used by the thread that
// polls, around one task poll.

#ifndef MAGPIE_RUNTIME_CORE_COOP_H_
#define MAGPIE_RUNTIME_CORE_COOP_H_

#include <cstdint>

#include "runtime/core/context.h"

namespace magpie::coop {

// Units per task poll: the same as Tokio's, large enough that a task doing
// real work rarely hits it, small enough to bound a poll's length.
inline constexpr int kPollBudget = 128;

// Sets the calling thread's budget for the duration of one task poll, and
// restores the previous one (polls can nest, e.g. block_on in a test).
class BudgetScope {
 public:
  explicit BudgetScope(int budget = kPollBudget);
  ~BudgetScope();
  BudgetScope(const BudgetScope&) = delete;
  BudgetScope& operator=(const BudgetScope&) = delete;

 private:
  int saved_;
};

// Spends one unit. False when the budget is spent: the task has been woken
// and the caller must answer Pending.
[[nodiscard]] bool poll_proceed(Context& cx);

// True if the current thread has budget left (or is unconstrained).
bool has_budget_remaining();

}  // namespace magpie::coop

#endif  // MAGPIE_RUNTIME_CORE_COOP_H_
