// magpie::task::SchedulerRegistry — the process-wide table that lets a task
// find its scheduler from a 16-bit index instead of keeping an 8-byte
// handle in every cell (issue 10, "Memory per task").
//
// What it holds: slot i is the Arc block (Arc<T>::as_raw) of one live
// scheduler's shared state T (the multi-thread runtime's scheduler::Shared,
// a LocalExecutor's or a BlockingPool's shared state, a test's). A task
// keeps the index in the low 16 bits of its vtable word
// (Header::scheduler_index) and finds the scheduler with a shift and one
// table load (registered_scheduler).
//
// Rules:
//  1. A slot is claimed when the scheduler's shared state is made
//     (make_registered_arc) and freed by its destructor (the
//     SchedulerRegistration member). The state lives while any Arc to it
//     does, and every task keeps one such reference for its whole life
//     (RegisteredScheduler::retain_task at allocation, drop_task after the
//     cell is freed: the count the cell's Arc member kept before). So a
//     task's slot is valid, and names its own scheduler, from its
//     allocation to its deallocation: a wake after the Runtime or executor
//     was dropped finds the shut-down scheduler, which drops the task
//     (DESIGN.md §1, §5).
//  2. A freed slot is reused by the next registration (LIFO). Reuse is safe
//     by rule 1: no task of the old scheduler exists any more.
//  3. Exhaustion (kMaxSchedulers live at once) throws SchedulerRegistryFull
//     from make_registered_arc, i.e. from Runtime::Builder::build(), the
//     Runtime, LocalExecutor and BlockingPool constructors: a clear error to
//     whoever makes one scheduler too many, never a crash. Index 0 is never
//     handed out, so a header whose index was never set finds no scheduler
//     (a null pointer) instead of someone else's.
//
// Threads: registration and release take a mutex (rare: once per
// scheduler); lookups are one relaxed atomic load from any thread.
//
// Memory ordering: a slot is written (under the mutex) before the
// scheduler's Arc is returned to its maker, which happens-before any task of
// it is allocated; the task reaches other threads only through
// release/acquire publication (run queues, the state word). So a relaxed
// load by any holder of a task reference sees the slot's value (write-read
// coherence through happens-before). The slot is cleared in the scheduler's
// destructor, which the Arc's acq_rel decrement orders after every task's
// last use (rule 1).

#ifndef MAGPIE_RUNTIME_TASK_SCHEDULER_REGISTRY_H_
#define MAGPIE_RUNTIME_TASK_SCHEDULER_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"

namespace magpie::task {

// A scheduler's slot in the registry; 0 is "none".
using SchedulerIndex = std::uint16_t;

inline constexpr int kSchedulerIndexBits = 16;
inline constexpr std::size_t kSchedulerSlots = std::size_t{1}
                                               << kSchedulerIndexBits;
// Slot 0 is never used (rule 3).
inline constexpr std::size_t kMaxSchedulers = kSchedulerSlots - 1;

// Thrown when kMaxSchedulers schedulers are alive and one more is made.
class SchedulerRegistryFull : public std::runtime_error {
 public:
  SchedulerRegistryFull();
};

namespace registry_internal {
// The table (scheduler_registry.cc). Slot 0 stays null.
extern core::Atomic<const void*> g_slots[kSchedulerSlots];
}  // namespace registry_internal

// The Arc block registered at `index` (rule 1: valid while the caller holds
// a task of that scheduler).
inline const void* registered_scheduler(SchedulerIndex index) {
  // ORDERING: relaxed; see "Memory ordering" above.
  return registry_internal::g_slots[index].load(std::memory_order_relaxed);
}

// Owns one slot; a member of the scheduler's shared state, so the slot is
// freed when that state is destroyed (rule 1). Move-only; empty by default.
class SchedulerRegistration {
 public:
  SchedulerRegistration() = default;
  // Claims a free slot for `scheduler` (an Arc block). Throws
  // SchedulerRegistryFull when none is left.
  explicit SchedulerRegistration(const void* scheduler);
  SchedulerRegistration(SchedulerRegistration&& other) noexcept
      : index_(std::exchange(other.index_, 0)) {}
  SchedulerRegistration& operator=(SchedulerRegistration&& other) noexcept {
    SchedulerRegistration taken(std::move(other));
    std::swap(index_, taken.index_);
    return *this;
  }
  ~SchedulerRegistration();

  SchedulerIndex index() const { return index_; }

 private:
  SchedulerIndex index_ = 0;
};

// How many slots are claimed now (tests and diagnostics; a snapshot).
std::size_t live_schedulers();

// Makes the shared state of a scheduler and registers it. T has a public
// member `task::SchedulerRegistration registration`. Throws
// SchedulerRegistryFull (rule 3); the state is then destroyed again.
template <class T, class... Args>
Arc<T> make_registered_arc(Args&&... args) {
  Arc<T> shared = make_arc<T>(std::forward<Args>(args)...);
  shared->registration = SchedulerRegistration(shared.as_raw());
  return shared;
}

// The base of a Schedule handle (schedule.h) for a registered T: a borrowed
// pointer to T's Arc block. It owns nothing; a task's reference to T is
// retain_task() at allocation and drop_task() after the cell is freed.
template <class T>
class RegisteredScheduler {
 public:
  explicit RegisteredScheduler(const Arc<T>& shared) : raw_(shared.as_raw()) {}
  // The scheduler a task names by its index (rule 1).
  explicit RegisteredScheduler(SchedulerIndex index)
      : raw_(registered_scheduler(index)) {}

  SchedulerIndex index() const { return shared().registration.index(); }
  // One more task keeps T alive (a relaxed increment, as an Arc copy).
  void retain_task() const { Arc<T>::increment_raw(raw_); }
  // A task was freed; may destroy T (and free its slot).
  void drop_task() const { static_cast<void>(Arc<T>::from_raw(raw_)); }

 protected:
  T& shared() const { return Arc<T>::deref_raw(raw_); }
  // T's Arc block, borrowed (as Arc<T>::as_raw()): for code that takes a
  // reference only on some paths.
  const void* shared_raw() const { return raw_; }

 private:
  const void* raw_;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_SCHEDULER_REGISTRY_H_
