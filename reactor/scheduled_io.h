// magpie::reactor::ScheduledIo — the reactor's record of one registered
// file descriptor: what readiness epoll last reported, and which futures to
// wake when more arrives.
//
// Owner: the Driver allocates one per registration and frees it under
// rule 2 of reactor.h (never while an epoll batch may still name it). An
// IoSource borrows it for as long as it is registered.
//
// Threads:
//   set_readiness(), wake()     the reactor thread, after an epoll event
//   shutdown()                  the thread shutting the reactor down
//   poll_ready(), clear_readiness(), ready_now()
//                               the futures of the source: one reader and
//                               one writer at a time, from any thread, a
//                               different thread and waker on each poll
//
// The readiness word (one 32-bit atomic):
//
//    31   30                   16 15                      0
//   +----+-----------------------+------------------------+
//   | SD |     TICK (15 bits)    |    READINESS (16 bits) |
//   +----+-----------------------+------------------------+
//
//   READINESS  the Ready bits (ready.h) epoll has reported and no operation
//              has consumed yet
//   TICK       bumped (mod 2^15) by every set_readiness(); an operation that
//              hit EAGAIN clears only the bits it observed, and only if the
//              tick is still the one it observed, so a newer event is never
//              erased
//   SD         shutdown: the reactor is gone; every poll_ready() answers at
//              once with is_shutdown
//
// Wakers: one read waker and one write waker, each under `mutex_`, replaced
// on every Pending poll (unless the stored one will_wake() the new one) and
// taken out by wake(); woken only after `mutex_` is released (reactor.h
// rule 3). `mutex_` is a core::WordMutex: its sections are a few pointer
// moves, taken twice per request/response turn (the Pending poll and the
// reactor's wake), and its uncontended lock/unlock is one inlined
// compare-exchange and one inlined exchange where std::mutex costs two
// out-of-line pthread calls (~110 instructions per pair, callgrind, echo).
//
// Cost of the common paths (the echo server's turn): a poll that finds its
// direction ready is inline (one acquire load, a mask, no call); only the
// Pending path (register, re-check) is out of line.
//
// Memory ordering: set_readiness() publishes with an acq_rel CAS; the loads
// in poll_ready() acquire it. The no-lost-wakeup argument rests on `mutex_`:
// poll_ready() stores its waker and re-reads the word inside the lock, and
// wake() runs after set_readiness() and takes the wakers inside the lock, so
// either the re-read sees the new bits or wake() finds the new waker.

#ifndef MAGPIE_REACTOR_SCHEDULED_IO_H_
#define MAGPIE_REACTOR_SCHEDULED_IO_H_

#include <cstdint>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "reactor/ready.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/core/waker.h"
#include "runtime/core/word_mutex.h"

namespace magpie::reactor {

// What poll_ready() observed: pass it back to clear_readiness() after an
// operation hit EAGAIN.
struct ReadyEvent {
  Ready ready;
  std::uint32_t tick = 0;
  bool is_shutdown = false;
};

class ScheduledIo {
 public:
  ScheduledIo() = default;
  ScheduledIo(const ScheduledIo&) = delete;
  ScheduledIo& operator=(const ScheduledIo&) = delete;

  // Reactor thread: adds `ready` to the readiness bits and bumps the tick.
  void set_readiness(Ready ready);

  // Reactor thread: wakes the waiters `ready` lets make progress.
  void wake(Ready ready);

  // Sets SD and wakes both waiters. Idempotent.
  void shutdown();

  // Drops both stored wakers (with no lock held); for deregistration, so a
  // released record keeps no task alive.
  void drop_wakers();

  // Ready with the readiness relevant to `direction` when there is some (or
  // the reactor shut down); otherwise stores cx.waker() as the waker for
  // `direction`, re-checks, and answers Pending.
  Poll<ReadyEvent> poll_ready(Context& cx, Direction direction) {
    // ORDERING: acquire pairs with the release CAS in set_readiness().
    if (auto event =
            event_for(word_.load(std::memory_order_acquire), direction)) {
      return *event;
    }
    return poll_ready_slow(cx, direction);
  }

  // The readiness relevant to `direction` right now (or the shutdown), with
  // no waker stored; nullopt when there is none. For try_io (io_source.h).
  std::optional<ReadyEvent> ready_now(Direction direction) const;

  // After an operation hit EAGAIN: clears the non-final bits of `event`
  // unless the tick moved on since it was observed.
  void clear_readiness(const ReadyEvent& event);

  // A snapshot, for tests and diagnostics.
  Ready readiness() const;

 private:
  static constexpr std::uint32_t kReadinessMask = 0xffff;
  static constexpr int kTickShift = 16;
  static constexpr std::uint32_t kTickMask = 0x7fff;
  static constexpr std::uint32_t kShutdownBit = 1u << 31;

  static std::optional<ReadyEvent> event_for(std::uint32_t word,
                                             Direction direction) {
    const std::uint32_t tick = (word >> kTickShift) & kTickMask;
    if ((word & kShutdownBit) != 0) return ReadyEvent{Ready(), tick, true};
    const Ready ready =
        Ready(static_cast<std::uint16_t>(word & kReadinessMask)) &
        Ready::mask_for(direction);
    if (ready.is_empty()) return std::nullopt;
    return ReadyEvent{ready, tick, false};
  }

  // poll_ready() when nothing is set yet: stores the waker and re-checks.
  Poll<ReadyEvent> poll_ready_slow(Context& cx, Direction direction);

  core::Atomic<std::uint32_t> word_{0};
  core::WordMutex mutex_;
  Waker reader_ ABSL_GUARDED_BY(mutex_);
  Waker writer_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_SCHEDULED_IO_H_
