// Regression: an exception thrown by a detached task (its JoinHandle
// dropped) vanished without a trace. It now goes to the runtime's
// unhandled-exception policy, with the task's id and spawn site, whichever
// let go last: the handle dropped before the task finished (reported by the
// worker that completes it) or after (reported by the thread dropping the
// unread handle). The default policy logs one line on stderr.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using namespace std::chrono_literals;

// A future that throws on its first poll.
struct Throws {
  using Output = int;
  const char* message;
  Poll<int> poll(Context&) { throw std::runtime_error(message); }
};

struct Report {
  std::uint64_t id = 0;
  std::string file;
  std::uint32_t line = 0;
  std::string what;
  std::thread::id thread;
};

// Collects reports from any thread.
class Recorder {
 public:
  UnhandledExceptionHandler handler() {
    return UnhandledExceptionHandler::call(
        [this](std::uint64_t id, SpawnSite site, std::exception_ptr error) {
          Report report{id, site.file != nullptr ? site.file : "", site.line,
                        "", std::this_thread::get_id()};
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            report.what = e.what();
          }
          std::lock_guard<std::mutex> lock(mu_);
          reports_.push_back(report);
          cv_.notify_all();
        });
  }
  // The reports once there are `n` (or what came within 20s).
  std::vector<Report> wait_for(std::size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 20s, [&] { return reports_.size() >= n; });
    return reports_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Report> reports_;
};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr const char* kThisFile = "detached_task_exception_vanishes_test.cc";

TEST(DetachedTaskExceptionVanishesTest, HandleDroppedBeforeTheTaskFinished) {
  testing::Watchdog dog("detached before finish", 30s);
  Recorder recorder;
  Runtime rt = Runtime::Builder()
                   .worker_threads(2)
                   .unhandled_exception(recorder.handler())
                   .build();
  std::uint64_t id = 0;
  std::uint32_t line = 0;
  {
    // Detached at once: almost always before a worker polls it.
    line = __LINE__ + 1;
    auto h = rt.spawn(Throws{"early"});
    id = h.id();
  }
  std::vector<Report> reports = recorder.wait_for(1);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].id, id);
  EXPECT_TRUE(ends_with(reports[0].file, kThisFile)) << reports[0].file;
  EXPECT_EQ(reports[0].line, line);
  EXPECT_EQ(reports[0].what, "early");
  rt.shutdown();
  EXPECT_EQ(recorder.wait_for(1).size(), 1u);  // exactly once
}

TEST(DetachedTaskExceptionVanishesTest,
     HandleDroppedUnreadAfterTheTaskFinished) {
  testing::Watchdog dog("detached after finish", 30s);
  Recorder recorder;
  Runtime rt = Runtime::Builder()
                   .worker_threads(2)
                   .unhandled_exception(recorder.handler())
                   .build();
  const std::uint32_t line = __LINE__ + 1;
  auto h = rt.spawn(Throws{"late"});
  const std::uint64_t id = h.id();
  for (int i = 0; i < 20'000 && !h.is_finished(); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(h.is_finished());
  // Finished, stored, not yet unhandled: the handle may still read it.
  EXPECT_TRUE(recorder.wait_for(0).empty());
  { auto dropped = std::move(h); }
  // Reported at once, by the thread that dropped the handle.
  std::vector<Report> reports = recorder.wait_for(1);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].id, id);
  EXPECT_EQ(reports[0].line, line);
  EXPECT_TRUE(ends_with(reports[0].file, kThisFile)) << reports[0].file;
  EXPECT_EQ(reports[0].what, "late");
  EXPECT_EQ(reports[0].thread, std::this_thread::get_id());
}

TEST(DetachedTaskExceptionVanishesTest, AwaitedHandleRethrowsAndIsNotReported) {
  Recorder recorder;
  Runtime rt = Runtime::Builder()
                   .worker_threads(2)
                   .unhandled_exception(recorder.handler())
                   .build();
  auto h = rt.spawn(Throws{"seen"});
  EXPECT_THROW(rt.block_on(std::move(h)), std::runtime_error);
  rt.shutdown();
  EXPECT_TRUE(recorder.wait_for(0).empty());
}

TEST(DetachedTaskExceptionVanishesTest, DefaultPolicyLogsIdAndSpawnSite) {
  LocalExecutor ex;
  ::testing::internal::CaptureStderr();
  std::uint64_t id = 0;
  std::uint32_t line = 0;
  {
    line = __LINE__ + 1;
    auto h = ex.spawn(Throws{"boom"});
    id = h.id();
  }
  ex.run_until_stalled();  // completes the task here, and reports
  const std::string err = ::testing::internal::GetCapturedStderr();
  const std::string expected_site =
      std::string(kThisFile) + ":" + std::to_string(line);
  EXPECT_NE(err.find("magpie: task " + std::to_string(id) + " spawned at "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(expected_site), std::string::npos) << err;
  EXPECT_NE(err.find("std::runtime_error: boom"), std::string::npos) << err;
}

}  // namespace
}  // namespace magpie
