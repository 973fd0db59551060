// Task-combinator benchmarks:
//   join_all_spawned       spawn 1,000 empty tasks from a task, join_all
//                          their JoinHandles
//   await_each_spawned     the same, awaiting the handles one by one (the
//                          baseline join_all is measured against)
//   join_set               spawn 10,000 empty tasks into a JoinSet, then
//                          join_next until it is empty
//   join_all_yield         join_all of 1,000 yield_now futures in one task
//                          (no spawns: the per-child waker bookkeeping)
// The runtime benchmarks take the number of workers as their argument.
//
//   bazel run --config=opt //bench:task_benchmark

#include <optional>
#include <vector>

#include "benchmark/benchmark.h"
#include "runtime/block_on.h"
#include "runtime/core/join.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/join_set.h"
#include "runtime/runtime.h"
#include "runtime/yield_now.h"

namespace magpie {
namespace {

constexpr int kJoinAllTasks = 1'000;
constexpr int kJoinSetTasks = 10'000;
constexpr int kYieldChildren = 1'000;

Runtime MakeRuntime(const benchmark::State& state) {
  return Runtime::Builder().worker_threads(state.range(0)).build();
}

auto Empty() {
  return poll_fn([](Context&) -> Poll<void> { return ready(); });
}

Task<void> JoinAllSpawned() {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(kJoinAllTasks);
  for (int i = 0; i < kJoinAllTasks; ++i) handles.push_back(spawn(Empty()));
  auto all = join_all(std::move(handles));
  co_await all;
}

void BM_JoinAllSpawned(benchmark::State& state) {
  Runtime rt = MakeRuntime(state);
  for (auto _ : state) rt.block_on(rt.spawn(JoinAllSpawned()));
  state.SetItemsProcessed(state.iterations() * kJoinAllTasks);
}
BENCHMARK(BM_JoinAllSpawned)->Arg(2)->Arg(4)->UseRealTime();

Task<void> AwaitEachSpawned() {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(kJoinAllTasks);
  for (int i = 0; i < kJoinAllTasks; ++i) handles.push_back(spawn(Empty()));
  for (auto& h : handles) co_await h;
}

void BM_AwaitEachSpawned(benchmark::State& state) {
  Runtime rt = MakeRuntime(state);
  for (auto _ : state) rt.block_on(rt.spawn(AwaitEachSpawned()));
  state.SetItemsProcessed(state.iterations() * kJoinAllTasks);
}
BENCHMARK(BM_AwaitEachSpawned)->Arg(2)->Arg(4)->UseRealTime();

Task<int> JoinSetSpawnJoinNext() {
  JoinSet<void> set;
  for (int i = 0; i < kJoinSetTasks; ++i) set.spawn(Empty());
  int results = 0;
  while (true) {
    auto next = set.join_next();
    std::optional<JoinResult<void>> r = co_await next;
    if (!r) break;
    ++results;
  }
  co_return results;
}

void BM_JoinSet(benchmark::State& state) {
  Runtime rt = MakeRuntime(state);
  for (auto _ : state) {
    if (rt.block_on(rt.spawn(JoinSetSpawnJoinNext())) != kJoinSetTasks) {
      state.SkipWithError("lost a result");
    }
  }
  state.SetItemsProcessed(state.iterations() * kJoinSetTasks);
}
BENCHMARK(BM_JoinSet)->Arg(2)->Arg(4)->UseRealTime();

void BM_JoinAllYield(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<YieldNow> children(kYieldChildren);
    auto all = join_all(std::move(children));
    benchmark::DoNotOptimize(block_on(all));
  }
  state.SetItemsProcessed(state.iterations() * kYieldChildren);
}
BENCHMARK(BM_JoinAllYield);

}  // namespace
}  // namespace magpie
