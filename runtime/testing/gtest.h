// magpie::testing::expect_finishes — the watchdog for GoogleTest: runs a
// future as a task (run_watched, watched.h) and, if it has not finished
// within the limit, fails the current test with ADD_FAILURE and the report
// (the runtime's task dump: every unfinished task, idle ones first, with its
// spawn site). The stuck root task is aborted, so the test goes on (and
// ends) instead of hanging or aborting the test binary.
//
//   TEST(MyFuture, Completes) {
//     magpie::Runtime rt = magpie::Runtime::Builder().worker_threads(2).build();
//     std::optional<int> v = magpie::testing::expect_finishes(
//         rt, my_future(), std::chrono::seconds(5));
//     EXPECT_EQ(v, 42);
//   }
//
// Bazel: deps = ["//:magpie_testing_gtest"]; CMake: magpie::testing_gtest.
// Threads: as run_watched (not from a runtime worker).

#ifndef MAGPIE_RUNTIME_TESTING_GTEST_H_
#define MAGPIE_RUNTIME_TESTING_GTEST_H_

#include <chrono>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "gtest/gtest.h"
#include "runtime/testing/watched.h"

namespace magpie::testing {

// The future's output (true for a void future), or nullopt after a failure
// was added to the current test (hang, exception, cancellation).
template <class F, class Rep, class Period>
requires Future<std::decay_t<F>>
auto expect_finishes(Runtime& rt, F&& future,
                     std::chrono::duration<Rep, Period> limit,
                     std::string_view what = "watched task",
                     SpawnSite where = SpawnSite::current()) {
  using Out = FutureOutput<std::decay_t<F>>;
  auto result = run_watched(rt, std::forward<F>(future), limit, what, where);
  if constexpr (std::is_void_v<Out>) {
    if (!result.ok()) {
      ADD_FAILURE_AT(where.file ? where.file : "?", where.line)
          << result.message();
      return std::optional<bool>();
    }
    return std::optional<bool>(true);
  } else {
    if (!result.ok()) {
      ADD_FAILURE_AT(where.file ? where.file : "?", where.line)
          << result.status().message();
      return std::optional<Out>();
    }
    return std::optional<Out>(std::move(*result));
  }
}

}  // namespace magpie::testing

#endif  // MAGPIE_RUNTIME_TESTING_GTEST_H_
