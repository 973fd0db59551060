// magpie::scheduler metrics — per-worker counters cheap enough to leave on.
//
// Each WorkerCounters is written by its own worker only (single writer:
// a relaxed load + store, no locked instruction) and read by anyone as a
// relaxed snapshot (RuntimeMetrics), so readers see recent, not exact,
// values.

#ifndef MAGPIE_RUNTIME_SCHEDULER_METRICS_H_
#define MAGPIE_RUNTIME_SCHEDULER_METRICS_H_

#include <cstdint>
#include <vector>

#include "runtime/core/atomic.h"

namespace magpie {

// A snapshot of one worker's counters.
struct WorkerMetrics {
  std::uint64_t polls = 0;           // task polls
  std::uint64_t steals = 0;          // successful steal operations
  std::uint64_t steal_attempts = 0;  // steal_into calls on other workers
  std::uint64_t tasks_stolen = 0;    // tasks moved by successful steals
  std::uint64_t parks = 0;           // times the worker went to sleep
  std::uint64_t unparks = 0;         // times it woke up
  std::uint64_t lifo_hits = 0;       // polls taken from the LIFO slot
  std::uint64_t overflows = 0;  // local queue overflows to the global queue
  std::uint64_t spin_hits = 0;  // idle spells ended by work found spinning
  // Steals this worker made, busy, from a stalled one (worker.h,
  // "Stalled-worker rescue"); not in `steals`, their tasks in tasks_stolen.
  std::uint64_t rescues = 0;
  std::uint64_t local_queue_depth = 0;  // tasks in its local queue now
};

// A snapshot of the whole runtime.
struct RuntimeMetrics {
  std::vector<WorkerMetrics> workers;
  std::uint64_t global_queue_depth = 0;
  std::uint64_t blocking_threads = 0;
  std::uint64_t blocking_queue_depth = 0;
  // Wakes that reached a task after it had completed (a Waker kept past
  // its task's end: harmless, but a sign of a leaf that never lets go).
  // One relaxed counter per runtime, bumped by whichever thread woke.
  std::uint64_t stale_wakes = 0;

  std::uint64_t total_polls() const {
    std::uint64_t sum = 0;
    for (const auto& w : workers) sum += w.polls;
    return sum;
  }
  std::uint64_t total_steals() const {
    std::uint64_t sum = 0;
    for (const auto& w : workers) sum += w.steals;
    return sum;
  }
};

namespace scheduler {

// A counter with one writing thread.
class SingleWriterCounter {
 public:
  void add(std::uint64_t n = 1) {
    // ORDERING: relaxed; single writer, readers want a recent value only.
    value_.store(value_.load(std::memory_order_relaxed) + n,
                 std::memory_order_relaxed);
  }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  core::Atomic<std::uint64_t> value_{0};
};

struct WorkerCounters {
  SingleWriterCounter polls;
  SingleWriterCounter steals;
  SingleWriterCounter steal_attempts;
  SingleWriterCounter tasks_stolen;
  SingleWriterCounter parks;
  SingleWriterCounter unparks;
  SingleWriterCounter lifo_hits;
  SingleWriterCounter overflows;
  SingleWriterCounter spin_hits;
  SingleWriterCounter rescues;
};

}  // namespace scheduler
}  // namespace magpie

#endif  // MAGPIE_RUNTIME_SCHEDULER_METRICS_H_
