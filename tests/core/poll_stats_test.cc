// Tests for magpie::core::PollStats: the counters, the timestamp a wake
// issued during a poll takes from that poll (no second clock read), and the
// leaf slot (record_leaf keeps the owner's bits).

#include "runtime/core/poll_stats.h"

#include <cstddef>
#include <cstdint>
#include <typeinfo>

#include "gtest/gtest.h"

namespace magpie::core {
namespace {

// A poll start no real clock reading will equal (coarse_now_ms() counts
// milliseconds since boot, so it is far past this a moment after boot).
constexpr std::uint32_t kFakePollMs = 7;

std::uint32_t last_wake(const PollStats& stats) {
  return stats.last_wake_ms.load(std::memory_order_relaxed);
}

TEST(PollStatsTest, CountsPollsAndWakes) {
  PollStats stats;
  stats.note_poll();
  stats.note_poll();
  stats.note_wake();
  EXPECT_EQ(stats.polls.load(std::memory_order_relaxed), 2u);
  EXPECT_EQ(stats.wakes.load(std::memory_order_relaxed), 1u);
  EXPECT_NE(stats.last_poll_ms.load(std::memory_order_relaxed), 0u);
  EXPECT_NE(last_wake(stats), 0u);
}

TEST(PollStatsTest, WakeDuringPollTakesThePollsTimestamp) {
  PollStats polled;
  LeafSlot polled_leaf{kNoLeaf};
  PollStats woken;
  polled.last_poll_ms.store(kFakePollMs, std::memory_order_relaxed);
  {
    LeafProbeScope scope(polled, polled_leaf);
    woken.note_wake();
    EXPECT_EQ(last_wake(woken), kFakePollMs);
  }
  // Outside the poll the clock is read again.
  woken.note_wake();
  EXPECT_NE(last_wake(woken), kFakePollMs);
  EXPECT_NE(last_wake(woken), 0u);
}

TEST(PollStatsTest, NestedPollsRestoreTheEnclosingTimestamp) {
  PollStats outer;
  PollStats inner;
  LeafSlot outer_leaf{kNoLeaf};
  LeafSlot inner_leaf{kNoLeaf};
  PollStats woken;
  outer.last_poll_ms.store(kFakePollMs, std::memory_order_relaxed);
  inner.last_poll_ms.store(kFakePollMs + 1, std::memory_order_relaxed);
  {
    LeafProbeScope outer_scope(outer, outer_leaf);
    {
      LeafProbeScope inner_scope(inner, inner_leaf);
      woken.note_wake();
      EXPECT_EQ(last_wake(woken), kFakePollMs + 1);
    }
    woken.note_wake();
    EXPECT_EQ(last_wake(woken), kFakePollMs);
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
