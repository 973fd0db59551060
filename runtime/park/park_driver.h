// magpie::park::ParkDriver — something a thread can wait in instead of its
// futex: the runtime's I/O and timer driver, turned by an idle worker (the
// Runtime's IoDriver::kWorkers mode; WorkerParker below is its only user).
//
// Contract:
//   try_lock()   any thread: takes the driver if no thread holds it. One
//                holder at a time; a failed try never blocks.
//   turn(w)      the holder only: one turn of the driver. It waits for
//                events at most `w` (nullopt: until an event, a due timer
//                or unpark()), then handles what arrived, which may wake
//                tasks on the calling thread. A zero wait only polls.
//   unlock()     the holder: gives the driver back.
//   unpark()     any thread, any time: ends the current turn's wait, or
//                makes the next turn's wait return at once.
//
// Ownership: shared (std::shared_ptr) by the scheduler's parkers and the
// runtime that created it; it must stay valid while any parker may call it.
//
// Memory ordering: try_lock() acquires and unlock() releases, so each turn
// sees everything the previous holder wrote. unpark() orders nothing by
// itself: whatever the unparker wants the woken thread to see it publishes
// (an atomic, a queue) before calling it.

#ifndef MAGPIE_RUNTIME_PARK_PARK_DRIVER_H_
#define MAGPIE_RUNTIME_PARK_PARK_DRIVER_H_

#include <chrono>
#include <optional>

namespace magpie::park {

class ParkDriver {
 public:
  virtual ~ParkDriver() = default;

  [[nodiscard]] virtual bool try_lock() = 0;
  virtual void turn(std::optional<std::chrono::nanoseconds> max_wait) = 0;
  virtual void unlock() = 0;
  virtual void unpark() = 0;
};

}  // namespace magpie::park

#endif  // MAGPIE_RUNTIME_PARK_PARK_DRIVER_H_
