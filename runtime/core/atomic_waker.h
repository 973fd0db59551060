// magpie::AtomicWaker — one waker slot that a consumer (re)registers into
// and any number of producers wake, concurrently, without a lock.
//
// It is the building block for leaf futures: the future registers the waker
// of each Pending poll, the event source calls wake(). It is the same
// protocol as futures-rs' AtomicWaker.
//
// Who may touch it: register_waker() from one thread at a time (the poller of
// the future that owns it); wake() and take() from any threads at any time.
//
// State machine (the `state_` word; WAKING is a bit that may be OR'ed in):
//
//   state                | register_waker()                 | wake()/take()
//   ---------------------+----------------------------------+----------------------------
//   WAITING              | -> REGISTERING, store the waker, | -> WAKING, take the waker,
//                        |    then back to WAITING          |    then back to WAITING
//   REGISTERING          | (never: one registerer at a time)| -> REGISTERING|WAKING; the
//                        |                                  |    registerer wakes for it
//   REGISTERING|WAKING   | registerer sees WAKING on exit:  | nothing (a wake is owed)
//                        |    takes its waker, -> WAITING,  |
//                        |    wakes it                      |
//   WAKING               | wake the new waker at once       | nothing (someone is waking)
//
// So a wake that races a registration is never lost: either the waker it
// finds is the new one, or the registerer sees WAKING and wakes itself.
//
// Memory ordering: register_waker() acquires the slot with an acq_rel CAS
// and publishes the stored waker with a release CAS back to WAITING; take()
// acquires with an acq_rel fetch_or, so it reads the waker the last
// registration stored, and releases it with a release fetch_and.

#ifndef MAGPIE_RUNTIME_CORE_ATOMIC_WAKER_H_
#define MAGPIE_RUNTIME_CORE_ATOMIC_WAKER_H_

#include <cstdint>

#include "runtime/core/atomic.h"
#include "runtime/core/waker.h"

namespace magpie {

class AtomicWaker {
 public:
  AtomicWaker() = default;
  AtomicWaker(const AtomicWaker&) = delete;
  AtomicWaker& operator=(const AtomicWaker&) = delete;

  // Stores (a clone of) `waker` unless the stored one already will_wake() it.
  void register_waker(const Waker& waker);

  // Wakes and removes the stored waker, if any.
  void wake();

  // Removes and returns the stored waker (empty if none or if another
  // wake()/take() is under way).
  Waker take();

 private:
  static constexpr std::uint32_t kWaiting = 0;
  static constexpr std::uint32_t kRegistering = 1;
  static constexpr std::uint32_t kWaking = 2;

  core::Atomic<std::uint32_t> state_{kWaiting};
  Waker waker_;  // Owned by whoever moved state_ out of WAITING.
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_ATOMIC_WAKER_H_
