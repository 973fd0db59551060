// Tests for park::Parker and block_on: an unpark before park is kept, a
// parked thread is woken from another thread, timeouts expire.

#include "runtime/park/parker.h"

#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/poll_fn.h"

namespace magpie {
namespace {

TEST(ParkerTest, UnparkBeforeParkIsNotLost) {
  park::Parker parker;
  parker.unpark();
  parker.unpark();  // tokens do not add up
  parker.park();    // returns at once
  EXPECT_FALSE(parker.park_for(std::chrono::milliseconds(1)));
}

TEST(ParkerTest, ParkForTimesOut) {
  park::Parker parker;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(parker.park_for(std::chrono::milliseconds(20)));
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(20));
}

TEST(ParkerTest, UnparkFromAnotherThreadWakesParkedThread) {
  constexpr int kRounds = 2000;
  park::Parker parker;
  core::Atomic<int> produced{0};
  std::thread producer([&] {
    for (int i = 0; i < kRounds; ++i) {
      produced.fetch_add(1, std::memory_order_release);
      parker.unpark();
    }
  });
  // Every round the consumer sleeps until it sees progress: a lost unpark
  // would hang here (the test's timeout names it).
  int seen = 0;
  while (seen < kRounds) {
    int now = produced.load(std::memory_order_acquire);
    if (now == seen) {
      parker.park();
      continue;
    }
    seen = now;
  }
  producer.join();
  EXPECT_EQ(seen, kRounds);
}

TEST(BlockOnTest, ReturnsReadyValueAndVoid) {
  EXPECT_EQ(block_on(poll_fn([](Context&) -> Poll<int> { return 5; })), 5);
  int polls = 0;
  block_on(poll_fn([&](Context& cx) -> Poll<void> {
    if (++polls < 3) {
      cx.waker().wake_by_ref();  // self-wake: polled again
      return Pending;
    }
    return ready();
  }));
  EXPECT_EQ(polls, 3);
}

TEST(BlockOnTest, WokenFromAnotherThread) {
  AtomicWaker slot;
  core::Atomic<bool> done{false};
  std::thread completer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    done.store(true, std::memory_order_release);
    slot.wake();
  });
  block_on(poll_fn([&](Context& cx) -> Poll<void> {
    if (done.load(std::memory_order_acquire)) return ready();
    slot.register_waker(cx.waker());
    if (done.load(std::memory_order_acquire)) return ready();  // re-check
    return Pending;
  }));
  completer.join();
}

TEST(BlockOnTest, ExceptionPropagates) {
  EXPECT_THROW(block_on(poll_fn([](Context&) -> Poll<int> {
                 throw std::runtime_error("boom");
               })),
               std::runtime_error);
}

}  // namespace
}  // namespace magpie
