#include "reactor/driver.h"

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>

#include "reactor/reactor_error.h"
#include "reactor/token.h"
#include "runtime/core/poll_stats.h"
#include "runtime/core/wake_batch.h"

namespace magpie::reactor {

absl::StatusOr<Arc<Driver>> Driver::create(std::size_t event_capacity) {
  absl::StatusOr<Poller> poller = Poller::create();
  if (!poller.ok()) return poller.status();
  absl::StatusOr<sys::EventFd> wake_fd = sys::EventFd::create();
  if (!wake_fd.ok()) return wake_fd.status();
  absl::Status registered = poller->registry().register_fd(
      wake_fd->fd(), kWakeToken, Interest::kReadable);
  if (!registered.ok()) return registered;
  return make_arc<Driver>(*std::move(poller), *std::move(wake_fd),
                          event_capacity);
}

Driver::Driver(Poller poller, sys::EventFd wake_fd, std::size_t event_capacity)
    : poller_(std::move(poller)),
      wake_fd_(std::move(wake_fd)),
      event_capacity_(event_capacity == 0 ? 1 : event_capacity),
      events_(event_capacity_),
      timers_(Clock::now()) {}

Driver::~Driver() {
  // Every IoSource holds a Handle, so none is registered any more; only
  // released records can be left.
  (void)poller_.registry().deregister_fd(wake_fd_.fd());
}

absl::StatusOr<ScheduledIo*> Driver::add_source(int fd, Interest interest) {
  auto owned = std::make_unique<ScheduledIo>();
  ScheduledIo* io = owned.get();
  {
    core::MutexLock lock(&mutex_);
    if (shutdown_) return reactor_shutdown_status();
    live_.emplace(io, std::move(owned));
  }
  absl::Status registered = poller_.registry().register_fd(
      fd, Token{reinterpret_cast<std::uintptr_t>(io)}, interest);
  if (!registered.ok()) {
    std::unique_ptr<ScheduledIo> failed;
    core::MutexLock lock(&mutex_);
    auto node = live_.extract(io);
    failed = std::move(node.mapped());
    return registered;
  }
  return io;
}

void Driver::remove_source(ScheduledIo* io, int fd) {
  // Deregister while `fd` is still open; an error (the fd was never
  // registered, or the epoll fd is gone) changes nothing below.
  (void)poller_.registry().deregister_fd(fd);
  // Still live (only the reactor frees, and only released records).
  io->drop_wakers();
  bool wake_reactor = false;
  {
    core::MutexLock lock(&mutex_);
    auto node = live_.extract(io);
    if (node.empty()) return;
    released_.push_back(std::move(node.mapped()));
    wake_reactor = !shutdown_ && released_.size() == kReleaseWakeThreshold;
  }
  if (wake_reactor) unpark();
}

std::size_t Driver::source_count() const {
  core::MutexLock lock(&mutex_);
  return live_.size();
}

void Driver::free_released() {
  std::vector<std::unique_ptr<ScheduledIo>> freed;
  {
    core::MutexLock lock(&mutex_);
    freed.swap(released_);
  }
  // Destroyed here, with no lock held: their wakers' drop may run user code.
}

void Driver::dispatch(const sys::Events& events) {
  if (events.size() == 0) return;
  // Every wake of the batch is stamped (PollStats::note_wake, "Wakes during
  // a poll" in core/poll_stats.h) with one clock reading taken after the
  // wait, instead of one reading per woken task: ~30 instructions per
  // request on the echo server. Restored after, as a poll's scope does.
  const std::uint32_t saved_event_ms = core::current_poll_ms;
  core::current_poll_ms = core::coarse_now_ms();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Token token = events.token(i);
    if (token == kWakeToken) {
      wake_fd_.drain();
      continue;
    }
    // SAFETY: rule 2 — the record is freed only by free_released() under
    // the turn lock we hold, before a later epoll_wait; this batch came
    // from an earlier one.
    auto* io = reinterpret_cast<ScheduledIo*>(
        static_cast<std::uintptr_t>(token.value));
    const Ready ready = events.ready(i);
    io->set_readiness(ready);
    io->wake(ready);
  }
  core::current_poll_ms = saved_event_ms;
}

void Driver::run() {
  // Nobody else turns a driver that has a reactor thread; a turner left
  // over from before it started finishes its turn first.
  while (!try_lock_turn()) std::this_thread::yield();
  // ORDERING: acquire pairs with the release store in request_stop().
  while (!stop_.load(std::memory_order_acquire)) turn(std::nullopt);
  unlock_turn();
}

bool Driver::try_lock_turn() {
  // ORDERING: acquire pairs with the release store in unlock_turn().
  return !turning_.exchange(true, std::memory_order_acquire);
}

void Driver::unlock_turn() {
  // ORDERING: release pairs with the acquire exchange in try_lock_turn().
  turning_.store(false, std::memory_order_release);
}

void Driver::turn(std::optional<std::chrono::nanoseconds> max_wait) {
  // No per-thread setting here: the turner may be the embedding program's
  // own thread (a Reactor without a thread, park_driver()). magpie's threads
  // get their 1 us timer slack where magpie creates them
  // (Reactor::set_up_own_thread).
  free_released();
  std::optional<std::chrono::nanoseconds> timeout;
  const bool poll_only = max_wait.has_value() && max_wait->count() <= 0;
  if (poll_only) {
    timeout = std::chrono::nanoseconds(0);  // a poll: no "sleeping until"
  } else {
    // Rule 4: records the tick this turn sleeps until.
    timeout = timers_.park_timeout(Clock::now());
    if (max_wait.has_value() &&
        (!timeout.has_value() || *max_wait < *timeout)) {
      timeout = max_wait;
    }
  }
  absl::Status polled = poller_.poll(events_, timeout);
  if (!polled.ok()) {
    // Only EBADF/EINVAL/EFAULT are left once EINTR is handled: a broken
    // invariant, not a condition to recover from.
    std::fprintf(stderr, "magpie reactor: %s\n", polled.ToString().c_str());
    std::abort();
  }
  turns_.fetch_add(1, std::memory_order_relaxed);
  {
    // Every task this turn wakes (sockets, then timers) reaches its
    // scheduler as one batch with one worker notification at scope end
    // (core/wake_batch.h), not one queue push and futex wake per event. A
    // worker turning the driver queues its own runtime's tasks locally.
    core::WakeBatchScope batch;
    dispatch(events_);
    // A non-blocking poll is a busy worker's: timers fire in 1 ms batches
    // then (timer_queue.h "Busy turns"); a turn that waited, at the tick.
    timers_.process(Clock::now(), poll_only
                                      ? timer::TimerQueue::Precision::kBatched
                                      : timer::TimerQueue::Precision::kExact);
  }
}

void Driver::request_stop() {
  // ORDERING: release pairs with the acquire load in run().
  stop_.store(true, std::memory_order_release);
  unpark();
}

void Driver::shutdown() {
  std::vector<ScheduledIo*> live;
  {
    core::MutexLock lock(&mutex_);
    if (shutdown_) return;
    shutdown_ = true;
    live.reserve(live_.size());
    for (const auto& [io, owned] : live_) live.push_back(io);
  }
  // SAFETY: with the reactor thread stopped nothing frees records any more
  // (released ones wait for ~Driver), so these stay valid.
  for (ScheduledIo* io : live) io->shutdown();
  timers_.shutdown();
}

}  // namespace magpie::reactor
