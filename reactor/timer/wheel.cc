#include "reactor/timer/wheel.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace magpie::reactor::timer {
namespace {

constexpr std::uint64_t kLevel0Mask = Wheel::kLevel0Slots - 1;
constexpr std::uint64_t kSlotMask = Wheel::kSlots - 1;
constexpr int kWordBits = 64;
constexpr int kWordShift = 6;  // log2(kWordBits)

constexpr std::uint64_t bit(int index) { return std::uint64_t{1} << index; }

}  // namespace

int Wheel::level_for(std::uint64_t elapsed, std::uint64_t when) {
  // The highest bit group in which the two ticks differ; at least level 0.
  std::uint64_t masked = (elapsed ^ when) | kLevel0Mask;
  // Further than the wheel spans: park at the top level (it cycles).
  if (masked >= kMaxSpan) masked = kMaxSpan - 1;
  const int significant = 63 - std::countl_zero(masked);
  if (significant < kLevel0Bits) return 0;
  return 1 + (significant - kLevel0Bits) / kSlotBits;
}

int Wheel::slot_of(int level, std::uint64_t when) {
  if (level == 0) return static_cast<int>(when & kLevel0Mask);
  return static_cast<int>((when >> slot_shift(level)) & kSlotMask);
}

Wheel::InsertResult Wheel::insert(TimerEntry* entry, std::uint64_t when) {
  assert(!entry->linked_);
  if (when <= elapsed_) return InsertResult::kElapsed;
  entry->when_ = when;
  place(entry);
  ++size_;
  return InsertResult::kInserted;
}

void Wheel::remove(TimerEntry* entry) {
  assert(entry->linked_);
  unlink(entry);
  --size_;
}

void Wheel::place(TimerEntry* entry) {
  link(entry, static_cast<std::uint8_t>(level_for(elapsed_, entry->when_)));
}

TimerEntry*& Wheel::head_of(const TimerEntry* entry) {
  const int level = entry->level_;
  if (level == kPendingLevel) return pending_;
  if (level == 0) return level0_.slots[entry->when_ & kLevel0Mask];
  return upper_[level - 1].slots[slot_of(level, entry->when_)];
}

void Wheel::mark_occupied(int level, int slot) {
  if (level == 0) {
    const int word = slot >> kWordShift;
    level0_.occupied[word] |= bit(slot & (kWordBits - 1));
    level0_.summary |= bit(word);
  } else {
    upper_[level - 1].occupied |= bit(slot);
  }
}

void Wheel::mark_empty(int level, int slot) {
  if (level == 0) {
    const int word = slot >> kWordShift;
    level0_.occupied[word] &= ~bit(slot & (kWordBits - 1));
    if (level0_.occupied[word] == 0) level0_.summary &= ~bit(word);
  } else {
    upper_[level - 1].occupied &= ~bit(slot);
  }
}

void Wheel::link(TimerEntry* entry, std::uint8_t level) {
  entry->level_ = level;
  TimerEntry*& head = head_of(entry);
  entry->prev_ = nullptr;
  entry->next_ = head;
  if (head != nullptr) head->prev_ = entry;
  head = entry;
  entry->linked_ = true;
  if (level != kPendingLevel)
    mark_occupied(level, slot_of(level, entry->when_));
}

void Wheel::unlink(TimerEntry* entry) {
  TimerEntry*& head = head_of(entry);
  if (entry->prev_ != nullptr) {
    entry->prev_->next_ = entry->next_;
  } else {
    head = entry->next_;
  }
  if (entry->next_ != nullptr) entry->next_->prev_ = entry->prev_;
  if (head == nullptr && entry->level_ != kPendingLevel) {
    mark_empty(entry->level_, slot_of(entry->level_, entry->when_));
  }
  entry->prev_ = nullptr;
  entry->next_ = nullptr;
  entry->linked_ = false;
}

int Wheel::level0_first_from(int from) const {
  if (from >= kLevel0Slots) return -1;
  const int word = from >> kWordShift;
  const std::uint64_t in_word =
      level0_.occupied[word] & (~std::uint64_t{0} << (from & (kWordBits - 1)));
  if (in_word != 0) return (word << kWordShift) + std::countr_zero(in_word);
  // Words after `word` (none when it is the last).
  const std::uint64_t later =
      word + 1 < kWordBits ? level0_.summary & (~std::uint64_t{0} << (word + 1))
                           : 0;
  if (later == 0) return -1;
  const int next_word = std::countr_zero(later);
  return (next_word << kWordShift) +
         std::countr_zero(level0_.occupied[next_word]);
}

std::optional<Wheel::Expiration> Wheel::next_expiration_detail() const {
  // Invariant 4: the lowest non-empty level holds the next expiration.
  if (level0_.summary != 0) {
    const int now_slot = static_cast<int>(elapsed_ & kLevel0Mask);
    std::uint64_t start = elapsed_ & ~kLevel0Mask;
    int slot = level0_first_from(now_slot + 1);
    if (slot < 0) {
      // Not reached (invariant 4); answered safely (a later turn) anyway.
      assert(false && "level 0 holds a slot at or before elapsed()");
      slot = level0_first_from(0);
      start += level_range(0);
    }
    return Expiration{0, slot, start + static_cast<std::uint64_t>(slot)};
  }
  for (int level = 1; level < kLevels; ++level) {
    const std::uint64_t occupied = upper_[level - 1].occupied;
    if (occupied == 0) continue;
    // The first occupied slot after the one elapsed_ is in, cyclically. A
    // slot at or before it can only be a top-level slot of a later cycle
    // (an entry beyond the span, or across a 2^42 boundary): lower levels
    // never hold one, as poll() processes every slot whose start it passes.
    const int shift = slot_shift(level);
    const int now_slot = static_cast<int>((elapsed_ >> shift) & kSlotMask);
    const int from = (now_slot + 1) % kSlots;
    const int slot =
        (from + std::countr_zero(std::rotr(occupied, from))) % kSlots;
    std::uint64_t deadline = (elapsed_ & ~(level_range(level) - 1)) +
                             (static_cast<std::uint64_t>(slot) << shift);
    if (slot <= now_slot) deadline += level_range(level);
    return Expiration{level, slot, deadline};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Wheel::next_expiration() const {
  if (pending_ != nullptr) return elapsed_;
  std::optional<Expiration> expiration = next_expiration_detail();
  if (!expiration.has_value()) return std::nullopt;
  return expiration->deadline;
}

void Wheel::process(const Expiration& expiration) {
  TimerEntry*& head = expiration.level == 0
                          ? level0_.slots[expiration.slot]
                          : upper_[expiration.level - 1].slots[expiration.slot];
  TimerEntry* entry = head;
  head = nullptr;
  mark_empty(expiration.level, expiration.slot);
  elapsed_ = std::max(elapsed_, expiration.deadline);  // Invariant 3.
  while (entry != nullptr) {
    TimerEntry* next = entry->next_;
    entry->linked_ = false;
    if (entry->when_ <= elapsed_) {
      link(entry, kPendingLevel);
    } else {
      place(entry);  // Moves down a level (or cycles at the top).
    }
    entry = next;
  }
}

TimerEntry* Wheel::poll(std::uint64_t now) {
  while (true) {
    if (pending_ != nullptr) {
      TimerEntry* entry = pending_;
      remove(entry);
      return entry;
    }
    std::optional<Expiration> expiration = next_expiration_detail();
    if (!expiration.has_value() || expiration->deadline > now) {
      elapsed_ = std::max(elapsed_, now);
      return nullptr;
    }
    process(*expiration);
  }
}

TimerEntry* Wheel::pop_any() {
  TimerEntry* entry = pending_;
  if (entry == nullptr && level0_.summary != 0) {
    const int word = std::countr_zero(level0_.summary);
    entry = level0_.slots[(word << kWordShift) +
                          std::countr_zero(level0_.occupied[word])];
  }
  for (int level = 1; entry == nullptr && level < kLevels; ++level) {
    const std::uint64_t occupied = upper_[level - 1].occupied;
    if (occupied != 0)
      entry = upper_[level - 1].slots[std::countr_zero(occupied)];
  }
  if (entry != nullptr) remove(entry);
  return entry;
}

}  // namespace magpie::reactor::timer
