// magpie::core::PollStats — the always-on diagnostics of one poll target (a
// spawned task, or a block_on root): how often it was polled and woken,
// when last, and the leaf future it is parked on. The task dump
// (runtime/task/task_dump.h) reads them; nothing else does.
//
// Cost (DESIGN.md §7: cheap enough for production builds): 16 bytes of
// PollStats plus a 2-byte LeafSlot (a task keeps the slot in its Header,
// beside the 48-bit id, and its stage tag in the slot's top bits:
// runtime/task/header.h); per poll one coarse clock read and two relaxed
// stores; per wake one relaxed fetch_add, a relaxed store and, unless the
// wake is issued during a poll on the waking thread, one clock read; per
// Pending leaf a thread-local load, a relaxed load and two stores
// (record_leaf).
//
// Wakes during a poll: while a poll is in progress on a thread (between
// PollScope's constructor and destructor), a wake issued on that thread (the
// task waking itself, yield_now, a channel send waking a peer) is stamped
// with that poll's start time, read from a thread-local, instead of reading
// the clock again: yield_many's second clock read per yield, ~8% of its
// instructions. The stamp is early by at most the poll's duration (polls are
// meant to be short; one that is not is what the stall monitor reports).
//
// Clock: CLOCK_MONOTONIC_COARSE through the vDSO (no syscall, ~20
// instructions, no fence), in milliseconds truncated to 32 bits. Its
// resolution is the kernel tick (1-4 ms), plenty for "last poll 3.2s ago".
// Ages are computed modulo 2^32 ms, so they are right for anything younger
// than 49 days. 0 means "never" (a reading of 0 is stored as 1). A
// per-worker tick would be cheaper still but is not a time: a dump must
// say how long ago, on any thread, including block_on roots.
//
// Worker clock: a scheduler worker reads the clock once every few polls
// (and when it wakes from parking) into the thread-local worker_clock_ms,
// and note_poll() on that thread stamps its polls with it: ~30
// instructions per poll saved (chained_spawn, yield_many). A stamp is early
// by at most the duration of the worker's last few polls (a poll that
// blocks is what the stall monitor reports). Other threads (block_on
// roots) keep it 0 and read the clock per poll.
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
// Pending calls record_leaf<F>(), which stores F's leaf id and clears the
// pointer, so the enclosing futures that return Pending after it (a
// Task's LeafAwaiter around a hand-written combinator, the task cell
// around the whole future) keep the deeper answer. Callers of the probe:
// coro::LeafAwaiter (a co_awaited non-Task future) and task::Cell (the
// spawned future itself, when nothing deeper recorded).
//
// Leaf ids: the leaf is a 14-bit id, not a std::type_info* (issue 10's
// memory target), kept in a LeafSlot: a 16-bit relaxed atomic whose bits
// 0-13 are the id and whose bits 14-15 belong to the slot's owner
// (record_leaf keeps them; a task cell keeps its stage tag there). The
// slot is not part of PollStats so that a task can keep it in the spare
// bytes of its Header's id word. kLeafId<F> is F's id, registered once
// per type in a process-wide table by its (dynamic) initializer, before
// main for any type a program names; leaf_type(id) reads it back. 0 means
// none, and is also what a kLeafId read before its initializer ran gives
// (a poll during static initialization): the dump then names no leaf. The
// table holds up to kMaxLeafTypes (16384) types, far more distinct leaf
// future types than a program names; later types get 0 (no leaf shown).
//
// Owner bits and the one-writer rule: the slot's writers are the poller
// (record_leaf, during its poll) and the slot's owner (for a task, whoever
// may touch the stage: state rules 2 and 4), never two at once (a task's
// stage owner while it is polled is its poller; after COMPLETE nobody
// polls it). So each write is a relaxed load and a relaxed store, not a
// read-modify-write, and the dump's concurrent loads see whole values.

#ifndef MAGPIE_RUNTIME_CORE_POLL_STATS_H_
#define MAGPIE_RUNTIME_CORE_POLL_STATS_H_

#include <cstddef>
#include <cstdint>
#include <typeinfo>

#include "runtime/core/atomic.h"

namespace magpie::core {

// Milliseconds on CLOCK_MONOTONIC_COARSE, modulo 2^32, never 0.
std::uint32_t coarse_now_ms() noexcept;

// See "Worker clock" above: the reading this thread's polls are stamped
// with; 0 (any thread that is not a worker): read the clock per poll.
extern constinit thread_local std::uint32_t worker_clock_ms;

// See "Leaf ids" above.
using LeafId = std::uint16_t;
inline constexpr LeafId kNoLeaf = 0;
inline constexpr int kLeafIdBits = 14;
inline constexpr LeafId kLeafIdMask = (1u << kLeafIdBits) - 1;
inline constexpr std::size_t kMaxLeafTypes = std::size_t{1} << kLeafIdBits;
// Leaf id in bits 0-13, the owner's bits in 14-15.
using LeafSlot = Atomic<std::uint16_t>;
// F's id in the table (registering it), or kNoLeaf when the table is full.
LeafId register_leaf_type(const std::type_info& type) noexcept;
// The type registered as `id`; null for kNoLeaf or an unknown id.
const std::type_info* leaf_type(LeafId id) noexcept;
template <class F>
inline const LeafId kLeafId = register_leaf_type(typeid(F));

// The leaf recorded in `slot` (its id bits), or null.
inline const std::type_info* leaf_type(const LeafSlot& slot) noexcept {
  // ORDERING: relaxed; diagnostics only.
  return leaf_type(
      static_cast<LeafId>(slot.load(std::memory_order_relaxed) & kLeafIdMask));
}

struct PollStats {
  Atomic<std::uint32_t> polls{0};
  Atomic<std::uint32_t> wakes{0};
  Atomic<std::uint32_t> last_poll_ms{0};  // 0: never
  Atomic<std::uint32_t> last_wake_ms{0};  // 0: never

  // The poller, before each poll (single writer: load + store, no RMW).
  void note_poll() noexcept {
    // ORDERING: relaxed; diagnostics only, one writer at a time.
    polls.store(polls.load(std::memory_order_relaxed) + 1,
                std::memory_order_relaxed);
    const std::uint32_t cached = worker_clock_ms;
    last_poll_ms.store(cached != 0 ? cached : coarse_now_ms(),
                       std::memory_order_relaxed);
  }
  // Any waking thread.
  inline void note_wake() noexcept;
};

// The leaf slot of the poll in progress on this thread, until something
// records into it; null outside polls and after the first record.
extern constinit thread_local LeafSlot* current_leaf_slot;

// The start time (coarse_now_ms()) of the poll in progress on this thread;
// 0 outside polls. See "Wakes during a poll" above.
extern constinit thread_local std::uint32_t current_poll_ms;

// A timestamp for an event on this thread: the poll in progress's, or a
// fresh clock reading outside polls.
inline std::uint32_t event_now_ms() noexcept {
  const std::uint32_t in_poll = current_poll_ms;
  return in_poll != 0 ? in_poll : coarse_now_ms();
}

void PollStats::note_wake() noexcept {
  // ORDERING: relaxed; diagnostics only.
  wakes.fetch_add(1, std::memory_order_relaxed);
  last_wake_ms.store(event_now_ms(), std::memory_order_relaxed);
}

// Records F as the leaf the current poll parks on, unless a deeper future
// already did (see "The leaf probe" above). Call only on Pending.
template <class F>
inline void record_leaf() noexcept {
  if (LeafSlot* slot = current_leaf_slot) {
    // ORDERING: relaxed; diagnostics only. Load + store: one writer at a
    // time (see "Owner bits"); the owner's bits are kept.
    const auto owner_bits = static_cast<std::uint16_t>(
        slot->load(std::memory_order_relaxed) & ~kLeafIdMask);
    slot->store(static_cast<std::uint16_t>(owner_bits | kLeafId<F>),
                std::memory_order_relaxed);
    current_leaf_slot = nullptr;
  }
}

// One poll of `stats`' target: points the leaf probe at the target's
// `leaf` slot and makes the poll's start time (the last_poll_ms
// note_poll() just stored) the timestamp of wakes issued on this thread
// during the poll; restores the enclosing poll's probe and time after
// (polls nest: a task run by LocalExecutor::block_on). Construct it right
// after stats.note_poll().
class LeafProbeScope {
 public:
  LeafProbeScope(PollStats& stats, LeafSlot& leaf) noexcept
      : saved_(current_leaf_slot), saved_ms_(current_poll_ms) {
    current_leaf_slot = &leaf;
    // ORDERING: relaxed; our own store, one writer (note_poll).
    current_poll_ms = stats.last_poll_ms.load(std::memory_order_relaxed);
  }
  ~LeafProbeScope() {
    current_leaf_slot = saved_;
    current_poll_ms = saved_ms_;
  }
  LeafProbeScope(const LeafProbeScope&) = delete;
  LeafProbeScope& operator=(const LeafProbeScope&) = delete;

 private:
  LeafSlot* saved_;
  std::uint32_t saved_ms_;
};

static_assert(sizeof(PollStats) == 16, "two counts, two timestamps");
static_assert(sizeof(LeafSlot) == 2);

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_POLL_STATS_H_
