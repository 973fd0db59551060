// Tests for magpie::core::PollStats: the counters, and the timestamp a wake
// issued during a poll takes from that poll (no second clock read).

#include "runtime/core/poll_stats.h"

#include <cstdint>

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
  PollStats woken;
  polled.last_poll_ms.store(kFakePollMs, std::memory_order_relaxed);
  {
    LeafProbeScope scope(polled);
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
  PollStats woken;
  outer.last_poll_ms.store(kFakePollMs, std::memory_order_relaxed);
  inner.last_poll_ms.store(kFakePollMs + 1, std::memory_order_relaxed);
  {
    LeafProbeScope outer_scope(outer);
    {
      LeafProbeScope inner_scope(inner);
      woken.note_wake();
      EXPECT_EQ(last_wake(woken), kFakePollMs + 1);
    }
    woken.note_wake();
    EXPECT_EQ(last_wake(woken), kFakePollMs);
  }
  EXPECT_EQ(current_poll_ms, 0u);
  EXPECT_EQ(current_leaf_slot, nullptr);
}

}  // namespace
}  // namespace magpie::core
