// magpie::block_on — runs one future to completion on the calling thread.
//
//   int n = magpie::block_on(fetch_count());
//
// The calling thread polls the future, and between polls sleeps on its own
// Parker until the future's waker is woken (from any thread). A wake that
// lands before the thread goes to sleep is kept (see park::Parker), so it is
// never lost. Exceptions thrown by the future propagate to the caller. Each
// poll has a coop budget (runtime/core/coop.h rule 3).
//
// Ownership: an rvalue future is moved into block_on and lives in its frame
// until it completes; an lvalue future is polled in place and must outlive
// the call (this is how a future polled elsewhere before can be finished
// here: it then gets this thread's waker on its next poll).
//
// Threads: any thread that may block. Not from inside a runtime worker: that
// would stall every task queued behind it (the Runtime's own block_on says
// so with an error).

#ifndef MAGPIE_RUNTIME_BLOCK_ON_H_
#define MAGPIE_RUNTIME_BLOCK_ON_H_

#include <type_traits>
#include <utility>

#include "runtime/core/arc.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/future.h"
#include "runtime/park/parker.h"

namespace magpie {
namespace block_on_internal {

// The calling thread's parker, made on first use and kept for the thread's
// life (a stale wake from an earlier block_on only causes one extra poll).
const Arc<park::Parker>& current_thread_parker();

template <class F>
FutureOutput<F> run(F& future) {
  const Arc<park::Parker>& parker = current_thread_parker();
  Waker waker = waker_from(parker);
  Context cx(waker);
  while (true) {
    auto poll = [&] {
      // Each poll gets a coop budget, as a worker's task poll does (coop
      // rule 3): a leaf that finds it spent wakes us, so we poll again at
      // once, and a timeout around a busy future is still checked.
      coop::BudgetScope budget;
      return future.poll(cx);
    }();
    if (poll.is_ready()) {
      if constexpr (std::is_void_v<FutureOutput<F>>) {
        return;
      } else {
        return std::move(poll).value();
      }
    }
    parker->park();
  }
}

}  // namespace block_on_internal

template <class F>
requires Future<std::remove_cvref_t<F>> FutureOutput<std::remove_cvref_t<F>>
block_on(F&& future) {
  if constexpr (std::is_lvalue_reference_v<F>) {
    return block_on_internal::run(future);
  } else {
    std::remove_cvref_t<F> owned(std::move(future));
    return block_on_internal::run(owned);
  }
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_BLOCK_ON_H_
