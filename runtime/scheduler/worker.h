// magpie::scheduler — the multi-threaded work-stealing scheduler: the state
// its workers share, the Schedule handle stored in each task, and the worker
// loop.
//
// Shape (DESIGN.md §3):
//   - N workers, one thread each. Worker i owns remotes[i].queue (a bounded
//     LocalQueue: it pushes and pops, others steal half) and a LIFO slot for
//     the task its running task just woke, or just spawned if the slot was
//     empty (a chain of spawns stays on one worker, as in Tokio).
//   - One Inject queue for spawns and wakes from threads that are not
//     workers of this runtime, and for local-queue overflow.
//   - Idle (idle.h) decides who sleeps and who is woken.
//
// Worker loop, per iteration ("tick"):
//   1. every global_queue_interval ticks, the inject queue first (fairness);
//   2. the LIFO slot (at most max_lifo_polls in a row), the local queue, the
//      inject queue: a batch, this worker's share (len / N + 1, at most half
//      a local queue), run one and queued locally the rest;
//   3. steal (as one of at most N/2 searchers), from a random victim, else
//      the inject queue's batch again (a stalled-worker rescue, below, is a
//      theft outside this bound);
//   4. park: announce, re-check, sleep (idle rules 1-3).
// Each task poll runs under a coop budget (coop.h).
//
// Stalled-worker rescue (SchedulerConfig::rescue_stalled_workers, on by
// default). A busy worker never steals (3 runs only when it has nothing),
// so the tasks queued behind a worker that is stuck in one poll (a
// blocking call in user code) or descheduled by the OS wait for it, however
// long, while every other worker is busy: the classic stall of a
// work-stealing runtime (Tokio steals only when idle; Go's sysmon hands a
// stuck P's queue on). It is robustness, not speed: no benchmark moved
// (bench/RESULTS.md), echo's p99 under OS preemption included.
// Every event_interval ticks (with maintenance) a busy worker reads each
// other worker's poll count (WorkerCounters::polls, bumped as each poll
// starts). A worker whose count has not moved for kStalledAfter (2 ms, by
// the steady clock, read only when a count stands still) while its local
// queue holds tasks is stalled: the busy worker steals half of that queue
// (LocalQueue::steal_into, exactly as an idle thief), and again at each
// check while the stall lasts, and counts a rescue. The stalled worker's
// LIFO slot is not stealable (as in Tokio): that one task waits for it. A
// rescue takes at most what keeps the rescuer's queue half full. Each check
// costs a load of each other worker's poll count and, when it stands
// still, of its queue's length (a parked worker's queue is empty).
//
// Worker-driven I/O (SchedulerConfig::park_driver set; the Runtime's
// IoDriver::kWorkers): a worker parks in the driver when no other worker
// holds it (park/worker_parker.h), on its futex otherwise; an unpark reaches
// it in either place. Tasks its own driver turn wakes go to its own queues
// (Shared::schedule on a worker) and the "others may steal" notification is
// made once after the turn, when the worker has left the sleepers list (so
// it never notifies itself). Every event_interval ticks a busy worker polls
// the driver without waiting (maintenance), so I/O and timers are served
// while no worker is idle.
//
// Ownership: Shared lives in an Arc held by the Runtime, every task cell
// (through TaskScheduler) and every worker thread, so a waker that outlives
// the Runtime stays safe. A WorkerCore belongs to its worker thread alone.
//
// Threads: TaskScheduler's methods and Shared::schedule from any thread;
// run_worker on the worker's own thread.

#ifndef MAGPIE_RUNTIME_SCHEDULER_WORKER_H_
#define MAGPIE_RUNTIME_SCHEDULER_WORKER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/park/park_driver.h"
#include "runtime/park/worker_parker.h"
#include "runtime/scheduler/chaos.h"
#include "runtime/scheduler/idle.h"
#include "runtime/scheduler/inject.h"
#include "runtime/scheduler/local_queue.h"
#include "runtime/scheduler/metrics.h"
#include "runtime/scheduler/stall_monitor.h"
#include "runtime/task/lost_task.h"
#include "runtime/task/owned_tasks.h"
#include "runtime/task/raw_task.h"
#include "runtime/task/scheduler_registry.h"
#include "runtime/task/unhandled_exception.h"

namespace magpie::scheduler {

// Default of SchedulerConfig::park_spin: off. No interleaved echo run on
// the shared 2-core machine showed a gain from spinning (bench/RESULTS.md,
// "I/O hand-off"); Builder::park_spin turns it on.
inline constexpr std::chrono::nanoseconds kDefaultParkSpin{0};

struct SchedulerConfig {
  std::size_t worker_threads = 1;
  // Ticks between checks of the inject queue ahead of local work; prime so
  // it does not beat in step with a task pattern (Tokio uses 61 as well).
  std::uint32_t global_queue_interval = 61;
  // Ticks between maintenance checks (shutdown; with park_driver, a poll
  // of the driver) while busy.
  std::uint32_t event_interval = 61;
  // The I/O and timer driver workers park in and poll (park_driver.h);
  // null: a reactor thread drives it and workers park on their futexes.
  std::shared_ptr<park::ParkDriver> park_driver;
  // Polls in a row from the LIFO slot before its task goes to the back of
  // the queue: two tasks waking each other cannot starve the rest.
  std::uint32_t max_lifo_polls = 3;
  // Stalled-worker rescue (above): busy workers steal from a worker stuck
  // in one poll. Off: only idle workers steal (Tokio's behaviour).
  bool rescue_stalled_workers = true;
  // How long a worker that found no work spins on its queues before it
  // parks (once per idle spell): work that arrives within it (the reactor's
  // next turn) costs no futex sleep and wake.
  std::chrono::nanoseconds park_spin = kDefaultParkSpin;
  // What to do with an exception a detached task threw (Builder).
  UnhandledExceptionHandler unhandled_exception;
  // Chaos scheduling (chaos.h): the seed, 0 = off.
  std::uint64_t chaos_seed = 0;
  // Decisions each worker keeps for Runtime::chaos_decisions (tests).
  std::size_t chaos_log_capacity = 0;
  // Stuck-poll detection (stall_monitor.h): zero = off, no monitor thread.
  std::chrono::nanoseconds stuck_poll_threshold{0};
  StuckPollHandler on_stuck_poll;  // empty: one line on stderr
  // Who hears of a lost task (Builder::on_lost_task); empty: the default.
  task::LostTaskHandler on_lost_task;
};

// What other threads may touch of worker i.
struct alignas(core::kCacheLineSize) Remote {
  LocalQueue queue;  // owner side used only by worker i
  std::unique_ptr<park::WorkerParker> parker;  // set by Shared, never reset
  WorkerCounters counters;                     // written by worker i only
  std::unique_ptr<Chaos> chaos;  // only with chaos on; worker i draws
  PollSlot poll_slot;            // written by worker i (stall_monitor.h)
};

class Shared {
 public:
  explicit Shared(SchedulerConfig config);
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  // A task became runnable (woken, or yielded when is_yield). On a worker of
  // this scheduler it goes to that worker (LIFO slot unless yielding);
  // elsewhere to the inject queue, waking a sleeping worker.
  void schedule(task::Notified task, bool is_yield);
  // core::WakeBatch flush: `items` are task::Header* of this scheduler, each
  // owning a queue reference; one inject push_batch, one notification.
  static void flush_wake_batch(void* self, void* const* items, std::size_t n);
  // A new task (spawn): the current worker's LIFO slot if it is empty, else
  // the back of its queue; from other threads the inject queue.
  void schedule_new(task::Notified task);

  // Wakes one sleeping worker if no worker is searching (idle rule 2).
  void notify_parked();
  // The same for work the calling worker queued locally (idle rule 2a).
  void notify_parked_local();

  // Starts shutdown: workers stop taking tasks, drop every task's future
  // (OwnedTasks) and their queues, and return from run_worker. The caller
  // joins the worker threads, then calls finish_shutdown().
  void begin_shutdown();
  void finish_shutdown();
  bool is_shutdown() const {
    // ORDERING: acquire pairs with the release store in begin_shutdown().
    return shutdown_.load(std::memory_order_acquire);
  }

  // True if any queue holds a task (a snapshot, used by idle rule 3).
  bool has_work_anywhere() const;

  RuntimeMetrics metrics() const;

  // Worker `worker`'s chaos decision log (chaos.h); empty without chaos.
  std::vector<ChaosDecision> chaos_decisions(std::size_t worker) const;
  // A wake reached one of this scheduler's tasks after it completed.
  void count_stale_wake() {
    // ORDERING: relaxed; a statistic (any thread, cold path).
    stale_wakes_.fetch_add(1, std::memory_order_relaxed);
  }

  const SchedulerConfig& config() const { return config_; }
  std::size_t num_workers() const { return remotes_.size(); }
  task::OwnedTasks& owned() { return owned_; }

  // The worker loop of worker `index`; returns at shutdown.
  static void run_worker(const Arc<Shared>& shared, std::size_t index);

  // True when the calling thread is a worker of this scheduler.
  bool is_current_thread_worker() const;

  // This scheduler's slot in the scheduler registry, which its tasks name
  // instead of holding an Arc (task/scheduler_registry.h); set by
  // make_registered_arc, freed with *this.
  task::SchedulerRegistration registration;

 private:
  friend class Worker;

  const SchedulerConfig config_;
  std::vector<std::unique_ptr<Remote>> remotes_;
  Inject inject_;
  Idle idle_;
  task::OwnedTasks owned_;
  core::Atomic<bool> shutdown_{false};
  std::optional<core::ChaosEnabled> chaos_enabled_;  // with chaos on
  // With a stuck-poll threshold; declared after remotes_ (it reads their
  // poll slots), so it stops first.
  std::unique_ptr<StallMonitor> stall_monitor_;
  core::Atomic<std::uint64_t> stale_wakes_{0};
};

// The Schedule handle of each task (task/schedule.h): a borrowed pointer
// to Shared, found from the task's registry index.
class TaskScheduler : public task::RegisteredScheduler<Shared> {
 public:
  using RegisteredScheduler::RegisteredScheduler;
  void schedule(task::Notified task) {
    shared().schedule(std::move(task), false);
  }
  void yield_now(task::Notified task) {
    shared().schedule(std::move(task), true);
  }
  bool release(task::Header* header) { return shared().owned().remove(header); }
  void unhandled_exception(std::uint64_t id, SpawnSite site,
                           std::exception_ptr error) {
    shared().config().unhandled_exception.report(id, site, std::move(error));
  }
  // No report once shutdown began: dropping futures drops other tasks'
  // Wakers, and those tasks are about to be dropped too (lost_task.h).
  void lost_task(const task::Header& header) {
    if (shared().is_shutdown()) return;
    task::report_lost_task(shared().config().on_lost_task, header);
  }
  void stale_wake() { shared().count_stale_wake(); }
};

// True when the calling thread is a worker of any runtime: code that would
// block the thread (mpsc's blocking_send/blocking_recv) refuses to run there.
bool current_thread_is_worker();

}  // namespace magpie::scheduler

#endif  // MAGPIE_RUNTIME_SCHEDULER_WORKER_H_
