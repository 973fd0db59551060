// Tests for sync::Notify: the permit stored by notify_one with nobody
// waiting, FIFO notify_one and LIFO notify_last, notify_waiters reaching
// futures created but not yet polled (and storing nothing), a chosen waiter
// that is dropped passing its notification on, waker replacement, and no
// notification lost under stress on 4 workers.

#include "runtime/sync/notify.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/select.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"
#include "runtime/yield_now.h"
#include "tests/sync/test_support.h"

namespace magpie::sync {
namespace {

using magpie::testing::Watchdog;
using std::chrono::seconds;
using sync_test::CountingWaker;

TEST(NotifyTest, NotifyOneWithNobodyWaitingStoresOnePermit) {
  Notify notify;
  notify.notify_one();
  notify.notify_one();  // permits do not add up
  CountingWaker w;
  auto first = notify.notified();
  EXPECT_TRUE(first.poll(w.cx()).is_ready());
  auto second = notify.notified();
  EXPECT_TRUE(second.poll(w.cx()).is_pending());
  notify.notify_one();
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_TRUE(second.poll(w.cx()).is_ready());
}

TEST(NotifyTest, NotifyOneIsFifoAndNotifyLastIsLifo) {
  Notify notify;
  CountingWaker wa, wb, wc;
  auto a = notify.notified();
  auto b = notify.notified();
  auto c = notify.notified();
  EXPECT_TRUE(a.poll(wa.cx()).is_pending());
  EXPECT_TRUE(b.poll(wb.cx()).is_pending());
  EXPECT_TRUE(c.poll(wc.cx()).is_pending());
  notify.notify_one();
  EXPECT_EQ(wa.wakes(), 1);
  EXPECT_EQ(wb.wakes() + wc.wakes(), 0);
  notify.notify_last();
  EXPECT_EQ(wc.wakes(), 1);
  EXPECT_EQ(wb.wakes(), 0);
  EXPECT_TRUE(a.poll(wa.cx()).is_ready());
  EXPECT_TRUE(b.poll(wb.cx()).is_pending());
  EXPECT_TRUE(c.poll(wc.cx()).is_ready());
  notify.notify_one();
  EXPECT_TRUE(b.poll(wb.cx()).is_ready());
}

TEST(NotifyTest, NotifyWaitersWakesCurrentFuturesAndStoresNothing) {
  Notify notify;
  CountingWaker w;
  auto polled = notify.notified();
  auto unpolled = notify.notified();  // created, never polled yet
  EXPECT_TRUE(polled.poll(w.cx()).is_pending());
  notify.notify_waiters();
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_TRUE(polled.poll(w.cx()).is_ready());
  EXPECT_TRUE(unpolled.poll(w.cx()).is_ready());
  auto later = notify.notified();  // made after the call: not for it
  EXPECT_TRUE(later.poll(w.cx()).is_pending());
}

TEST(NotifyTest, DroppedChosenWaiterPassesNotifyOneOn) {
  Notify notify;
  CountingWaker wa, wb;
  auto b = notify.notified();
  {
    auto a = notify.notified();
    EXPECT_TRUE(a.poll(wa.cx()).is_pending());
    EXPECT_TRUE(b.poll(wb.cx()).is_pending());
    notify.notify_one();  // chooses a
    EXPECT_EQ(wa.wakes(), 1);
  }  // a never took it
  EXPECT_EQ(wb.wakes(), 1);
  EXPECT_TRUE(b.poll(wb.cx()).is_ready());
  {
    auto c = notify.notified();
    EXPECT_TRUE(c.poll(wa.cx()).is_pending());
    notify.notify_one();
  }  // nobody else waits: stored as the permit
  auto d = notify.notified();
  EXPECT_TRUE(d.poll(wa.cx()).is_ready());
}

TEST(NotifyTest, DroppedWaiterOfNotifyWaitersPassesNothingOn) {
  Notify notify;
  CountingWaker w;
  {
    auto a = notify.notified();
    EXPECT_TRUE(a.poll(w.cx()).is_pending());
    notify.notify_waiters();
  }
  auto b = notify.notified();
  EXPECT_TRUE(b.poll(w.cx()).is_pending());
}

TEST(NotifyTest, WakesTheWakerOfTheLatestPoll) {
  Notify notify;
  CountingWaker first, second;
  auto n = notify.notified();
  EXPECT_TRUE(n.poll(first.cx()).is_pending());
  EXPECT_TRUE(n.poll(second.cx()).is_pending());
  notify.notify_one();
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
}

// Consumers on 4 workers each wait for notifications (some give up mid-
// wait, seeded); a producer thread calls notify_one once per consumed
// notification it is owed. Every notify_one is consumed by someone: the
// total consumed equals the total sent, so nobody hangs.
TEST(NotifyTest, StressNoNotificationLost) {
  Watchdog dog("notify stress", seconds(60));
  const int kConsumers = 8;
  const int kPerConsumer = testing::ScaledForSanitizers(2000, 400);
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  Notify notify;
  core::Atomic<int> consumed{0};
  std::vector<JoinHandle<void>> handles;
  for (int c = 0; c < kConsumers; ++c) {
    handles.push_back(rt.spawn([](Notify& notify, core::Atomic<int>& consumed,
                                  int seed, int count) -> Task<void> {
      std::mt19937 rng(seed);
      int got = 0;
      while (got < count) {
        if (rng() % 3 == 0) {
          auto raced = select(notify.notified(), yield_now());
          auto r = co_await raced;
          if (r.index() != 0) continue;
        } else {
          co_await notify.notified();
        }
        ++got;
        consumed.fetch_add(1, std::memory_order_relaxed);
      }
    }(notify, consumed, c + 1, kPerConsumer)));
  }
  const int total = kConsumers * kPerConsumer;
  std::thread producer([&] {
    for (int i = 0; i < total; ++i) {
      notify.notify_one();
      // At most one permit is stored, so wait until this one is taken.
      while (consumed.load(std::memory_order_relaxed) <= i) {
        std::this_thread::yield();
      }
    }
  });
  for (auto& h : handles) rt.block_on(std::move(h));
  producer.join();
  EXPECT_EQ(consumed.load(), total);
}

}  // namespace
}  // namespace magpie::sync
