#include "tools/cli/bench.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/compare/workloads.h"
#include "runtime/runtime.h"

namespace magpie::cli {
namespace {

constexpr int kDefaultWorkers = 2;  // The comparison's default (run.py).
constexpr int kDefaultSamples = 5;
// Bounds that keep a mistyped flag from running for hours.
constexpr int kMaxWorkers = 1024;
constexpr int kMaxSamples = 1000;
constexpr double kMaxScale = 100;

struct Options {
  int workers = kDefaultWorkers;
  int samples = kDefaultSamples;
  double scale = 1;
  std::vector<std::string> workloads;  // Empty: all.
  bool list = false;
  bool help = false;
};

constexpr std::string_view kUsage =
    "magpie bench [--workers=N] [--samples=N] [--scale=X] "
    "[--workloads=a,b,...] [--list]   (--flag=V or --flag V)\n"
    "  --workers    worker threads of the runtime (default 2)\n"
    "  --samples    samples per workload after one warm-up (default 5)\n"
    "  --scale      multiplies every workload's size (default 1)\n"
    "  --workloads  comma-separated subset (default: all; see --list)\n"
    "  --list       print the workloads and exit\n";

// Debian's Abseil has its own string_view.
absl::string_view absl_view(std::string_view s) { return {s.data(), s.size()}; }

bool known(std::string_view name) {
  for (const bench::Workload& w : bench::workloads()) {
    if (w.name == name) return true;
  }
  return false;
}

// Parses args into options; prints the problem and returns false on bad
// usage. A flag's value comes after '=' (--samples=3) or as the next
// argument (--samples 3), the same rule and shape as magpie stress's
// parse_stress_flags (runtime/testing/stress.cc).
bool parse(std::span<char* const> args, Options& options) {
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
    if (flag == "--workers") {
      ok = next_value() &&
           absl::SimpleAtoi(absl_view(value), &options.workers) &&
           options.workers >= 1 && options.workers <= kMaxWorkers;
    } else if (flag == "--samples") {
      ok = next_value() &&
           absl::SimpleAtoi(absl_view(value), &options.samples) &&
           options.samples >= 1 && options.samples <= kMaxSamples;
    } else if (flag == "--scale") {
      ok = next_value() &&
           absl::SimpleAtod(absl_view(value), &options.scale) &&
           options.scale > 0 && options.scale <= kMaxScale;
    } else if (flag == "--workloads") {
      (void)next_value();  // None at the end: all workloads, as before.
      options.workloads =
          absl::StrSplit(absl_view(value), ',', absl::SkipEmpty());
      for (const std::string& w : options.workloads) {
        if (!known(w)) {
          std::fprintf(stderr, "magpie bench: unknown workload '%s' (--list)\n",
                       w.c_str());
          return false;
        }
      }
    } else if (arg == "--list") {
      options.list = true;
    } else if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else {
      ok = false;
    }
    if (!ok) {
      // The value too when it came as the next argument.
      const std::string_view shown = has_value || value.empty() ? "" : value;
      std::fprintf(stderr,
                   "magpie bench: bad flag '%.*s%s%.*s' (--workers 1..%d, "
                   "--samples 1..%d, --scale in (0, %g])\n%.*s",
                   static_cast<int>(arg.size()), arg.data(),
                   shown.empty() ? "" : " ", static_cast<int>(shown.size()),
                   shown.data(), kMaxWorkers, kMaxSamples, kMaxScale,
                   static_cast<int>(kUsage.size()), kUsage.data());
      return false;
    }
  }
  return true;
}

struct Row {
  const bench::Workload* workload;
  std::vector<double> samples;  // Sorted.
};

int run(std::span<char* const> args) {
  Options options;
  if (!parse(args, options)) return 2;
  if (options.help) {
    std::printf("%.*s", static_cast<int>(kUsage.size()), kUsage.data());
    return 0;
  }
  if (options.list) {
    for (const bench::Workload& w : bench::workloads()) {
      std::printf("%-19s %-2s  %.*s\n", std::string(w.name).c_str(),
                  std::string(w.unit).c_str(), static_cast<int>(w.what.size()),
                  w.what.data());
    }
    return 0;
  }
  std::vector<const bench::Workload*> chosen;
  for (const bench::Workload& w : bench::workloads()) {
    if (options.workloads.empty() ||
        std::find(options.workloads.begin(), options.workloads.end(), w.name) !=
            options.workloads.end()) {
      chosen.push_back(&w);
    }
  }

  Runtime rt = Runtime::Builder()
                   .worker_threads(static_cast<std::size_t>(options.workers))
                   .thread_name("bench")
                   .build();
  std::vector<Row> rows;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    Row row{chosen[i], {}};
    for (int s = 0; s <= options.samples; ++s) {  // Sample 0 warms up.
      std::fprintf(stderr, "\r[%zu/%zu] %-19s %s %d/%d   ", i + 1,
                   chosen.size(), std::string(row.workload->name).c_str(),
                   s == 0 ? "warm-up" : "sample", s, options.samples);
      absl::StatusOr<double> value =
          bench::run_sample(rt, row.workload->name, options.scale);
      if (!value.ok()) {
        std::fprintf(stderr, "\n%s\n", value.status().ToString().c_str());
        return 1;
      }
      if (s > 0) row.samples.push_back(*value);
    }
    std::sort(row.samples.begin(), row.samples.end());
    rows.push_back(std::move(row));
  }
  std::fprintf(stderr, "\r%60s\r", "");

  std::printf("magpie bench: %d workers, %u cores, median of %d samples%s\n\n",
              options.workers, std::thread::hardware_concurrency(),
              options.samples, options.scale == 1 ? "" : " (scaled)");
  std::printf("%-19s %10s %10s %10s  %-4s %s\n", "workload", "median", "min",
              "max", "unit", "what");
  for (const Row& row : rows) {
    const std::vector<double>& v = row.samples;
    const std::size_t n = v.size();
    const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    std::printf("%-19s %10.3f %10.3f %10.3f  %-4s %s\n",
                std::string(row.workload->name).c_str(), median, v.front(),
                v.back(), std::string(row.workload->unit).c_str(),
                std::string(row.workload->what).c_str());
  }
  std::printf(
      "\nLower is better. The same workloads beside Tokio, Go and Asio: "
      "bench/compare/run.py --quick\n");
  return 0;
}

}  // namespace

const Command& bench_command() {
  static const Command command{
      "bench", "run the runtime workloads of bench/compare/ and print a table",
      kUsage, &run};
  return command;
}

}  // namespace magpie::cli
