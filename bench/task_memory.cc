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
// checked by RSS only. "72" is the fifth round's starting point, "80" the
// fourth's, "96" the third's, "was" before the issue-10 memory work (bench
// numbers: 1M tasks, --config=opt, recycling allocator).
//
//   Sleep future task: one block, Cell<Sleep>     now   72    80    96    was
//     Header*: state 8, vtable 8 (+ the          32    32    32    32     32
//       scheduler's registry index in its low
//       16 bits), id 6 + leaf slot 2 (leaf 14
//       bits, stage tag 2), label 8
//     scheduler handle (Arc<Shared>)              -     -     8     8      8
//     stage: union of Sleep / output*            72    72    72    72     88
//       (std::variant's tag + padding)            -     -     -     -      8
//     Trailer*: join waker 8 (was a Waker, 16),  32    40    40    56     56
//       owned-list links 16, PollStats 8 (was
//       16; 20 + stage tag 1 + 3 padding)
//     Cell<Sleep>*                              136   144   152   168    192
//     allocator block (8-byte classes for cells)136   144   152   168    192
//     measured RSS per task                   137.3 146.2 153.4 169.7  193.3
//     task overhead beyond the future            64    72    80    96    104
//   Sleep*: deadline 8, reactor::Handle 8 (was an optional, 16),
//     TimerEntry* 56 (links 16, tick 8, AtomicWaker 24, state 4, level,
//     slot, linked) with Sleep's two flags in its last byte (were 8).
//
//   Coroutine task: cell + frame                 now   72    80    96    was
//     Cell<Task<void>>*: Header 32, stage 8 (the  72    80    88   104    112
//       Task: a frame pointer), Trailer 32 (40
//       before this round; the scheduler handle
//       8 before the fourth)
//     cell block                                  72    80    88   104    112
//     frame: resume + destroy pointers            16    16    16    16     16
//       PromiseBase*: chain link 16 (root         24    24    24    24     48
//         state, or parent + root), awaited
//         child or exception 8
//       the Sleep temporary                       72    72    72    72     88
//       LeafAwaiter*: leaf pointer, awaiting      16    16    16    16     24
//         promise
//       g++'s own (resume index, flags, the       32    32    32    32     32
//         initial and final awaiters; by
//         difference)
//     frame = block (16-byte classes)            160   160   160   160    208
//     measured RSS per task                    233.6 242.0 249.6 265.8  322.5
//     1M tasks (MiB)                           222.8 230.8 238.1 253.5  307.5
//
// This round (taskmem5): PollStats 16 -> 8 bytes, the last 8 to issue 10's
// "<= 64 B of task overhead beyond the future" (pinned by a static_assert
// in header.h). Counts are 16-bit and saturate at 61440 (the dump says
// "61440+"); the two stamps are 16-bit in 128 ms units, so the dump's ages
// are right to within 128 ms up to 2h19m49s and alias beyond (poll_stats.h,
// "Encoding", says why this design and not the alternatives). Cost
// (callgrind, one worker): ~+11 instructions per poll + wake on yield_many
// (+1.5%), about level elsewhere. The vtable word now keeps the scheduler
// index in its low 16 bits and the pointer shifted above it: decoding the
// pointer is one shift instead of a 64-bit mask (movabs + and), -0.1 to
// -0.2% instructions on chained_spawn, spawn_many, ping_pong.
//
// The fourth round's notes follow.
//
// This round: the scheduler handle (8 B). Every task of a runtime held the
// same Arc<Shared>; now the scheduler's shared state is registered in a
// process-wide table (runtime/task/scheduler_registry.h) and a task keeps
// its 16-bit slot index in the spare high bits of its vtable word. The task
// still holds one count on the scheduler's Arc (taken at allocation,
// dropped after the cell is freed), which keeps the slot valid while the
// task lives: a wake after the Runtime is dropped finds the shut-down
// scheduler (DESIGN.md §1/§5; tests/task/scheduler_registry_test.cc). The
// decode is a shift and one table load on schedule/release/dealloc, and a
// mask on every vtable call (callgrind: ~13 instructions per task over its
// life, +1.4% on chained_spawn; the fifth round made the mask a shift). At most 65535 schedulers live at once (a
// Runtime takes two, its workers and its blocking pool); one more throws
// SchedulerRegistryFull from Builder::build() or the executor's
// constructor.
//
// Where the third round's 16 bytes went (all diagnostics kept; header.h,
// poll_stats.h, join_waker_slot.h say why each is safe):
//   - id 64 -> 48 bits (TaskId: 2^48 spawns is 8.9 years at 1M/s; wrap is
//     safe for every use of the id), which frees 2 bytes of the Header's
//     id word for the leaf slot;
//   - leaf id 32 -> 14 bits (16384 leaf types; the table already stopped
//     at 65536), moved to that slot with the stage tag in its top 2 bits:
//     PollStats is two counts and two timestamps, 16 bytes;
//   - the join waker in one word: a task waker (the common case, a task
//     awaiting a JoinHandle) is kept as its Header*; any other waker (a
//     block_on root, a combinator's waker) is boxed: 16 bytes of heap per
//     registration, per task only while it is stored.
//
// The remaining 72 bytes, and what each would cost to remove (not done):
//   state 8: the one atomic word of the lifecycle (DESIGN §2). Kept.
//   vtable 8: per future type, and now the scheduler index. Kept.
//   (The fifth round took PollStats to 8 instead: see above.)
//   id 6 + leaf 2: a 32-bit id would free nothing (the word is then id 4 +
//     leaf 2 + 2 spare) unless the label moved in too.
//   label 8: spawn site (file pointer 47 bits + line 16) and name; a
//     spawn-site table (index instead of pointer) would cost an interning
//     lookup on every spawn.
//   join waker 8: Tokio keeps 16. Kept.
//   owned-list links 16: O(1) unlink on completion; a singly linked or
//     slot-vector list moves the cost to the shard (a vector slot is 8 B
//     per task plus growth slack, i.e. no saving). Kept.
//   PollStats 16: two 32-bit counts and two 32-bit ms timestamps (ages right
//     for 49 days). The last 8 bytes to issue 10's 64 would come from here:
//     16-bit saturating poll and wake counts (the dump would say "65535+")
//     save 4; the other 4 need one timestamp to go or both to shrink (two
//     16-bit ones are ages of minutes, not days). "Waiting since" (the last
//     poll) is what finds lost wakeups and must stay 32-bit, so the one to
//     drop would be the last-wake age. Not done in this round (time).
//
// The remaining ~1.5 B per task over the blocks are slab headers (64 B per
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
static_assert(sizeof(magpie::task::Cell<magpie::Sleep, Scheduler>) == 136);
static_assert(sizeof(magpie::task::Cell<magpie::Task<void>, Scheduler>) == 72);
static_assert(magpie::alloc::block_size(
                  sizeof(magpie::task::Cell<magpie::Task<void>, Scheduler>),
                  alignof(magpie::task::Cell<magpie::Task<void>, Scheduler>)) ==
              72);

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
