// Tests for mpsc channels: order, back-pressure and FIFO senders, try_send /
// try_recv errors, reserve/Permit, Receiver::close and drop (values handed
// back, queued messages drained or dropped), Sender::closed(), unbounded
// channels, blocking_send/recv from plain threads (refused on a worker),
// waker replacement, and conservation under stress on 4 workers with
// seeded random cancellation of senders and receivers.

#include "runtime/sync/mpsc.h"

#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/select.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/drop_counter.h"
#include "runtime/testing/watchdog.h"
#include "runtime/yield_now.h"
#include "tests/sync/test_support.h"

namespace magpie::mpsc {
namespace {

using magpie::testing::DropCounter;
using magpie::testing::Watchdog;
using std::chrono::seconds;
using sync_test::CountingWaker;

TEST(MpscTest, DeliversInOrderAndEndsWhenSendersAreGone) {
  auto [tx, rx] = channel<int>(4);
  auto tx2 = tx;
  EXPECT_TRUE(block_on(tx.send(1)).ok());
  EXPECT_TRUE(block_on(tx2.send(2)).ok());
  EXPECT_TRUE(tx.try_send(3).ok());
  EXPECT_EQ(tx.capacity(), 1u);
  EXPECT_EQ(tx.max_capacity(), 4u);
  { auto gone = std::move(tx); }
  { auto gone = std::move(tx2); }
  EXPECT_EQ(block_on(rx.recv()), std::optional<int>(1));
  EXPECT_EQ(block_on(rx.recv()), std::optional<int>(2));
  EXPECT_EQ(*rx.try_recv(), 3);
  EXPECT_EQ(block_on(rx.recv()), std::nullopt);
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::kDisconnected);
  EXPECT_THROW(channel<int>(0), std::invalid_argument);
}

TEST(MpscTest, FullChannelMakesSendersWaitInOrder) {
  auto [tx, rx] = channel<std::string>(1);
  EXPECT_TRUE(tx.try_send("a").ok());
  auto full = tx.try_send("b");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, TrySendError<std::string>::Kind::kFull);
  EXPECT_EQ(full.error().value, "b");  // handed back
  CountingWaker w1, w2, wr;
  auto s1 = tx.send("b");
  auto s2 = tx.send("c");
  EXPECT_TRUE(s1.poll(w1.cx()).is_pending());
  EXPECT_TRUE(s2.poll(w2.cx()).is_pending());
  auto r = rx.recv();
  auto got = r.poll(wr.cx());
  ASSERT_TRUE(got.is_ready());
  EXPECT_EQ(*got.value(), "a");
  EXPECT_EQ(w1.wakes(), 1);  // the oldest sender gets the slot
  EXPECT_EQ(w2.wakes(), 0);
  EXPECT_TRUE(s1.poll(w1.cx()).is_ready());
  EXPECT_TRUE(s2.poll(w2.cx()).is_pending());
  EXPECT_EQ(*rx.try_recv(), "b");
  EXPECT_TRUE(s2.poll(w2.cx()).is_ready());
  EXPECT_EQ(*rx.try_recv(), "c");
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::kEmpty);
}

TEST(MpscTest, DroppedWaitingSendLosesNoSlot) {
  auto [tx, rx] = channel<int>(1);
  EXPECT_TRUE(tx.try_send(1).ok());
  CountingWaker w1, w2;
  auto keeper = tx.send(3);
  {
    auto dropped = tx.send(2);
    EXPECT_TRUE(dropped.poll(w1.cx()).is_pending());
    EXPECT_TRUE(keeper.poll(w2.cx()).is_pending());
    EXPECT_EQ(*rx.try_recv(), 1);  // the slot goes to `dropped`...
    EXPECT_EQ(w1.wakes(), 1);
  }  // ...which passes it on
  EXPECT_EQ(w2.wakes(), 1);
  EXPECT_TRUE(keeper.poll(w2.cx()).is_ready());
  EXPECT_EQ(*rx.try_recv(), 3);
}

TEST(MpscTest, ReserveGivesAPermitThatReturnsItsSlotWhenUnused) {
  auto [tx, rx] = channel<int>(2);
  {
    auto permit = block_on(tx.reserve());
    ASSERT_TRUE(permit.ok());
    EXPECT_EQ(tx.capacity(), 1u);
    auto second = tx.try_reserve();
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(tx.try_reserve().error(), TryReserveError::kFull);
    std::move(*second).send(7);
  }
  EXPECT_EQ(tx.capacity(), 1u);  // the unused permit came back
  EXPECT_EQ(*rx.try_recv(), 7);
  EXPECT_EQ(tx.capacity(), 2u);
}

TEST(MpscTest, CloseFailsWaitingSendersButDrainsWhatHoldsASlot) {
  auto [tx, rx] = channel<int>(2);
  EXPECT_TRUE(tx.try_send(1).ok());
  auto permit = tx.try_reserve();
  ASSERT_TRUE(permit.ok());
  CountingWaker ws, wc, wr;
  auto waiting = tx.send(9);
  EXPECT_TRUE(waiting.poll(ws.cx()).is_pending());
  auto closed = tx.closed();
  EXPECT_TRUE(closed.poll(wc.cx()).is_pending());
  EXPECT_FALSE(tx.is_closed());
  rx.close();
  EXPECT_TRUE(tx.is_closed());
  EXPECT_EQ(ws.wakes(), 1);
  EXPECT_EQ(wc.wakes(), 1);
  EXPECT_TRUE(closed.poll(wc.cx()).is_ready());
  auto failed = waiting.poll(ws.cx());
  ASSERT_TRUE(failed.is_ready());
  ASSERT_FALSE(failed.value().ok());
  EXPECT_EQ(failed.value().error().value, 9);
  EXPECT_EQ(tx.try_send(4).error().kind, TrySendError<int>::Kind::kClosed);
  EXPECT_EQ(*rx.try_recv(), 1);
  auto r = rx.recv();
  EXPECT_TRUE(r.poll(wr.cx()).is_pending());  // the permit may still send
  std::move(*permit).send(2);
  EXPECT_EQ(wr.wakes(), 1);
  EXPECT_EQ(r.poll(wr.cx()).value(), std::optional<int>(2));
  EXPECT_EQ(block_on(rx.recv()), std::nullopt);  // closed and drained
  auto late = tx.closed();
  EXPECT_TRUE(late.poll(wc.cx()).is_ready());
}

TEST(MpscTest, ClosedReceiverEndsWhenAnUnusedPermitIsDropped) {
  auto [tx, rx] = channel<int>(1);
  auto permit = tx.try_reserve();
  rx.close();
  CountingWaker w;
  auto r = rx.recv();
  EXPECT_TRUE(r.poll(w.cx()).is_pending());
  { auto gone = std::move(*permit); }
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_EQ(r.poll(w.cx()).value(), std::nullopt);
}

TEST(MpscTest, DroppedReceiverDropsQueuedMessagesAndRefusesSends) {
  core::Atomic<int> drops{0};
  auto [tx, rx] = channel<DropCounter>(4);
  EXPECT_TRUE(tx.try_send(DropCounter(&drops)).ok());
  EXPECT_TRUE(tx.try_send(DropCounter(&drops)).ok());
  { auto gone = std::move(rx); }
  EXPECT_EQ(drops.load(), 2);
  auto r = block_on(tx.send(DropCounter(&drops)));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(drops.load(), 2);  // handed back inside the error, not dropped
  block_on(tx.closed());
}

TEST(MpscTest, UnboundedNeverWaitsAndFailsAfterReceiverGoes) {
  auto [tx, rx] = unbounded_channel<int>();
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(tx.send(i).ok());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(*rx.try_recv(), i);
  rx.close();
  auto r = tx.send(5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().value, 5);
  EXPECT_EQ(block_on(rx.recv()), std::nullopt);
}

TEST(MpscTest, RecvWakesTheWakerOfTheLatestPoll) {
  auto [tx, rx] = channel<int>(1);
  CountingWaker first, second;
  auto r = rx.recv();
  EXPECT_TRUE(r.poll(first.cx()).is_pending());
  EXPECT_TRUE(r.poll(second.cx()).is_pending());
  EXPECT_TRUE(tx.try_send(1).ok());
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
}

TEST(MpscTest, BlockingSendAndRecvFromPlainThreadsButNotOnAWorker) {
  auto [tx, rx] = channel<int>(1);
  constexpr int kCount = 200;
  std::thread producer([tx = std::move(tx)]() mutable {
    for (int i = 0; i < kCount; ++i) EXPECT_TRUE(tx.blocking_send(i).ok());
  });
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(rx.blocking_recv(), i);
  producer.join();
  EXPECT_EQ(rx.blocking_recv(), std::nullopt);

  Runtime rt = Runtime::Builder().worker_threads(1).build();
  auto [tx2, rx2] = channel<int>(1);
  bool refused = rt.block_on(rt.spawn([](Receiver<int> rx) -> Task<bool> {
    try {
      (void)rx.blocking_recv();
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  }(std::move(rx2))));
  EXPECT_TRUE(refused);
}

// Producers on 4 workers each send kPerProducer numbered messages through a
// small channel; some wait via reserve() raced against yield_now (a lost
// race drops the Reserve and retries), others send() directly. The
// consumer sometimes races recv() against yield_now too. Every message
// arrives exactly once and in per-producer order, and every slot is back.
TEST(MpscTest, StressEveryMessageOnceInOrderWithRandomCancellation) {
  Watchdog dog("mpsc stress", seconds(60));
  constexpr int kProducers = 8;
  const int kPerProducer = testing::ScaledForSanitizers(10000, 2000);
  constexpr std::size_t kCapacity = 4;
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  auto [tx, rx] = channel<std::pair<int, int>>(kCapacity);
  std::vector<JoinHandle<void>> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.push_back(rt.spawn([](Sender<std::pair<int, int>> tx, int p,
                                    int count) -> Task<void> {
      std::mt19937 rng(p + 1);
      for (int i = 0; i < count;) {
        if (rng() % 3 == 0) {
          auto raced = select(tx.reserve(), yield_now());
          auto r = co_await raced;
          if (r.index() != 0) continue;  // dropped mid-wait: retry
          auto permit = std::move(std::get<0>(r));
          EXPECT_TRUE(permit.ok());
          std::move(*permit).send({p, i++});
        } else {
          auto send = tx.send(std::make_pair(p, i++));  // g++ 12: bind first
          auto sent = co_await send;
          EXPECT_TRUE(sent.ok());
        }
      }
    }(tx, p, kPerProducer)));
  }
  auto consumer = rt.spawn([](Receiver<std::pair<int, int>> rx,
                              int total) -> Task<std::vector<int>> {
    std::vector<int> next(kProducers, 0);
    std::mt19937 rng(99);
    int errors = 0;
    int received = 0;
    while (received < total) {
      std::optional<std::pair<int, int>> m;
      if (rng() % 3 == 0) {
        auto raced = select(rx.recv(), yield_now());
        auto r = co_await raced;
        if (r.index() != 0) continue;
        m = std::move(std::get<0>(r));
      } else {
        m = co_await rx.recv();
      }
      if (!m) {
        ++errors;  // ended early
        break;
      }
      ++received;
      if (m->second != next[m->first]) ++errors;
      next[m->first] = m->second + 1;
    }
    next.push_back(errors);
    co_return next;
  }(std::move(rx), kProducers * kPerProducer));
  for (auto& h : producers) rt.block_on(std::move(h));
  std::vector<int> result = rt.block_on(std::move(consumer));
  for (int p = 0; p < kProducers; ++p) EXPECT_EQ(result[p], kPerProducer);
  EXPECT_EQ(result[kProducers], 0);     // no gap, duplicate or reordering
  EXPECT_EQ(tx.capacity(), kCapacity);  // every slot is back (chan rule 1)
  EXPECT_TRUE(tx.is_closed());          // the receiver is gone
}

// Plain threads blocking_send into a small channel drained by a task on a
// 4-worker runtime (wakes cross from plain threads to workers and back):
// every message arrives exactly once.
TEST(MpscTest, StressBlockingSendersIntoATask) {
  Watchdog dog("mpsc blocking senders", seconds(60));
  constexpr int kThreads = 3;
  const int kPerThread = testing::ScaledForSanitizers(10000, 2000);
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  auto [tx, rx] = channel<int>(2);
  auto consumer = rt.spawn([](Receiver<int> rx) -> Task<std::int64_t> {
    std::int64_t sum = 0;
    while (std::optional<int> v = co_await rx.recv()) sum += *v;
    co_return sum;
  }(std::move(rx)));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([tx = tx, n = kPerThread]() mutable {
      for (int i = 1; i <= n; ++i) EXPECT_TRUE(tx.blocking_send(i).ok());
    });
  }
  { auto gone = std::move(tx); }
  for (auto& t : threads) t.join();
  const std::int64_t per = std::int64_t{kPerThread} * (kPerThread + 1) / 2;
  EXPECT_EQ(rt.block_on(std::move(consumer)), kThreads * per);
}

}  // namespace
}  // namespace magpie::mpsc
