// magpie::testing::run_watched — runs one future as a task on a runtime under
// a Watchdog that fails the run instead of aborting the process: if the task
// has not finished when the limit passes, the runtime's task dump is taken
// (every live task, idle ones first, each with its spawn site), the root
// task is aborted so the caller's thread returns, and the result is a
// DEADLINE_EXCEEDED status whose message is the full report.
//
//   magpie::Runtime rt = magpie::Runtime::Builder().worker_threads(4).build();
//   absl::StatusOr<int> r =
//       magpie::testing::run_watched(rt, my_future(), std::chrono::seconds(5));
//   if (!r.ok()) std::cerr << r.status().message();  // names the stuck tasks
//
// From GoogleTest, runtime/testing/gtest.h's expect_finishes() turns the
// report into a test failure (ADD_FAILURE) and the test goes on.
//
// What a hang leaves behind: tasks the root spawned that are stuck stay in
// the runtime until it shuts down (shutdown drops their futures). A task
// stuck *inside* poll (a loop that never returns) cannot be aborted; the
// caller then stays blocked, as it would without a watchdog.
//
// Threads: call from a thread that is not one of rt's workers (block_on's
// rule). The report is built on the watchdog's own thread.

#ifndef MAGPIE_RUNTIME_TESTING_WATCHED_H_
#define MAGPIE_RUNTIME_TESTING_WATCHED_H_

#include <chrono>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/runtime.h"
#include "runtime/task/errors.h"
#include "runtime/task/task_dump.h"
#include "runtime/testing/watchdog.h"

namespace magpie::testing {

// What a watched run saw when its limit passed, filled on the watchdog's
// thread and read after it is joined.
struct HangRecord {
  std::mutex mu;
  bool expired = false;  // Guarded by mu.
  std::string report;    // Guarded by mu.
};

namespace watched_internal {

// "unfinished tasks (idle first: waiting for a wake nobody sent)".
inline std::string hang_report(std::string_view what, const Handle& handle,
                               long long limit_ms) {
  std::string out = "WATCHDOG: '" + std::string(what) +
                    "' did not finish within " + std::to_string(limit_ms) +
                    " ms.\nunfinished tasks (idle ones first: each waits for "
                    "a wake nobody sent):\n";
  out += describe_tasks(handle.dump_tasks());
  return out;
}

}  // namespace watched_internal

// Runs `future` as a task spawned on `rt` (its spawn site is the caller)
// and waits at most `limit`. OK with the output; DEADLINE_EXCEEDED with the
// report (what, limit, the task dump) on a hang; UNKNOWN if the task threw
// (the exception's what()); CANCELLED if something else aborted it.
template <class F, class Rep, class Period>
requires Future<std::decay_t<F>>
auto run_watched(Runtime& rt, F&& future,
                 std::chrono::duration<Rep, Period> limit,
                 std::string_view what = "watched task",
                 SpawnSite where = SpawnSite::current())
    -> std::conditional_t<std::is_void_v<FutureOutput<std::decay_t<F>>>,
                          absl::Status,
                          absl::StatusOr<FutureOutput<std::decay_t<F>>>> {
  using Out = FutureOutput<std::decay_t<F>>;
  auto root = rt.spawn(std::forward<F>(future), where);
  AbortHandle stop = root.abort_handle();
  HangRecord hang;
  const long long limit_ms =
      core::saturating_ceil<std::chrono::milliseconds>(limit).count();
  const std::string label(what);
  auto expired = [&] {
    std::lock_guard<std::mutex> lock(hang.mu);
    return hang.expired;
  };
  auto hang_status = [&] {
    std::lock_guard<std::mutex> lock(hang.mu);
    return absl::DeadlineExceededError(hang.report);
  };
  try {
    Watchdog dog(label, limit,
                 [&hang, &stop, &label, handle = rt.handle(),
                  limit_ms](const std::string&) {
                   std::string report =
                       watched_internal::hang_report(label, handle, limit_ms);
                   {
                     std::lock_guard<std::mutex> lock(hang.mu);
                     hang.expired = true;
                     hang.report = std::move(report);
                   }
                   stop.abort();  // The caller's block_on returns.
                 });
    if constexpr (std::is_void_v<Out>) {
      rt.block_on(std::move(root));
    } else {
      Out out = rt.block_on(std::move(root));
      // Done (the ~Watchdog below would join a dog that already fired).
      return out;
    }
  } catch (const TaskCancelled&) {
    if (expired()) return hang_status();
    return absl::CancelledError(label + ": the task was aborted");
  } catch (const std::exception& e) {
    if (expired()) return hang_status();
    return absl::UnknownError(label + " threw: " + e.what());
  }
  if (expired()) return hang_status();
  if constexpr (std::is_void_v<Out>) {
    return absl::OkStatus();
  } else {
    return absl::InternalError(label + ": no output");  // Not reached.
  }
}

}  // namespace magpie::testing

#endif  // MAGPIE_RUNTIME_TESTING_WATCHED_H_
