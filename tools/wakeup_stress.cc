// wakeup_stress: hunts lost wakeups in the magpie runtime by running the
// scenarios of DESIGN.md §6 (runtime/testing/lost_wakeup.h) over and over,
// with fresh seeds and several worker counts, for a bounded time.
//
//   bazel run --config=opt //tools:wakeup_stress -- --seconds=60
//   bazel run --config=tsan //tools:wakeup_stress -- --seconds=300
//
// Every run gets its own seed (printed on failure). A run that does not
// finish within --run_timeout is reported as a suspected lost wakeup with
// the runtime's task dump — which tasks are still alive and whether each is
// idle (waiting for a wake nobody will send), queued or running — and the
// exact command that replays it; the process then aborts. A scenario that
// finishes with a wrong count is reported the same way and exits 1.
// Exit 0 means every run finished and checked out.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/core/saturating_time.h"
#include "runtime/runtime.h"
#include "runtime/testing/lost_wakeup.h"
#include "runtime/testing/watchdog.h"

ABSL_FLAG(double, seconds, 20.0, "stop starting new runs after this long");
ABSL_FLAG(std::uint64_t, seed, 0,
          "seed of the first run (each later run adds 1); 0 picks one from "
          "the clock");
ABSL_FLAG(std::string, workers, "2,4,8", "worker counts to cycle through");
ABSL_FLAG(std::string, scenario, "all", "one scenario name, or all");
ABSL_FLAG(int, size, 1, "work per run (1 = the test suite's size)");
ABSL_FLAG(int, runs, 0, "stop after this many runs (0: only --seconds)");
ABSL_FLAG(int, run_timeout, 60, "seconds before a run counts as stuck");

namespace {

using magpie::testing::Scenario;

std::vector<int> ParseWorkers(const std::string& text) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int n = 0;
    if (absl::SimpleAtoi(part, &n) && n > 0) out.push_back(n);
  }
  return out;
}

struct Tally {
  int runs = 0;
  double seconds = 0;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::vector<int> worker_counts =
      ParseWorkers(absl::GetFlag(FLAGS_workers));
  if (worker_counts.empty()) {
    std::fprintf(stderr, "--workers needs positive numbers, e.g. 2,4,8\n");
    return 2;
  }
  std::vector<const Scenario*> scenarios;
  for (const Scenario& s : magpie::testing::lost_wakeup_scenarios()) {
    if (absl::GetFlag(FLAGS_scenario) == "all" ||
        absl::GetFlag(FLAGS_scenario) == std::string(s.name)) {
      scenarios.push_back(&s);
    }
  }
  if (scenarios.empty()) {
    std::fprintf(stderr, "no scenario named '%s'; one of:\n",
                 absl::GetFlag(FLAGS_scenario).c_str());
    for (const Scenario& s : magpie::testing::lost_wakeup_scenarios()) {
      std::fprintf(stderr, "  %-20s %s\n", std::string(s.name).c_str(),
                   std::string(s.description).c_str());
    }
    return 2;
  }
  std::uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) {
    seed = static_cast<std::uint64_t>(
        std::chrono::steady_clock::now().time_since_epoch().count());
  }
  const int size = absl::GetFlag(FLAGS_size);
  const int max_runs = absl::GetFlag(FLAGS_runs);
  const auto run_timeout =
      std::chrono::seconds(absl::GetFlag(FLAGS_run_timeout));
  const auto start = std::chrono::steady_clock::now();
  // Flags are a user's values: saturating (core/saturating_time.h).
  const auto stop_at = magpie::core::saturating_add(
      start, std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
  std::printf("wakeup_stress: %zu scenario(s), workers %s, first seed %llu\n",
              scenarios.size(), absl::GetFlag(FLAGS_workers).c_str(),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);

  std::map<std::string, Tally> tally;
  int runs = 0;
  for (std::size_t i = 0;; ++i) {
    if (max_runs > 0 && runs >= max_runs) break;
    if (max_runs == 0 && std::chrono::steady_clock::now() >= stop_at) break;
    const Scenario& scenario = *scenarios[i % scenarios.size()];
    const int workers =
        worker_counts[(i / scenarios.size()) % worker_counts.size()];
    const std::uint64_t run_seed = seed + static_cast<std::uint64_t>(runs);
    const std::string replay =
        absl::StrCat("wakeup_stress --scenario=", std::string(scenario.name),
                     " --workers=", workers, " --seed=", run_seed,
                     " --size=", size, " --runs=1");

    const auto run_start = std::chrono::steady_clock::now();
    absl::Status status;
    {
      magpie::testing::Watchdog dog(
          absl::StrCat("suspected lost wakeup: ", std::string(scenario.name),
                       " with ", workers, " workers, seed ", run_seed,
                       ". Replay: ", replay),
          run_timeout);
      magpie::Runtime rt =
          magpie::Runtime::Builder().worker_threads(workers).build();
      dog.describe_with(
          [h = rt.handle()] { return magpie::describe_tasks(h.dump_tasks()); });
      status = scenario.run(rt, {.seed = run_seed, .size = size});
    }
    ++runs;
    Tally& t = tally[std::string(scenario.name)];
    ++t.runs;
    t.seconds += std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - run_start)
                     .count();
    if (!status.ok()) {
      std::printf("FAILED: %s with %d workers: %s\nreplay: %s\n",
                  std::string(scenario.name).c_str(), workers,
                  std::string(status.message()).c_str(), replay.c_str());
      return 1;
    }
  }

  std::printf("\n%-20s %6s %10s\n", "scenario", "runs", "seconds");
  for (const auto& [name, t] : tally) {
    std::printf("%-20s %6d %10.1f\n", name.c_str(), t.runs, t.seconds);
  }
  std::printf(
      "%d runs, 0 failures (%.1f s)\n", runs,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  return 0;
}
