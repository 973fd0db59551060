// `magpie stress` — hunts lost wakeups: runs magpie's built-in scenarios
// (runtime/testing/builtin_scenarios.h: the six of DESIGN.md §6 and the
// channel, mutex, semaphore, notify/oneshot, timer and socket variants) and
// any scenario registered with MAGPIE_STRESS_SCENARIO in this binary, over
// and over with fresh seeds, on each worker count, optionally under chaos
// scheduling. Prints a progress line and a summary table; on a hang or a
// lost task, the report (the task dump / the verdict) and the exact command
// that replays the run, and exits 1.
//
//   magpie stress [--seconds=10] [--iterations=N] [--seed=S]
//                 [--workers=2,4,8] [--chaos] [--filter=a,b*] [--list]

#ifndef MAGPIE_TOOLS_CLI_STRESS_H_
#define MAGPIE_TOOLS_CLI_STRESS_H_

#include "tools/cli/command.h"

namespace magpie::cli {

const Command& stress_command();

}  // namespace magpie::cli

#endif  // MAGPIE_TOOLS_CLI_STRESS_H_
