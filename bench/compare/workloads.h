// magpie's side of the runtime comparison (bench/compare/): the workloads
// of Tokio's rt_multi_threaded benchmarks plus two timer workloads, written
// the way a magpie user writes them (Task coroutines, spawn, JoinHandle,
// oneshot, yield_now, sleep). The Tokio, Go and Asio peers in this folder
// run the same workloads at the same sizes; bench/compare/run.py sets them
// side by side. `magpie bench` (tools/cli/bench.cc) runs them too.
//
//   workload           one sample is                                 value
//   spawn_many         a task spawns 10,000 empty tasks, awaits all  ms
//   spawn_remote       the same, spawned from a non-worker thread    ms
//   yield_many         200 tasks x 1,000 yield_now                   ms
//   ping_pong          1,000 pairs: one ping, one pong (oneshots)    ms
//   chained_spawn      each task spawns the next, depth 1,000        ms
//   timers_100k        100,000 tasks sleep 1..10 ms, until all woke  ms
//   timer_lateness_p99 1,000 tasks sleep 1..50 ms; p99 of fired-due  us
//
// Lower is better for every value. `scale` (default 1) multiplies the
// counts, for smoke runs (a scale below 1 shrinks them; never below 1 item).
//
// Threads: run_sample() is called from a thread that is not one of `rt`'s
// workers (it uses block_on), one sample at a time.

#ifndef MAGPIE_BENCH_COMPARE_WORKLOADS_H_
#define MAGPIE_BENCH_COMPARE_WORKLOADS_H_

#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "runtime/runtime.h"

namespace magpie::bench {

struct Workload {
  std::string_view name;
  std::string_view unit;  // "ms" or "us"
  std::string_view what;  // One line for tables.
};

// Every workload, in the order the comparison reports them.
std::span<const Workload> workloads();

// Runs one sample of workload `name` on `rt` and returns its value (in the
// workload's unit). NotFound for an unknown name.
absl::StatusOr<double> run_sample(Runtime& rt, std::string_view name,
                                  double scale = 1.0);

}  // namespace magpie::bench

#endif  // MAGPIE_BENCH_COMPARE_WORKLOADS_H_
