// Tests for broadcast: every receiver gets every message, subscribe starts
// at the next message, a slow receiver gets Lagged(n) then continues from
// the oldest kept, Closed after the senders go (after draining), send with
// no receiver, waker replacement, dropped Recv futures, and conservation
// under stress: each receiver on 4 workers sees each message exactly once
// and in order, or is told exactly how many it lost.

#include "runtime/sync/broadcast.h"

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/select.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"
#include "runtime/yield_now.h"
#include "tests/sync/test_support.h"

namespace magpie::broadcast {
namespace {

using magpie::testing::Watchdog;
using std::chrono::seconds;
using sync_test::CountingWaker;

TEST(BroadcastTest, EveryReceiverGetsEveryMessage) {
  auto [tx, rx1] = channel<std::string>(4);
  EXPECT_EQ(*tx.send("a"), 1u);
  auto rx2 = tx.subscribe();  // from the next message on
  EXPECT_EQ(*tx.send("b"), 2u);
  EXPECT_EQ(*block_on(rx1.recv()), "a");
  EXPECT_EQ(*block_on(rx1.recv()), "b");
  EXPECT_EQ(*block_on(rx2.recv()), "b");
  EXPECT_EQ(rx1.try_recv().error().kind(), TryRecvError::Kind::kEmpty);
  EXPECT_THROW(channel<int>(0), std::invalid_argument);
}

TEST(BroadcastTest, SlowReceiverGetsLaggedThenTheOldestKept) {
  auto [tx, rx] = channel<int>(2);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(tx.send(i).ok());
  auto r = block_on(rx.recv());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), RecvError::Kind::kLagged);
  EXPECT_EQ(r.error().skipped(), 3u);
  EXPECT_EQ(*block_on(rx.recv()), 3);
  EXPECT_EQ(*block_on(rx.recv()), 4);
  for (int i = 5; i < 10; ++i) EXPECT_TRUE(tx.send(i).ok());
  auto t = rx.try_recv();
  EXPECT_EQ(t.error().kind(), TryRecvError::Kind::kLagged);
  EXPECT_EQ(t.error().skipped(), 3u);
  EXPECT_EQ(*rx.try_recv(), 8);
}

TEST(BroadcastTest, ClosedAfterSendersGoAndTheRestIsDrained) {
  auto [tx, rx] = channel<int>(4);
  auto tx2 = tx;
  CountingWaker w;
  auto waiting = rx.recv();
  EXPECT_TRUE(waiting.poll(w.cx()).is_pending());
  EXPECT_TRUE(tx.send(1).ok());
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_EQ(*waiting.poll(w.cx()).value(), 1);
  EXPECT_TRUE(tx2.send(2).ok());
  { auto gone = std::move(tx); }
  { auto gone = std::move(tx2); }
  EXPECT_EQ(*block_on(rx.recv()), 2);
  auto r = block_on(rx.recv());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), RecvError::Kind::kClosed);
}

TEST(BroadcastTest, LastSenderDropWakesWaiters) {
  auto [tx, rx] = channel<int>(4);
  CountingWaker w;
  auto waiting = rx.recv();
  EXPECT_TRUE(waiting.poll(w.cx()).is_pending());
  { auto gone = std::move(tx); }
  EXPECT_EQ(w.wakes(), 1);
  auto r = waiting.poll(w.cx());
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r.value().error().kind(), RecvError::Kind::kClosed);
}

TEST(BroadcastTest, SendWithoutReceiversHandsTheValueBack) {
  auto [tx, rx] = channel<int>(4);
  { auto gone = std::move(rx); }
  EXPECT_EQ(tx.receiver_count(), 0u);
  auto r = tx.send(7);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().value, 7);
}

TEST(BroadcastTest, WakesTheWakerOfTheLatestPollAndDroppedRecvUnlinks) {
  auto [tx, rx] = channel<int>(4);
  CountingWaker first, second;
  {
    auto dropped = rx.recv();
    EXPECT_TRUE(dropped.poll(first.cx()).is_pending());
  }
  auto waiting = rx.recv();
  EXPECT_TRUE(waiting.poll(first.cx()).is_pending());
  EXPECT_TRUE(waiting.poll(second.cx()).is_pending());
  EXPECT_TRUE(tx.send(1).ok());
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
  EXPECT_EQ(*waiting.poll(second.cx()).value(), 1);
}

// Senders on two threads send numbered messages; receivers on 4 workers
// (some racing recv() against yield_now, seeded) count what they get plus
// what Lagged says they lost. Per sender the numbers come in order, and
// received + lost == sent for every receiver.
TEST(BroadcastTest, StressEveryMessageReceivedOrReportedLost) {
  Watchdog dog("broadcast stress", seconds(60));
  const int kPerSender = testing::ScaledForSanitizers(100000, 20000);
  constexpr int kSenders = 2;
  constexpr int kReceivers = 6;
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  auto [tx, rx] = channel<std::pair<int, int>>(16);
  std::vector<JoinHandle<std::int64_t>> handles;
  for (int r = 0; r < kReceivers; ++r) {
    handles.push_back(rt.spawn(
        [](Receiver<std::pair<int, int>> rx, int seed) -> Task<std::int64_t> {
          std::mt19937 rng(seed);
          std::vector<int> next(kSenders, 0);
          std::int64_t seen = 0;
          int disorder = 0;
          while (true) {
            sync::Result<std::pair<int, int>, RecvError> r =
                sync::err(RecvError::closed());
            if (rng() % 3 == 0) {
              auto raced = select(rx.recv(), yield_now());
              auto out = co_await raced;
              if (out.index() != 0) continue;
              r = std::move(std::get<0>(out));
            } else {
              r = co_await rx.recv();
            }
            if (r.ok()) {
              if (r->second < next[r->first]) ++disorder;
              next[r->first] = r->second + 1;
              ++seen;
            } else if (r.error().kind() == RecvError::Kind::kLagged) {
              seen += static_cast<std::int64_t>(r.error().skipped());
            } else {
              break;
            }
          }
          co_return disorder == 0 ? seen : -1;
        }(tx.subscribe(), r + 1)));
  }
  { auto gone = std::move(rx); }
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([tx = tx, s, n = kPerSender]() mutable {
      for (int i = 0; i < n; ++i) EXPECT_TRUE(tx.send({s, i}).ok());
    });
  }
  { auto gone = std::move(tx); }
  for (auto& t : senders) t.join();
  for (auto& h : handles) {
    EXPECT_EQ(rt.block_on(std::move(h)), std::int64_t{kSenders} * kPerSender);
  }
}

// With a ring large enough for everything, nobody lags: each receiver on 4
// workers gets every message of two sending threads exactly once, in order
// per sender, mostly by waiting (the receivers keep up with the senders).
TEST(BroadcastTest, StressBigRingNoLagEveryMessageExactlyOnce) {
  Watchdog dog("broadcast big ring", seconds(60));
  const int kPerSender = testing::ScaledForSanitizers(20000, 5000);
  constexpr int kSenders = 2;
  constexpr int kReceivers = 4;
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  auto [tx, rx] = channel<std::pair<int, int>>(std::size_t{1} << 16);
  std::vector<JoinHandle<std::int64_t>> handles;
  for (int r = 0; r < kReceivers; ++r) {
    handles.push_back(
        rt.spawn([](Receiver<std::pair<int, int>> rx) -> Task<std::int64_t> {
          std::vector<int> next(kSenders, 0);
          std::int64_t seen = 0;
          while (true) {
            auto r = co_await rx.recv();
            if (!r.ok()) {
              // Only the end is expected: a lag here is a lost message.
              if (r.error().kind() != RecvError::Kind::kClosed) co_return -1;
              break;
            }
            if (r->second != next[r->first]) co_return -2;
            next[r->first] = r->second + 1;
            ++seen;
          }
          co_return seen;
        }(tx.subscribe())));
  }
  { auto gone = std::move(rx); }
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([tx = tx, s, n = kPerSender]() mutable {
      for (int i = 0; i < n; ++i) EXPECT_TRUE(tx.send({s, i}).ok());
    });
  }
  { auto gone = std::move(tx); }
  for (auto& t : senders) t.join();
  for (auto& h : handles) {
    EXPECT_EQ(rt.block_on(std::move(h)), std::int64_t{kSenders} * kPerSender);
  }
}

}  // namespace
}  // namespace magpie::broadcast
