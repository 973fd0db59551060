// magpie::park::Parker — puts one thread to sleep until another thread
// unparks it, with no lost wakeups and no CPU spent while asleep.
//
// Ownership: a Parker is shared (Arc<Parker>) between the one thread that
// parks on it and any number of threads that unpark it; as a waker target
// (waker_from(Arc<Parker>)) waking it unparks the thread.
//
// Threads: park(), park_for() and park_until() only from the owning thread; unpark() from
// any thread, any number of times.
//
// State machine (a ParkToken, park_token.h, whose word the parked thread
// sleeps on with a futex):
//
//   state     | park()                          | unpark()
//   ----------+---------------------------------+------------------------------
//   EMPTY     | -> PARKED, sleep until NOTIFIED | -> NOTIFIED
//   PARKED    | (only the owner parks)          | -> NOTIFIED, futex wake
//   NOTIFIED  | -> EMPTY, return at once        | stays NOTIFIED (tokens do not
//             |                                 |  add up: one park consumes all)
//
// An unpark() that lands before park() leaves NOTIFIED behind, so the park
// returns at once: a wake is never lost between "poll answered Pending" and
// "thread went to sleep". Spurious returns are possible (callers re-check).
//
// Memory ordering (ParkToken's): everything the unparking thread wrote
// before unpark() is visible after park() returns.

#ifndef MAGPIE_RUNTIME_PARK_PARKER_H_
#define MAGPIE_RUNTIME_PARK_PARKER_H_

#include <chrono>
#include <cstdint>

#include "runtime/core/saturating_time.h"
#include "runtime/park/park_token.h"

namespace magpie::park {

class Parker {
 public:
  Parker() = default;
  Parker(const Parker&) = delete;
  Parker& operator=(const Parker&) = delete;

  // Blocks until unpark() (possibly one that happened earlier and was not
  // consumed yet).
  void park();

  // As park(), but returns after `timeout` at the latest. Returns true when
  // it consumed an unpark. Any duration: one too long to represent parks
  // without limit, zero or negative does not sleep (core/saturating_time.h).
  template <class Rep, class Period>
  bool park_for(std::chrono::duration<Rep, Period> timeout) {
    return park_until(core::deadline_after(timeout));
  }

  // As park(), but returns at `deadline` at the latest (time_point::max():
  // no limit). Returns true when it consumed an unpark.
  bool park_until(std::chrono::steady_clock::time_point deadline);

  // Wakes the parked thread, or makes its next park() return at once.
  void unpark();

  // Waker target: waking unparks.
  void wake_by_ref() { unpark(); }

 private:
  // The one parked state (ParkToken's EMPTY and NOTIFIED are the others).
  static constexpr std::uint32_t kParked = 1;
  static_assert(kParked > ParkToken::kEmpty && kParked < ParkToken::kNotified);

  ParkToken token_;
};

}  // namespace magpie::park

#endif  // MAGPIE_RUNTIME_PARK_PARKER_H_
