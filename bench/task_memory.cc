// Memory per spawned task: N tasks that each sleep (for an hour) are spawned
// and polled once; the process' RSS growth divided by N is the cost of one
// sleeping task. Two shapes:
//   coroutine  spawn(Task<void>{ co_await sleep(1h); })  (cell + frame)
//   future     spawn(sleep(1h))                          (cell only)
//
//   bazel run --config=opt //bench:task_memory -- [coroutine|future] [N]
//
// MAGPIE_ALLOC=system in the environment measures the same binary without
// the recycling allocator (runtime/alloc). One shape per process, so the
// numbers do not share a heap.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "reactor/time/sleep.h"
#include "runtime/alloc/recycling_allocator.h"
#include "runtime/core/atomic.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/task/cell.h"

namespace {

constexpr long kDefaultTasks = 1'000'000;
constexpr auto kLongSleep = std::chrono::hours(1);
constexpr auto kPollWait = std::chrono::milliseconds(10);

magpie::core::Atomic<long> g_started{0};

long rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f == nullptr || std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
    std::abort();
  }
  std::fclose(f);
  return resident * 4096;
}

magpie::Task<void> sleeper() {
  // ORDERING: relaxed; a counter read after the runtime is quiet.
  g_started.fetch_add(1, std::memory_order_relaxed);
  co_await magpie::sleep(kLongSleep);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string shape = argc > 1 ? argv[1] : "coroutine";
  const long n = argc > 2 ? std::atol(argv[2]) : kDefaultTasks;
  using Scheduler = magpie::scheduler::TaskScheduler;
  std::printf(
      "sizeof Cell<Task<void>> %zu, Cell<Sleep> %zu, Sleep %zu, "
      "Header %zu, Trailer %zu, allocator %s\n",
      sizeof(magpie::task::Cell<magpie::Task<void>, Scheduler>),
      sizeof(magpie::task::Cell<magpie::Sleep, Scheduler>),
      sizeof(magpie::Sleep), sizeof(magpie::task::Header),
      sizeof(magpie::task::Trailer),
      magpie::alloc::enabled() ? "recycling" : "system");
  magpie::Runtime rt = magpie::Runtime::Builder().worker_threads(2).build();
  const long before = rss_bytes();
  rt.block_on([&]() -> magpie::Task<void> {
    for (long i = 0; i < n; ++i) {
      if (shape == "future") {
        static_cast<void>(rt.spawn(magpie::sleep(kLongSleep)));
      } else {
        static_cast<void>(rt.spawn(sleeper()));
      }
    }
    co_return;
  }());
  if (shape == "coroutine") {
    // ORDERING: relaxed; see g_started.
    while (g_started.load(std::memory_order_relaxed) < n) {
      std::this_thread::sleep_for(kPollWait);
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long after = rss_bytes();
  std::printf("%s tasks=%ld rss_growth_mib=%.1f bytes_per_task=%.1f\n",
              shape.c_str(), n, (after - before) / 1048576.0,
              static_cast<double>(after - before) / n);
  rt.shutdown();
  return 0;
}
