// Benchmarks of runtime/sync:
//   mpsc_ping_pong       1,000 task pairs x 100 round trips over
//                        mpsc::channel(1) (Tokio's sync_mpsc sizes), 2 workers
//   mpsc_throughput/P    P producer tasks send 100,000 messages in all
//                        through a bounded channel (capacity 1,024) to one
//                        consumer task, 2 workers
//   mutex_contended/T    T tasks each lock an async Mutex 10,000 times (every
//                        unlock with waiters is a FIFO handoff), 2 workers
//   semaphore_*          acquire/release on one thread: try_acquire, and the
//                        acquire() future's fast path
//   oneshot_round_trip   make a channel, send, receive (one thread)
//
//   bazel run --config=opt //bench:sync_benchmark

#include <vector>

#include "benchmark/benchmark.h"
#include "runtime/core/context.h"
#include "runtime/core/waker.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/sync/mpsc.h"
#include "runtime/sync/mutex.h"
#include "runtime/sync/oneshot.h"
#include "runtime/sync/semaphore.h"

namespace magpie {
namespace {

constexpr int kPairs = 1'000;
constexpr int kRoundTrips = 100;
constexpr int kMessages = 100'000;
constexpr std::size_t kThroughputCapacity = 1'024;
constexpr int kLocksPerTask = 10'000;

Runtime TwoWorkers() { return Runtime::Builder().worker_threads(2).build(); }

Task<void> Ponger(mpsc::Receiver<int> rx, mpsc::Sender<int> tx) {
  while (std::optional<int> v = co_await rx.recv()) {
    auto send = tx.send(*v + 1);
    (void)co_await send;
  }
}

Task<void> Pinger() {
  auto [ping_tx, ping_rx] = mpsc::channel<int>(1);
  auto [pong_tx, pong_rx] = mpsc::channel<int>(1);
  spawn(Ponger(std::move(ping_rx), std::move(pong_tx)));
  for (int i = 0; i < kRoundTrips; ++i) {
    auto send = ping_tx.send(i);
    (void)co_await send;
    (void)co_await pong_rx.recv();
  }
}

Task<void> PingPong() {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(kPairs);
  for (int i = 0; i < kPairs; ++i) handles.push_back(spawn(Pinger()));
  for (auto& h : handles) co_await h;
}

void BM_MpscPingPong(benchmark::State& state) {
  Runtime rt = TwoWorkers();
  for (auto _ : state) rt.block_on(rt.spawn(PingPong()));
  state.SetItemsProcessed(state.iterations() * kPairs * kRoundTrips);
}
BENCHMARK(BM_MpscPingPong)->UseRealTime()->Unit(benchmark::kMillisecond);

Task<void> Producer(mpsc::Sender<int> tx, int count) {
  for (int i = 0; i < count; ++i) {
    auto send = tx.send(i);
    (void)co_await send;
  }
}

Task<int> Consumer(mpsc::Receiver<int> rx) {
  int n = 0;
  while (co_await rx.recv()) ++n;
  co_return n;
}

void BM_MpscThroughput(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  Runtime rt = TwoWorkers();
  for (auto _ : state) {
    auto [tx, rx] = mpsc::channel<int>(kThroughputCapacity);
    auto consumer = rt.spawn(Consumer(std::move(rx)));
    for (int p = 0; p < producers; ++p) {
      rt.spawn(Producer(tx, kMessages / producers));
    }
    { auto gone = std::move(tx); }
    if (rt.block_on(std::move(consumer)) != kMessages) {
      state.SkipWithError("lost messages");
    }
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}
BENCHMARK(BM_MpscThroughput)
    ->Arg(1)
    ->Arg(4)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

Task<void> Locker(sync::Mutex<long>& m) {
  for (int i = 0; i < kLocksPerTask; ++i) {
    auto guard = co_await m.lock();
    ++*guard;
  }
}

void BM_MutexContended(benchmark::State& state) {
  const int tasks = static_cast<int>(state.range(0));
  Runtime rt = TwoWorkers();
  sync::Mutex<long> m(0);
  for (auto _ : state) {
    std::vector<JoinHandle<void>> handles;
    for (int t = 0; t < tasks; ++t) handles.push_back(rt.spawn(Locker(m)));
    for (auto& h : handles) rt.block_on(std::move(h));
  }
  state.SetItemsProcessed(state.iterations() * tasks * kLocksPerTask);
}
BENCHMARK(BM_MutexContended)
    ->Arg(2)
    ->Arg(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_SemaphoreTryAcquireRelease(benchmark::State& state) {
  sync::Semaphore sem(1);
  for (auto _ : state) {
    auto permit = sem.try_acquire(1);
    benchmark::DoNotOptimize(permit);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SemaphoreTryAcquireRelease);

void BM_SemaphoreAcquireFutureRelease(benchmark::State& state) {
  sync::Semaphore sem(1);
  Waker waker = noop_waker();
  Context cx(waker);
  for (auto _ : state) {
    auto acquire = sem.acquire(1);
    auto permit = acquire.poll(cx);
    benchmark::DoNotOptimize(permit);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SemaphoreAcquireFutureRelease);

void BM_OneshotRoundTrip(benchmark::State& state) {
  Waker waker = noop_waker();
  Context cx(waker);
  for (auto _ : state) {
    auto [tx, rx] = oneshot::channel<int>();
    (void)std::move(tx).send(1);
    auto v = rx.poll(cx);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OneshotRoundTrip);

}  // namespace
}  // namespace magpie
