// DESIGN.md §6 scenarios 1-6 (runtime/testing/lost_wakeup.h) on the
// multi-threaded Runtime, each with 2, 4 and 8 workers (more workers than
// this machine's cores, deliberately), with fixed seeds so a failure can be
// replayed (magpie stress --filter NAME --seed N --workers W
// --iterations 1). A watchdog names the tasks that never finished instead of
// hanging.

#include <chrono>
#include <string>
#include <tuple>

#include "gtest/gtest.h"
#include "runtime/runtime.h"
#include "runtime/testing/lost_wakeup.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using testing::Scenario;
using testing::Watchdog;

class LostWakeupTest
    : public ::testing::TestWithParam<std::tuple<std::size_t, int>> {
 protected:
  const Scenario& scenario() const {
    return testing::lost_wakeup_scenarios()[std::get<0>(GetParam())];
  }
  int workers() const { return std::get<1>(GetParam()); }
};

TEST_P(LostWakeupTest, Completes) {
  const std::uint64_t seed = 1000 + std::get<0>(GetParam()) * 10 + workers();
  Watchdog dog(std::string(scenario().name) + " with " +
                   std::to_string(workers()) + " workers, seed " +
                   std::to_string(seed),
               std::chrono::seconds(120));
  Runtime rt = Runtime::Builder().worker_threads(workers()).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  absl::Status status = scenario().run(rt, {.seed = seed, .size = 1});
  EXPECT_TRUE(status.ok()) << scenario().name << ": " << status;
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, LostWakeupTest,
    ::testing::Combine(
        ::testing::Range<std::size_t>(0,
                                      testing::lost_wakeup_scenarios().size()),
        ::testing::Values(2, 4, 8)),
    [](const auto& info) {
      return std::string(
                 testing::lost_wakeup_scenarios()[std::get<0>(info.param)]
                     .name) +
             "_" + std::to_string(std::get<1>(info.param)) + "workers";
    });

}  // namespace
}  // namespace magpie
