// Tests for magpie::core::PollStats: the counters and their saturation, the
// 16-bit stamps (unit, wrap), the timestamp a wake issued during a
// poll takes from that poll (no second clock read), and the leaf slot
// (record_leaf keeps the owner's bits).

#include "runtime/core/poll_stats.h"

#include <cstddef>
#include <cstdint>
#include <thread>
#include <typeinfo>
#include <vector>

#include "gtest/gtest.h"

namespace magpie::core {
namespace {

// A poll start stamp no clock reading during the test will share: half the
// stamps' range (1h10m) away from now.
const Stamp kFakeStamp =
    static_cast<Stamp>(stamp_of_ms(coarse_now_ms()) + 0x8000) | 1;
const std::uint32_t kFakePollMs = ms_of_stamp(kFakeStamp);

Stamp last_wake(const PollStats& stats) {
  return stats.last_wake.load(std::memory_order_relaxed);
}
std::uint16_t polls(const PollStats& stats) {
  return stats.polls.load(std::memory_order_relaxed);
}
std::uint16_t wakes(const PollStats& stats) {
  return stats.wakes.load(std::memory_order_relaxed);
}

TEST(PollStatsTest, CountsPollsAndWakes) {
  PollStats stats;
  EXPECT_EQ(polls(stats), 0u);  // 0: never polled, the stamp means nothing
  EXPECT_EQ(wakes(stats), 0u);
  stats.note_poll();
  stats.note_poll();
  stats.note_wake();
  EXPECT_EQ(polls(stats), 2u);
  EXPECT_EQ(wakes(stats), 1u);
  const Stamp now = stamp_of_ms(coarse_now_ms());
  // Within a unit of now (the clock may have crossed a unit boundary).
  EXPECT_LE(
      static_cast<Stamp>(now - stats.last_poll.load(std::memory_order_relaxed)),
      1u);
  EXPECT_LE(static_cast<Stamp>(now - last_wake(stats)), 1u);
}

TEST(PollStatsTest, PollCountSaturatesExactly) {
  PollStats stats;
  stats.polls.store(kCountSaturated - 2, std::memory_order_relaxed);
  stats.note_poll();
  EXPECT_EQ(polls(stats), kCountSaturated - 1);
  stats.note_poll();
  EXPECT_EQ(polls(stats), kCountSaturated);
  for (int i = 0; i < 3; ++i) stats.note_poll();
  EXPECT_EQ(polls(stats), kCountSaturated);  // not 61443, not wrapped
}

TEST(PollStatsTest, WakeCountSaturatesAndReadersClampTheOvershoot) {
  PollStats stats;
  stats.wakes.store(kCountSaturated - 1, std::memory_order_relaxed);
  stats.note_wake();
  EXPECT_EQ(wakes(stats), kCountSaturated);
  for (int i = 0; i < 3; ++i) stats.note_wake();
  EXPECT_EQ(wakes(stats), kCountSaturated);  // the load skips the add
  // Wakers that raced past the check leave it a little above; readers see
  // the saturated value.
  EXPECT_EQ(saturated_count(kCountSaturated + 5), kCountSaturated);
  EXPECT_EQ(saturated_count(0xFFFF), kCountSaturated);
  EXPECT_EQ(saturated_count(kCountSaturated - 1), kCountSaturated - 1);
  EXPECT_EQ(saturated_count(0), 0u);
}

TEST(PollStatsTest, ManyThreadsWakingNeverWrapTheCount) {
  PollStats stats;
  stats.wakes.store(kCountSaturated - 100, std::memory_order_relaxed);
  constexpr int kThreads = 4;
  constexpr int kWakesPerThread = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stats] {
      for (int i = 0; i < kWakesPerThread; ++i) stats.note_wake();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(wakes(stats), kCountSaturated);
  EXPECT_LE(wakes(stats), kCountSaturated + kThreads);
  EXPECT_EQ(saturated_count(wakes(stats)), kCountSaturated);
}

TEST(PollStatsTest, StampsAreIn128MsUnits) {
  EXPECT_EQ(kStampUnitMs, 128u);
  EXPECT_EQ(stamp_of_ms(0), 0u);
  EXPECT_EQ(stamp_of_ms(127), 0u);
  EXPECT_EQ(stamp_of_ms(128), 1u);
  EXPECT_EQ(stamp_of_ms(255), 1u);
  EXPECT_EQ(stamp_of_ms(256), 2u);
  EXPECT_EQ(stamp_of_ms(kStampRangeMs), 0u);
  // Bits above the stamp's 16 are dropped: the clock wraps through it.
  EXPECT_EQ(stamp_of_ms(kStampRangeMs + 5 * kStampUnitMs), 5u);
  EXPECT_EQ(stamp_of_ms(0xFFFF'FFFFu), 0xFFFFu);
  // ms_of_stamp is the start of the unit, and round-trips.
  for (Stamp s : {Stamp{0}, Stamp{1}, Stamp{0x1234}, Stamp{0xFFFF}}) {
    EXPECT_EQ(stamp_of_ms(ms_of_stamp(s)), s);
  }
}

TEST(PollStatsTest, AgesAreMultiplesOfTheUnitAndWrapAtTheRange) {
  constexpr std::uint32_t kNow = 1'000'000'000;  // ~11.6 days after boot
  const Stamp now = stamp_of_ms(kNow);
  EXPECT_EQ(stamp_age_ms(now, kNow), 0u);
  // Right to within one unit (either way: both ends are truncated to
  // units) below the range...
  for (std::uint32_t true_age :
       {std::uint32_t{12'345}, std::uint32_t{5 * 60'000},
        kStampRangeMs - 10 * kStampUnitMs}) {
    const std::uint32_t age = stamp_age_ms(stamp_of_ms(kNow - true_age), kNow);
    EXPECT_EQ(age % kStampUnitMs, 0u);
    EXPECT_LT(age, true_age + kStampUnitMs) << true_age;
    EXPECT_GT(age + kStampUnitMs, true_age) << true_age;
  }
  EXPECT_EQ(stamp_age_ms(stamp_of_ms(kNow - 12'345), kNow), 12'416u);
  // ...and modulo the range above it (2h19m48.6s).
  EXPECT_EQ(stamp_age_ms(stamp_of_ms(kNow - kStampRangeMs), kNow), 0u);
  EXPECT_EQ(
      stamp_age_ms(stamp_of_ms(kNow - kStampRangeMs - 3 * kStampUnitMs), kNow),
      3 * kStampUnitMs);
  // Across the clock's own 2^32 wrap.
  const std::uint32_t before_wrap = 0xFFFF'FFFFu - 1000;
  const std::uint32_t after_wrap = before_wrap + 60'000;  // wraps
  EXPECT_EQ(stamp_age_ms(stamp_of_ms(before_wrap), after_wrap) / 1000, 59u);
}

TEST(PollStatsTest, WakeDuringPollTakesThePollsTimestamp) {
  PollStats polled;
  LeafSlot polled_leaf{kNoLeaf};
  PollStats woken;
  polled.last_poll.store(kFakeStamp, std::memory_order_relaxed);
  {
    LeafProbeScope scope(polled, polled_leaf);
    EXPECT_EQ(current_poll_ms, kFakePollMs);
    woken.note_wake();
    EXPECT_EQ(last_wake(woken), kFakeStamp);
  }
  // Outside the poll the clock is read again.
  woken.note_wake();
  EXPECT_NE(last_wake(woken), kFakeStamp);
}

TEST(PollStatsTest, NestedPollsRestoreTheEnclosingTimestamp) {
  PollStats outer;
  PollStats inner;
  LeafSlot outer_leaf{kNoLeaf};
  LeafSlot inner_leaf{kNoLeaf};
  PollStats woken;
  outer.last_poll.store(kFakeStamp, std::memory_order_relaxed);
  inner.last_poll.store(kFakeStamp + 1, std::memory_order_relaxed);
  {
    LeafProbeScope outer_scope(outer, outer_leaf);
    {
      LeafProbeScope inner_scope(inner, inner_leaf);
      woken.note_wake();
      EXPECT_EQ(last_wake(woken), kFakeStamp + 1);
    }
    woken.note_wake();
    EXPECT_EQ(last_wake(woken), kFakeStamp);
  }
  EXPECT_EQ(current_poll_ms, 0u);
  EXPECT_EQ(current_leaf_slot, nullptr);
}

struct SomeLeaf {};
struct OtherLeaf {};

TEST(PollStatsTest, RecordLeafKeepsTheOwnerBits) {
  PollStats stats;
  constexpr std::uint16_t kOwnerBits = 0b10 << kLeafIdBits;
  LeafSlot leaf{kOwnerBits};
  {
    LeafProbeScope scope(stats, leaf);
    record_leaf<SomeLeaf>();
    record_leaf<OtherLeaf>();  // the first (innermost) record wins
  }
  const std::uint16_t word = leaf.load(std::memory_order_relaxed);
  EXPECT_EQ(word & ~kLeafIdMask, kOwnerBits);
  EXPECT_EQ(leaf_type(leaf), &typeid(SomeLeaf));
  EXPECT_NE(kLeafId<SomeLeaf>, kNoLeaf);
  EXPECT_LT(std::size_t{kLeafId<SomeLeaf>}, kMaxLeafTypes);
}

}  // namespace
}  // namespace magpie::core
