// magpie::core::PollStats — the always-on diagnostics of one poll target (a
// spawned task, or a block_on root): how often it was polled and woken,
// when last, and the leaf future it is parked on. The task dump
// (runtime/task/task_dump.h) reads them; nothing else does.
//
// Cost (DESIGN.md §7: cheap enough for production builds): 24 bytes; per
// poll one coarse clock read and two relaxed stores; per wake one relaxed
// fetch_add and one clock read; per Pending leaf a thread-local load and
// two stores (record_leaf).
//
// Clock: CLOCK_MONOTONIC_COARSE through the vDSO (no syscall, ~20
// instructions, no fence), in milliseconds truncated to 32 bits. Its
// resolution is the kernel tick (1-4 ms), plenty for "last poll 3.2s ago".
// Ages are computed modulo 2^32 ms, so they are right for anything younger
// than 49 days. 0 means "never" (a reading of 0 is stored as 1). A
// per-worker tick would be cheaper still but is not a time: a dump must
// say how long ago, on any thread, including block_on roots.
//
// Threads and ordering: every field is a relaxed atomic. `polls`,
// `last_poll_ms` and `leaf` have one writer at a time (whoever holds the
// right to poll; the scheduler's hand-off orders successive pollers);
// `wakes` and `last_wake_ms` are written by any waking thread. The dump
// reads all of them concurrently, so what it shows is a moment's
// approximation, never a torn value.
//
// The leaf probe: while a target is being polled, `current_leaf_slot` (a
// thread-local) points at its `leaf`. The innermost future that answers
// Pending calls record_leaf<F>(), which stores typeid(F) and clears the
// pointer, so the enclosing futures that return Pending after it (a
// Task's LeafAwaiter around a hand-written combinator, the task cell
// around the whole future) keep the deeper answer. Callers of the probe:
// coro::LeafAwaiter (a co_awaited non-Task future) and task::Cell (the
// spawned future itself, when nothing deeper recorded).

#ifndef MAGPIE_RUNTIME_CORE_POLL_STATS_H_
#define MAGPIE_RUNTIME_CORE_POLL_STATS_H_

#include <cstdint>
#include <typeinfo>

#include "runtime/core/atomic.h"

namespace magpie::core {

// Milliseconds on CLOCK_MONOTONIC_COARSE, modulo 2^32, never 0.
std::uint32_t coarse_now_ms() noexcept;

struct PollStats {
  Atomic<std::uint32_t> polls{0};
  Atomic<std::uint32_t> wakes{0};
  Atomic<std::uint32_t> last_poll_ms{0};  // 0: never
  Atomic<std::uint32_t> last_wake_ms{0};  // 0: never
  Atomic<const std::type_info*> leaf{nullptr};

  // The poller, before each poll (single writer: load + store, no RMW).
  void note_poll() noexcept {
    // ORDERING: relaxed; diagnostics only, one writer at a time.
    polls.store(polls.load(std::memory_order_relaxed) + 1,
                std::memory_order_relaxed);
    last_poll_ms.store(coarse_now_ms(), std::memory_order_relaxed);
  }
  // Any waking thread.
  void note_wake() noexcept {
    // ORDERING: relaxed; diagnostics only.
    wakes.fetch_add(1, std::memory_order_relaxed);
    last_wake_ms.store(coarse_now_ms(), std::memory_order_relaxed);
  }
};

// The leaf slot of the poll in progress on this thread, until something
// records into it; null outside polls and after the first record.
extern constinit thread_local Atomic<const std::type_info*>* current_leaf_slot;

// Records F as the leaf the current poll parks on, unless a deeper future
// already did (see "The leaf probe" above). Call only on Pending.
template <class F>
inline void record_leaf() noexcept {
  if (Atomic<const std::type_info*>* slot = current_leaf_slot) {
    // ORDERING: relaxed; diagnostics only.
    slot->store(&typeid(F), std::memory_order_relaxed);
    current_leaf_slot = nullptr;
  }
}

// Points the leaf probe at `stats` for one poll; restores the enclosing
// poll's probe after (polls nest: a task run by LocalExecutor::block_on).
class LeafProbeScope {
 public:
  explicit LeafProbeScope(PollStats& stats) noexcept
      : saved_(current_leaf_slot) {
    current_leaf_slot = &stats.leaf;
  }
  ~LeafProbeScope() { current_leaf_slot = saved_; }
  LeafProbeScope(const LeafProbeScope&) = delete;
  LeafProbeScope& operator=(const LeafProbeScope&) = delete;

 private:
  Atomic<const std::type_info*>* saved_;
};

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_POLL_STATS_H_
