// Run-queue benchmarks (runtime/scheduler): the workers' LocalQueue and the
// global Inject queue.
//
//   BM_LocalPushPop      the owner pushes a batch of 128 then pops it: push +
//                        pop pairs per second (items/s), no other thread.
//   BM_LocalSteal        the owner (benchmark thread) pushes 16,384 tasks per
//                        iteration, waiting while its queue is full, and
//                        never pops; one thief thread steals into its own
//                        LocalQueue and pops that. items/s = tasks moved
//                        owner -> thief per second (wall clock).
//   BM_InjectPushPop     one thread pushes a batch of 64 then pops it.
//   BM_InjectContended   every benchmark thread pushes one and pops one, in a
//                        loop (1, 2 and 16 threads): push + pop pairs per
//                        second.
//   BM_InjectAfterPushers/N  N threads (1, 16, 512) have each pushed (and
//                        exited) before the benchmark thread pushes a batch
//                        of 64 then pops it: the cost of a queue that many
//                        threads ever pushed to (inject rule 5).
//
// Items are real task headers (task::Cell) but only their pointers travel:
// a Notified is made with from_raw and given up with into_raw, so the
// reference count is never touched and a header may be queued many times at
// once. That measures the queues, not task allocation.
//
// Run: bazel run --config=opt //bench:queue_benchmark

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/scheduler/inject.h"
#include "runtime/scheduler/local_queue.h"
#include "runtime/task/cell.h"
#include "runtime/task/raw_task.h"
#include "runtime/task/scheduler_registry.h"

namespace magpie::scheduler {
namespace {

// The registered state behind NoSchedule (task/schedule.h): one for the
// process, never freed, like the headers below.
struct NoScheduleShared {
  task::SchedulerRegistration registration;
};

// The Schedule of the queued headers: they are never run or woken.
struct NoSchedule : task::RegisteredScheduler<NoScheduleShared> {
  using RegisteredScheduler::RegisteredScheduler;
  NoSchedule() : RegisteredScheduler(state()) {}
  void schedule(task::Notified) {}
  void yield_now(task::Notified) {}
  bool release(task::Header*) { return false; }

 private:
  static const Arc<NoScheduleShared>& state() {
    static const auto* shared = new Arc<NoScheduleShared>(
        task::make_registered_arc<NoScheduleShared>());
    return *shared;
  }
};

struct Ready {
  using Output = void;
  Poll<void> poll(Context&) { return ready(); }
};

// A few real task headers, made once and kept for the process' life.
const std::vector<task::Header*>& headers() {
  static const auto* pool = [] {
    auto* v = new std::vector<task::Header*>();
    for (int i = 0; i < 64; ++i) {
      v->push_back(task::Cell<Ready, NoSchedule>::allocate(Ready{}, {}));
    }
    return v;
  }();
  return *pool;
}

task::Notified entry(std::size_t i) {
  const auto& pool = headers();
  return task::Notified::from_raw(pool[i % pool.size()]);
}

// Gives an entry up without touching the task.
void discard(task::Notified task) {
  benchmark::DoNotOptimize(std::move(task).into_raw());
}

void BM_LocalPushPop(benchmark::State& state) {
  constexpr std::size_t kBatch = 128;
  LocalQueue queue;
  Inject overflow;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      (void)queue.push_back(entry(i), overflow);
    }
    for (std::size_t i = 0; i < kBatch; ++i) discard(queue.pop());
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_LocalPushPop);

void BM_LocalSteal(benchmark::State& state) {
  constexpr std::uint64_t kRound = 16384;
  LocalQueue owner;
  LocalQueue thief_queue;
  Inject overflow;
  core::Atomic<bool> stop{false};
  core::Atomic<std::uint64_t> consumed{0};
  core::Atomic<std::uint64_t> stolen{0};
  core::Atomic<std::uint64_t> steals{0};

  std::thread thief([&] {
    std::uint64_t mine = 0;
    std::uint64_t my_steals = 0;
    // ORDERING: relaxed; a stop flag, the join orders the rest.
    while (!stop.load(std::memory_order_relaxed)) {
      task::Notified t = thief_queue.pop();
      if (!t) {
        t = owner.steal_into(thief_queue);
        if (t) ++my_steals;
      }
      if (!t) t = overflow.pop();  // pushed while a steal was in progress
      if (!t) {
        std::this_thread::yield();
        continue;
      }
      discard(std::move(t));
      ++mine;
      consumed.fetch_add(1, std::memory_order_relaxed);
    }
    stolen.store(mine, std::memory_order_relaxed);
    steals.store(my_steals, std::memory_order_relaxed);
  });

  std::uint64_t target = 0;
  for (auto _ : state) {
    target += kRound;
    for (std::uint64_t i = 0; i < kRound; ++i) {
      // Full: wait for the thief rather than overflow.
      while (owner.len() == LocalQueue::kCapacity) {
        std::this_thread::yield();  // the machine may have fewer free cores
      }
      (void)owner.push_back(entry(i), overflow);
    }
    while (consumed.load(std::memory_order_relaxed) < target) {
      std::this_thread::yield();
    }
  }
  stop.store(true, std::memory_order_relaxed);
  thief.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(stolen.load()));
  state.counters["steals"] = benchmark::Counter(
      static_cast<double>(steals.load()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LocalSteal)->UseRealTime();

void BM_InjectPushPop(benchmark::State& state) {
  constexpr std::size_t kBatch = 64;
  Inject inject;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) inject.push(entry(i));
    for (std::size_t i = 0; i < kBatch; ++i) discard(inject.pop());
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_InjectPushPop);

Inject& shared_inject() {
  static Inject* inject = new Inject();  // shared by the benchmark's threads
  return *inject;
}

void BM_InjectContended(benchmark::State& state) {
  Inject& inject = shared_inject();
  std::size_t i = static_cast<std::size_t>(state.thread_index());
  for (auto _ : state) {
    inject.push(entry(i++));
    if (task::Notified t = inject.pop()) discard(std::move(t));
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Every thread has left the loop (the framework's stop barrier): clear
    // what pops missed for the next run.
    while (inject.len() > 0) {
      if (task::Notified t = inject.pop()) discard(std::move(t));
    }
  }
}
BENCHMARK(BM_InjectContended)
    ->Threads(1)
    ->Threads(2)
    ->Threads(16)
    ->UseRealTime();

void BM_InjectAfterPushers(benchmark::State& state) {
  constexpr std::size_t kBatch = 64;
  const auto pushers = static_cast<std::size_t>(state.range(0));
  Inject inject;
  {
    // Each thread pushes once, then exits; then the queue is emptied.
    std::vector<std::thread> threads;
    threads.reserve(pushers);
    for (std::size_t p = 0; p < pushers; ++p) {
      threads.emplace_back([&inject, p] { inject.push(entry(p)); });
    }
    for (std::thread& t : threads) t.join();
    while (inject.len() > 0) {
      if (task::Notified t = inject.pop()) discard(std::move(t));
    }
  }
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) inject.push(entry(i));
    for (std::size_t i = 0; i < kBatch; ++i) discard(inject.pop());
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_InjectAfterPushers)->Arg(1)->Arg(16)->Arg(512);

}  // namespace
}  // namespace magpie::scheduler
