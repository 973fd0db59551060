// Regression: Runtime::shutdown() called from one of the runtime's own
// spawn_blocking jobs deadlocked: the blocking pool waited for every pool
// thread to exit, its caller's thread included, which could not exit before
// shutdown() returned. Now the pool does not wait for the calling thread
// (it exits once the job returns), and shutdown() completes.

#include <chrono>
#include <future>
#include <memory>

#include "gtest/gtest.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Watchdog;

TEST(ShutdownFromBlockingJob, CompletesAndStopsEveryOtherThread) {
  Watchdog dog("shutdown from a blocking job", seconds(60));
  auto rt =
      std::make_unique<Runtime>(Runtime::Builder().worker_threads(2).build());
  // Another blocking job still running when shutdown() starts: it must be
  // waited for, and it is. The promises are shared with the jobs, so a
  // job still returning from set_value() never touches a dead one.
  auto other_may_finish = std::make_shared<std::promise<void>>();
  std::shared_future<void> other_gate = other_may_finish->get_future().share();
  auto other = rt->spawn_blocking([other_gate] {
    other_gate.wait();
    return 2;
  });
  auto result = std::make_shared<std::promise<bool>>();
  std::future<bool> shut_down = result->get_future();
  Runtime* raw = rt.get();
  auto job = rt->spawn_blocking([raw, result, other_may_finish] {
    other_may_finish->set_value();
    result->set_value(raw->shutdown_timeout(std::chrono::hours::max()));
  });
  ASSERT_EQ(shut_down.wait_for(seconds(30)), std::future_status::ready)
      << "shutdown() from a blocking job did not return";
  EXPECT_TRUE(shut_down.get()) << "every other pool thread exited in time";
  rt.reset();  // already shut down: returns at once
}

}  // namespace
}  // namespace magpie
