#include "runtime/core/word_mutex.h"

#include "runtime/core/cpu_relax.h"

namespace magpie::core {
namespace {

// Reads of the word before the first sleep: the sections this lock guards
// are a few stores long, so a holder that is running releases it within a
// few hundred cycles; one that was preempted is waited for in the kernel.
constexpr int kSpinsBeforeSleep = 64;

}  // namespace

void WordMutex::lock_contended() {
  for (int i = 0; i < kSpinsBeforeSleep; ++i) {
    cpu_relax();
    // ORDERING: relaxed; only a hint that the CAS below may succeed.
    if (word_.load(std::memory_order_relaxed) == kUnlocked) {
      std::uint32_t expected = kUnlocked;
      // ORDERING: acquire pairs with the release exchange in unlock().
      if (word_.compare_exchange_weak(expected, kLocked,
                                      std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        return;
      }
    }
  }
  // From here on we may sleep, so the word says "contended" while we hold
  // it or wait for it, and unlock() notifies (table in word_mutex.h).
  // ORDERING: acquire pairs with the release exchange in unlock().
  while (word_.exchange(kContended, std::memory_order_acquire) != kUnlocked) {
    // ORDERING: relaxed; the exchange above re-checks with acquire.
    word_.wait(kContended, std::memory_order_relaxed);
  }
}

}  // namespace magpie::core
