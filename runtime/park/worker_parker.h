// magpie::park::WorkerParker — where a scheduler worker sleeps: in the
// runtime's driver (epoll) when it can take it, otherwise on a futex; an
// unpark() reaches it in either place. Without a driver it is a plain
// futex parker (the IoDriver::kReactorThread mode).
//
// Ownership: one per worker, owned by the scheduler (Remote); the driver is
// shared with the runtime (park_driver.h).
//
// Threads: park() and poll_driver() only from the owning worker; unpark()
// from any thread, any number of times.
//
// State machine (a ParkToken, park_token.h; the futex sleeps on its word):
//
//   state          | park()                             | unpark()
//   ---------------+------------------------------------+----------------------
//   EMPTY          | driver free: -> PARKED_DRIVER,     | -> NOTIFIED
//                  |   one turn, -> EMPTY, return       |
//                  | else -> PARKED_FUTEX, sleep until  |
//                  |   NOTIFIED                         |
//   PARKED_FUTEX   | (only the owner parks)             | -> NOTIFIED, futex wake
//   PARKED_DRIVER  | (only the owner parks)             | -> NOTIFIED,
//                  |                                    |   driver.unpark()
//   NOTIFIED       | -> EMPTY, return at once           | stays NOTIFIED
//
// Rules (cited by worker.cc):
//  1. An unpark() that lands before park() leaves NOTIFIED, so that park()
//     returns at once: no wake is lost between "the worker announced it
//     will sleep and re-checked its queues" and "it sleeps".
//  2. A park in the driver returns after one turn whether or not it was
//     unparked (an I/O event, a due timer, another parker's unpark): the
//     turn may have woken tasks onto this worker, which must look at its
//     queues. Returns are therefore often spurious; callers re-check.
//  3. The driver is taken (try_lock) before PARKED_DRIVER is announced and
//     given back after the state is reset, so an unpark() that saw
//     PARKED_DRIVER always targets a turn of this parker or, at worst, ends
//     the next holder's wait early (spurious, harmless).
//
// Memory ordering (ParkToken's): everything the unparking thread wrote
// before unpark() is visible after park() returns.

#ifndef MAGPIE_RUNTIME_PARK_WORKER_PARKER_H_
#define MAGPIE_RUNTIME_PARK_WORKER_PARKER_H_

#include <cstdint>
#include <memory>

#include "runtime/park/park_driver.h"
#include "runtime/park/park_token.h"

namespace magpie::park {

class WorkerParker {
 public:
  // `driver` may be null: then park() always sleeps on the futex.
  explicit WorkerParker(std::shared_ptr<ParkDriver> driver)
      : driver_(std::move(driver)) {}
  WorkerParker(const WorkerParker&) = delete;
  WorkerParker& operator=(const WorkerParker&) = delete;

  // Sleeps until unpark() (perhaps an earlier one), or for one driver turn
  // (rule 2).
  void park();

  // Wakes the parked worker, or makes its next park() return at once.
  void unpark();

  // A busy worker's maintenance: one turn that does not wait, if the driver
  // is free. Returns true if it turned.
  bool poll_driver();

  bool has_driver() const { return driver_ != nullptr; }

 private:
  // The parked states (ParkToken's EMPTY and NOTIFIED are the others).
  static constexpr std::uint32_t kParkedFutex = 1;
  static constexpr std::uint32_t kParkedDriver = 2;
  static_assert(kParkedFutex > ParkToken::kEmpty &&
                kParkedDriver < ParkToken::kNotified);

  void park_in_driver();  // holds the driver
  void park_on_futex();

  const std::shared_ptr<ParkDriver> driver_;
  ParkToken token_;
};

}  // namespace magpie::park

#endif  // MAGPIE_RUNTIME_PARK_WORKER_PARKER_H_
