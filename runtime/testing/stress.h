// magpie::testing stress harness — hunts lost wakeups in *your* futures:
// register a scenario (a coroutine that builds and awaits your futures), and
// the runner runs it over and over on 1-16 workers, each run on a fresh
// runtime with its own seed, optional chaos scheduling, a per-run watchdog
// and the runtime's lost-task verdict.
//
//   #include "runtime/testing/stress.h"     // deps = ["//:magpie_testing"]
//
//   MAGPIE_STRESS_SCENARIO(my_channel) {    // ctx: magpie::testing::StressContext&
//     auto [tx, rx] = my::channel<int>();
//     auto producer = magpie::spawn(produce(std::move(tx), ctx.seed()));
//     int sum = co_await consume(std::move(rx));
//     if (sum != kExpected) ctx.fail("lost a message");
//     co_await std::move(producer);
//   }
//
// Link the scenario library (alwayslink = True in Bazel, so the static
// registration is kept) with //:magpie_stress_main (CMake:
// magpie::stress_main), which provides main() with the flags of
// `magpie stress` (stress_main below), or call run_stress() yourself.
//
// A run fails when
//  - it hangs: the root task has not finished within run_timeout. The report
//    is the runtime's task dump (every unfinished task, idle ones first, with
//    its spawn site), and the run's root task is aborted;
//  - the runtime proves a task lost (Builder::on_lost_task, DESIGN.md §7:
//    idle, and no Waker for it alive anywhere). The verdict names the task
//    and the run ends at once;
//  - the body called ctx.fail() or threw.
// Every failure comes with the exact command that replays it: each run's
// seed is derived from --seed, and `--seed <run seed> --iterations 1
// --workers <n> --filter <name>` (plus --chaos) replays that run.
//
// Threads: run_stress() and stress_main() from a thread that is no
// runtime's worker. Registration happens during static initialization
// (single-threaded); the registry is not changed after main() starts.

#ifndef MAGPIE_RUNTIME_TESTING_STRESS_H_
#define MAGPIE_RUNTIME_TESTING_STRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"

namespace magpie::testing {

// What a scenario body sees of its run. The body is the run's root task;
// the context outlives it.
class StressContext {
 public:
  StressContext(std::uint64_t seed, int workers, int iteration);
  StressContext(const StressContext&) = delete;
  StressContext& operator=(const StressContext&) = delete;

  // This run's seed: the same for a replay. Seed your own random choices
  // with it (timings, sizes, which side goes first).
  std::uint64_t seed() const { return seed_; }
  // A generator seeded with seed(). Not thread-safe: use it from the body,
  // or seed a generator per task from it.
  std::mt19937_64& rng() { return rng_; }
  int workers() const { return workers_; }
  // 0-based index of this run among the runs of its (scenario, workers).
  int iteration() const { return iteration_; }

  // Fails the run with `message` (the body goes on; return when you can).
  // Any thread.
  void fail(std::string message);
  // The messages of fail(), joined by "; " (empty: none). Any thread.
  std::string failures() const;

 private:
  const std::uint64_t seed_;
  const int workers_;
  const int iteration_;
  std::mt19937_64 rng_;
  mutable std::mutex mu_;
  std::string failures_;  // Guarded by mu_.
};

// A registered scenario. `body` is the usual form; `blocking` is for a
// scenario that drives the runtime itself from a plain thread (block_on,
// threads of its own), like the built-in suite of DESIGN.md §6. A hang in a
// blocking scenario cannot be unwound: the run's thread and runtime are
// abandoned (leaked) and the runner stops.
struct StressScenario {
  std::string name;
  std::string description;  // One line; may be empty.
  const char* file = nullptr;
  int line = 0;
  std::function<Task<void>(StressContext&)> body;
  std::function<absl::Status(Runtime&, StressContext&)> blocking;
};

// Adds a scenario to the process-wide registry; returns true (for the
// static initializer of MAGPIE_STRESS_SCENARIO). A second scenario with the
// same name is refused with a message on stderr (false).
bool register_stress_scenario(StressScenario scenario);
// Every registered scenario, in registration order.
std::span<const StressScenario> registered_stress_scenarios();

struct StressOptions {
  // Worker counts to cycle through (each 1..kMaxStressWorkers).
  std::vector<int> workers = {2, 4, 8};
  // Runs per (scenario, workers); 0 means: go round the scenarios and
  // worker counts until `seconds` have passed.
  int iterations = 0;
  // With iterations == 0: stop starting runs after this long.
  double seconds = 10;
  // Base seed; 0 picks one from the clock. Run k's seed is the base for
  // k == 0 and a mix of the base and k otherwise (stress_run_seed), so a
  // single run replayed with its own seed as the base gets that seed.
  std::uint64_t seed = 0;
  // Chaos scheduling (Builder::chaos) seeded with each run's seed.
  bool chaos = false;
  // Comma-separated scenario names; a name ending in '*' is a prefix.
  // Empty: every registered scenario.
  std::string filter;
  // A run that has not finished after this long is a hang.
  std::chrono::milliseconds run_timeout{10'000};
  // Stop at the first failing run (else go on; each failure is reported).
  bool stop_on_failure = true;
  // Where the progress line (stderr by default) and the report (summary
  // table, failures, replay commands; stdout) go. nullptr: silent.
  std::FILE* progress = stderr;
  std::FILE* out = stdout;
  // What a replay command starts with, e.g. "bazel run //tools:magpie --
  // stress" or argv[0]. The runner appends the flags.
  std::string replay_prefix = "stress";
};

inline constexpr int kMaxStressWorkers = 16;

enum class StressFailureKind {
  kHang,    // The watchdog: the run did not finish within run_timeout.
  kLost,    // The runtime's verdict: a task can never run again.
  kFailed,  // ctx.fail(), an exception, or a built-in scenario's check.
};
std::string_view to_string(StressFailureKind kind);

struct StressFailure {
  std::string scenario;
  int workers = 0;
  std::uint64_t seed = 0;
  StressFailureKind kind = StressFailureKind::kFailed;
  // One line: what went wrong.
  std::string message;
  // The task dump at the failure (for a hang: the watchdog's report) or
  // the lost-task verdicts, one per line.
  std::string details;
  // The exact command that replays this run.
  std::string replay;
};

struct StressRow {
  std::string scenario;
  int workers = 0;
  int runs = 0;
  int failures = 0;
  double slowest_seconds = 0;
};

struct StressReport {
  std::uint64_t seed = 0;  // The base seed used.
  int runs = 0;
  double seconds = 0;
  std::vector<StressRow> rows;
  std::vector<StressFailure> failures;
  // A blocking scenario hung: its thread and runtime were left running
  // (exit with std::_Exit rather than returning from main).
  bool abandoned = false;
  bool ok() const { return failures.empty() && runs > 0; }
  // The summary table: scenario, workers, runs, failures, slowest run.
  std::string table() const;
};

// The seed of run `k` (0-based, counted over the whole invocation) for base
// seed `base`: `base` itself for k == 0.
std::uint64_t stress_run_seed(std::uint64_t base, std::uint64_t k);

// Runs the registered scenarios that match options.filter (none matching is
// a failed report with no runs). Prints as StressOptions says.
StressReport run_stress(const StressOptions& options);
// As run_stress, over an explicit list (not the registry).
StressReport run_stress(const StressOptions& options,
                        std::span<const StressScenario* const> scenarios);

// Parses the `magpie stress` flags (each as --flag=value or --flag value):
//   --seconds S  --iterations N  --seed S  --workers 2,4,8  --chaos[=0|1]
//   --filter a,b*  --run_timeout MS  --keep_going  --list  --help
// Returns false, with the problem on stderr, on bad usage. *list / *help
// are set by --list / --help.
bool parse_stress_flags(std::span<char* const> args, StressOptions& options,
                        bool* list, bool* help);
extern const std::string_view kStressUsage;

// main() of a stress binary (//:magpie_stress_main) and of `magpie stress`:
// parses args (what follows the program or subcommand name), runs, prints,
// and returns 0 when every run passed, 1 on a failure (after printing the
// replay command), 2 on bad usage.
int stress_main(std::span<char* const> args, std::string replay_prefix);

}  // namespace magpie::testing

#define MAGPIE_STRESS_CONCAT_INNER(a, b) a##b
#define MAGPIE_STRESS_CONCAT(a, b) MAGPIE_STRESS_CONCAT_INNER(a, b)

// MAGPIE_STRESS_SCENARIO(name) { body } — registers a scenario named `name`
// (an identifier) whose body is a coroutine returning magpie::Task<void>,
// with `magpie::testing::StressContext& ctx` in scope. Use at namespace
// scope, once per name.
#define MAGPIE_STRESS_SCENARIO(name)                                           \
  static ::magpie::Task<void> MAGPIE_STRESS_CONCAT(                            \
      magpie_stress_body_, name)(::magpie::testing::StressContext & ctx);      \
  [[maybe_unused]] static const bool MAGPIE_STRESS_CONCAT(                     \
      magpie_stress_registered_, name) =                                       \
      ::magpie::testing::register_stress_scenario(                             \
          ::magpie::testing::StressScenario{                                   \
              #name, "", __FILE__, __LINE__,                                   \
              &MAGPIE_STRESS_CONCAT(magpie_stress_body_, name), nullptr});     \
  static ::magpie::Task<void> MAGPIE_STRESS_CONCAT(magpie_stress_body_, name)( \
      [[maybe_unused]] ::magpie::testing::StressContext & ctx)

#endif  // MAGPIE_RUNTIME_TESTING_STRESS_H_
