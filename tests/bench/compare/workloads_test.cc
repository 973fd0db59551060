// The comparison's workloads (bench/compare/workloads.h) at a tiny scale:
// each one finishes on 1 and 2 workers and reports a sane value; a sleep is
// never early, so no lateness is negative; an unknown name is an error.

#include "bench/compare/workloads.h"

#include <chrono>
#include <cmath>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie::bench {
namespace {

constexpr double kTinyScale = 0.01;

TEST(WorkloadsTest, NamesAreUniqueWithAUnit) {
  std::set<std::string_view> names;
  for (const Workload& w : workloads()) {
    EXPECT_TRUE(names.insert(w.name).second) << w.name;
    EXPECT_TRUE(w.unit == "ms" || w.unit == "us") << w.name;
    EXPECT_FALSE(w.what.empty()) << w.name;
  }
  EXPECT_EQ(names.size(), 7u);
}

class WorkloadsOnWorkers : public ::testing::TestWithParam<int> {};

TEST_P(WorkloadsOnWorkers, EachFinishesWithAFiniteNonNegativeValue) {
  Runtime rt = Runtime::Builder().worker_threads(GetParam()).build();
  for (const Workload& w : workloads()) {
    testing::Watchdog watchdog("workload " + std::string(w.name),
                               std::chrono::seconds(60));
    absl::StatusOr<double> value = run_sample(rt, w.name, kTinyScale);
    ASSERT_TRUE(value.ok()) << w.name << ": " << value.status();
    EXPECT_TRUE(std::isfinite(*value)) << w.name;
    EXPECT_GE(*value, 0) << w.name;  // For lateness: never early.
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, WorkloadsOnWorkers, ::testing::Values(1, 2));

TEST(WorkloadsTest, UnknownNameIsNotFound) {
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  absl::StatusOr<double> value = run_sample(rt, "no_such_workload");
  EXPECT_EQ(value.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace magpie::bench
