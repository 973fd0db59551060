// Timer benchmarks for the reactor's wheel (reactor/timer) through the
// public Sleep future:
//
//   BM_SleepInsertFire  creates and polls 1,000,000 sleeps due 1 ms after
//                       their creation, and waits until the reactor has fired
//                       them all: insert + fire throughput (items/s).
//   BM_SleepLateness    10,000 sleeps due 5..105 ms out; lateness is the
//                       time from a sleep's deadline to the reactor waking
//                       its waker (fired - deadline), reported as p50 / p99 /
//                       max counters in microseconds. Sleeps never fire early,
//                       so lateness >= 0; ticks are whole milliseconds.
//
// Run: bazel run --config=opt //bench:timer_benchmark

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <random>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "reactor/enter_guard.h"
#include "reactor/reactor.h"
#include "reactor/time/sleep.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"

namespace magpie {
namespace {

using Clock = std::chrono::steady_clock;

reactor::Reactor& shared_reactor() {
  static reactor::Reactor* reactor = [] {
    absl::StatusOr<reactor::Reactor> started = reactor::Reactor::start();
    if (!started.ok()) std::abort();
    return new reactor::Reactor(*std::move(started));
  }();
  return *reactor;
}

struct CountingWaker {
  core::Atomic<std::size_t> wakes{0};
  void wake_by_ref() {
    // ORDERING: release pairs with the acquire in wait_for().
    wakes.fetch_add(1, std::memory_order_release);
  }
  void wait_for(std::size_t target) const {
    while (wakes.load(std::memory_order_acquire) < target) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
};

void BM_SleepInsertFire(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  reactor::EnterGuard guard = shared_reactor().enter();
  for (auto _ : state) {
    auto counter = make_arc<CountingWaker>();
    Waker waker = waker_from(counter);
    Context cx(waker);
    std::vector<Sleep> sleeps;
    sleeps.reserve(count);
    std::size_t ready_at_once = 0;
    for (std::size_t i = 0; i < count; ++i) {
      sleeps.push_back(sleep(std::chrono::milliseconds(1)));
      if (sleeps.back().poll(cx).is_ready()) ++ready_at_once;
    }
    counter->wait_for(count - ready_at_once);
    state.counters["ready_at_once"] = static_cast<double>(ready_at_once);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long>(count));
}
BENCHMARK(BM_SleepInsertFire)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

struct LatenessWaker {
  Clock::time_point deadline;
  Clock::duration* lateness;
  CountingWaker* done;
  void wake_by_ref() {
    *lateness = Clock::now() - deadline;
    done->wake_by_ref();
  }
};

void BM_SleepLateness(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  reactor::EnterGuard guard = shared_reactor().enter();
  std::mt19937 rng(1);
  std::vector<Clock::duration> lateness(count);
  for (auto _ : state) {
    CountingWaker done;
    std::vector<Sleep> sleeps;
    sleeps.reserve(count);
    const auto base = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      const auto deadline = base + std::chrono::milliseconds(5) +
                            std::chrono::microseconds(rng() % 100'000);
      sleeps.emplace_back(deadline);
      Waker waker = waker_from(make_arc<LatenessWaker>(
          LatenessWaker{deadline, &lateness[i], &done}));
      Context cx(waker);
      if (sleeps.back().poll(cx).is_ready()) {
        lateness[i] = Clock::now() - deadline;
        done.wake_by_ref();
      }
    }
    done.wait_for(count);
  }
  std::sort(lateness.begin(), lateness.end());
  auto micros = [&](double q) {
    const auto at =
        static_cast<std::size_t>(q * static_cast<double>(count - 1));
    return std::chrono::duration<double, std::micro>(lateness[at]).count();
  };
  state.counters["p50_us"] = micros(0.50);
  state.counters["p99_us"] = micros(0.99);
  state.counters["max_us"] = micros(1.0);
  state.counters["min_us"] = micros(0.0);
}
BENCHMARK(BM_SleepLateness)
    ->Arg(10'000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace magpie
