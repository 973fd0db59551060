// magpie::reactor::timer::Wheel — a hierarchical timing wheel of intrusive
// TimerEntry lists, in abstract ticks (Varghese & Lauck; the layout of
// tokio's time/wheel). The TimerQueue makes a tick 2^14 ns (16.4 us).
//
// Level L has 64 slots of 64^L ticks each; with 16.4 us ticks level 0 spans
// 1.05 ms one tick per slot, level 1 67 ms, level 2 4.3 s, level 3 4.6 min,
// level 4 4.9 h, level 5 13 days and level 6 2.3 years. An entry due at tick `when` lives at the
// level of the highest 6-bit group in which `when` and `elapsed()` differ,
// in the slot named by that group of `when`. When time reaches a slot's
// start its entries either are due (moved to the pending list, handed out by
// poll()) or move down a level. Entries further away than the top level
// spans park in a top-level slot and cycle until they are near.
//
// Costs: insert and remove O(1); poll() O(1) amortized per entry (an entry
// moves down at most 5 times); next_expiration() O(levels).
//
// Invariants:
//  1. An entry is linked into exactly one list (a slot or pending) iff
//     linked_; `occupied_` of a level has bit s set iff slot s is non-empty.
//  2. poll(now) hands out an entry only when its tick <= now; entries never
//     fire early.
//  3. elapsed() never moves backwards.
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
  // Seven levels: 64^7 ticks of 16.4 us span 2.3 years, as six levels of
  // the former 1 ms tick did.
  static constexpr int kLevels = 7;
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;  // 64
  // Ticks the wheel spans: 64^7.
  static constexpr std::uint64_t kMaxSpan = std::uint64_t{1}
                                            << (kSlotBits * kLevels);

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

  struct Level {
    // Bit s set iff slots[s] is non-empty (invariant 1).
    std::uint64_t occupied = 0;
    std::array<TimerEntry*, kSlots> slots{};
  };

  static int level_for(std::uint64_t elapsed, std::uint64_t when);
  std::optional<Expiration> next_expiration_detail() const;
  TimerEntry*& head_of(const TimerEntry* entry);
  void link(TimerEntry* entry, std::uint8_t level, std::uint8_t slot);
  void unlink(TimerEntry* entry);
  void place(TimerEntry* entry);
  void process(const Expiration& expiration);

  std::uint64_t elapsed_ = 0;
  std::size_t size_ = 0;
  // 7 levels x 64 slots; level L slot s holds the entries due in
  // [start + s * 64^L, start + (s + 1) * 64^L) ticks, start being elapsed_
  // rounded down to a multiple of 64^(L+1).
  std::array<Level, kLevels> levels_{};
  // Due entries of a processed slot, not yet handed out by poll().
  TimerEntry* pending_ = nullptr;
};

}  // namespace magpie::reactor::timer

#endif  // MAGPIE_REACTOR_TIMER_WHEEL_H_
