// Two versions of a user's leaf future that waits for a flag set by another
// thread, each registered as a stress scenario. BrokenFlagFuture checks the
// flag, does a little work, then registers its waker without checking
// again: a set() in between wakes nobody and the task hangs. FlagFuture
// registers, then re-checks (the Future contract, runtime/core/future.h).

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "runtime/magpie.h"
#include "runtime/testing/stress.h"

namespace {

struct Flag {
  std::mutex mu;
  bool set = false;                     // Guarded by mu.
  std::optional<magpie::Waker> waiter;  // Guarded by mu.

  void raise() {
    std::optional<magpie::Waker> w;
    {
      std::lock_guard<std::mutex> lock(mu);
      set = true;
      w = std::exchange(waiter, std::nullopt);
    }
    if (w) std::move(*w).wake();
  }
  bool is_set() {
    std::lock_guard<std::mutex> lock(mu);
    return set;
  }
  void wait_with(const magpie::Waker& w) {
    std::lock_guard<std::mutex> lock(mu);
    waiter = w;
  }
};

struct BrokenFlagFuture {
  using Output = void;
  std::shared_ptr<Flag> flag;
  magpie::Poll<void> poll(magpie::Context& cx) {
    if (flag->is_set()) return magpie::ready();
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // "work"
    flag->wait_with(cx.waker());  // Bug: set() may have run meanwhile.
    return magpie::Pending;
  }
};

struct FlagFuture {
  using Output = void;
  std::shared_ptr<Flag> flag;
  magpie::Poll<void> poll(magpie::Context& cx) {
    if (flag->is_set()) return magpie::ready();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    flag->wait_with(cx.waker());
    if (flag->is_set()) return magpie::ready();  // The re-check.
    return magpie::Pending;
  }
};

// Raises the flag from a plain thread after a seeded random delay.
std::jthread raise_later(std::shared_ptr<Flag> flag, std::uint64_t r) {
  return std::jthread([flag, delay = std::chrono::microseconds(r % 400)] {
    std::this_thread::sleep_for(delay);
    flag->raise();
  });
}

}  // namespace

MAGPIE_STRESS_SCENARIO(broken_flag) {
  for (int i = 0; i < 20; ++i) {
    auto flag = std::make_shared<Flag>();
    std::jthread raiser = raise_later(flag, ctx.rng()());
    auto waiting = magpie::spawn(BrokenFlagFuture{flag});
    co_await std::move(waiting);
  }
}

MAGPIE_STRESS_SCENARIO(correct_flag) {
  for (int i = 0; i < 20; ++i) {
    auto flag = std::make_shared<Flag>();
    std::jthread raiser = raise_later(flag, ctx.rng()());
    auto waiting = magpie::spawn(FlagFuture{flag});
    co_await std::move(waiting);
  }
}
