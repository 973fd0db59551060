#include "runtime/testing/stress.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/core/saturating_time.h"
#include "runtime/task/errors.h"
#include "runtime/task/task_dump.h"
#include "runtime/testing/watchdog.h"

namespace magpie::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Sanitized builds run 5-20x slower: a longer default before a hang.
constexpr std::chrono::milliseconds kSanitizedRunTimeout{30'000};
constexpr std::chrono::milliseconds kPlainRunTimeout{10'000};
constexpr std::chrono::milliseconds kProgressEvery{1'000};
constexpr double kMaxSeconds = 7 * 24 * 3600.0;
constexpr int kMaxIterations = 100'000'000;

// Debian's Abseil has its own string_view.
absl::string_view absl_view(std::string_view s) { return {s.data(), s.size()}; }

std::vector<StressScenario>& registry() {
  static auto* scenarios = new std::vector<StressScenario>();
  return *scenarios;
}

bool matches(std::string_view filter, std::string_view name) {
  if (filter.empty()) return true;
  for (absl::string_view part :
       absl::StrSplit(absl_view(filter), ',', absl::SkipEmpty())) {
    if (!part.empty() && part.back() == '*') {
      part.remove_suffix(1);
      if (absl::string_view(name.data(), name.size()).substr(0, part.size()) ==
          part) {
        return true;
      }
    } else if (part == absl_view(name)) {
      return true;
    }
  }
  return false;
}

// Builder::chaos and Builder::on_lost_task come from other branches
// (chaos, lostverdict); use them when this build has them.
template <class B>
void apply_chaos(B& builder, std::uint64_t seed) {
  if constexpr (requires { builder.chaos(seed); }) {
    builder.chaos(seed == 0 ? 1 : seed);
  } else {
    (void)builder;
    (void)seed;
  }
}

// What the runtime's lost-task verdicts say about the current run, and
// whether its root finished: the run's monitor thread waits on `cv` for
// either (or its deadline). The runtime calls lost() on the thread that made
// the verdict true, perhaps under a lock of the runtime's: it only records
// and notifies (it never touches the runtime; the monitor aborts the root).
struct LostSink {
  std::mutex mu;
  std::condition_variable cv;
  std::string verdicts;  // Guarded by mu. One per line.
  bool done = false;     // Guarded by mu. The run's root finished.

  void lost(std::string description) {
    {
      std::lock_guard<std::mutex> lock(mu);
      absl::StrAppend(&verdicts, description, "\n");
    }
    cv.notify_all();
  }
  void finish() {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    cv.notify_all();
  }
  std::string take() {
    std::lock_guard<std::mutex> lock(mu);
    return std::exchange(verdicts, std::string());
  }
};

template <class B>
void apply_lost_handler(B& builder, const std::shared_ptr<LostSink>& sink) {
  auto handler = [sink](const auto& lost) { sink->lost(lost.description); };
  if constexpr (requires { builder.on_lost_task(handler); }) {
    builder.on_lost_task(handler);
  } else {
    (void)builder;
    (void)handler;
  }
}

Runtime build_runtime(int workers, std::uint64_t seed, bool chaos,
                      const std::shared_ptr<LostSink>& sink) {
  Runtime::Builder builder;
  builder.worker_threads(static_cast<std::size_t>(workers))
      .thread_name("stress");
  if (chaos) apply_chaos(builder, seed);
  apply_lost_handler(builder, sink);
  return builder.build();
}

struct RunOutcome {
  std::optional<StressFailure> failure;  // scenario/workers/seed/replay unset
  bool abandoned = false;                // a blocking scenario hung
};

std::string hang_what(const StressScenario& s, int workers,
                      std::uint64_t seed) {
  return absl::StrCat(s.name, " on ", workers, " workers, seed ", seed);
}

RunOutcome run_body(const StressScenario& s, int workers, std::uint64_t seed,
                    int iteration, const StressOptions& options) {
  RunOutcome outcome;
  auto sink = std::make_shared<LostSink>();
  StressContext ctx(seed, workers, iteration);
  Runtime rt = build_runtime(workers, seed, options.chaos, sink);
  JoinHandle<void> root = rt.spawn(
      s.body(ctx), SpawnSite{s.file, static_cast<std::uint32_t>(s.line)});
  AbortHandle stop = root.abort_handle();
  // The monitor: ends the run early on a lost verdict, and on the deadline
  // takes the task dump first (a hang). Written before the join, read after.
  std::string hang;
  std::thread monitor([&, handle = rt.handle()] {
    std::unique_lock<std::mutex> lock(sink->mu);
    const bool ended = sink->cv.wait_until(
        lock, core::deadline_after(options.run_timeout),
        [&] { return sink->done || !sink->verdicts.empty(); });
    if (sink->done) return;
    lock.unlock();
    if (!ended) {
      hang =
          absl::StrCat("WATCHDOG: '", hang_what(s, workers, seed),
                       "' did not finish within ", options.run_timeout.count(),
                       " ms.\nunfinished tasks (idle ones first: each "
                       "waits for a wake nobody sent):\n",
                       describe_tasks(handle.dump_tasks()));
    }
    stop.abort();  // The block_on below returns.
  });
  std::string threw;
  try {
    rt.block_on(std::move(root));
  } catch (const TaskCancelled&) {
    // The monitor ended the run: said below.
  } catch (const std::exception& e) {
    threw = e.what();
  }
  sink->finish();
  monitor.join();
  const std::string lost = sink->take();
  if (!lost.empty()) {
    StressFailure f;
    f.kind = StressFailureKind::kLost;
    f.message =
        "the runtime proved a task lost (idle, and no Waker for it "
        "is alive anywhere)";
    f.details = lost;
    if (!hang.empty()) absl::StrAppend(&f.details, hang);
    outcome.failure = std::move(f);
  } else if (!hang.empty()) {
    StressFailure f;
    f.kind = StressFailureKind::kHang;
    f.message = absl::StrCat("did not finish within ",
                             options.run_timeout.count(), " ms");
    f.details = hang;
    outcome.failure = std::move(f);
  } else if (!threw.empty() || !ctx.failures().empty()) {
    StressFailure f;
    f.kind = StressFailureKind::kFailed;
    f.message = threw.empty() ? ctx.failures()
                              : absl::StrCat("the scenario threw: ", threw);
    outcome.failure = std::move(f);
  }
  return outcome;
}

// A blocking scenario runs on a thread of its own, so that a hang can be
// reported; the thread and its runtime are then abandoned.
struct BlockingRun {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;    // Guarded by mu.
  absl::Status status;  // Guarded by mu.
  std::string threw;    // Guarded by mu.
  std::shared_ptr<LostSink> sink = std::make_shared<LostSink>();
  std::optional<Runtime> rt;     // Built and destroyed by the run's thread.
  std::optional<Handle> handle;  // Set before the thread starts.
};

RunOutcome run_blocking(const StressScenario& s, int workers,
                        std::uint64_t seed, int iteration,
                        const StressOptions& options) {
  RunOutcome outcome;
  auto run = std::make_shared<BlockingRun>();
  auto ctx = std::make_shared<StressContext>(seed, workers, iteration);
  run->rt.emplace(build_runtime(workers, seed, options.chaos, run->sink));
  run->handle = run->rt->handle();
  std::thread thread([run, ctx, fn = s.blocking] {
    absl::Status status;
    std::string threw;
    try {
      status = fn(*run->rt, *ctx);
    } catch (const std::exception& e) {
      threw = e.what();
    }
    run->rt.reset();  // Shut down before saying done.
    std::lock_guard<std::mutex> lock(run->mu);
    run->done = true;
    run->status = std::move(status);
    run->threw = std::move(threw);
    run->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(run->mu);
  const bool finished =
      run->cv.wait_until(lock, core::deadline_after(options.run_timeout),
                         [&] { return run->done; });
  if (!finished) {
    lock.unlock();
    thread.detach();  // Blocked for good: abandon it and its runtime.
    outcome.abandoned = true;
    StressFailure f;
    f.kind = StressFailureKind::kHang;
    f.message = absl::StrCat("did not finish within ",
                             options.run_timeout.count(), " ms");
    f.details = absl::StrCat(
        "WATCHDOG: '", hang_what(s, workers, seed), "' did not finish within ",
        options.run_timeout.count(),
        " ms.\nunfinished tasks (idle ones first: each waits for a wake "
        "nobody sent):\n",
        describe_tasks(run->handle->dump_tasks()));
    const std::string lost = run->sink->take();
    if (!lost.empty()) {
      f.kind = StressFailureKind::kLost;
      f.details = absl::StrCat(lost, f.details);
    }
    outcome.failure = std::move(f);
    return outcome;
  }
  const absl::Status status = run->status;
  const std::string threw = run->threw;
  lock.unlock();
  thread.join();
  const std::string lost = run->sink->take();
  if (!lost.empty()) {
    StressFailure f;
    f.kind = StressFailureKind::kLost;
    f.message = "the runtime proved a task lost";
    f.details = lost;
    outcome.failure = std::move(f);
  } else if (!threw.empty() || !status.ok() || !ctx->failures().empty()) {
    StressFailure f;
    f.kind = StressFailureKind::kFailed;
    f.message = !threw.empty() ? absl::StrCat("the scenario threw: ", threw)
                : !status.ok() ? std::string(status.message())
                               : ctx->failures();
    outcome.failure = std::move(f);
  }
  return outcome;
}

std::string replay_command(const StressOptions& options,
                           const StressScenario& s, int workers,
                           std::uint64_t seed) {
  std::string cmd =
      absl::StrCat(options.replay_prefix, " --seed ", seed,
                   " --iterations 1 --workers ", workers, " --filter ", s.name);
  if (options.chaos) absl::StrAppend(&cmd, " --chaos");
  absl::StrAppend(&cmd, " --run_timeout ", options.run_timeout.count());
  return cmd;
}

void print_failure(std::FILE* out, const StressFailure& f) {
  if (out == nullptr) return;
  std::fprintf(out, "\nFAILED: %s on %d workers, seed %llu: %s: %s\n",
               f.scenario.c_str(), f.workers,
               static_cast<unsigned long long>(f.seed),
               std::string(to_string(f.kind)).c_str(), f.message.c_str());
  if (!f.details.empty()) std::fprintf(out, "%s", f.details.c_str());
  if (!f.details.empty() && f.details.back() != '\n') std::fputc('\n', out);
  std::fprintf(out, "replay: %s\n", f.replay.c_str());
  std::fflush(out);
}

}  // namespace

StressContext::StressContext(std::uint64_t seed, int workers, int iteration)
    : seed_(seed), workers_(workers), iteration_(iteration), rng_(seed) {}

void StressContext::fail(std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failures_.empty()) failures_ += "; ";
  failures_ += message;
}

std::string StressContext::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

bool register_stress_scenario(StressScenario scenario) {
  for (const StressScenario& s : registry()) {
    if (s.name == scenario.name) {
      std::fprintf(stderr,
                   "magpie stress: scenario '%s' registered twice (%s:%d); "
                   "the second is ignored\n",
                   scenario.name.c_str(), scenario.file ? scenario.file : "?",
                   scenario.line);
      return false;
    }
  }
  registry().push_back(std::move(scenario));
  return true;
}

std::span<const StressScenario> registered_stress_scenarios() {
  return registry();
}

std::string_view to_string(StressFailureKind kind) {
  switch (kind) {
    case StressFailureKind::kHang:
      return "hang";
    case StressFailureKind::kLost:
      return "lost task";
    case StressFailureKind::kFailed:
      return "failed";
  }
  return "?";
}

std::uint64_t stress_run_seed(std::uint64_t base, std::uint64_t k) {
  if (k == 0) return base;
  // splitmix64 of base + k * golden ratio: distinct, well spread, never 0
  // in practice (0 is remapped).
  std::uint64_t z = base + k * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return z == 0 ? 1 : z;
}

std::string StressReport::table() const {
  std::string out =
      absl::StrFormat("%-28s %7s %7s %8s %12s\n", "scenario", "workers", "runs",
                      "failures", "slowest (s)");
  for (const StressRow& r : rows) {
    absl::StrAppend(&out, absl::StrFormat("%-28s %7d %7d %8d %12.3f\n",
                                          r.scenario, r.workers, r.runs,
                                          r.failures, r.slowest_seconds));
  }
  absl::StrAppend(
      &out,
      absl::StrFormat("%d runs, %d failures in %.1f s (base seed %d)\n", runs,
                      static_cast<int>(failures.size()), seconds, seed));
  return out;
}

StressReport run_stress(const StressOptions& options) {
  std::vector<const StressScenario*> chosen;
  for (const StressScenario& s : registered_stress_scenarios()) {
    if (matches(options.filter, s.name)) chosen.push_back(&s);
  }
  return run_stress(options, chosen);
}

StressReport run_stress(const StressOptions& options,
                        std::span<const StressScenario* const> scenarios) {
  StressReport report;
  report.seed = options.seed;
  if (report.seed == 0) {
    report.seed =
        static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
    if (report.seed == 0) report.seed = 1;
  }
  std::vector<const StressScenario*> chosen;
  for (const StressScenario* s : scenarios) {
    if (matches(options.filter, s->name)) chosen.push_back(s);
  }
  std::vector<int> workers;
  for (int w : options.workers) {
    if (w >= 1 && w <= kMaxStressWorkers) workers.push_back(w);
  }
  if (chosen.empty() || workers.empty()) {
    if (options.out != nullptr) {
      std::fprintf(options.out, "magpie stress: no scenario matches '%s'%s\n",
                   options.filter.c_str(),
                   workers.empty() ? " (or no valid worker count)" : "");
    }
    return report;
  }
  // Row i * chosen.size() + j: workers[i], chosen[j].
  for (int w : workers) {
    for (const StressScenario* s : chosen) {
      report.rows.push_back(StressRow{s->name, w, 0, 0, 0});
    }
  }
  const auto start = Clock::now();
  const auto stop_at = core::saturating_add(
      start, std::chrono::duration<double>(options.seconds));
  auto last_progress = start;
  const bool tty =
      options.progress != nullptr && isatty(fileno(options.progress)) == 1;
  if (options.out != nullptr) {
    std::fprintf(options.out,
                 "magpie stress: %zu scenario(s), workers %s, %s, base seed "
                 "%llu%s\n",
                 chosen.size(), absl::StrJoin(workers, ",").c_str(),
                 options.iterations > 0
                     ? absl::StrCat(options.iterations, " run(s) each").c_str()
                     : absl::StrFormat("%.0f s", options.seconds).c_str(),
                 static_cast<unsigned long long>(report.seed),
                 options.chaos ? ", chaos" : "");
    std::fflush(options.out);
  }
  const std::size_t pairs = report.rows.size();
  for (std::uint64_t k = 0;; ++k) {
    const std::size_t pair = k % pairs;
    const int round = static_cast<int>(k / pairs);
    if (options.iterations > 0) {
      if (round >= options.iterations) break;
    } else if (Clock::now() >= stop_at) {
      break;
    }
    StressRow& row = report.rows[pair];
    const StressScenario& s = *chosen[pair % chosen.size()];
    const std::uint64_t seed = stress_run_seed(report.seed, k);
    const auto run_start = Clock::now();
    RunOutcome outcome =
        s.body ? run_body(s, row.workers, seed, round, options)
               : run_blocking(s, row.workers, seed, round, options);
    const double took =
        std::chrono::duration<double>(Clock::now() - run_start).count();
    ++report.runs;
    ++row.runs;
    row.slowest_seconds = std::max(row.slowest_seconds, took);
    const auto now = Clock::now();
    if (options.progress != nullptr &&
        (now - last_progress >= kProgressEvery || outcome.failure)) {
      last_progress = now;
      std::fprintf(
          options.progress,
          "%s[%6.1f s] %d runs, %zu failures; last: %s on %d "
          "workers%s",
          tty ? "\r" : "", std::chrono::duration<double>(now - start).count(),
          report.runs, report.failures.size() + (outcome.failure ? 1 : 0),
          s.name.c_str(), row.workers, tty ? "   " : "\n");
      std::fflush(options.progress);
    }
    if (outcome.failure) {
      StressFailure f = std::move(*outcome.failure);
      f.scenario = s.name;
      f.workers = row.workers;
      f.seed = seed;
      f.replay = replay_command(options, s, row.workers, seed);
      ++row.failures;
      if (tty) std::fputc('\n', options.progress);
      print_failure(options.out, f);
      report.failures.push_back(std::move(f));
      if (outcome.abandoned) {
        report.abandoned = true;
        break;
      }
      if (options.stop_on_failure) break;
    }
  }
  if (tty) std::fprintf(options.progress, "\r%70s\r", "");
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (options.out != nullptr) {
    std::fprintf(options.out, "\n%s", report.table().c_str());
    for (const StressFailure& f : report.failures) {
      std::fprintf(options.out, "replay (%s, %s): %s\n", f.scenario.c_str(),
                   std::string(to_string(f.kind)).c_str(), f.replay.c_str());
    }
    std::fflush(options.out);
  }
  return report;
}

const std::string_view kStressUsage =
    "stress [--seconds=S] [--iterations=N] [--seed=S] [--workers=2,4,8]\n"
    "       [--chaos] [--filter=a,b*] [--run_timeout=MS] [--keep_going] "
    "[--list]\n"
    "  --seconds      stop starting runs after S seconds (default 10)\n"
    "  --iterations   instead: N runs of each scenario on each worker count\n"
    "  --seed         base seed (default: from the clock); run k's seed is\n"
    "                 derived from it, and a failure prints its own\n"
    "  --workers      worker counts to cycle through, 1..16 (default 2,4,8)\n"
    "  --chaos        chaos scheduling, seeded with each run's seed\n"
    "  --filter       scenario names, comma-separated; 'x*' is a prefix\n"
    "  --run_timeout  milliseconds before a run counts as a hang\n"
    "  --keep_going   go on after a failure\n"
    "  --list         print the scenarios and exit\n"
    "Flags take --flag=value or --flag value. Exit status: 0 all runs\n"
    "passed, 1 a run failed (its replay command is printed), 2 bad usage.\n";

bool parse_stress_flags(std::span<char* const> args, StressOptions& options,
                        bool* list, bool* help) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const std::size_t eq = arg.find('=');
    const std::string_view flag = arg.substr(0, eq);
    const bool has_value = eq != std::string_view::npos;
    std::string_view value = has_value ? arg.substr(eq + 1) : "";
    auto next_value = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    bool ok = true;
    if (flag == "--seconds") {
      ok = next_value() &&
           absl::SimpleAtod(absl_view(value), &options.seconds) &&
           options.seconds >= 0 && options.seconds <= kMaxSeconds;
    } else if (flag == "--iterations") {
      ok = next_value() &&
           absl::SimpleAtoi(absl_view(value), &options.iterations) &&
           options.iterations >= 0 && options.iterations <= kMaxIterations;
    } else if (flag == "--seed") {
      ok = next_value() && absl::SimpleAtoi(absl_view(value), &options.seed);
    } else if (flag == "--workers") {
      options.workers.clear();
      ok = next_value();
      for (absl::string_view part :
           absl::StrSplit(absl_view(value), ',', absl::SkipEmpty())) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n < 1 || n > kMaxStressWorkers) {
          ok = false;
          break;
        }
        options.workers.push_back(n);
      }
      ok = ok && !options.workers.empty();
    } else if (flag == "--chaos") {
      options.chaos = !has_value || value == "1" || value == "true";
      ok = !has_value || value == "0" || value == "1" || value == "true" ||
           value == "false";
    } else if (flag == "--filter") {
      ok = next_value();
      options.filter = std::string(value);
    } else if (flag == "--run_timeout") {
      int ms = 0;
      ok = next_value() && absl::SimpleAtoi(absl_view(value), &ms) && ms > 0;
      options.run_timeout = std::chrono::milliseconds(ms);
    } else if (arg == "--keep_going") {
      options.stop_on_failure = false;
    } else if (arg == "--list") {
      if (list != nullptr) *list = true;
    } else if (arg == "--help" || arg == "-h") {
      if (help != nullptr) *help = true;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "magpie stress: bad flag '%.*s'\nusage: %.*s",
                   static_cast<int>(arg.size()), arg.data(),
                   static_cast<int>(kStressUsage.size()), kStressUsage.data());
      return false;
    }
  }
  return true;
}

int stress_main(std::span<char* const> args, std::string replay_prefix) {
  StressOptions options;
  options.run_timeout =
      ScaledForSanitizers(0, 1) ? kSanitizedRunTimeout : kPlainRunTimeout;
  options.replay_prefix = std::move(replay_prefix);
  bool list = false;
  bool help = false;
  if (!parse_stress_flags(args, options, &list, &help)) return 2;
  if (help) {
    std::printf("usage: %.*s", static_cast<int>(kStressUsage.size()),
                kStressUsage.data());
    return 0;
  }
  if (list) {
    for (const StressScenario& s : registered_stress_scenarios()) {
      if (!matches(options.filter, s.name)) continue;
      std::printf("%-28s %s\n", s.name.c_str(),
                  s.description.empty()
                      ? absl::StrCat(s.file ? s.file : "?", ":", s.line).c_str()
                      : s.description.c_str());
    }
    return 0;
  }
  StressReport report = run_stress(options);
  if (report.abandoned) {
    // A blocking scenario's thread is stuck inside its runtime: leave
    // without running destructors that would wait for it.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
  }
  if (report.runs == 0) return 2;
  return report.ok() ? 0 : 1;
}

}  // namespace magpie::testing
