#include "runtime/core/word_mutex.h"

#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace magpie::core {
namespace {

// Bounded: kThreads x kIterations lock/unlock pairs.
constexpr int kThreads = 4;
constexpr int kIterations = 20000;

struct Guarded {
  WordMutex mu;
  // Two fields written apart inside the section: a torn section (two
  // holders at once) shows as a != b, and ThreadSanitizer sees the race.
  std::uint64_t a ABSL_GUARDED_BY(mu) = 0;
  std::uint64_t b ABSL_GUARDED_BY(mu) = 0;
};

TEST(WordMutexTest, UncontendedLockUnlock) {
  Guarded g;
  for (int i = 0; i < 3; ++i) {
    WordMutexLock lock(&g.mu);
    ++g.a;
  }
  WordMutexLock lock(&g.mu);
  EXPECT_EQ(g.a, 3u);
}

TEST(WordMutexTest, MutualExclusionUnderContention) {
  Guarded g;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&g] {
      for (int i = 0; i < kIterations; ++i) {
        WordMutexLock lock(&g.mu);
        const std::uint64_t a = g.a;
        g.a = a + 1;
        // Sometimes yield inside the section, so waiters reach the sleep
        // path (the holder looks preempted) and unlock must notify.
        if (i % 512 == 0) std::this_thread::yield();
        g.b = g.b + 1;
        EXPECT_EQ(g.a, g.b);
      }
    });
  }
  for (auto& t : threads) t.join();
  WordMutexLock lock(&g.mu);
  // Conservation: every increment happened exactly once.
  EXPECT_EQ(g.a, std::uint64_t{kThreads} * kIterations);
  EXPECT_EQ(g.b, std::uint64_t{kThreads} * kIterations);
}

// Under ThreadSanitizer the lock is annotated as a mutex (tsan_mutex.h), so
// TSan's deadlock detector sees a lock-order inversion: a then b in one
// place, b then a in another. With only the atomics to go on it could not.
// The child exits by itself after the inversion, so the test fails (no
// report on stderr) rather than hangs if the annotations are missing; it
// passes whether or not TSAN_OPTIONS has halt_on_error.
TEST(WordMutexDeathTest, TsanReportsLockOrderInversion) {
  if (!tsan_mutex::kEnabled) {
    GTEST_SKIP() << "only ThreadSanitizer builds annotate WordMutex";
  }
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        WordMutex a;
        WordMutex b;
        {
          WordMutexLock hold_a(&a);
          WordMutexLock hold_b(&b);
        }
        {
          WordMutexLock hold_b(&b);
          WordMutexLock hold_a(&a);
        }
        std::_Exit(1);
      },
      "lock-order-inversion");
}

}  // namespace
}  // namespace magpie::core
