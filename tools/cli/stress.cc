#include "tools/cli/stress.h"

#include <span>
#include <string>

#include "runtime/testing/builtin_scenarios.h"
#include "runtime/testing/stress.h"

namespace magpie::cli {
namespace {

// The command a failure's replay line starts with: the same build
// configuration as this binary, so the replay runs what failed.
constexpr const char* kReplayPrefix =
#if defined(MAGPIE_TSAN)
    "bazel run --config=tsan //tools:magpie -- stress";
#elif defined(MAGPIE_ASAN)
    "bazel run --config=asan //tools:magpie -- stress";
#else
    "bazel run //tools:magpie -- stress";
#endif

int run(std::span<char* const> args) {
  testing::register_builtin_stress_scenarios();
  return testing::stress_main(args, kReplayPrefix);
}

}  // namespace

const Command& stress_command() {
  static const Command command{
      "stress",
      "hunt lost wakeups: the built-in scenarios, many seeds and workers",
      testing::kStressUsage, &run};
  return command;
}

}  // namespace magpie::cli
