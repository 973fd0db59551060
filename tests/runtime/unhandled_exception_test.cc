// Tests for the unhandled-exception policy (unhandled_exception.h): each
// policy, a callback that throws, what is not reported (values, abort,
// shutdown, awaited handles), blocking jobs, the free spawn's site, and the
// LocalExecutor.

#include "runtime/task/unhandled_exception.h"

#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/poll_fn.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using namespace std::chrono_literals;

struct Throws {
  using Output = void;
  const char* message;
  Poll<void> poll(Context&) { throw std::runtime_error(message); }
};

struct ThrowsInt {
  using Output = void;
  Poll<void> poll(Context&) { throw 42; }
};

struct Ready7 {
  using Output = int;
  Poll<int> poll(Context&) { return 7; }
};

// Pending forever (never registers: only abort or shutdown ends it).
struct Forever {
  using Output = void;
  Poll<void> poll(Context&) { return Pending; }
};

// Counts reports and remembers their sites; any thread.
class Counter {
 public:
  UnhandledExceptionHandler handler() {
    return UnhandledExceptionHandler::call(
        [this](std::uint64_t, SpawnSite site, std::exception_ptr) {
          std::lock_guard<std::mutex> lock(mu_);
          lines_.push_back(site.line);
        });
  }
  std::vector<std::uint32_t> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  // Waits (bounded) until there are n reports.
  std::size_t wait_for(std::size_t n) {
    for (int i = 0; i < 20'000 && lines().size() < n; ++i) {
      std::this_thread::sleep_for(1ms);
    }
    return lines().size();
  }

 private:
  std::mutex mu_;
  std::vector<std::uint32_t> lines_;
};

TEST(UnhandledExceptionTest, IgnorePrintsNothing) {
  LocalExecutor ex(UnhandledExceptionHandler::ignore());
  ::testing::internal::CaptureStderr();
  ex.spawn(Throws{"quiet"});
  ex.run_until_stalled();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(UnhandledExceptionTest, NonStdExceptionIsLoggedAsUnknown) {
  LocalExecutor ex;
  ::testing::internal::CaptureStderr();
  ex.spawn(ThrowsInt{});
  ex.run_until_stalled();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("unknown exception"), std::string::npos) << err;
}

TEST(UnhandledExceptionTest, ThrowingCallbackIsCaughtAndReported) {
  int calls = 0;
  LocalExecutor ex(UnhandledExceptionHandler::call(
      [&calls](std::uint64_t, SpawnSite, std::exception_ptr) {
        ++calls;
        throw std::logic_error("callback broke");
      }));
  ::testing::internal::CaptureStderr();
  ex.spawn(Throws{"first"});
  ex.spawn(Throws{"second"});
  auto after = ex.spawn(Ready7{});
  ex.run_until_stalled();  // must not throw out of the executor
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(calls, 2);
  EXPECT_NE(err.find("callback threw: std::logic_error: callback broke"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("std::runtime_error: first"), std::string::npos) << err;
  EXPECT_EQ(ex.block_on(std::move(after)), 7);  // the executor carries on
}

TEST(UnhandledExceptionTest, EmptyCallbackIsRefused) {
  EXPECT_THROW(UnhandledExceptionHandler::call(nullptr), std::invalid_argument);
}

TEST(UnhandledExceptionTest, ValuesAbortAndShutdownAreNotReported) {
  testing::Watchdog dog("values, abort, shutdown", 30s);
  Counter counter;
  {
    // A Forever that gets polled before its abort or the shutdown is lost
    // (lost_task.h): expected here, whether or not it happens.
    Runtime rt = Runtime::Builder()
                     .worker_threads(2)
                     .unhandled_exception(counter.handler())
                     .on_lost_task([](const task::LostTask&) {})
                     .build();
    auto value = rt.spawn(Ready7{});
    EXPECT_EQ(rt.block_on(std::move(value)), 7);
    rt.spawn(Ready7{});  // detached value: dropped quietly
    auto aborted = rt.spawn(Forever{});
    aborted.abort();
    EXPECT_THROW(rt.block_on(std::move(aborted)), TaskCancelled);
    auto aborted_detached = rt.spawn(Forever{});
    aborted_detached.abort();
    { auto gone = std::move(aborted_detached); }
    rt.spawn(Forever{});              // dropped by shutdown, detached
    auto kept = rt.spawn(Forever{});  // dropped by shutdown, handle alive
    rt.shutdown();
    { auto gone = std::move(kept); }
  }
  EXPECT_TRUE(counter.lines().empty());
}

TEST(UnhandledExceptionTest, BlockingJobsFollowTheRuntimePolicy) {
  testing::Watchdog dog("blocking job", 30s);
  Counter counter;
  Runtime rt = Runtime::Builder()
                   .worker_threads(1)
                   .unhandled_exception(counter.handler())
                   .build();
  const std::uint32_t line = __LINE__ + 1;
  rt.spawn_blocking([] { throw std::runtime_error("blocking"); });
  ASSERT_EQ(counter.wait_for(1), 1u);
  EXPECT_EQ(counter.lines()[0], line);
}

// Spawns a detached thrower through the free function; returns its line.
struct SpawnThrower {
  using Output = std::uint32_t;
  Poll<std::uint32_t> poll(Context&) {
    const std::uint32_t line = __LINE__ + 1;
    spawn(Throws{"free"});
    return line;
  }
};

TEST(UnhandledExceptionTest, FreeSpawnRecordsItsCaller) {
  testing::Watchdog dog("free spawn", 30s);
  Counter counter;
  Runtime rt = Runtime::Builder()
                   .worker_threads(2)
                   .unhandled_exception(counter.handler())
                   .build();
  auto spawner = rt.spawn(SpawnThrower{});
  const std::uint32_t line = rt.block_on(std::move(spawner));
  ASSERT_EQ(counter.wait_for(1), 1u);
  EXPECT_EQ(counter.lines()[0], line);
}

TEST(UnhandledExceptionTest, ManyDetachedThrowersEachReportedOnce) {
  testing::Watchdog dog("many throwers", 60s);
  Counter counter;
  constexpr std::size_t kTasks = 500;
  {
    Runtime rt = Runtime::Builder()
                     .worker_threads(2)
                     .unhandled_exception(counter.handler())
                     .build();
    std::vector<JoinHandle<void>> handles;
    for (std::size_t i = 0; i < kTasks; ++i) {
      auto h = rt.spawn(Throws{"many"});
      // Half dropped at once, half after they may have finished.
      if (i % 2 == 0) handles.push_back(std::move(h));
    }
    std::this_thread::sleep_for(1ms);
    handles.clear();
    EXPECT_EQ(counter.wait_for(kTasks), kTasks);
  }
  EXPECT_EQ(counter.lines().size(), kTasks);
}

}  // namespace
}  // namespace magpie
