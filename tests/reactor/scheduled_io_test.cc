// Tests for ScheduledIo: the generation tick keeps a newer event from being
// erased by a stale clear, closed bits are final, a Pending poll leaves its
// waker (the latest one) for the reactor, and shutdown wakes both sides.

#include "reactor/scheduled_io.h"

#include "gtest/gtest.h"
#include "runtime/core/arc.h"
#include "tests/reactor/test_support.h"

namespace magpie::reactor {
namespace {

using magpie::testing::WakeCounter;

TEST(ScheduledIoTest, StaleClearKeepsNewerEvent) {
  ScheduledIo io;
  Waker waker = noop_waker();
  Context cx(waker);
  io.set_readiness(Ready(Ready::kReadable));
  Poll<ReadyEvent> first = io.poll_ready(cx, Direction::kRead);
  ASSERT_TRUE(first.is_ready());
  // A new edge lands while the operation that saw `first` runs...
  io.set_readiness(Ready(Ready::kReadable));
  // ...so its EAGAIN must not erase it.
  io.clear_readiness(first.value());
  EXPECT_TRUE(io.readiness().is_readable());
  Poll<ReadyEvent> second = io.poll_ready(cx, Direction::kRead);
  ASSERT_TRUE(second.is_ready());
  EXPECT_NE(second.value().tick, first.value().tick);
  io.clear_readiness(second.value());
  EXPECT_FALSE(io.readiness().is_readable());
}

TEST(ScheduledIoTest, ClearTouchesOnlyObservedDirection) {
  ScheduledIo io;
  Waker waker = noop_waker();
  Context cx(waker);
  io.set_readiness(Ready(Ready::kReadable | Ready::kWritable));
  Poll<ReadyEvent> read = io.poll_ready(cx, Direction::kRead);
  ASSERT_TRUE(read.is_ready());
  io.clear_readiness(read.value());
  EXPECT_FALSE(io.readiness().is_readable());
  EXPECT_TRUE(io.readiness().is_writable());
}

TEST(ScheduledIoTest, ClosedBitsAreFinal) {
  ScheduledIo io;
  Waker waker = noop_waker();
  Context cx(waker);
  io.set_readiness(Ready(Ready::kReadable | Ready::kReadClosed));
  Poll<ReadyEvent> event = io.poll_ready(cx, Direction::kRead);
  ASSERT_TRUE(event.is_ready());
  io.clear_readiness(event.value());
  EXPECT_TRUE(io.readiness().is_read_closed());
  EXPECT_TRUE(io.poll_ready(cx, Direction::kRead).is_ready());
}

TEST(ScheduledIoTest, PendingPollRegistersLatestWaker) {
  ScheduledIo io;
  auto first = make_arc<WakeCounter>();
  auto second = make_arc<WakeCounter>();
  Waker w1 = waker_from(first);
  Waker w2 = waker_from(second);
  {
    Context cx(w1);
    EXPECT_TRUE(io.poll_ready(cx, Direction::kRead).is_pending());
  }
  {
    Context cx(w2);  // A different waker on the next poll replaces it.
    EXPECT_TRUE(io.poll_ready(cx, Direction::kRead).is_pending());
  }
  io.set_readiness(Ready(Ready::kWritable));
  io.wake(Ready(Ready::kWritable));  // Not the read side.
  EXPECT_EQ(second->count(), 0);
  io.set_readiness(Ready(Ready::kReadable));
  io.wake(Ready(Ready::kReadable));
  EXPECT_EQ(first->count(), 0);
  EXPECT_EQ(second->count(), 1);
}

TEST(ScheduledIoTest, ShutdownWakesBothSides) {
  ScheduledIo io;
  auto reader = make_arc<WakeCounter>();
  auto writer = make_arc<WakeCounter>();
  Waker rw = waker_from(reader);
  Waker ww = waker_from(writer);
  Context rcx(rw);
  Context wcx(ww);
  EXPECT_TRUE(io.poll_ready(rcx, Direction::kRead).is_pending());
  EXPECT_TRUE(io.poll_ready(wcx, Direction::kWrite).is_pending());
  io.shutdown();
  EXPECT_EQ(reader->count(), 1);
  EXPECT_EQ(writer->count(), 1);
  Poll<ReadyEvent> after = io.poll_ready(rcx, Direction::kRead);
  ASSERT_TRUE(after.is_ready());
  EXPECT_TRUE(after.value().is_shutdown);
}

}  // namespace
}  // namespace magpie::reactor
