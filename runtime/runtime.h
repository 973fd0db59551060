// magpie::Runtime — the multi-threaded work-stealing runtime: N worker
// threads running spawned tasks, a pool of threads for blocking work, and
// the reactor thread that drives sockets and timers (reactor/reactor.h).
//
//   magpie::Runtime rt;                                  // defaults
//   auto rt2 = magpie::Runtime::Builder().worker_threads(4).build();
//   magpie::JoinHandle<int> h = rt.spawn(compute());     // from any thread
//   int v = rt.block_on(std::move(h));                   // from a non-worker
//
// Inside a task, the free functions reach the current runtime:
// magpie::spawn(f), magpie::spawn_blocking(fn), magpie::yield_now(), and
// magpie::Handle::current().
//
// Ownership: the Runtime object owns its threads; shutdown() (called by the
// destructor) stops the workers, drops every unfinished task's future on a
// worker thread, joins the workers, waits for blocking jobs, then stops the
// reactor (so futures dropped at shutdown can still deregister their
// sockets). Workers, blocking threads, block_on and Handle::enter() all make
// the runtime's reactor the thread's current one, so magpie::sleep and the
// net types work in any of them; shutdown() makes the runtime current on
// its own thread while it drops futures. Task cells, wakers and Handles
// keep the shared state alive as long as they exist, so waking a task after
// shutdown is safe and does nothing.
//
// Shutdown semantics (docs/model.md): once shutdown has begun, every spawn
// (Runtime::spawn, Handle::spawn, magpie::spawn, and each spawn_blocking)
// is refused without throwing: the future (or function) is destroyed at
// once on the calling thread and the returned JoinHandle is already
// cancelled (awaiting it throws TaskCancelled), as in Tokio. So a
// destructor that runs during shutdown may spawn safely. The free
// magpie::spawn / spawn_blocking with no current runtime at all still throw
// NoCurrentRuntime (a programming error, where Tokio panics).
//
// Threads: spawn() from any thread; block_on() and shutdown() from a thread
// that is not a runtime worker (they would deadlock it: they throw
// std::logic_error instead).

#ifndef MAGPIE_RUNTIME_RUNTIME_H_
#define MAGPIE_RUNTIME_RUNTIME_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "reactor/enter_guard.h"
#include "reactor/reactor.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/future.h"
#include "runtime/core/saturating_time.h"
#include "runtime/scheduler/blocking_pool.h"
#include "runtime/scheduler/metrics.h"
#include "runtime/scheduler/worker.h"
#include "runtime/task/cell.h"
#include "runtime/task/errors.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/lost_task.h"
#include "runtime/task/spawn_options.h"
#include "runtime/task/task_dump.h"
#include "runtime/task/unhandled_exception.h"
#include "runtime/yield_now.h"

namespace magpie {

// Thrown by magpie::spawn(), magpie::spawn_blocking() and Handle::current()
// on a thread with no current runtime (a shut-down runtime still counts:
// its spawns return cancelled handles).
class NoCurrentRuntime : public std::logic_error {
 public:
  NoCurrentRuntime()
      : std::logic_error(
            "magpie: no current runtime (call from a task, a runtime's "
            "block_on, or inside Handle::enter())") {}
};

namespace runtime_internal {

// Everything a Handle reaches: the scheduler, the blocking pool, and the
// runtime's hooks. Shared by the Runtime, its Handles and its threads.
struct RuntimeShared {
  Arc<scheduler::Shared> scheduler;
  std::unique_ptr<scheduler::BlockingPool> blocking;
  // Started by the Runtime unless both enable_io and enable_time are off.
  std::optional<reactor::Reactor> reactor;

  // Makes the reactor (if any) current on this thread until `slot` is reset.
  void enter_reactor(std::optional<reactor::EnterGuard>& slot) const;
};

}  // namespace runtime_internal

// A cheap, copyable reference to a runtime, usable from any thread (also
// after the runtime shut down: spawns then return cancelled handles).
class Handle {
 public:
  // The runtime of the calling thread: a worker, a blocking thread, a
  // runtime's block_on, or inside enter(). Throws NoCurrentRuntime if none.
  static Handle current();
  static std::optional<Handle> try_current();
  // As current(), without the copy (a copy is two atomic reference-count
  // updates): valid while the calling thread's current runtime stays
  // current (until its innermost enter guard ends). The free spawn()
  // functions use it.
  static const Handle& current_ref();

  // `where` records the caller as the task's spawn site (diagnostics and
  // the unhandled-exception report); leave it defaulted.
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn(F&& future, SpawnSite where = SpawnSite::current())
  const {
    return spawn(SpawnOptions{}, std::forward<F>(future), where);
  }

  // As spawn(future), with options (a name for the task dump;
  // spawn_options.h).
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn(const SpawnOptions& options, F&& future,
        SpawnSite where = SpawnSite::current()) const {
    using Cell = task::Cell<std::decay_t<F>, scheduler::TaskScheduler>;
    task::Header* header =
        Cell::allocate(std::forward<F>(future),
                       scheduler::TaskScheduler(shared_->scheduler), where);
    task::apply_spawn_options(header, options);
    if (!shared_->scheduler->owned().bind(header)) {
      // Shut down: the future is dropped here, the handle is cancelled.
      task::refuse(header);
      return JoinHandle<FutureOutput<std::decay_t<F>>>::from_raw(header);
    }
    shared_->scheduler->schedule_new(task::Notified::from_raw(header));
    return JoinHandle<FutureOutput<std::decay_t<F>>>::from_raw(header);
  }

  // spawn(SpawnOptions{.name = name}, future).
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn_named(std::string_view name, F&& future,
              SpawnSite where = SpawnSite::current()) const {
    return spawn(SpawnOptions{.name = name}, std::forward<F>(future), where);
  }

  template <class Fn>
  JoinHandle<std::invoke_result_t<std::decay_t<Fn>&>> spawn_blocking(
      Fn&& fn, SpawnSite where = SpawnSite::current()) const {
    return shared_->blocking->spawn(std::forward<Fn>(fn), where);
  }

  // Makes this runtime the calling thread's current one until the guard
  // goes (guards nest). Defined below, where Handle is complete.
  class EnterGuard;
  [[nodiscard]] EnterGuard enter() const;

  RuntimeMetrics metrics() const;

  // Every live task spawned on this runtime (not blocking jobs), with its
  // state flags and diagnostics, then each Runtime::block_on call active on
  // it (a "block_on root"): the first thing to look at when something never
  // finishes (task_dump.h). Takes the task-list lock briefly; any thread.
  std::vector<TaskDump> dump_tasks() const;
  // Identifies this runtime's block_on roots in the process-wide list.
  const void* dump_tag() const { return shared_.get(); }

  bool operator==(const Handle& other) const {
    return shared_.ptr_eq(other.shared_);
  }

 private:
  friend class Runtime;
  explicit Handle(Arc<runtime_internal::RuntimeShared> shared)
      : shared_(std::move(shared)) {}

  Arc<runtime_internal::RuntimeShared> shared_;
};

// Makes a runtime the calling thread's current one (Handle::current(), the
// free spawn, and its reactor for sleep and sockets) until the guard goes.
// Guards nest and must be destroyed in reverse order, on the thread that
// made them.
class Handle::EnterGuard {
 public:
  explicit EnterGuard(const Handle& handle);
  ~EnterGuard();
  EnterGuard(const EnterGuard&) = delete;
  EnterGuard& operator=(const EnterGuard&) = delete;

 private:
  // Neither copyable nor movable, so the thread-local may point at
  // handle_ for the guard's whole life.
  Handle handle_;
  const Handle* saved_;
  std::optional<reactor::EnterGuard> reactor_guard_;
};

inline Handle::EnterGuard Handle::enter() const { return EnterGuard(*this); }

// Who turns the I/O and timer driver (Builder::io_driver).
enum class IoDriver {
  // A dedicated reactor thread waits in epoll and runs the timer wheel;
  // every readiness event reaches a worker through the inject queue and a
  // futex wake (batched per epoll turn): a thread hand-off per event, which
  // costs echo throughput and CPU per request against kWorkers
  // (docs/io.md). I/O and timers keep running while every worker is stuck
  // in a long poll.
  kReactorThread,
  // The default. No reactor thread: an idle worker waits in epoll itself
  // (holding the driver), the other idle workers on their futexes, and unparking the
  // one in the driver writes its eventfd; a busy worker polls the driver
  // (zero timeout) every event_interval ticks. Tasks a worker's turn wakes
  // run on that worker, with no cross-thread hand-off (Tokio's model). A
  // poll that blocks its worker for long delays I/O and timers until some
  // worker parks or reaches its next event_interval tick. Signals need no
  // masks in either mode (reactor/signal/signal.h): whichever thread takes
  // one rings the driver; only a signal blocked in every thread is lost.
  kWorkers,
};

class Runtime {
 public:
  class Builder {
   public:
    Builder();
    // Async worker threads (default: the machine's core count).
    Builder& worker_threads(std::size_t n);
    // Thread name prefix; workers are "<prefix>-<i>" (Linux keeps 15 chars).
    // Throws std::invalid_argument if it contains a NUL.
    Builder& thread_name(std::string prefix);
    Builder& on_thread_start(std::function<void()> hook);
    Builder& on_thread_stop(std::function<void()> hook);
    // Polls between checks of the global queue ahead of local work.
    Builder& global_queue_interval(std::uint32_t ticks);
    // Polls between a busy worker's maintenance checks.
    Builder& event_interval(std::uint32_t ticks);
    // How long a worker that ran out of work spins (checking the queues)
    // before it sleeps on its futex; 0 sleeps at once. Bounded: once per
    // idle spell, so an idle runtime still uses no CPU. Default 0.
    Builder& park_spin(std::chrono::nanoseconds spin);
    // Stalled-worker rescue (scheduler/worker.h): every event_interval ticks
    // a busy worker checks the others, and steals half the queue of one
    // that has not started a poll for 2 ms (stuck in a blocking call in a
    // task, or descheduled by the OS). On by default; false: only idle
    // workers steal, as in Tokio. Metrics: WorkerMetrics::rescues.
    Builder& rescue_stalled_workers(bool on);
    // Cap on blocking-pool threads, and how long an idle one lingers.
    Builder& max_blocking_threads(std::size_t n);
    // Any duration: one too long for milliseconds saturates ("forever");
    // zero or negative lets an idle thread exit at once.
    Builder& thread_keep_alive(std::chrono::milliseconds keep_alive);
    template <class Rep, class Period>
    Builder& thread_keep_alive(std::chrono::duration<Rep, Period> keep_alive) {
      return thread_keep_alive(
          core::saturating_ceil<std::chrono::milliseconds>(keep_alive));
    }
    // The reactor: sockets (enable_io) and timers (enable_time), both on by
    // default. One driver serves both (turned by the workers, or by a
    // reactor thread with IoDriver::kReactorThread) if either is on;
    // with both off there is none, and I/O and timer futures fail with a
    // FailedPrecondition status / ReactorError instead.
    Builder& enable_io(bool on = true);
    Builder& enable_time(bool on = true);
    // Who drives sockets and timers (IoDriver above); default kWorkers.
    // Without a call, the MAGPIE_IO_DRIVER environment variable ("workers"
    // or "reactor") picks it, so a whole test suite or benchmark can run in
    // either mode.
    Builder& io_driver(IoDriver mode);
    // What to do with an exception thrown by a task (or blocking job) whose
    // JoinHandle was dropped without reading it: log it on stderr with the
    // task's id and spawn site (the default), ignore it, or call back. The
    // callback runs on whichever thread lets go of the task last (a worker,
    // or one dropping a JoinHandle), maybe on several at once: it must be
    // thread-safe and must not block. See unhandled_exception.h.
    Builder& unhandled_exception(UnhandledExceptionHandler handler);
    // Chaos scheduling for tests (scheduler/chaos.h): nonzero `seed`
    // randomizes the interleavings the runtime controls (delays at task and
    // waker transitions, steal victims and sizes, LIFO bypass, delayed
    // wakes and parking), reproducibly per seed. 0 (the default) is off.
    // Without a call, the MAGPIE_CHAOS_SEED environment variable (if set)
    // is the seed, so a whole test suite can run under chaos.
    Builder& chaos(std::uint64_t seed);
    // Each worker keeps its last `capacity` chaos decisions for
    // chaos_decisions() (replay tests); 0 (the default) keeps none.
    Builder& chaos_decision_log(std::size_t capacity);
    // Reports a poll still running after `threshold` (a blocking call on a
    // worker), see scheduler/stall_monitor.h. Zero (the default) is off.
    Builder& stuck_poll_threshold(std::chrono::nanoseconds threshold);
    // Where those reports go (default: one line on stderr).
    Builder& on_stuck_poll(StuckPollHandler handler);
    // Who hears of a lost task: one idle with no live Waker, which nothing
    // can ever wake (task/lost_task.h). Default: a line on stderr (and
    // abort() when MAGPIE_ON_LOST_TASK=abort). Runs on the thread that made
    // the verdict true, perhaps under a lock of its own: thread-safe, quick,
    // and it must not touch the runtime's futures or locks.
    Builder& on_lost_task(task::LostTaskHandler handler);

    Runtime build();

   private:
    friend class Runtime;
    scheduler::SchedulerConfig scheduler_;
    std::string thread_name_ = "magpie-worker";
    std::function<void()> on_thread_start_;
    std::function<void()> on_thread_stop_;
    std::size_t max_blocking_threads_ = 512;
    std::chrono::milliseconds keep_alive_{10'000};
    bool enable_io_ = true;
    bool enable_time_ = true;
    IoDriver io_driver_ = IoDriver::kWorkers;
  };

  // A runtime with the default Builder settings.
  Runtime();
  Runtime(Runtime&& other) noexcept;
  Runtime& operator=(Runtime&&) = delete;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime();

  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn(F&& future, SpawnSite where = SpawnSite::current()) {
    return handle_.spawn(std::forward<F>(future), where);
  }
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn(const SpawnOptions& options, F&& future,
        SpawnSite where = SpawnSite::current()) {
    return handle_.spawn(options, std::forward<F>(future), where);
  }
  template <class F>
  requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
  spawn_named(std::string_view name, F&& future,
              SpawnSite where = SpawnSite::current()) {
    return handle_.spawn_named(name, std::forward<F>(future), where);
  }

  template <class Fn>
  JoinHandle<std::invoke_result_t<std::decay_t<Fn>&>> spawn_blocking(
      Fn&& fn, SpawnSite where = SpawnSite::current()) {
    return handle_.spawn_blocking(std::forward<Fn>(fn), where);
  }

  // Runs `future` to completion on the calling thread, with this runtime
  // as the current one (so it can spawn). Not from any runtime's worker
  // thread (std::logic_error); it may nest, and may run on a blocking-pool
  // thread (block_on.h).
  template <class F>
  requires Future<std::remove_cvref_t<F>> FutureOutput<std::remove_cvref_t<F>>
  // `where` records the caller for the task dump (a block_on root in
  // dump_tasks() while it runs); leave it defaulted.
  block_on(F&& future, SpawnSite where = SpawnSite::current()) {
    check_not_on_worker("block_on");
    Handle::EnterGuard guard(handle_);  // also enters the reactor
    return block_on_internal::block_on_owned(std::forward<F>(future), where,
                                             handle_.dump_tag());
  }

  // Shuts down (see the header comment), waiting for blocking jobs without
  // limit. Idempotent.
  void shutdown();
  // As shutdown(), waiting at most `timeout` for blocking jobs. True if they
  // all finished in time. Any duration: hours::max() waits without limit
  // (it saturates, core/saturating_time.h); zero or negative does not wait.
  bool shutdown_timeout(std::chrono::nanoseconds timeout);
  template <class Rep, class Period>
  bool shutdown_timeout(std::chrono::duration<Rep, Period> timeout) {
    return shutdown_until(core::deadline_after(timeout));
  }

  const Handle& handle() const { return handle_; }
  RuntimeMetrics metrics() const { return handle_.metrics(); }
  std::size_t num_workers() const;
  // The chaos seed this runtime was built with; 0 when chaos is off.
  std::uint64_t chaos_seed() const;
  // Worker `worker`'s logged chaos decisions, oldest first (see
  // Builder::chaos_decision_log); any thread.
  std::vector<ChaosDecision> chaos_decisions(std::size_t worker) const;

  // The current runtime's handle (see Handle::current()).
  static Handle current() { return Handle::current(); }

 private:
  explicit Runtime(const Builder& builder);
  void check_not_on_worker(const char* what) const;
  // shutdown() and shutdown_timeout(): time_point::max() waits without limit.
  bool shutdown_until(std::chrono::steady_clock::time_point deadline);

  Handle handle_;
  std::vector<std::thread> workers_;
  bool shut_down_ = false;
};

// Spawns onto the current runtime (Handle::current_ref()).
template <class F>
requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
spawn(F&& future, SpawnSite where = SpawnSite::current()) {
  return Handle::current_ref().spawn(std::forward<F>(future), where);
}
template <class F>
requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
spawn(const SpawnOptions& options, F&& future,
      SpawnSite where = SpawnSite::current()) {
  return Handle::current_ref().spawn(options, std::forward<F>(future), where);
}
template <class F>
requires Future<std::decay_t<F>> JoinHandle<FutureOutput<std::decay_t<F>>>
spawn_named(std::string_view name, F&& future,
            SpawnSite where = SpawnSite::current()) {
  return Handle::current_ref().spawn_named(name, std::forward<F>(future),
                                           where);
}

// Runs fn on the current runtime's blocking pool.
template <class Fn>
JoinHandle<std::invoke_result_t<std::decay_t<Fn>&>> spawn_blocking(
    Fn&& fn, SpawnSite where = SpawnSite::current()) {
  return Handle::current_ref().spawn_blocking(std::forward<Fn>(fn), where);
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_RUNTIME_H_
