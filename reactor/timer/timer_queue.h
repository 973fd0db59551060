// magpie::reactor::timer::TimerQueue — the reactor's timers: a Wheel behind
// one lock, the clock that maps deadlines to ticks, and the "sleeping until"
// tick that decides whether an insert must wake the reactor.
//
// Who does what:
//   insert(), remove()     any thread (a Sleep's poll and destructor), O(1)
//   park_timeout()         the reactor thread, right before epoll_wait: how
//                          long it may sleep; records that tick
//   process()              the reactor thread, after epoll_wait: fires every
//                          entry due by now
//   shutdown()             the thread shutting the reactor down, once the
//                          reactor thread has stopped: fails every entry
//
// The wheel is advanced (time moves, entries fire) only by the reactor
// thread; other threads only link and unlink entries, each in O(1) under
// `mutex_`. Firing takes the wakers out under the lock in batches and wakes
// them after releasing it (reactor.h rule 3).
//
// Ticks: kTick (2^14 ns = 16.4 us) steps since `origin`. A deadline maps to
// the tick at or after it (rounded up) and "now" to the tick at or before it
// (rounded down), so an entry fires only once now >= its deadline: never
// early. park_timeout() answers the exact nanoseconds to the start of the
// earliest due tick (epoll_pwait2 sleeps in nanoseconds), so a timer fires
// at most one tick (16.4 us) after its deadline plus the kernel's timer
// slack and the wake-up itself. Why 16.4 us, not 1 ms or exact: a 1 ms tick
// made every sleep 0-1 ms late (p99 ~0.7 ms against Asio's ~0.1 ms with an
// exact heap); an exact heap costs O(log n) per insert and remove, where
// the wheel stays O(1). The wheel's finest level is 4096 ticks wide (67 ms)
// so the common short sleeps never cascade (wheel.h). A finer tick costs,
// when many timers are spread over a millisecond, up to 64 wake-ups of an
// idle reactor in it instead of one, each firing a 64th of them (busy
// workers batch instead: "Busy turns"). The power of two makes the conversions shifts.
//
// Busy turns: a worker that runs tasks also polls the driver without
// waiting every event_interval tasks (scheduler/worker.h, maintenance).
// Such a poll fires timers at kBatchTicks (1 ms) granularity, as the former
// 1 ms tick did: firing a few timers on every poll of a busy runtime (every
// 16.4 us tick) cost timers_100k (100k sleeps of 1-10 ms) 10-20% wall time
// in cross-core traffic, while under such load a woken task waits in the
// run queue longer than the batch anyway. A turn that waits (the reactor
// thread, a parked worker) always fires at the exact tick, so an idle or
// lightly loaded runtime gets the 16.4 us precision. Never early either way:
// rounding `now` down only delays.
//
// Saturation (DESIGN.md §5): a deadline at or before `origin` is tick 0
// (elapsed: fires at once); one past kTickLimit ticks (~146 years), such as
// time_point::max(), is kTickLimit. The wheel parks anything beyond its
// span (2.3 years) at its top level, so the reactor wakes at most once per
// span for it; no tick or timeout computation overflows.
//
// No lost wake-up of the reactor (reactor.h rule 4): park_timeout() stores
// the tick the reactor will sleep until, under the lock; insert() wakes the
// reactor (kInsertedWakeReactor) only when its tick is earlier. process()
// sets it to 0 ("awake, will look again before sleeping"), so inserts while
// the reactor is busy cost no syscall.

#ifndef MAGPIE_REACTOR_TIMER_TIMER_QUEUE_H_
#define MAGPIE_REACTOR_TIMER_TIMER_QUEUE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "reactor/timer/entry.h"
#include "reactor/timer/wheel.h"
#include "runtime/core/mutex.h"

namespace magpie::reactor::timer {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // One tick of the wheel: 2^14 ns. A tick's rounding is the most a timer
  // fires late by, before the OS's part (wake-up, timer slack).
  static constexpr int kTickShift = 14;
  static constexpr std::chrono::nanoseconds kTick{std::int64_t{1}
                                                  << kTickShift};

  enum class [[nodiscard]] InsertResult{
      kInserted,             // linked; the reactor will fire it in time
      kInsertedWakeReactor,  // linked; earlier than the reactor's wake-up:
                             //   the caller must wake the reactor
      kElapsed,              // due already: not linked, treat as fired
      kShutdown,             // the reactor is gone: not linked
  };

  explicit TimerQueue(Clock::time_point origin) : origin_(origin) {}
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Links an unlinked entry (state IDLE) due at `deadline`.
  InsertResult insert(TimerEntry* entry, Clock::time_point deadline);

  // Unlinks `entry` if it is linked (no-op once fired). After this returns
  // the reactor no longer touches the entry: its owner may free or re-arm it.
  void remove(TimerEntry* entry);

  // Linked entries, a snapshot.
  std::size_t size() const;

  // Reactor thread: how long it may sleep (nullopt: no timer), recording the
  // tick it will wake at.
  std::optional<std::chrono::nanoseconds> park_timeout(Clock::time_point now);

  // How finely process() reads `now` (see "Busy turns" above).
  enum class Precision {
    kExact,    // every entry due by now: a turn that waited for a timer
    kBatched,  // every entry due by now rounded down to kBatchTicks: a
               //   busy worker's non-blocking poll
  };
  // Ticks per batch of a kBatched turn: 2^6 ticks = 1.05 ms, the former
  // 1 ms tick.
  static constexpr int kBatchShift = 6;
  static constexpr std::uint64_t kBatchTicks = std::uint64_t{1} << kBatchShift;

  // The turning thread: fires every entry due by `now` (kBatched: by `now`
  // rounded down to a multiple of kBatchTicks); returns how many.
  std::size_t process(Clock::time_point now,
                      Precision precision = Precision::kExact);

  // Fails every linked entry (state SHUTDOWN) and refuses later inserts.
  void shutdown();

 private:
  static constexpr std::uint64_t kNever =
      std::numeric_limits<std::uint64_t>::max();
  // Ticks past which tick * kTick could overflow int64 nanoseconds (2^48
  // ticks, ~146 years); the wheel parks such entries at its top level.
  static constexpr std::uint64_t kTickLimit = std::uint64_t{1}
                                              << (62 - kTickShift);
  // Wakers taken per lock hold while firing: bounds the time inserters wait.
  static constexpr std::size_t kWakeBatch = 64;

  std::uint64_t deadline_tick(Clock::time_point deadline) const;
  std::uint64_t now_tick(Clock::time_point now) const;

  const Clock::time_point origin_;
  mutable core::Mutex mutex_;
  Wheel wheel_ ABSL_GUARDED_BY(mutex_);
  // The tick the reactor sleeps until: kNever when it sleeps with no
  // timeout, 0 while it is awake (it will look at the wheel again).
  std::uint64_t sleeping_until_ ABSL_GUARDED_BY(mutex_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace magpie::reactor::timer

#endif  // MAGPIE_REACTOR_TIMER_TIMER_QUEUE_H_
