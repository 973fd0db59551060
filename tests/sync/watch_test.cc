// Tests for watch: changed() after send, borrow vs borrow_and_update,
// send with no receiver, send_if_modified, the error once the sender is
// gone (after the last unseen value), Sender::closed(), copied receivers,
// waker replacement, and a receiver that always ends at the latest value
// after many sends from another thread (no change missed, never a stale
// value).

#include "runtime/sync/watch.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"
#include "tests/sync/test_support.h"

namespace magpie::watch {
namespace {

using magpie::testing::Watchdog;
using std::chrono::seconds;
using sync_test::CountingWaker;

TEST(WatchTest, ChangedAfterSendAndBorrowMarksSeen) {
  auto [tx, rx] = channel<std::string>("a");
  EXPECT_EQ(*rx.borrow(), "a");
  EXPECT_FALSE(*rx.has_changed());
  CountingWaker w;
  auto changed = rx.changed();
  EXPECT_TRUE(changed.poll(w.cx()).is_pending());
  EXPECT_TRUE(tx.send("b").ok());
  EXPECT_EQ(w.wakes(), 1);
  auto r = changed.poll(w.cx());
  ASSERT_TRUE(r.is_ready());
  EXPECT_TRUE(r.value().ok());
  EXPECT_EQ(*rx.borrow(), "b");
  EXPECT_FALSE(*rx.has_changed());  // changed() marked it seen
  tx.send_modify([](std::string& s) { s += "c"; });
  {
    auto ref = rx.borrow();
    EXPECT_TRUE(ref.has_changed());
    EXPECT_EQ(*ref, "bc");
  }
  EXPECT_TRUE(*rx.has_changed());  // borrow() does not mark seen
  EXPECT_TRUE(rx.borrow_and_update().has_changed());
  EXPECT_FALSE(*rx.has_changed());
  EXPECT_FALSE(tx.send_if_modified([](std::string&) { return false; }));
  EXPECT_FALSE(*rx.has_changed());
  EXPECT_EQ(tx.send_replace("d"), "bc");
}

TEST(WatchTest, CopiedReceiversEachSeeTheChange) {
  auto [tx, rx] = channel<int>(0);
  auto rx2 = rx;
  auto rx3 = tx.subscribe();
  EXPECT_EQ(tx.receiver_count(), 3u);
  EXPECT_TRUE(tx.send(1).ok());
  EXPECT_TRUE(block_on(rx.changed()).ok());
  EXPECT_TRUE(block_on(rx2.changed()).ok());
  EXPECT_TRUE(block_on(rx3.changed()).ok());
  EXPECT_EQ(*rx3.borrow(), 1);
}

TEST(WatchTest, SenderGoneErrorsAfterTheLastUnseenValue) {
  auto [tx, rx] = channel<int>(0);
  EXPECT_TRUE(tx.send(5).ok());
  { auto gone = std::move(tx); }
  EXPECT_TRUE(block_on(rx.changed()).ok());  // 5 was unseen
  EXPECT_EQ(*rx.borrow(), 5);
  auto r = block_on(rx.changed());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), RecvError::kClosed);
  EXPECT_EQ(rx.has_changed().error(), RecvError::kClosed);
}

TEST(WatchTest, SendWithoutReceiversFailsAndClosedCompletes) {
  auto [tx, rx] = channel<int>(0);
  CountingWaker w;
  auto closed = tx.closed();
  EXPECT_TRUE(closed.poll(w.cx()).is_pending());
  { auto gone = std::move(rx); }
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_TRUE(closed.poll(w.cx()).is_ready());
  EXPECT_TRUE(tx.is_closed());
  auto r = tx.send(3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().value, 3);
  EXPECT_EQ(*tx.borrow(), 0);  // not stored
}

TEST(WatchTest, WakesTheWakerOfTheLatestPoll) {
  auto [tx, rx] = channel<int>(0);
  CountingWaker first, second;
  auto changed = rx.changed();
  EXPECT_TRUE(changed.poll(first.cx()).is_pending());
  EXPECT_TRUE(changed.poll(second.cx()).is_pending());
  EXPECT_TRUE(tx.send(1).ok());
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
}

// A thread sends 1..N as fast as it can; receivers on 4 workers follow
// with changed() + borrow_and_update(). Each sees strictly increasing
// values (no stale one), and each ends on N (the latest is never missed).
TEST(WatchTest, ReceiversEndOnTheLatestValueAfterManySends) {
  Watchdog dog("watch stress", seconds(60));
  const int kSends = testing::ScaledForSanitizers(100000, 20000);
  constexpr int kReceivers = 8;
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  auto [tx, rx] = channel<int>(0);
  std::vector<JoinHandle<int>> handles;
  for (int r = 0; r < kReceivers; ++r) {
    handles.push_back(rt.spawn([](Receiver<int> rx) -> Task<int> {
      int last = 0;
      int stale = 0;
      while ((co_await rx.changed()).ok()) {
        const int now = *rx.borrow_and_update();
        if (now <= last) ++stale;
        last = now;
      }
      co_return stale == 0 ? last : -1;
    }(rx)));
  }
  { auto gone = std::move(rx); }
  std::thread sender([tx = std::move(tx), n = kSends]() mutable {
    for (int i = 1; i <= n; ++i) (void)tx.send_replace(i);
  });  // the sender goes at the end of the thread: changed() then errors
  sender.join();
  for (auto& h : handles) EXPECT_EQ(rt.block_on(std::move(h)), kSends);
}

}  // namespace
}  // namespace magpie::watch
