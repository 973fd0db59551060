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
//
// Byte accounting (g++ 12, x86-64; issue 10 "Memory per task"). The
// sizes marked * are pinned by static_asserts below or beside the type, so
// a change that grows one fails the build; the frame size is g++'s and is
// checked by RSS only. "was" is before the issue-10 memory work of this
// branch (bench numbers: 1M tasks, --config=opt, recycling allocator).
//
//   Sleep future task: one block, Cell<Sleep>          now    was
//     Header*: state 8, vtable 8, id 8, label 8          32     32
//     scheduler handle (Arc<Shared>)                      8      8
//     stage: union of Sleep / output*                    72     88
//       (std::variant's tag + padding)                    -      8
//     Trailer*: join waker 16, owned-list links 16,      56     56
//       PollStats 20 (was 24: leaf a 32-bit id), stage tag 1 + 3
//     Cell<Sleep>*                                      168    192
//     allocator block (8-byte classes for cells)        168    192
//     measured RSS per task                           169.5  193.3
//     task overhead beyond the future                    96    104
//   Sleep*: deadline 8, reactor::Handle 8 (was an optional, 16),
//     TimerEntry* 56 (links 16, tick 8, AtomicWaker 24, state 4, level,
//     slot, linked) with Sleep's two flags in its last byte (were 8).
//
//   Coroutine task: cell + frame                        now    was
//     Cell<Task<void>>*: Header 32, scheduler 8,        104    112
//       stage 8 (the Task: a frame pointer; tag was +8), Trailer 56
//     cell block                                        104    112
//     frame: resume + destroy pointers                   16     16
//       PromiseBase*: chain link 16 (root state, or       24     48
//         parent + root), awaited child or exception 8
//         (was root 8, parent 8, awaited 8, exception 8, own root 16)
//       the Sleep temporary                              72     88
//       LeafAwaiter*: leaf pointer, awaiting promise     16     24
//       g++'s own (resume index, flags, the initial      32     32
//         and final awaiters; by difference)
//     frame = block (16-byte classes)                   160    208
//     measured RSS per task                           265.8  322.5
//     1M tasks                                    253.5 MiB 307.5 MiB
//
// The remaining ~2 B per task over the blocks are slab headers (64 B per
// 64 KiB slab), the unused tail of each slab and the runtime's queues.

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

using Scheduler = magpie::scheduler::TaskScheduler;
// The accounting above, pinned (the frame's size is the compiler's).
static_assert(sizeof(magpie::Sleep) == 72);
static_assert(sizeof(magpie::task::Cell<magpie::Sleep, Scheduler>) == 152);
static_assert(sizeof(magpie::task::Cell<magpie::Task<void>, Scheduler>) == 88);
static_assert(magpie::alloc::block_size(
                  sizeof(magpie::task::Cell<magpie::Task<void>, Scheduler>),
                  alignof(magpie::task::Cell<magpie::Task<void>, Scheduler>)) ==
              88);

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
