// Scheduler benchmarks mirroring Tokio's rt_multi_threaded workloads, with
// the same sizes, so the two can be set side by side:
//   spawn_many_local   spawn 10,000 empty tasks from inside a task, await all
//   spawn_many_remote  the same from a thread that is not a worker
//   yield_many         200 tasks x 1,000 yield_now
//   ping_pong          1,000 pairs, each one ping and one pong over oneshots
//   chained_spawn      each task spawns the next, depth 1,000
// plus micro-benchmarks of the task waker: clone+drop, and waking an idle
// task (wake -> queue -> poll). Each runtime benchmark takes the number of
// workers as its argument.
//
//   bazel run --config=opt //bench:runtime_benchmark

#include <vector>

#include "benchmark/benchmark.h"
#include "runtime/core/atomic.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/sync/oneshot.h"

namespace magpie {
namespace {

constexpr int kSpawnMany = 10'000;
constexpr int kYieldTasks = 200;
constexpr int kYieldsPerTask = 1'000;
constexpr int kPingPongs = 1'000;
constexpr int kChainDepth = 1'000;

Runtime MakeRuntime(const benchmark::State& state) {
  return Runtime::Builder().worker_threads(state.range(0)).build();
}

auto Empty() {
  return poll_fn([](Context&) -> Poll<void> { return ready(); });
}

Task<void> SpawnMany() {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(kSpawnMany);
  for (int i = 0; i < kSpawnMany; ++i) handles.push_back(spawn(Empty()));
  for (auto& h : handles) co_await h;
}

void BM_SpawnManyLocal(benchmark::State& state) {
  Runtime rt = MakeRuntime(state);
  for (auto _ : state) rt.block_on(rt.spawn(SpawnMany()));
  state.SetItemsProcessed(state.iterations() * kSpawnMany);
}
BENCHMARK(BM_SpawnManyLocal)->Arg(2)->Arg(4)->UseRealTime();

void BM_SpawnManyRemote(benchmark::State& state) {
  Runtime rt = MakeRuntime(state);
  std::vector<JoinHandle<void>> handles;
  handles.reserve(kSpawnMany);
  for (auto _ : state) {
    for (int i = 0; i < kSpawnMany; ++i) handles.push_back(rt.spawn(Empty()));
    for (auto& h : handles) rt.block_on(std::move(h));
    handles.clear();
  }
  state.SetItemsProcessed(state.iterations() * kSpawnMany);
}
BENCHMARK(BM_SpawnManyRemote)->Arg(2)->Arg(4)->UseRealTime();

Task<void> YieldLoop() {
  for (int i = 0; i < kYieldsPerTask; ++i) co_await yield_now();
}

Task<void> YieldMany() {
  std::vector<JoinHandle<void>> handles;
  for (int i = 0; i < kYieldTasks; ++i) handles.push_back(spawn(YieldLoop()));
  for (auto& h : handles) co_await h;
}

void BM_YieldMany(benchmark::State& state) {
  Runtime rt = MakeRuntime(state);
  for (auto _ : state) rt.block_on(rt.spawn(YieldMany()));
  state.SetItemsProcessed(state.iterations() * kYieldTasks * kYieldsPerTask);
}
BENCHMARK(BM_YieldMany)->Arg(2)->Arg(4)->UseRealTime();

Task<void> Pong(oneshot::Receiver<int> ping, oneshot::Sender<int> pong) {
  std::optional<int> v = co_await ping;
  (void)std::move(pong).send(v.value_or(0));
}

Task<void> PingPongPair() {
  auto [ping_tx, ping_rx] = oneshot::channel<int>();
  auto [pong_tx, pong_rx] = oneshot::channel<int>();
  spawn(Pong(std::move(ping_rx), std::move(pong_tx)));
  (void)std::move(ping_tx).send(1);
  (void)co_await pong_rx;
}

Task<void> PingPong() {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(kPingPongs);
  for (int i = 0; i < kPingPongs; ++i) handles.push_back(spawn(PingPongPair()));
  for (auto& h : handles) co_await h;
}

void BM_PingPong(benchmark::State& state) {
  Runtime rt = MakeRuntime(state);
  for (auto _ : state) rt.block_on(rt.spawn(PingPong()));
  state.SetItemsProcessed(state.iterations() * kPingPongs);
}
BENCHMARK(BM_PingPong)->Arg(2)->Arg(4)->UseRealTime();

void Chain(oneshot::Sender<int> done, int remaining) {
  if (remaining == 0) {
    (void)std::move(done).send(0);
    return;
  }
  spawn(poll_fn([done = std::optional(std::move(done)),
                 remaining](Context&) mutable -> Poll<void> {
    Chain(std::move(*done), remaining - 1);
    return ready();
  }));
}

void BM_ChainedSpawn(benchmark::State& state) {
  Runtime rt = MakeRuntime(state);
  for (auto _ : state) {
    auto [tx, rx] = oneshot::channel<int>();
    rt.spawn(poll_fn(
        [tx = std::optional(std::move(tx))](Context&) mutable -> Poll<void> {
          Chain(std::move(*tx), kChainDepth);
          return ready();
        }));
    rt.block_on(std::move(rx));
  }
  state.SetItemsProcessed(state.iterations() * kChainDepth);
}
BENCHMARK(BM_ChainedSpawn)->Arg(2)->Arg(4)->UseRealTime();

// A task waker (the data is the task itself): clone + drop moves the task's
// reference count, no allocation.
void BM_TaskWakerCloneDrop(benchmark::State& state) {
  LocalExecutor ex;
  Waker captured;
  auto h = ex.spawn(poll_fn([&](Context& cx) -> Poll<void> {
    captured = cx.waker();
    return Pending;
  }));
  ex.run_until_stalled();
  for (auto _ : state) {
    Waker clone = captured;
    benchmark::DoNotOptimize(clone);
  }
  h.abort();
  ex.run_until_stalled();
  captured = Waker();
}
BENCHMARK(BM_TaskWakerCloneDrop);

// Waking an idle task and running it: state transition, queue push, pop,
// poll, back to idle.
void BM_WakeIdleTask(benchmark::State& state) {
  LocalExecutor ex;
  Waker captured;
  long polls = 0;
  auto h = ex.spawn(poll_fn([&](Context& cx) -> Poll<void> {
    ++polls;
    if (captured.is_empty()) captured = cx.waker();
    return Pending;
  }));
  ex.run_until_stalled();
  for (auto _ : state) {
    captured.wake_by_ref();
    ex.run_until_stalled();
  }
  benchmark::DoNotOptimize(polls);
  h.abort();
  ex.run_until_stalled();
  captured = Waker();
}
BENCHMARK(BM_WakeIdleTask);

}  // namespace
}  // namespace magpie
