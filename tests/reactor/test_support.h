// Helpers shared by the reactor tests: a reactor fixture, wakers that count
// or record, process CPU time, and a join of two status futures.

#ifndef MAGPIE_TESTS_REACTOR_TEST_SUPPORT_H_
#define MAGPIE_TESTS_REACTOR_TEST_SUPPORT_H_

#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "reactor/reactor.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/future.h"
#include "runtime/core/poll.h"
#include "runtime/core/sanitizers.h"

namespace magpie::testing {

inline constexpr bool kSanitized = core::kUnderSanitizer;

// Starts a reactor and enters it on the test thread.
class ReactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<reactor::Reactor> started = reactor::Reactor::start();
    ASSERT_TRUE(started.ok()) << started.status();
    reactor_.emplace(*std::move(started));
    guard_.emplace(reactor_->handle());
  }
  void TearDown() override {
    guard_.reset();
    reactor_.reset();
  }

  reactor::Driver& driver() { return reactor_->handle().driver(); }

  std::optional<reactor::Reactor> reactor_;
  std::optional<reactor::EnterGuard> guard_;
};

// A waker target that counts its wakes.
struct WakeCounter {
  core::Atomic<int> wakes{0};
  void wake_by_ref() {
    // ORDERING: release pairs with the acquire in count().
    wakes.fetch_add(1, std::memory_order_release);
  }
  int count() const { return wakes.load(std::memory_order_acquire); }
};

// Polls `future` once with `waker`.
template <Future F>
Poll<FutureOutput<F>> poll_once(F& future, const Waker& waker) {
  Context cx(waker);
  return future.poll(cx);
}

// Waits (bounded) until `done()` holds; returns whether it did.
template <class Pred>
bool wait_until(Pred done, std::chrono::milliseconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// User + system CPU time of the whole process.
inline std::chrono::microseconds process_cpu_time() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& tv) {
    return std::chrono::seconds(tv.tv_sec) +
           std::chrono::microseconds(tv.tv_usec);
  };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

// Runs two futures with absl::Status outputs side by side; ready with both.
template <Future A, Future B>
class JoinStatus {
 public:
  using Output = std::pair<absl::Status, absl::Status>;
  JoinStatus(A a, B b) : a_(std::move(a)), b_(std::move(b)) {}

  Poll<Output> poll(Context& cx) {
    if (!ra_.has_value()) {
      Poll<absl::Status> p = a_.poll(cx);
      if (p.is_ready()) ra_ = std::move(p).value();
    }
    if (!rb_.has_value()) {
      Poll<absl::Status> p = b_.poll(cx);
      if (p.is_ready()) rb_ = std::move(p).value();
    }
    if (ra_.has_value() && rb_.has_value()) return Output(*ra_, *rb_);
    return Pending;
  }

 private:
  A a_;
  B b_;
  std::optional<absl::Status> ra_;
  std::optional<absl::Status> rb_;
};

}  // namespace magpie::testing

#endif  // MAGPIE_TESTS_REACTOR_TEST_SUPPORT_H_
