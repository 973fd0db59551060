// Tests for timer::Wheel against a model: every inserted entry comes out of
// poll() exactly once, never before its tick, and never later than the first
// poll() whose `now` reaches its tick; removal in any state takes an entry
// out for good. Covers every level and deadlines beyond the wheel's span.

#include "reactor/timer/wheel.h"

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/timer/entry.h"

namespace magpie::reactor::timer {
namespace {

TEST(WheelTest, EmptyWheelHasNoExpiration) {
  Wheel wheel;
  EXPECT_FALSE(wheel.next_expiration().has_value());
  EXPECT_EQ(wheel.poll(1000), nullptr);
  EXPECT_EQ(wheel.elapsed(), 1000u);
}

TEST(WheelTest, ElapsedDeadlineIsRefused) {
  Wheel wheel;
  EXPECT_EQ(wheel.poll(50), nullptr);
  TimerEntry entry;
  EXPECT_EQ(wheel.insert(&entry, 50), Wheel::InsertResult::kElapsed);
  EXPECT_EQ(wheel.insert(&entry, 51), Wheel::InsertResult::kInserted);
  EXPECT_EQ(wheel.next_expiration(), 51u);
  EXPECT_EQ(wheel.poll(50), nullptr);
  EXPECT_EQ(wheel.poll(51), &entry);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(WheelTest, EachLevelFiresOnTime) {
  // One entry per level (and beyond the span), fired in deadline order.
  const std::vector<std::uint64_t> whens = {
      5, 70, 5000, 300'000, 20'000'000, 2'000'000'000, Wheel::kMaxSpan + 12345};
  std::vector<TimerEntry> entries(whens.size());
  Wheel wheel;
  for (std::size_t i = 0; i < whens.size(); ++i) {
    ASSERT_EQ(wheel.insert(&entries[i], whens[i]),
              Wheel::InsertResult::kInserted);
  }
  for (std::size_t i = 0; i < whens.size(); ++i) {
    // Jump straight to the expiration the wheel announces until it fires.
    TimerEntry* fired = nullptr;
    while (fired == nullptr) {
      const std::optional<std::uint64_t> next = wheel.next_expiration();
      ASSERT_TRUE(next.has_value());
      ASSERT_LE(*next, whens[i]) << "the wheel would sleep past a deadline";
      fired = wheel.poll(*next);
    }
    EXPECT_EQ(fired, &entries[i]);
    EXPECT_GE(wheel.elapsed(), whens[i]);
  }
  EXPECT_EQ(wheel.size(), 0u);
}

// The wide finest level: a deadline in each of its 4096 one-tick slots
// (every bitmap word edge: 63/64, 127/128, ..., 4095) is announced and fired
// in its own tick, in order, from an elapsed() that is not slot-aligned.
TEST(WheelTest, EveryLevel0SlotIsFoundInOrder) {
  Wheel wheel;
  const std::uint64_t start = 3 * Wheel::level_range(0) + 17;
  EXPECT_EQ(wheel.poll(start), nullptr);
  const std::uint64_t end = (start | (Wheel::level_range(0) - 1)) + 1;
  std::vector<TimerEntry> entries(end - start - 1);
  // Inserted back to front, so list order is not deadline order.
  for (std::size_t i = entries.size(); i-- > 0;) {
    ASSERT_EQ(wheel.insert(&entries[i], start + 1 + i),
              Wheel::InsertResult::kInserted);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    ASSERT_EQ(wheel.next_expiration(), start + 1 + i);
    ASSERT_EQ(wheel.poll(start + i), nullptr) << "early at " << i;
    ASSERT_EQ(wheel.poll(start + 1 + i), &entries[i]);
    ASSERT_EQ(wheel.poll(start + 1 + i), nullptr);
  }
  EXPECT_EQ(wheel.size(), 0u);
}

// Deadlines on both sides of the level-0/level-1 edge (4096 ticks) and of
// the next 4096-tick range: each fires exactly at its tick, including the
// one that had to cascade down from level 1.
TEST(WheelTest, LevelEdgeDeadlinesFireExactly) {
  const std::uint64_t range = Wheel::level_range(0);  // 4096
  for (const std::uint64_t elapsed :
       {std::uint64_t{0}, range - 1, range + 5, 2 * range - 2}) {
    const std::uint64_t base = elapsed / range * range;
    for (const std::uint64_t when :
         {base + range - 1, base + range, base + range + 1, base + 2 * range,
          base + 2 * range + range / 2}) {
      if (when <= elapsed) continue;
      Wheel wheel;
      EXPECT_EQ(wheel.poll(elapsed), nullptr);
      TimerEntry entry;
      ASSERT_EQ(wheel.insert(&entry, when), Wheel::InsertResult::kInserted);
      // Follow the announced expirations; never past the deadline.
      TimerEntry* fired = nullptr;
      while (fired == nullptr) {
        const std::optional<std::uint64_t> next = wheel.next_expiration();
        ASSERT_TRUE(next.has_value());
        ASSERT_LE(*next, when) << elapsed << " -> " << when;
        EXPECT_EQ(wheel.poll(*next - 1), nullptr);
        fired = wheel.poll(*next);
        if (fired != nullptr) EXPECT_EQ(*next, when);
      }
      EXPECT_EQ(fired, &entry);
    }
  }
}

// Cancelling around a cascade: an entry removed while in its level-1 slot,
// and one removed after the slot moved it down to level 0, never fire; the
// entries beside them fire at their own ticks.
TEST(WheelTest, CancelBeforeAndAfterCascade) {
  const std::uint64_t range = Wheel::level_range(0);
  Wheel wheel;
  TimerEntry before, after, kept_a, kept_b;
  // All in level 1 slot 1 ([4096, 8192)): two share a tick.
  const std::uint64_t when = range + 100;
  for (TimerEntry* entry : {&before, &after, &kept_a}) {
    ASSERT_EQ(wheel.insert(entry, when), Wheel::InsertResult::kInserted);
  }
  ASSERT_EQ(wheel.insert(&kept_b, when + 1), Wheel::InsertResult::kInserted);
  wheel.remove(&before);
  EXPECT_EQ(wheel.next_expiration(), range);  // the level-1 slot's start
  EXPECT_EQ(wheel.poll(range), nullptr);      // cascades, fires nothing
  EXPECT_EQ(wheel.next_expiration(), when);   // now a level-0 slot
  wheel.remove(&after);
  EXPECT_EQ(wheel.poll(when - 1), nullptr);
  EXPECT_EQ(wheel.poll(when), &kept_a);
  EXPECT_EQ(wheel.poll(when), nullptr);
  EXPECT_EQ(wheel.next_expiration(), when + 1);
  EXPECT_EQ(wheel.poll(when + 1), &kept_b);
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_FALSE(wheel.next_expiration().has_value());
}

TEST(WheelTest, RandomizedAgainstModel) {
  constexpr int kRounds = 20'000;
  std::mt19937_64 rng(0x5eed);
  Wheel wheel;
  // Live entries: owner -> its tick.
  std::map<TimerEntry*, std::uint64_t> live;
  std::vector<std::unique_ptr<TimerEntry>> pool;
  std::uint64_t now = 0;
  std::size_t fired_total = 0;

  auto random_delay = [&]() -> std::uint64_t {
    switch (rng() % 6) {
      case 0:
        return rng() % 64;
      case 1:
        return rng() % 4096;
      case 2:
        return rng() % 300'000;
      case 3:
        return rng() % 20'000'000;
      case 4:
        return rng() % (Wheel::kMaxSpan * 2);
      default:
        return 1 + rng() % 8;
    }
  };

  for (int round = 0; round < kRounds; ++round) {
    const int action = static_cast<int>(rng() % 10);
    if (action < 5) {
      pool.push_back(std::make_unique<TimerEntry>());
      TimerEntry* entry = pool.back().get();
      const std::uint64_t when = now + random_delay();
      if (wheel.insert(entry, when) == Wheel::InsertResult::kInserted) {
        ASSERT_GT(when, wheel.elapsed());
        live[entry] = when;
      } else {
        ASSERT_LE(when, wheel.elapsed());
      }
    } else if (action < 7 && !live.empty()) {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      wheel.remove(it->first);
      live.erase(it);
    } else {
      // Advance: sometimes a little, sometimes to the next expiration.
      const std::optional<std::uint64_t> next = wheel.next_expiration();
      std::uint64_t target = now + (rng() % 3 == 0 ? rng() % 5000 : rng() % 70);
      if (next.has_value() && rng() % 2 == 0) target = std::max(now, *next);
      now = target;
      while (TimerEntry* entry = wheel.poll(now)) {
        auto it = live.find(entry);
        ASSERT_NE(it, live.end()) << "fired an entry twice or a removed one";
        ASSERT_LE(it->second, now) << "fired early";
        live.erase(it);
        ++fired_total;
      }
      // Not late: nothing due by `now` may remain.
      for (const auto& [entry, when] : live) {
        ASSERT_GT(when, now) << "entry due at " << when << " missed at " << now;
      }
      ASSERT_EQ(wheel.size(), live.size());
      // The announced expiration never passes the earliest live deadline.
      if (!live.empty()) {
        std::uint64_t earliest = UINT64_MAX;
        for (const auto& [entry, when] : live)
          earliest = std::min(earliest, when);
        ASSERT_TRUE(wheel.next_expiration().has_value());
        ASSERT_LE(*wheel.next_expiration(), earliest);
      }
    }
  }
  EXPECT_GT(fired_total, 1000u);
  while (TimerEntry* entry = wheel.pop_any()) live.erase(entry);
  EXPECT_TRUE(live.empty());
  EXPECT_EQ(wheel.size(), 0u);
}

}  // namespace
}  // namespace magpie::reactor::timer
