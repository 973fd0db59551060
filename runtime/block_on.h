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
// Nesting: a future polled by block_on may itself call block_on (directly,
// or through Runtime::block_on). Each call that is active on a thread parks
// on its own Parker (one per nesting depth, made on first use and kept for
// the thread's life), so the inner call never consumes the outer call's
// wake: when the inner call returns, the outer one finds its wake still
// pending and polls again. The inner call blocks the outer future while it
// runs, as any blocking call inside a poll does.
//
// Ownership: an rvalue future is moved into block_on and lives in its frame
// until it completes; an lvalue future is polled in place and must outlive
// the call (this is how a future polled elsewhere before can be finished
// here: it then gets this thread's waker on its next poll).
//
// Diagnostics: while it runs, each block_on call is a "block_on root" in
// the task dump (task_dump.h): `task b<n>: block_on root, polling|parked,
// spawned at <the block_on call site>, parked on <leaf>, ...`. It is
// registered in a process-wide list (one mutex lock per call, not per
// poll). magpie::dump_block_on_roots() lists every root; a runtime's
// Handle::dump_tasks() and LocalExecutor::dump_tasks() list their own
// (Runtime::block_on, LocalExecutor::block_on). A root's wakes are counted
// when its thread wakes from park (a wake that lands during a poll is
// counted when the next park returns at once).
//
// Threads: any thread that may block: a user's thread, a blocking-pool
// thread (inside spawn_blocking, as Tokio allows), a LocalExecutor task.
// Refused with std::logic_error on a runtime worker thread (it would stall
// every task queued behind it, and with one worker deadlock): workers mark
// themselves with a NoBlockOnScope. The reactor thread runs no user futures
// (only wakers, which must not block), so it is not marked.

#ifndef MAGPIE_RUNTIME_BLOCK_ON_H_
#define MAGPIE_RUNTIME_BLOCK_ON_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/core/arc.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/future.h"
#include "runtime/core/poll_stats.h"
#include "runtime/park/parker.h"
#include "runtime/task/header.h"
#include "runtime/task/task_dump.h"

namespace magpie {
namespace block_on_internal {

// Throws std::logic_error naming `what` when the calling thread is inside a
// NoBlockOnScope (a runtime worker). For every executor's block_on.
void check_may_block(const char* what);

// Marks the calling thread, for the scope's life, as one that must never
// block in block_on (a runtime worker). Scopes nest; thread-local.
class NoBlockOnScope {
 public:
  // `thread_kind` names the thread in the error, e.g. "a runtime worker".
  explicit NoBlockOnScope(const char* thread_kind);
  ~NoBlockOnScope();
  NoBlockOnScope(const NoBlockOnScope&) = delete;
  NoBlockOnScope& operator=(const NoBlockOnScope&) = delete;

 private:
  const char* saved_;
};

// The Parker of one active block_on call: the calling thread's parker for
// the current nesting depth, which the scope occupies until it goes. Scopes
// nest and unwind in reverse order on one thread.
class ParkerScope {
 public:
  ParkerScope();
  ~ParkerScope();
  ParkerScope(const ParkerScope&) = delete;
  ParkerScope& operator=(const ParkerScope&) = delete;

  park::Parker& parker() const { return *parker_; }
  Waker waker() const { return waker_from(parker_); }

 private:
  Arc<park::Parker> parker_;
};

// One active block_on call in the process-wide list of roots, for the task
// dump, from construction to destruction (same thread). `owner` tags the
// executor whose dump lists it (null: only dump_block_on_roots()).
// Threads: stats(), leaf() and polling are written by the calling thread and read
// (relaxed) by any dumping thread under the list's mutex, which also
// guards the links.
class RootRegistration {
 public:
  RootRegistration(task::SpawnSite where, const void* owner);
  ~RootRegistration();
  RootRegistration(const RootRegistration&) = delete;
  RootRegistration& operator=(const RootRegistration&) = delete;

  core::PollStats& stats() { return stats_; }
  core::LeafSlot& leaf() { return leaf_; }
  // Around each poll of the root future.
  void begin_poll() noexcept {
    stats_.note_poll();
    // ORDERING: relaxed; diagnostics only.
    polling_.store(true, std::memory_order_relaxed);
  }
  void end_poll() noexcept {
    // ORDERING: relaxed; diagnostics only.
    polling_.store(false, std::memory_order_relaxed);
  }

  // Every registered root whose owner is `owner` (all of them if
  // `any_owner`).
  static std::vector<TaskDump> dump(const void* owner, bool any_owner);

 private:
  const std::uint64_t id_;
  const task::SpawnSite where_;
  const void* const owner_;
  core::PollStats stats_;
  core::LeafSlot leaf_{core::kNoLeaf};
  core::Atomic<bool> polling_{false};
  RootRegistration* prev_ = nullptr;  // guarded by the list's mutex
  RootRegistration* next_ = nullptr;  // guarded by the list's mutex
};

template <class F>
FutureOutput<F> run(F& future, task::SpawnSite where, const void* owner) {
  ParkerScope scope;
  RootRegistration root(where, owner);
  Waker waker = scope.waker();
  Context cx(waker);
  while (true) {
    auto poll = [&] {
      // Each poll gets a coop budget, as a worker's task poll does (coop
      // rule 3): a leaf that finds it spent wakes us, so we poll again at
      // once, and a timeout around a busy future is still checked.
      coop::BudgetScope budget;
      root.begin_poll();
      core::LeafProbeScope leaf_probe(root.stats(), root.leaf());
      auto poll = future.poll(cx);
      if (poll.is_pending()) core::record_leaf<F>();
      root.end_poll();
      return poll;
    }();
    if (poll.is_ready()) {
      if constexpr (std::is_void_v<FutureOutput<F>>) {
        return;
      } else {
        return std::move(poll).value();
      }
    }
    scope.parker().park();
    root.stats().note_wake();
  }
}

// magpie::block_on, with the dump's owner tag (Runtime::block_on).
template <class F>
requires Future<std::remove_cvref_t<F>> FutureOutput<std::remove_cvref_t<F>>
block_on_owned(F&& future, task::SpawnSite where, const void* owner) {
  // Before taking the future: a refused call leaves the caller's intact.
  check_may_block("magpie::block_on");
  if constexpr (std::is_lvalue_reference_v<F>) {
    return run(future, where, owner);
  } else {
    std::remove_cvref_t<F> owned(std::move(future));
    return run(owned, where, owner);
  }
}

}  // namespace block_on_internal

// `where` records the caller for the task dump; leave it defaulted.
template <class F>
requires Future<std::remove_cvref_t<F>> FutureOutput<std::remove_cvref_t<F>>
block_on(F&& future, task::SpawnSite where = task::SpawnSite::current()) {
  return block_on_internal::block_on_owned(std::forward<F>(future), where,
                                           nullptr);
}

// Every block_on call active in the process (any executor), as dump lines
// (task_dump.h). Any thread.
inline std::vector<TaskDump> dump_block_on_roots() {
  return block_on_internal::RootRegistration::dump(nullptr, true);
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_BLOCK_ON_H_
