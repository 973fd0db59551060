// Tests for oneshot: try_recv (Empty, the value, Closed), Receiver::close
// (a value sent before is kept, a later send is handed back), the
// Sender::closed() future (on close and on drop, latest waker), and a race
// of send against close where every value ends up exactly once: received or
// handed back.

#include "runtime/sync/oneshot.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/testing/watchdog.h"
#include "tests/sync/test_support.h"

namespace magpie::oneshot {
namespace {

using sync_test::CountingWaker;

TEST(OneshotTest, TryRecvSeesEmptyThenTheValueThenClosed) {
  auto [tx, rx] = channel<std::string>();
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::kEmpty);
  EXPECT_FALSE(std::move(tx).send("hi").has_value());
  auto got = rx.try_recv();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "hi");
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::kClosed);  // taken
  auto [tx2, rx2] = channel<int>();
  { auto gone = std::move(tx2); }
  EXPECT_EQ(rx2.try_recv().error(), TryRecvError::kClosed);
}

TEST(OneshotTest, CloseKeepsAValueSentBeforeAndRefusesOneSentAfter) {
  auto [tx, rx] = channel<int>();
  EXPECT_FALSE(std::move(tx).send(1).has_value());
  rx.close();
  EXPECT_EQ(*rx.try_recv(), 1);

  auto [tx2, rx2] = channel<int>();
  rx2.close();
  EXPECT_TRUE(tx2.is_closed());
  EXPECT_EQ(std::move(tx2).send(2), std::optional<int>(2));  // handed back
  EXPECT_EQ(block_on(std::move(rx2)), std::nullopt);
}

TEST(OneshotTest, SenderClosedCompletesOnCloseAndOnDrop) {
  CountingWaker first, second;
  auto [tx, rx] = channel<int>();
  auto closed = tx.closed();
  EXPECT_TRUE(closed.poll(first.cx()).is_pending());
  EXPECT_TRUE(closed.poll(second.cx()).is_pending());
  rx.close();
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
  EXPECT_TRUE(closed.poll(second.cx()).is_ready());

  auto [tx2, rx2] = channel<int>();
  auto closed2 = tx2.closed();
  EXPECT_TRUE(closed2.poll(first.cx()).is_pending());
  { auto gone = std::move(rx2); }
  EXPECT_EQ(first.wakes(), 1);
  EXPECT_TRUE(closed2.poll(first.cx()).is_ready());
}

TEST(OneshotTest, SendRacingCloseDeliversOrHandsBackExactlyOnce) {
  const int kIters = testing::ScaledForSanitizers(20000, 2000);
  int received = 0;
  int handed_back = 0;
  for (int i = 0; i < kIters; ++i) {
    auto [tx, rx] = channel<int>();
    std::optional<int> back;
    std::thread sender([&back, tx = std::move(tx), i]() mutable {
      back = std::move(tx).send(i);
    });
    rx.close();
    auto r = rx.try_recv();
    sender.join();
    if (r.ok()) {
      EXPECT_EQ(*r, i);
      EXPECT_FALSE(back.has_value());
      ++received;
    } else {
      // Not received: the send came after close and got the value back.
      EXPECT_EQ(r.error(), TryRecvError::kClosed);
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(*back, i);
      ++handed_back;
    }
  }
  EXPECT_EQ(received + handed_back, kIters);
}

}  // namespace
}  // namespace magpie::oneshot
