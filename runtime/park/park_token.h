// magpie::park::ParkToken — the wake token of a parker, kept in one futex
// word: unpark leaves the token (NOTIFIED), park takes it, and a thread
// that is about to sleep first announces where it sleeps, so that the
// unpark that finds the announcement knows how to wake it. Parker and
// WorkerParker are both built on it; the token protocol is the same as
// Rust's std::thread::park (and Tokio's park::Inner), in one place.
//
// Ownership: a member of its parker; never shared on its own.
//
// Threads: try_take(), announce(), withdraw(), sleep() and
// take_after_turn() only from the thread that parks; notify() and
// wake_sleeper() from any thread, any number of times.
//
// States: kEmpty, kNotified, and the parker's own "parked" states, the
// values 1 .. kNotified - 1 (where the thread sleeps: a futex, a driver).
//
//   call               | from                 | to        | returns
//   -------------------+----------------------+-----------+----------------
//   try_take()         | NOTIFIED             | EMPTY     | kTaken
//                      | other                | unchanged | kNone
//   announce(p)        | EMPTY                | p         | kAnnounced
//                      | NOTIFIED             | EMPTY     | kTaken
//   withdraw(p)        | p                    | EMPTY     | kWithdrawn
//                      | NOTIFIED             | EMPTY     | kTaken
//   take_after_turn()  | any                  | EMPTY     | (token, if any,
//                      |                      |           |  taken)
//   notify()           | any                  | NOTIFIED  | the state before
//
// Tokens do not add up: one take consumes any number of notify() calls.
// Only the parking thread moves the word out of NOTIFIED or into a parked
// state, so announce() and withdraw() can only find EMPTY/NOTIFIED and
// p/NOTIFIED respectively.
//
// Memory ordering: notify() is a release exchange; every take (try_take,
// announce or withdraw finding NOTIFIED, take_after_turn) is an acquire, so
// everything the notifying thread wrote before notify() is visible after
// the take. Announcing and withdrawing need no ordering of their own.

#ifndef MAGPIE_RUNTIME_PARK_PARK_TOKEN_H_
#define MAGPIE_RUNTIME_PARK_PARK_TOKEN_H_

#include <chrono>
#include <cstdint>

#include "runtime/core/atomic.h"
#include "runtime/park/futex.h"

namespace magpie::park {

class ParkToken {
 public:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kNotified = 3;

  enum class Take { kTaken, kNone };
  enum class Announce { kAnnounced, kTaken };
  enum class Withdraw { kWithdrawn, kTaken };

  Take try_take() {
    std::uint32_t expected = kNotified;
    // ORDERING: acquire pairs with the release exchange in notify().
    return word_.compare_exchange_strong(expected, kEmpty,
                                         std::memory_order_acquire,
                                         std::memory_order_relaxed)
               ? Take::kTaken
               : Take::kNone;
  }

  // `parked` in 1 .. kNotified - 1.
  Announce announce(std::uint32_t parked) {
    std::uint32_t expected = kEmpty;
    // ORDERING: relaxed is enough to announce; the waking side is ordered
    // by the acquire of the take that follows the sleep.
    if (word_.compare_exchange_strong(expected, parked,
                                      std::memory_order_relaxed,
                                      std::memory_order_relaxed)) {
      return Announce::kAnnounced;
    }
    // It became NOTIFIED in between (only the parking thread announces).
    (void)try_take();
    return Announce::kTaken;
  }

  Withdraw withdraw(std::uint32_t parked) {
    std::uint32_t expected = parked;
    if (word_.compare_exchange_strong(expected, kEmpty,
                                      std::memory_order_relaxed,
                                      std::memory_order_relaxed)) {
      return Withdraw::kWithdrawn;
    }
    // A notify() beat the withdrawal.
    (void)try_take();
    return Withdraw::kTaken;
  }

  // After a park that returns whatever happened (a driver turn): back to
  // EMPTY, taking a token that arrived meanwhile.
  void take_after_turn() {
    // ORDERING: acquire pairs with the release exchange in notify().
    (void)word_.exchange(kEmpty, std::memory_order_acquire);
  }

  // Sleeps on the futex while the word still reads `parked`, for at most
  // `timeout` (negative: no limit). May return spuriously; the caller
  // takes or re-checks.
  void sleep(std::uint32_t parked,
             std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1)) {
    futex_wait(&word_, parked, timeout);
  }

  // Leaves the token; returns the state it replaced, so the caller knows
  // whether (and where) a thread was parked.
  std::uint32_t notify() {
    // ORDERING: release pairs with the acquire of every take.
    return word_.exchange(kNotified, std::memory_order_release);
  }

  // Wakes the thread sleep() put on the futex.
  void wake_sleeper() { futex_wake(&word_, 1); }

 private:
  alignas(core::kCacheLineSize) core::Atomic<std::uint32_t> word_{kEmpty};
};

}  // namespace magpie::park

#endif  // MAGPIE_RUNTIME_PARK_PARK_TOKEN_H_
