// magpie::testing::Watchdog — a timer thread for code that must finish:
// when the limit passes it reports what never finished instead of letting a
// lost wakeup hang until the test runner's timeout.
//
//   Watchdog dog("migrating task, round 17", std::chrono::seconds(20));
//   ... work that must finish ...
//   // ~Watchdog disarms it.
//
// On expiry, by default, it prints the report and aborts the process: the
// guarded code is blocked and nothing else can unblock it. Give it an
// ExpiryHandler instead and it calls that (on the watchdog's thread) with the
// report and does not abort; the handler must make the guarded code return
// (runtime/testing/watched.h aborts the stuck root task, which is how
// run_watched() and the stress runner fail a run without aborting the
// binary, and gtest.h turns that into a gtest failure).
//
// set_status() changes what the message says; describe_with() adds a
// callback run when the limit passes, e.g. a runtime's task dump, so the
// message names the tasks that never finished:
//
//   dog.describe_with([h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
//
// The callback must stay valid on its own (capture a Handle by value, not
// the Runtime by reference). Threads: construct and destroy on one thread;
// set_status and describe_with from any.

#ifndef MAGPIE_RUNTIME_TESTING_WATCHDOG_H_
#define MAGPIE_RUNTIME_TESTING_WATCHDOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/core/sanitizers.h"
#include "runtime/core/saturating_time.h"

namespace magpie::testing {

class Watchdog {
 public:
  // Any duration; one too long to represent never fires (it saturates,
  // core/saturating_time.h).
  template <class Rep, class Period>
  Watchdog(std::string what, std::chrono::duration<Rep, Period> limit)
      : what_(std::move(what)),
        thread_([this, deadline = core::deadline_after(limit),
                 ms = core::saturating_ceil<std::chrono::milliseconds>(limit)] {
          Watch(deadline, ms);
        }) {}
  // Calls on_expire(report) on expiry instead of aborting. The report is
  // the same text the aborting form prints (what, limit, status, and the
  // describe_with() dump).
  using ExpiryHandler = std::function<void(const std::string& report)>;
  template <class Rep, class Period>
  Watchdog(std::string what, std::chrono::duration<Rep, Period> limit,
           ExpiryHandler on_expire)
      : what_(std::move(what)),
        on_expire_(std::move(on_expire)),
        thread_([this, deadline = core::deadline_after(limit),
                 ms = core::saturating_ceil<std::chrono::milliseconds>(limit)] {
          Watch(deadline, ms);
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void set_status(std::string status) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(status);
  }

  void describe_with(std::function<std::string()> describe) {
    std::lock_guard<std::mutex> lock(mu_);
    describe_ = std::move(describe);
  }

 private:
  void Watch(std::chrono::steady_clock::time_point deadline,
             std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    auto finished = [this] { return done_; };
    if (core::is_never(deadline)) {
      cv_.wait(lock, finished);
      return;
    }
    if (cv_.wait_until(lock, deadline, finished)) return;
    std::string report = "WATCHDOG: '" + what_ + "' did not finish within " +
                         std::to_string(limit.count()) + " ms. " + status_ +
                         "\n";
    // No user code under the lock: copy the callbacks out.
    std::function<std::string()> describe = describe_;
    lock.unlock();
    if (describe) report += "WATCHDOG: live tasks:\n" + describe() + "\n";
    if (on_expire_) {
      on_expire_(report);
      return;
    }
    std::fputs(report.c_str(), stderr);
    std::fflush(stderr);
    std::abort();
  }

  std::string what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string status_;
  std::function<std::string()> describe_;
  const ExpiryHandler on_expire_;  // Empty: print and abort.
  std::thread thread_;
};

// Scales iteration counts down under sanitizers (5-20x slower).
constexpr int ScaledForSanitizers(int plain, int sanitized) {
  return core::kUnderSanitizer ? sanitized : plain;
}

}  // namespace magpie::testing

#endif  // MAGPIE_RUNTIME_TESTING_WATCHDOG_H_
