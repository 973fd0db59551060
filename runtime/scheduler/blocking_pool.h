// magpie::scheduler::BlockingPool — a bounded, elastic pool of threads for
// blocking work (spawn_blocking), so a blocking call never stalls the async
// workers and every task queued behind them.
//
// A blocking job is a task like any other (same cell, JoinHandle, abort):
// its "future" runs the function once on its first poll. Jobs wait in a FIFO;
// a thread is started for a job when none is idle and fewer than
// max_threads exist; an idle thread exits after keep_alive.
//
// Claiming an idle thread (the rule that keeps two quick spawns from both
// counting on one idle thread, so that a job waiting for a later one cannot
// deadlock it): under the lock, push() either
//   - claims an idle thread: num_idle -= 1, num_notify += 1, then wakes
//     one (each claim is handed to exactly one thread, which consumes it by
//     num_notify -= 1 and leaves the idle state);
//   - or counts a new thread (num_threads += 1) and hands it the job;
//   - or, at the cap with none idle, queues the job for a busy thread.
// num_idle therefore counts idle threads nobody has claimed yet. An idle
// thread leaves by keep-alive or shutdown only if no claim is pending
// (num_notify == 0); it then takes itself off num_idle under the same lock.
//
//   thread state | event                    | counts, under mu
//   -------------+--------------------------+-------------------------------
//   busy         | queue empty, go idle     | num_idle += 1
//   idle         | woken, num_notify > 0    | num_notify -= 1 -> busy
//   idle         | keep-alive out/shutdown, | num_idle -= 1, num_threads -= 1
//                |  num_notify == 0         |  -> exit
//   idle         | spurious wake            | stays idle
//
// Shutdown: jobs not yet started are cancelled (their JoinHandles throw
// TaskCancelled); running ones cannot be interrupted, so shutdown waits for
// them, up to a timeout if one is given. Threads still running after that
// are left to finish on their own (they hold the pool's shared state).
//
// Ownership: the Runtime owns the pool; its shared state is in an Arc held
// by its threads and by every job's cell. Threads: spawn() from any thread;
// shutdown() once, from the Runtime's owner.

#ifndef MAGPIE_RUNTIME_SCHEDULER_BLOCKING_POOL_H_
#define MAGPIE_RUNTIME_SCHEDULER_BLOCKING_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "runtime/core/arc.h"
#include "runtime/core/mutex.h"
#include "runtime/task/cell.h"
#include "runtime/task/errors.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/owned_tasks.h"
#include "runtime/task/unhandled_exception.h"

namespace magpie::scheduler {

struct BlockingPoolConfig {
  std::size_t max_threads = 512;
  // How long an idle thread lingers; <= 0 exits at once. Waited through
  // MutexLock::wait_for, which saturates (core/saturating_time.h).
  std::chrono::milliseconds keep_alive{10'000};
  std::string thread_name = "magpie-blocking";
  // Runs on each pool thread first and last (e.g. to enter the runtime).
  std::function<void()> on_thread_start;
  std::function<void()> on_thread_stop;
  // What to do with an exception a detached job threw.
  UnhandledExceptionHandler unhandled_exception;
};

class BlockingPool;

namespace blocking_internal {

struct PoolShared {
  explicit PoolShared(BlockingPoolConfig config)
      : config(std::move(config)),
        on_thread_start(std::move(this->config.on_thread_start)),
        on_thread_stop(std::move(this->config.on_thread_stop)) {}

  BlockingPoolConfig config;  // hooks moved out into the fields below
  core::Mutex mu;
  // Copied by each thread as it starts; cleared at shutdown, because they
  // may hold a Handle of the runtime that owns this pool (a cycle otherwise).
  std::function<void()> on_thread_start ABSL_GUARDED_BY(mu);
  std::function<void()> on_thread_stop ABSL_GUARDED_BY(mu);
  std::condition_variable cv;      // jobs arrived, or shutdown
  std::condition_variable exited;  // a thread exited
  std::deque<task::Header*> queue ABSL_GUARDED_BY(mu);  // each owns a ref
  std::size_t num_threads ABSL_GUARDED_BY(mu) = 0;
  // Idle threads not yet claimed, and claims not yet taken (see above).
  std::size_t num_idle ABSL_GUARDED_BY(mu) = 0;
  std::size_t num_notify ABSL_GUARDED_BY(mu) = 0;
  bool shutdown ABSL_GUARDED_BY(mu) = false;
  task::OwnedTasks owned;
  // The slot its jobs name (task/scheduler_registry.h).
  task::SchedulerRegistration registration;
};

// Hands a job to a claimed idle thread, else to a new thread (below the
// cap), else queues it for a busy one. After shutdown the job is dropped.
// Throws std::system_error if no thread exists and none can be started.
// `shared` is borrowed (Arc<PoolShared>::as_raw()): an owning reference is
// made only for a thread it starts, so a job queued for a running thread
// costs no reference-count traffic.
void push(const void* shared, task::Notified job);

// The Schedule handle of each job (task/schedule.h): a borrowed pointer
// to PoolShared, found from the job's registry index.
class Scheduler : public task::RegisteredScheduler<PoolShared> {
 public:
  using RegisteredScheduler::RegisteredScheduler;
  void schedule(task::Notified job) { push(shared_raw(), std::move(job)); }
  void yield_now(task::Notified job) { push(shared_raw(), std::move(job)); }
  bool release(task::Header* header) { return shared().owned.remove(header); }
  void unhandled_exception(std::uint64_t id, SpawnSite site,
                           std::exception_ptr error) {
    shared().config.unhandled_exception.report(id, site, std::move(error));
  }
};

// The future of a blocking job: runs `fn` on its first (only) poll.
template <class Fn>
class BlockingFuture {
 public:
  using Output = std::invoke_result_t<Fn&>;
  explicit BlockingFuture(Fn fn) : fn_(std::move(fn)) {}
  Poll<Output> poll(Context&) {
    if constexpr (std::is_void_v<Output>) {
      fn_();
      return ready();
    } else {
      return fn_();
    }
  }

 private:
  Fn fn_;
};

}  // namespace blocking_internal

class BlockingPool {
 public:
  explicit BlockingPool(BlockingPoolConfig config);
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;
  ~BlockingPool();

  // Runs fn() on a pool thread. After shutdown, fn is dropped at once and
  // the handle is already cancelled (never throws for that). Throws
  // std::system_error if no pool thread exists and none can be started.
  template <class Fn>
  JoinHandle<std::invoke_result_t<std::decay_t<Fn>&>> spawn(
      Fn&& fn, task::SpawnSite where = task::SpawnSite::current()) {
    using Future = blocking_internal::BlockingFuture<std::decay_t<Fn>>;
    using Cell = task::Cell<Future, blocking_internal::Scheduler>;
    task::Header* header =
        Cell::allocate(Future(std::forward<Fn>(fn)),
                       blocking_internal::Scheduler(shared_), where);
    if (!shared_->owned.bind(header)) {
      // Shut down: fn is dropped here, the handle is cancelled.
      task::refuse(header);
      return JoinHandle<typename Future::Output>::from_raw(header);
    }
    auto handle = JoinHandle<typename Future::Output>::from_raw(header);
    // May throw std::system_error when no thread can be started and none
    // runs; the job then stays unrun on the owned list, and shutdown()
    // cancels and frees it.
    blocking_internal::push(shared_.as_raw(), task::Notified::from_raw(header));
    return handle;
  }

  // Cancels queued jobs and waits for running ones until `deadline`
  // (time_point::max(): no limit; callers make it with core::deadline_after,
  // so a user's timeout saturates). True if every thread exited in time.
  // Called from one of the pool's own jobs, it waits for every other thread
  // (its own exits once the job returns).
  bool shutdown(std::chrono::steady_clock::time_point deadline);

  std::size_t num_threads();
  std::size_t queue_depth();

 private:
  Arc<blocking_internal::PoolShared> shared_;
  bool shut_down_ = false;
};

}  // namespace magpie::scheduler

#endif  // MAGPIE_RUNTIME_SCHEDULER_BLOCKING_POOL_H_
