// magpie::reactor::timer::Wheel — a hierarchical timing wheel of intrusive
// TimerEntry lists, in abstract ticks (Varghese & Lauck; the layout of
// tokio's time/wheel, with a wide finest level). The TimerQueue makes a tick
// 2^14 ns (16.4 us).
//
// Level 0 has 4096 slots of one tick (67 ms at 16.4 us); level L >= 1 has
// 64 slots of 4096 * 64^(L-1) ticks: level 1 spans 4.3 s, level 2 4.6 min,
// level 3 4.9 h, level 4 13 days, level 5 2.3 years (2^42 ticks, as six
// 64-slot levels of the former 1 ms tick). The wide level 0 is why the
// common 1-60 ms sleeps land in their final slot at insert and never
// cascade. An entry due at tick `when` lives at the level of the highest
// bit group (bits 0-11 for level 0, then 6-bit groups) in which `when` and
// `elapsed()` differ, in the slot named by that group of `when` (so an
// entry's slot follows from its level and `when`; TimerEntry stores no
// slot). When time reaches a slot's start its entries either are due (moved
// to the pending list, handed out by poll()) or move down a level. Entries
// further away than the top level spans park in a top-level slot and cycle
// until they are near.
//
// Level 0's occupancy is two-level: 64 words of 64 bits and a summary word
// (bit w set iff word w is non-zero), so the next occupied slot is found in
// O(1) (a few count-trailing-zeros).
//
// Costs: insert and remove O(1); poll() O(1) amortized per entry (an entry
// moves down at most 5 times); next_expiration() O(levels).
//
// Invariants:
//  1. An entry is linked into exactly one list (a slot or pending) iff
//     linked_; a level's occupancy bits are set iff the slot is non-empty
//     (level 0: summary bit w iff occupancy word w != 0).
//  2. poll(now) hands out an entry only when its tick <= now; entries never
//     fire early.
//  3. elapsed() never moves backwards.
//  4. Every entry of level L < top lies in the current range of level L
//     (elapsed() rounded down to a level-L range) after elapsed()'s slot, so
//     the earliest occupied slot of the lowest non-empty level is the next
//     expiration; only the top level holds slots of a later cycle.
//
// Threads: none of its own; the TimerQueue calls every method under its
// lock.

#ifndef MAGPIE_REACTOR_TIMER_WHEEL_H_
#define MAGPIE_REACTOR_TIMER_WHEEL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "reactor/timer/entry.h"

namespace magpie::reactor::timer {

class Wheel {
 public:
  // Level 0: 2^12 one-tick slots; levels 1..5: 2^6 slots each.
  static constexpr int kLevel0Bits = 12;
  static constexpr int kLevel0Slots = 1 << kLevel0Bits;  // 4096
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;  // 64, levels >= 1
  static constexpr int kLevels = 6;
  // Ticks the wheel spans: 2^(12 + 6 * 5) = 2^42.
  static constexpr int kSpanBits = kLevel0Bits + kSlotBits * (kLevels - 1);
  static constexpr std::uint64_t kMaxSpan = std::uint64_t{1} << kSpanBits;

  // The first tick of level `level`'s slot index (bit shift of its group).
  static constexpr int slot_shift(int level) {
    return level == 0 ? 0 : kLevel0Bits + kSlotBits * (level - 1);
  }
  // Ticks one full turn of level `level` spans.
  static constexpr std::uint64_t level_range(int level) {
    return std::uint64_t{1} << (kLevel0Bits + kSlotBits * level);
  }

  enum class [[nodiscard]] InsertResult{
      kInserted,  // linked; poll() will hand it out when due
      kElapsed,   // `when` <= elapsed(): due already, not linked
  };

  Wheel() = default;
  Wheel(const Wheel&) = delete;
  Wheel& operator=(const Wheel&) = delete;

  // The tick up to which time has been processed.
  std::uint64_t elapsed() const { return elapsed_; }
  // Entries linked (slots and pending).
  std::size_t size() const { return size_; }

  // Links an unlinked entry due at tick `when`.
  InsertResult insert(TimerEntry* entry, std::uint64_t when);

  // Unlinks a linked entry.
  void remove(TimerEntry* entry);

  // The tick at which poll() next has work: now if entries are pending,
  // else the start of the earliest occupied slot; nullopt when empty.
  std::optional<std::uint64_t> next_expiration() const;

  // Advances time to `now` and returns (unlinked) the next entry due at or
  // before `now`, or nullptr when none is left (elapsed() == now then).
  TimerEntry* poll(std::uint64_t now);

  // Unlinks and returns any linked entry, or nullptr when empty (shutdown).
  TimerEntry* pop_any();

 private:
  struct Expiration {
    int level;
    int slot;
    std::uint64_t deadline;
  };

  // The pseudo-level of the pending list.
  static constexpr std::uint8_t kPendingLevel = kLevels;

  // Level 0: one-tick slots with two-level occupancy (invariant 1).
  struct Level0 {
    std::uint64_t summary = 0;  // bit w set iff occupied[w] != 0
    std::array<std::uint64_t, kLevel0Slots / 64> occupied{};
    std::array<TimerEntry*, kLevel0Slots> slots{};
  };
  // Levels 1..5.
  struct Level {
    // Bit s set iff slots[s] is non-empty (invariant 1).
    std::uint64_t occupied = 0;
    std::array<TimerEntry*, kSlots> slots{};
  };

  static int level_for(std::uint64_t elapsed, std::uint64_t when);
  static int slot_of(int level, std::uint64_t when);
  // Level 0's first occupied slot at or after `from` (no wrap), or -1.
  int level0_first_from(int from) const;
  std::optional<Expiration> next_expiration_detail() const;
  TimerEntry*& head_of(const TimerEntry* entry);
  void mark_occupied(int level, int slot);
  void mark_empty(int level, int slot);
  void link(TimerEntry* entry, std::uint8_t level);
  void unlink(TimerEntry* entry);
  void place(TimerEntry* entry);
  void process(const Expiration& expiration);

  std::uint64_t elapsed_ = 0;
  std::size_t size_ = 0;
  // Level L slot s holds the entries due in [start + s * 2^slot_shift(L),
  // start + (s + 1) * 2^slot_shift(L)) ticks, start being elapsed_ rounded
  // down to a multiple of level_range(L).
  Level0 level0_;
  std::array<Level, kLevels - 1> upper_{};  // upper_[L - 1] is level L
  // Due entries of a processed slot, not yet handed out by poll().
  TimerEntry* pending_ = nullptr;
};

}  // namespace magpie::reactor::timer

#endif  // MAGPIE_REACTOR_TIMER_WHEEL_H_
