// Regression: the free magpie::block_on, called from inside a task (so on a
// runtime worker thread), was allowed and blocked the worker; with one
// worker, a block_on waiting for another task deadlocked the runtime. Every
// block_on (free, Runtime's, LocalExecutor's, of this runtime or another)
// now refuses a worker thread with std::logic_error. block_on inside
// spawn_blocking stays allowed, as in Tokio.

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/poll_fn.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Watchdog;

Runtime OneWorker() {
  return Runtime::Builder()
      .worker_threads(1)
      .enable_io(false)
      .enable_time(false)
      .build();
}

// What a call made on the worker answered.
enum class Outcome { kLogicError, kReturned, kOtherError };

template <class Fn>
Outcome Try(Fn fn) {
  try {
    fn();
    return Outcome::kReturned;
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("worker"), std::string::npos)
        << e.what();
    return Outcome::kLogicError;
  } catch (...) {
    return Outcome::kOtherError;
  }
}

TEST(BlockOnOnWorkerTest, EveryBlockOnIsRefusedOnAWorker) {
  Watchdog dog("block_on from a worker", seconds(60));
  Runtime rt = OneWorker();
  Runtime other = OneWorker();
  Handle other_handle = other.handle();
  auto probe = rt.spawn(poll_fn([&](Context&) -> Poll<int> {
    int refused = 0;
    // The free block_on of a task of this same (one-worker) runtime: it
    // could never run while we block, so this deadlocked before.
    auto sibling =
        magpie::spawn(poll_fn([](Context&) -> Poll<int> { return 5; }));
    if (Try([&] { (void)magpie::block_on(std::move(sibling)); }) ==
        Outcome::kLogicError) {
      refused += 1;
    }
    if (Try([&] {
          (void)other.block_on(
              poll_fn([](Context&) -> Poll<int> { return 1; }));
        }) == Outcome::kLogicError) {
      refused += 1;
    }
    if (Try([&] {
          LocalExecutor ex;
          (void)ex.block_on(poll_fn([](Context&) -> Poll<int> { return 1; }));
        }) == Outcome::kLogicError) {
      refused += 1;
    }
    if (Try([&] {
          (void)rt.block_on(poll_fn([](Context&) -> Poll<int> { return 1; }));
        }) == Outcome::kLogicError) {
      refused += 1;
    }
    return refused;
  }));
  EXPECT_EQ(rt.block_on(std::move(probe)), 4);
  // The worker still serves.
  auto after = rt.spawn(poll_fn([](Context&) -> Poll<int> { return 9; }));
  EXPECT_EQ(rt.block_on(std::move(after)), 9);
}

TEST(BlockOnOnWorkerTest, BlockOnInsideSpawnBlockingIsAllowed) {
  Watchdog dog("block_on inside spawn_blocking", seconds(60));
  Runtime rt = OneWorker();
  auto job = rt.spawn_blocking([] {
    // Waits for a task on the (free) worker: fine from a blocking thread.
    auto task = magpie::spawn(poll_fn([](Context&) -> Poll<int> { return 3; }));
    return magpie::block_on(std::move(task)) + 1;
  });
  EXPECT_EQ(rt.block_on(std::move(job)), 4);
}

}  // namespace
}  // namespace magpie
