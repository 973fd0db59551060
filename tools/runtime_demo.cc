// magpie runtime demo: runs three workloads on the work-stealing runtime and
// prints what the scheduler did — tasks per second, and per worker its polls,
// steals, tasks stolen, parks, LIFO hits and overflows.
//
//   bazel run --config=opt //tools:runtime_demo -- --workers=4 --seconds=3
//
// Workloads (each for --seconds / 3):
//   spawn storm  a task spawns batches of small tasks that do a little work;
//                they pile up in one worker's queue and the others steal them
//   ping-pong    pairs of tasks bounce a message over oneshot channels
//   fan-in       tasks spawned from this (non-worker) thread, joined here

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "runtime/magpie.h"

ABSL_FLAG(int, workers, 0, "worker threads (0: one per core)");
ABSL_FLAG(double, seconds, 3.0, "total run time");

namespace {

using Clock = std::chrono::steady_clock;

magpie::Task<long> SpawnStormRound(int batch, int spin) {
  std::vector<magpie::JoinHandle<long>> children;
  children.reserve(batch);
  for (int i = 0; i < batch; ++i) {
    children.push_back(magpie::spawn(
        magpie::poll_fn([i, spin](magpie::Context&) -> magpie::Poll<long> {
          long acc = i;
          for (int s = 0; s < spin; ++s) acc = acc * 31 + s;
          return acc & 1;
        })));
  }
  long sum = 0;
  for (auto& child : children) sum += co_await child;
  co_return sum;
}

magpie::Task<void> Pong(magpie::oneshot::Receiver<int> in,
                        magpie::oneshot::Sender<int> out) {
  auto v = co_await in;
  (void)std::move(out).send(v.value_or(0) + 1);
}

magpie::Task<long> PingPongRound(int pairs) {
  std::vector<magpie::JoinHandle<int>> pingers;
  for (int p = 0; p < pairs; ++p) {
    pingers.push_back(magpie::spawn([]() -> magpie::Task<int> {
      auto [a_tx, a_rx] = magpie::oneshot::channel<int>();
      auto [b_tx, b_rx] = magpie::oneshot::channel<int>();
      magpie::spawn(Pong(std::move(a_rx), std::move(b_tx)));
      (void)std::move(a_tx).send(1);
      co_return (co_await b_rx).value_or(0);
    }()));
  }
  long total = 0;
  for (auto& h : pingers) total += co_await h;
  co_return total;
}

struct Result {
  std::string name;
  long tasks = 0;
  double seconds = 0;
};

template <class RoundFn>
Result RunFor(const char* name, double seconds, RoundFn round) {
  Result result{name};
  const auto start = Clock::now();
  // --seconds is a user's value: saturating (core/saturating_time.h).
  const auto deadline = magpie::core::saturating_add(
      start, std::chrono::duration<double>(seconds));
  while (Clock::now() < deadline) result.tasks += round();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  magpie::Runtime::Builder builder;
  if (absl::GetFlag(FLAGS_workers) > 0) {
    builder.worker_threads(absl::GetFlag(FLAGS_workers));
  }
  magpie::Runtime rt = builder.thread_name("demo").build();
  const double slice = absl::GetFlag(FLAGS_seconds) / 3;
  std::printf("magpie runtime demo: %zu workers, %.1f s per workload\n\n",
              rt.num_workers(), slice);

  std::vector<Result> results;
  constexpr int kBatch = 200;
  results.push_back(RunFor("spawn storm", slice, [&] {
    rt.block_on(rt.spawn(SpawnStormRound(kBatch, 2000)));
    return kBatch + 1;
  }));
  constexpr int kPairs = 500;
  results.push_back(RunFor("ping-pong", slice, [&] {
    rt.block_on(rt.spawn(PingPongRound(kPairs)));
    return 2 * kPairs + 1;
  }));
  constexpr int kFanIn = 1000;
  results.push_back(RunFor("fan-in", slice, [&] {
    std::vector<magpie::JoinHandle<int>> handles;
    for (int i = 0; i < kFanIn; ++i) {
      handles.push_back(rt.spawn(magpie::poll_fn(
          [](magpie::Context&) -> magpie::Poll<int> { return 1; })));
    }
    for (auto& h : handles) rt.block_on(std::move(h));
    return kFanIn;
  }));

  std::printf("%-12s %12s %14s\n", "workload", "tasks", "tasks/s");
  for (const Result& r : results) {
    std::printf("%-12s %12ld %14s\n", r.name.c_str(), r.tasks,
                absl::StrFormat("%.0f", r.tasks / r.seconds).c_str());
  }

  const magpie::RuntimeMetrics m = rt.metrics();
  std::printf("\n%-7s %10s %8s %10s %8s %8s %10s %9s\n", "worker", "polls",
              "steals", "stolen", "parks", "unparks", "lifo_hits", "overflows");
  for (std::size_t i = 0; i < m.workers.size(); ++i) {
    const magpie::WorkerMetrics& w = m.workers[i];
    std::printf("%-7zu %10llu %8llu %10llu %8llu %8llu %10llu %9llu\n", i,
                static_cast<unsigned long long>(w.polls),
                static_cast<unsigned long long>(w.steals),
                static_cast<unsigned long long>(w.tasks_stolen),
                static_cast<unsigned long long>(w.parks),
                static_cast<unsigned long long>(w.unparks),
                static_cast<unsigned long long>(w.lifo_hits),
                static_cast<unsigned long long>(w.overflows));
  }
  std::printf("global queue depth now: %llu\n",
              static_cast<unsigned long long>(m.global_queue_depth));
  return 0;
}
