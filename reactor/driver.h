// magpie::reactor::Driver — the state the reactor thread and every future
// share: the poller, the wake-up eventfd, the registered sources and the
// timer queue. Handles (handle.h) hold it by Arc; the Reactor (reactor.h)
// runs its loop on the reactor thread and shuts it down.
//
// Threads and rules: see reactor.h ("Rules"). In short, the turner (the
// reactor thread in run(), or whichever thread holds the turn lock) is the
// only thread that waits in epoll and fires timers; add_source(),
// remove_source(), timers() and unpark() are for any thread; shutdown() is
// for the owner once nothing turns the driver any more.
//
// Turning from other threads (the Runtime's IoDriver::kWorkers mode): a
// thread that wins try_lock_turn() may call turn() (one wait, dispatch and
// timer pass) any number of times, then unlock_turn(). run() holds the lock
// for its whole loop. The lock is a try-lock only: nobody waits for it.
//
// Sources: each registration owns one ScheduledIo whose address is its
// epoll token. remove_source() deregisters from epoll at once but hands the
// ScheduledIo to `released_`, which the reactor thread frees at the top of
// its next turn, i.e. after the epoll batch that may still name it (rule 2).
// Once the reactor thread has stopped, released records wait for ~Driver.
//
// Wake batching: each turn's dispatch() and timer processing run inside a
// core::WakeBatchScope, so the tasks they wake reach their scheduler as one
// batch (one inject push, at most one worker notification) when the turn's
// events are all handled.
//
// Wake batching applies to a worker's turn too: wakes of the worker's own
// runtime never reach the batch (its scheduler queues them on the worker),
// those of other executors are batched as on the reactor thread.
//
// Memory ordering: `stop_` is stored with release by request_stop() and
// loaded with acquire by run(). `turning_` is the turn lock: acquired by an
// acquire exchange in try_lock_turn(), released by a release store in
// unlock_turn(), so each turner sees `events_` and the timer wheel's tick
// as the previous turner left them. `turns_` is a relaxed statistic.
// Everything else is under `mutex_` (sources) or inside TimerQueue /
// ScheduledIo.

#ifndef MAGPIE_REACTOR_DRIVER_H_
#define MAGPIE_REACTOR_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "reactor/interest.h"
#include "runtime/core/mutex.h"
#include "reactor/poller.h"
#include "reactor/scheduled_io.h"
#include "reactor/sys/event_fd.h"
#include "reactor/sys/selector.h"
#include "reactor/timer/timer_queue.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"

namespace magpie::reactor {

class Driver {
 public:
  using Clock = std::chrono::steady_clock;

  // Creates the epoll instance and the eventfd (registered). `event_capacity`
  // is how many events one epoll_wait may return.
  static absl::StatusOr<Arc<Driver>> create(std::size_t event_capacity);

  // Use create(); public for make_arc.
  Driver(Poller poller, sys::EventFd wake_fd, std::size_t event_capacity);
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  ~Driver();

  // Any thread: registers `fd` (edge-triggered) and returns its record, or
  // an error (Cancelled once shut down).
  absl::StatusOr<ScheduledIo*> add_source(int fd, Interest interest);

  // Any thread: deregisters `fd` (still open) and releases `io` (rule 2).
  void remove_source(ScheduledIo* io, int fd);

  timer::TimerQueue& timers() { return timers_; }

  // Any thread: ends the reactor's current or next epoll_wait.
  void unpark() const { wake_fd_.wake(); }

  // Diagnostics (snapshots): registered sources, timers, loop iterations.
  std::size_t source_count() const;
  std::size_t timer_count() const { return timers_.size(); }
  std::uint64_t turns() const { return turns_.load(std::memory_order_relaxed); }

  // The reactor thread's loop: returns after request_stop(). Holds the turn
  // lock throughout (waits for it first, should another thread hold it).
  void run();

  // Any thread: takes the turn lock if no thread holds it.
  [[nodiscard]] bool try_lock_turn();
  // The turn lock's holder: frees released records, waits in epoll for at
  // most `max_wait` and never past the next timer deadline (nullopt: no
  // limit but the timers), dispatches readiness, fires due timers. A wait
  // of zero (or less) only polls, and leaves the timer queue's "sleeping
  // until" mark alone (rule 4: no insert needs to wake a turn that does not
  // sleep). An earlier timer or unpark() ends a longer wait.
  void turn(std::optional<std::chrono::nanoseconds> max_wait);
  // The holder: gives the turn lock back.
  void unlock_turn();

  // Any thread: makes run() return soon.
  void request_stop();

  // The owner, after run() returned: every registered source and every timer
  // sees the shutdown (their futures wake and fail); later registrations and
  // timers are refused. Idempotent.
  void shutdown();

 private:
  // Released records freed per turn before the reactor is woken to free them
  // early (bounds memory while the reactor sleeps long).
  static constexpr std::size_t kReleaseWakeThreshold = 64;

  void dispatch(const sys::Events& events);
  void free_released();

  Poller poller_;
  sys::EventFd wake_fd_;
  const std::size_t event_capacity_;
  // Used by the turn lock's holder only.
  sys::Events events_;
  timer::TimerQueue timers_;

  mutable core::Mutex mutex_;
  std::unordered_map<ScheduledIo*, std::unique_ptr<ScheduledIo>> live_
      ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<ScheduledIo>> released_ ABSL_GUARDED_BY(mutex_);
  bool shutdown_ ABSL_GUARDED_BY(mutex_) = false;

  core::Atomic<bool> stop_{false};
  core::Atomic<bool> turning_{false};  // the turn lock
  core::Atomic<std::uint64_t> turns_{0};
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_DRIVER_H_
