#include "reactor/timer/wheel.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace magpie::reactor::timer {
namespace {

constexpr std::uint64_t kSlotMask = Wheel::kSlots - 1;

constexpr std::uint64_t slot_range(int level) {
  return std::uint64_t{1} << (Wheel::kSlotBits * level);
}

constexpr std::uint64_t level_range(int level) { return slot_range(level + 1); }

}  // namespace

int Wheel::level_for(std::uint64_t elapsed, std::uint64_t when) {
  // The highest 6-bit group in which the two ticks differ; at least level 0.
  std::uint64_t masked = (elapsed ^ when) | kSlotMask;
  // Further than the wheel spans: park at the top level (it cycles).
  if (masked >= kMaxSpan) masked = kMaxSpan - 1;
  const int significant = 63 - std::countl_zero(masked);
  return significant / kSlotBits;
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
  const int level = level_for(elapsed_, entry->when_);
  const auto slot = static_cast<std::uint8_t>(
      (entry->when_ >> (kSlotBits * level)) & kSlotMask);
  link(entry, static_cast<std::uint8_t>(level), slot);
}

TimerEntry*& Wheel::head_of(const TimerEntry* entry) {
  if (entry->level_ == kPendingLevel) return pending_;
  return levels_[entry->level_].slots[entry->slot_];
}

void Wheel::link(TimerEntry* entry, std::uint8_t level, std::uint8_t slot) {
  entry->level_ = level;
  entry->slot_ = slot;
  TimerEntry*& head = head_of(entry);
  entry->prev_ = nullptr;
  entry->next_ = head;
  if (head != nullptr) head->prev_ = entry;
  head = entry;
  entry->linked_ = true;
  if (level != kPendingLevel) {
    levels_[level].occupied |= std::uint64_t{1} << slot;
  }
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
    levels_[entry->level_].occupied &= ~(std::uint64_t{1} << entry->slot_);
  }
  entry->prev_ = nullptr;
  entry->next_ = nullptr;
  entry->linked_ = false;
}

std::optional<Wheel::Expiration> Wheel::next_expiration_detail() const {
  std::optional<Expiration> best;
  for (int level = 0; level < kLevels; ++level) {
    const std::uint64_t occupied = levels_[level].occupied;
    if (occupied == 0) continue;
    // The first occupied slot after the one elapsed_ is in, cyclically. A
    // slot at or before it can only be a top-level slot of a later cycle
    // (an entry beyond the span, or across a 2^42 boundary): lower levels
    // never hold one, as poll() processes every slot whose start it passes.
    const int now_slot =
        static_cast<int>((elapsed_ >> (kSlotBits * level)) & kSlotMask);
    const int from = (now_slot + 1) % kSlots;
    const int slot =
        (from + std::countr_zero(std::rotr(occupied, from))) % kSlots;
    std::uint64_t deadline =
        (elapsed_ & ~(level_range(level) - 1)) +
        static_cast<std::uint64_t>(slot) * slot_range(level);
    if (slot <= now_slot) deadline += level_range(level);
    if (!best.has_value() || deadline < best->deadline) {
      best = Expiration{level, slot, deadline};
    }
  }
  return best;
}

std::optional<std::uint64_t> Wheel::next_expiration() const {
  if (pending_ != nullptr) return elapsed_;
  std::optional<Expiration> expiration = next_expiration_detail();
  if (!expiration.has_value()) return std::nullopt;
  return expiration->deadline;
}

void Wheel::process(const Expiration& expiration) {
  Level& level = levels_[expiration.level];
  TimerEntry* entry = level.slots[expiration.slot];
  level.slots[expiration.slot] = nullptr;
  level.occupied &= ~(std::uint64_t{1} << expiration.slot);
  elapsed_ = std::max(elapsed_, expiration.deadline);  // Invariant 3.
  while (entry != nullptr) {
    TimerEntry* next = entry->next_;
    entry->linked_ = false;
    if (entry->when_ <= elapsed_) {
      link(entry, kPendingLevel, 0);
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
  for (int level = 0; entry == nullptr && level < kLevels; ++level) {
    const std::uint64_t occupied = levels_[level].occupied;
    if (occupied != 0) entry = levels_[level].slots[std::countr_zero(occupied)];
  }
  if (entry != nullptr) remove(entry);
  return entry;
}

}  // namespace magpie::reactor::timer
