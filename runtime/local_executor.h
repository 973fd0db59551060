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
// shutdown()) drops every unfinished future on the calling thread. After
// that, spawn() never throws: it destroys the future at once and returns a
// JoinHandle that is already cancelled; awaiting it, like awaiting the
// handle of a dropped task, throws TaskCancelled.
//
// Threads: spawn(), run_until_stalled(), block_on() and shutdown() from one
// thread at a time (the executor's owner); wakers from anywhere.

#ifndef MAGPIE_RUNTIME_LOCAL_EXECUTOR_H_
#define MAGPIE_RUNTIME_LOCAL_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <exception>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/coop.h"
#include "runtime/core/future.h"
#include "runtime/core/mutex.h"
#include "runtime/park/parker.h"
#include "runtime/task/cell.h"
#include "runtime/task/errors.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/lost_task.h"
#include "runtime/task/owned_tasks.h"
#include "runtime/task/scheduler_registry.h"
#include "runtime/task/spawn_options.h"
#include "runtime/task/task_dump.h"
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
  task::LostTaskHandler on_lost_task;             // set before any spawn
  // Set when shutdown begins: no lost-task report after it (lost_task.h).
  core::Atomic<bool> shutting_down{false};
  // The slot its tasks name (task/scheduler_registry.h).
  task::SchedulerRegistration registration;
};

// The waker target of one block_on call's own future: a flag saying the
// future was woken, plus the executor's parker to rouse the thread.
// Memory ordering: wake_by_ref() stores the flag with release before it
// unparks; take() clears it with acq_rel, so whatever the waking thread
// wrote before waking is visible to the poll that follows.
struct MainWake {
  explicit MainWake(Arc<park::Parker> parker) : parker(std::move(parker)) {}

  void wake_by_ref() {
    // ORDERING: release pairs with the acq_rel exchange in take().
    woken.store(true, std::memory_order_release);
    parker->unpark();
  }
  // True (once per wake) if the future should be polled.
  bool take() { return woken.exchange(false, std::memory_order_acq_rel); }
  bool is_woken() const {
    // ORDERING: relaxed; only decides whether to park (take() orders).
    return woken.load(std::memory_order_relaxed);
  }

  core::Atomic<bool> woken{true};  // poll once at the start
  Arc<park::Parker> parker;
};

// The Schedule handle of each task (task/schedule.h): a borrowed pointer
// to Shared, found from the task's registry index.
class Scheduler : public task::RegisteredScheduler<Shared> {
 public:
  using RegisteredScheduler::RegisteredScheduler;
  void schedule(task::Notified notified);
  void yield_now(task::Notified notified) { schedule(std::move(notified)); }
  bool release(task::Header* header) { return shared().owned.remove(header); }
  void unhandled_exception(std::uint64_t id, SpawnSite site,
                           std::exception_ptr error) {
    shared().unhandled_exception.report(id, site, std::move(error));
  }
  void lost_task(const task::Header& header) {
    // ORDERING: acquire pairs with the release store in shutdown().
    if (shared().shutting_down.load(std::memory_order_acquire)) return;
    task::report_lost_task(shared().on_lost_task, header);
  }
};

}  // namespace local_executor_internal

class LocalExecutor {
 public:
  LocalExecutor();
  // With a policy for exceptions of detached tasks (default: log them on
  // stderr; unhandled_exception.h). It runs on the thread that lets go of
  // the task last: this executor's thread, or one dropping a JoinHandle.
  explicit LocalExecutor(UnhandledExceptionHandler unhandled_exception);
  // Who hears of a lost task (task/lost_task.h); default: a stderr line.
  // Call before the first spawn.
  void on_lost_task(task::LostTaskHandler handler) {
    shared_->on_lost_task = std::move(handler);
  }
  LocalExecutor(const LocalExecutor&) = delete;
  LocalExecutor& operator=(const LocalExecutor&) = delete;
  ~LocalExecutor();

  // Queues `future` as a new task. After shutdown() the future is dropped
  // at once and the handle is already cancelled.
  // `where` records the caller as the spawn site; leave it defaulted.
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn(F&& future, SpawnSite where = SpawnSite::current()) {
    return spawn(SpawnOptions{}, std::forward<F>(future), where);
  }
  // With options (a name for the task dump; spawn_options.h).
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn(const SpawnOptions& options, F&& future,
        SpawnSite where = SpawnSite::current()) {
    using Cell =
        task::Cell<std::decay_t<F>, local_executor_internal::Scheduler>;
    task::Header* header =
        Cell::allocate(std::forward<F>(future),
                       local_executor_internal::Scheduler(shared_), where);
    task::apply_spawn_options(header, options);
    if (!shared_->owned.bind(header)) {
      // Shut down: the future is dropped here, the handle is cancelled.
      task::refuse(header);
      return JoinHandle<FutureOutput<std::decay_t<F>>>::from_raw(header);
    }
    local_executor_internal::Scheduler(shared_).schedule(
        task::Notified::from_raw(header));
    return JoinHandle<FutureOutput<std::decay_t<F>>>::from_raw(header);
  }
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn_named(std::string_view name, F&& future,
              SpawnSite where = SpawnSite::current()) {
    return spawn(SpawnOptions{.name = name}, std::forward<F>(future), where);
  }

  // Runs queued tasks until none is ready. Returns how many polls it made.
  std::size_t run_until_stalled();

  // Drives `future` to completion on this thread, running spawned tasks
  // while it waits; sleeps when nothing is ready. The future is polled
  // whenever its waker was woken, checked at least once every
  // kMainFutureInterval task polls, so tasks that keep re-queueing
  // themselves cannot starve it. Nesting (a task or the future calling
  // block_on again on this executor) works: each call has its own wake
  // flag. Refused with std::logic_error on a runtime worker thread
  // (block_on.h).
  template <class F>
  requires Future<std::remove_cvref_t<F>> FutureOutput<std::remove_cvref_t<F>>
  // `where` records the caller for the task dump; leave it defaulted.
  block_on(F&& future, SpawnSite where = SpawnSite::current()) {
    block_on_internal::check_may_block("LocalExecutor::block_on");
    std::remove_cvref_t<F> owned(std::forward<F>(future));
    auto main = make_arc<local_executor_internal::MainWake>(shared_->parker);
    Waker waker = waker_from(main);
    Context cx(waker);
    // A "block_on root" in dump_tasks() while it runs (block_on.h).
    block_on_internal::RootRegistration root(where, shared_.get());
    while (true) {
      if (main->take()) {
        // ORDERING: relaxed; this thread is the counter's only writer.
        if (root.stats().polls.load(std::memory_order_relaxed) != 0) {
          root.stats().note_wake();  // only a wake makes take() true again
        }
        auto poll = [&] {
          coop::BudgetScope budget;  // coop rule 3, as in run_until_stalled()
          root.begin_poll();
          core::LeafProbeScope leaf_probe(root.stats(), root.leaf());
          auto poll = owned.poll(cx);
          if (poll.is_pending()) core::record_leaf<std::remove_cvref_t<F>>();
          root.end_poll();
          return poll;
        }();
        if (poll.is_ready()) {
          if constexpr (std::is_void_v<FutureOutput<std::remove_cvref_t<F>>>) {
            return;
          } else {
            return std::move(poll).value();
          }
        }
      }
      const std::size_t polls = run_tasks(kMainFutureInterval);
      // A wake after this check unparks the parker, so park() returns.
      if (polls == 0 && !main->is_woken()) shared_->parker->park();
    }
  }

  // Refuses new spawns and drops every unfinished task's future here.
  void shutdown();

  // Every live task of this executor, then each of its block_on calls
  // active now (task_dump.h). Any thread.
  std::vector<TaskDump> dump_tasks();

  // Tasks spawned and not yet completed or dropped.
  std::size_t num_tasks() { return shared_->owned.size(); }

  // Task polls block_on makes at most between two checks of its own
  // future (Tokio's LocalSet uses the same tick length).
  static constexpr std::size_t kMainFutureInterval = 61;

 private:
  // Runs queued tasks until none is ready or `max_polls` were made.
  // Returns how many polls it made.
  std::size_t run_tasks(std::size_t max_polls);

  Arc<local_executor_internal::Shared> shared_;
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_LOCAL_EXECUTOR_H_
