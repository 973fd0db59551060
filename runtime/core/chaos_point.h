// magpie::core::chaos_point — the places where chaos scheduling
// (runtime/scheduler/chaos.h) may inject a delay, callable from code that
// knows nothing of tasks or schedulers (wakers, AtomicWaker, the reactor).
//
//   core::chaos_point(core::ChaosPoint::kAtomicWakerRegister);
//
// Contract:
//  1. Off (no runtime with chaos alive in the process) a chaos point costs one
//     relaxed load of a process-wide counter and one predictable branch; the
//     body is out of line.
//  2. On, it calls the ChaosHook installed on the calling thread, if any (a
//     worker of a chaos runtime installs its own for its life, with
//     ChaosHookScope). Threads without a hook do nothing.
//  3. A hook only delays the caller (spin, yield, brief sleep) and records
//     the decision; it never runs user code, takes no lock the caller could
//     hold, and never fails, so a chaos point is safe anywhere, also with a
//     lock held.
//
// ChaosPoint also names the scheduler's own decision sites (steal victim,
// LIFO bypass, ...), so one enum labels every entry of a decision log; core
// gives those names no meaning.
//
// Threads: chaos_point from any thread; ChaosHookScope on the thread it
// installs for; ChaosEnabled from any thread.
//
// Memory ordering: the counter is a relaxed hint. A thread that races a
// runtime's construction may miss or take one point; each worker installs
// its hook on its own thread after the counter went up (thread start orders
// it), which is all that determinism needs.

#ifndef MAGPIE_RUNTIME_CORE_CHAOS_POINT_H_
#define MAGPIE_RUNTIME_CORE_CHAOS_POINT_H_

#include <cstdint>

#include "runtime/core/atomic.h"

namespace magpie::core {

enum class ChaosPoint : std::uint8_t {
  // Task transitions (runtime/task/raw_task.cc).
  kBeforePoll,
  kAfterPoll,   // the poll returned, before transition_to_idle
  kWakerClone,  // the task waker vtable's clone
  kWakerWake,   // the task waker vtable's wake / wake_by_ref
  // AtomicWaker (runtime/core/atomic_waker.cc).
  kAtomicWakerRegister,  // stored the waker, before publishing it
  kAtomicWakerWake,      // before taking the waker
  // Scheduler decision sites (runtime/scheduler/worker.cc).
  kSchedule,      // a wake is about to be queued
  kWakeDelivery,  // queue a wake behind other work (inject) or normally
  kLifoBypass,    // skip the LIFO slot for a wake
  kStealVictim,   // which worker to try first
  kStealSize,     // how many tasks a steal may take at most
  kPark,          // about to announce parking
  kParkRecheck,   // announced, before re-checking the queues
};

// Stable lowercase name, for logs and tests.
const char* chaos_point_name(ChaosPoint point);

// What a thread's chaos engine does at a point (contract rule 3).
class ChaosHook {
 public:
  virtual void at(ChaosPoint point) = 0;

 protected:
  ~ChaosHook() = default;
};

namespace chaos_internal {
// How many chaos runtimes are alive (contract rule 1).
extern Atomic<std::uint32_t> enabled;
// The slow path: the calling thread's hook, if any.
void hit(ChaosPoint point);
}  // namespace chaos_internal

inline void chaos_point(ChaosPoint point) {
  // ORDERING: relaxed; a hint (see "Memory ordering" above).
  if (chaos_internal::enabled.load(std::memory_order_relaxed) != 0)
      [[unlikely]] {
    chaos_internal::hit(point);
  }
}

// Installs `hook` as the calling thread's chaos hook until destroyed
// (scopes nest; destroy in reverse order on the same thread).
class ChaosHookScope {
 public:
  explicit ChaosHookScope(ChaosHook* hook);
  ~ChaosHookScope();
  ChaosHookScope(const ChaosHookScope&) = delete;
  ChaosHookScope& operator=(const ChaosHookScope&) = delete;

 private:
  ChaosHook* saved_;
};

// Counts one chaos runtime alive for its lifetime (contract rule 1).
class ChaosEnabled {
 public:
  ChaosEnabled();
  ~ChaosEnabled();
  ChaosEnabled(const ChaosEnabled&) = delete;
  ChaosEnabled& operator=(const ChaosEnabled&) = delete;
};

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_CHAOS_POINT_H_
