// magpie::LocalExecutor — a single-threaded executor: spawned tasks run on
// the thread that calls run_until_stalled() or block_on(), one at a time.
//
//   magpie::LocalExecutor ex;
//   auto h = ex.spawn(work());
//   int v = ex.block_on(std::move(h));  // runs `work` and anything it wakes
//
// It uses the same task cell, state word and JoinHandle as the
// multi-threaded runtime; only the run queue differs (one mutex-guarded
// FIFO). Wakers may be woken from any thread: a wake from another thread
// queues the task and unparks the executor's thread if it sleeps in
// block_on.
//
// Ownership: the executor owns its tasks through an OwnedTasks list; tasks
// hold an Arc of the shared queue, so a waker that outlives the executor
// stays safe (waking then does nothing). Destroying the executor (or
// shutdown()) drops every unfinished future on the calling thread, after
// which spawn() throws RuntimeShutdown and JoinHandles of dropped tasks
// throw TaskCancelled.
//
// Threads: spawn(), run_until_stalled(), block_on() and shutdown() from one
// thread at a time (the executor's owner); wakers from anywhere.

#ifndef MAGPIE_RUNTIME_LOCAL_EXECUTOR_H_
#define MAGPIE_RUNTIME_LOCAL_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <exception>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "runtime/core/arc.h"
#include "runtime/core/future.h"
#include "runtime/core/mutex.h"
#include "runtime/park/parker.h"
#include "runtime/task/cell.h"
#include "runtime/task/errors.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/owned_tasks.h"
#include "runtime/task/unhandled_exception.h"

namespace magpie {
namespace local_executor_internal {

// State shared by the executor and every task it spawned.
struct Shared {
  core::Mutex mu;
  std::deque<task::Header*> queue ABSL_GUARDED_BY(mu);  // each owns a ref
  bool closed ABSL_GUARDED_BY(mu) = false;
  task::OwnedTasks owned;
  Arc<park::Parker> parker = make_arc<park::Parker>();
  UnhandledExceptionHandler unhandled_exception;  // set before any spawn
};

// The Schedule handle stored in each task cell.
class Scheduler {
 public:
  explicit Scheduler(Arc<Shared> shared) : shared_(std::move(shared)) {}
  void schedule(task::Notified notified);
  void yield_now(task::Notified notified) { schedule(std::move(notified)); }
  bool release(task::Header* header) { return shared_->owned.remove(header); }
  void unhandled_exception(std::uint64_t id, SpawnSite site,
                           std::exception_ptr error) {
    shared_->unhandled_exception.report(id, site, std::move(error));
  }

 private:
  Arc<Shared> shared_;
};

}  // namespace local_executor_internal

class LocalExecutor {
 public:
  LocalExecutor();
  // With a policy for exceptions of detached tasks (default: log them on
  // stderr; unhandled_exception.h). It runs on the thread that lets go of
  // the task last: this executor's thread, or one dropping a JoinHandle.
  explicit LocalExecutor(UnhandledExceptionHandler unhandled_exception);
  LocalExecutor(const LocalExecutor&) = delete;
  LocalExecutor& operator=(const LocalExecutor&) = delete;
  ~LocalExecutor();

  // Queues `future` as a new task. Throws RuntimeShutdown after shutdown().
  // `where` records the caller as the spawn site; leave it defaulted.
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn(F&& future, SpawnSite where = SpawnSite::current()) {
    using Cell =
        task::Cell<std::decay_t<F>, local_executor_internal::Scheduler>;
    task::Header* header =
        Cell::allocate(std::forward<F>(future),
                       local_executor_internal::Scheduler(shared_), where);
    if (!shared_->owned.bind(header)) {
      header->vtable->dealloc(header);  // never shared: free it outright
      throw RuntimeShutdown();
    }
    local_executor_internal::Scheduler(shared_).schedule(
        task::Notified::from_raw(header));
    return JoinHandle<FutureOutput<std::decay_t<F>>>::from_raw(header);
  }

  // Runs queued tasks until none is ready. Returns how many polls it made.
  std::size_t run_until_stalled();

  // Drives `future` to completion on this thread, running spawned tasks
  // while it waits; sleeps when nothing is ready.
  template <class F>
  requires Future<std::remove_cvref_t<F>> FutureOutput<std::remove_cvref_t<F>>
  block_on(F&& future) {
    std::remove_cvref_t<F> owned(std::forward<F>(future));
    Waker waker = waker_from(shared_->parker);
    Context cx(waker);
    while (true) {
      auto poll = owned.poll(cx);
      if (poll.is_ready()) {
        if constexpr (std::is_void_v<FutureOutput<std::remove_cvref_t<F>>>) {
          return;
        } else {
          return std::move(poll).value();
        }
      }
      if (run_until_stalled() == 0) shared_->parker->park();
    }
  }

  // Refuses new spawns and drops every unfinished task's future here.
  void shutdown();

  // Tasks spawned and not yet completed or dropped.
  std::size_t num_tasks() { return shared_->owned.size(); }

 private:
  Arc<local_executor_internal::Shared> shared_;
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_LOCAL_EXECUTOR_H_
