// magpie::core::PollStats — the always-on diagnostics of one poll target (a
// spawned task, or a block_on root): how often it was polled and woken,
// when last, and the leaf future it is parked on. The task dump
// (runtime/task/task_dump.h) reads them; nothing else does.
//
// Cost (DESIGN.md §7: cheap enough for production builds): 8 bytes of
// PollStats plus a 2-byte LeafSlot (a task keeps the slot in its Header,
// beside the 48-bit id, and its stage tag in the slot's top bits:
// runtime/task/header.h); per poll one coarse clock read (or the worker's
// cached one), a shift and two relaxed stores; per wake a relaxed load, a
// relaxed fetch_add, a relaxed store and, unless the wake is issued during a
// poll on the waking thread, one clock read; per Pending leaf a
// thread-local load, a relaxed load and two stores (record_leaf).
//
// Encoding (8 bytes, issue 10's "<= 64 B of task overhead"; it was 16: two
// 32-bit counts and two 32-bit millisecond stamps):
//
//   polls, wakes   16-bit counts that saturate at kCountSaturated (61440):
//                  the dump shows "61440+" from there on (task_dump.h). A
//                  lost-wakeup hunt asks "was it woken / polled since, and
//                  roughly how often", which small counts answer exactly
//                  and a saturated one still answers ("a lot").
//                  `polls` has one writer and stops exactly there. `wakes`
//                  has many (one relaxed fetch_add each, as before, after a
//                  relaxed load that skips it once saturated): wakers racing
//                  past the check can carry it above kCountSaturated by at
//                  most one each, never around 2^16 (that would take 4096
//                  wakers between one load and its fetch_add), and readers
//                  clamp (saturated_count).
//   last_poll,     16-bit stamps: coarse_now_ms() >> kStampShift (units of
//   last_wake      128 ms), modulo 2^16. No value means "never": a stamp
//                  counts only once its count is nonzero (counts saturate,
//                  so never return to 0), which keeps the hot paths to a
//                  shift. Each note_* stores the stamp before it bumps the
//                  count. The dump shows the age (now - stamp, modulo 2^16
//                  units) in ms, right to within one unit (128 ms) for
//                  anything younger than kStampRangeMs (2^23 ms, 2h19m49s);
//                  an older stamp aliases (shows its age modulo that). The
//                  questions the tools ask ("pending 12.3s since last wake,
//                  polled K times"; a stress run's hang after a watchdog of
//                  seconds to minutes) live well inside that range, and the
//                  lost-task verdict (DESIGN.md §7) comes from the state
//                  word's counts, never from these stamps.
//
// Why these and not, say, one stamp plus a delta, or 32-bit stamps with the
// counts moved elsewhere: a delta from the last poll would be written by a
// waker against a poll stamp the poller may be replacing (a race that
// misdates wakes by the gap between polls); the Header's spare bits are in
// immutable words (the vtable word, the id) read with plain loads on hot
// paths, where a concurrently written counter cannot live. Keeping the two
// sides (the poller's, the wakers') in separate atomics keeps every update
// a plain store or one fetch_add, as it was.
//
// Wakes during a poll: while a poll is in progress on a thread (between
// LeafProbeScope's constructor and destructor), a wake issued on that thread
// (the task waking itself, yield_now, a channel send waking a peer) is
// stamped with that poll's start time, read from a thread-local, instead of
// reading the clock again: yield_many's second clock read per yield, ~8% of
// its instructions. The stamp is early by at most the poll's duration
// (polls are meant to be short; one that is not is what the stall monitor
// reports).
//
// Clock: CLOCK_MONOTONIC_COARSE through the vDSO (no syscall, ~20
// instructions, no fence), in milliseconds truncated to 32 bits, of which
// the stamps keep bits 7-22 (see "Encoding"). Its resolution is the kernel
// tick (1-4 ms), finer than the stamps'. A per-worker tick would be cheaper
// still but is not a time: a dump must say how long ago, on any thread,
// including block_on roots.
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
// `last_poll` and `leaf` have one writer at a time (whoever holds the
// right to poll; the scheduler's hand-off orders successive pollers);
// `wakes` and `last_wake` are written by any waking thread. The dump
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

// See "Encoding" above: the counts' saturation point and the stamps' unit.
inline constexpr std::uint16_t kCountSaturated = 0xF000;  // 61440
inline constexpr int kStampShift = 7;                     // 128 ms units
inline constexpr std::uint32_t kStampUnitMs = 1u << kStampShift;
inline constexpr int kStampBits = 16;
// Ages up to this are shown right to within kStampUnitMs; older ones alias.
inline constexpr std::uint32_t kStampRangeMs = kStampUnitMs << kStampBits;
// Meaningful only while the matching count is nonzero ("Encoding").
using Stamp = std::uint16_t;

// The stamp of a coarse_now_ms() reading (or of a current_poll_ms value):
// its 128 ms unit modulo 2^16.
constexpr Stamp stamp_of_ms(std::uint32_t ms) noexcept {
  return static_cast<Stamp>(ms >> kStampShift);
}
// The start of `stamp`'s unit, in the low 23 bits of the millisecond clock:
// stamp_of_ms(ms_of_stamp(s)) == s.
constexpr std::uint32_t ms_of_stamp(Stamp stamp) noexcept {
  return std::uint32_t{stamp} << kStampShift;
}
// How long before `now_ms` (a coarse_now_ms() reading) `stamp` was, in ms, a
// multiple of kStampUnitMs; modulo kStampRangeMs (see "Encoding").
constexpr std::uint32_t stamp_age_ms(Stamp stamp, std::uint32_t now_ms) {
  const auto units = static_cast<Stamp>(stamp_of_ms(now_ms) - stamp);
  return ms_of_stamp(units);
}
// A count as a reader should show it: anything at or past kCountSaturated
// (wakers that raced past the check) is kCountSaturated, "61440+".
constexpr std::uint16_t saturated_count(std::uint16_t count) noexcept {
  return count < kCountSaturated ? count : kCountSaturated;
}

struct PollStats {
  Atomic<std::uint16_t> polls{0};  // saturates at kCountSaturated
  Atomic<std::uint16_t> wakes{0};  // ditto; read through saturated_count()
  Atomic<Stamp> last_poll{0};      // read only if polls != 0
  Atomic<Stamp> last_wake{0};      // read only if wakes != 0

  // The poller, before each poll (single writer: load + store, no RMW).
  // Returns the clock reading the stamp was made from, for LeafProbeScope.
  std::uint32_t note_poll() noexcept {
    // ORDERING: relaxed; diagnostics only, one writer at a time.
    const std::uint32_t cached = worker_clock_ms;
    const std::uint32_t now_ms = cached != 0 ? cached : coarse_now_ms();
    last_poll.store(stamp_of_ms(now_ms), std::memory_order_relaxed);
    const std::uint16_t n = polls.load(std::memory_order_relaxed);
    polls.store(static_cast<std::uint16_t>(n + (n < kCountSaturated)),
                std::memory_order_relaxed);
    return now_ms;
  }
  // Any waking thread.
  inline void note_wake() noexcept;
};

// The leaf slot of the poll in progress on this thread, until something
// records into it; null outside polls and after the first record.
extern constinit thread_local LeafSlot* current_leaf_slot;

// The start time of the poll in progress on this thread in ms (the reading
// its last_poll stamp was made from, or the start of that stamp's unit: only
// ever turned back into a stamp), or a clock reading a batch of wakes shares
// (reactor/driver.cc); 0 outside polls (and, for 128 ms in 2h19m, inside a
// block_on root's poll: its wakes then read the clock). See "Wakes during a
// poll" above.
extern constinit thread_local std::uint32_t current_poll_ms;

// A timestamp for an event on this thread: the poll in progress's, or a
// fresh clock reading outside polls.
inline std::uint32_t event_now_ms() noexcept {
  const std::uint32_t in_poll = current_poll_ms;
  return in_poll != 0 ? in_poll : coarse_now_ms();
}

void PollStats::note_wake() noexcept {
  // ORDERING: relaxed; diagnostics only. The load skips the fetch_add once
  // saturated; racing wakers may overshoot a little ("Encoding").
  last_wake.store(stamp_of_ms(event_now_ms()), std::memory_order_relaxed);
  if (wakes.load(std::memory_order_relaxed) < kCountSaturated) {
    wakes.fetch_add(1, std::memory_order_relaxed);
  }
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

// One poll of a target: points the leaf probe at the target's `leaf` slot
// and makes the poll's start time (the reading note_poll() just stamped)
// the timestamp of wakes issued on this thread during the poll; restores
// the enclosing poll's probe and time after (polls nest: a task run by
// LocalExecutor::block_on). Construct it right after note_poll().
class LeafProbeScope {
 public:
  // `poll_ms`: what note_poll() returned (the hot path: no reload).
  LeafProbeScope(std::uint32_t poll_ms, LeafSlot& leaf) noexcept
      : saved_(current_leaf_slot), saved_ms_(current_poll_ms) {
    current_leaf_slot = &leaf;
    current_poll_ms = poll_ms;
  }
  // The start of the last_poll stamp's unit (block_on roots).
  LeafProbeScope(const PollStats& stats, LeafSlot& leaf) noexcept
      // ORDERING: relaxed; our own store, one writer (note_poll).
      : LeafProbeScope(
            ms_of_stamp(stats.last_poll.load(std::memory_order_relaxed)),
            leaf) {}
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

static_assert(sizeof(PollStats) == 8, "two 16-bit counts, two 16-bit stamps");
static_assert(kStampRangeMs == 8'388'608, "2h19m48.6s");
static_assert(sizeof(LeafSlot) == 2);

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_POLL_STATS_H_
