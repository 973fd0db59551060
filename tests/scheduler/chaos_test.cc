// Chaos scheduling (runtime/scheduler/chaos.h): the Builder API.

#include <cstdint>

#include "gtest/gtest.h"
#include "runtime/runtime.h"

namespace magpie {
namespace {

TEST(ChaosTest, SeedIsReportedAndOffByDefault) {
  Runtime plain = Runtime::Builder().worker_threads(1).build();
  EXPECT_EQ(plain.chaos_seed(), 0u);
  Runtime chaotic = Runtime::Builder().worker_threads(1).chaos(42).build();
  EXPECT_EQ(chaotic.chaos_seed(), 42u);
}

}  // namespace
}  // namespace magpie
