// `magpie bench` — runs magpie's side of the runtime comparison
// (bench/compare/workloads.h: Tokio's rt_multi_threaded workloads and two
// timer workloads) in this process, with a progress line on stderr and a
// table on stdout. bench/compare/run.py sets the same workloads beside
// Tokio, Go and Asio.
//
//   magpie bench [--workers=2] [--samples=5] [--scale=1]
//                [--workloads=spawn_many,ping_pong,...] [--list]

#ifndef MAGPIE_TOOLS_CLI_BENCH_H_
#define MAGPIE_TOOLS_CLI_BENCH_H_

#include "tools/cli/command.h"

namespace magpie::cli {

const Command& bench_command();

}  // namespace magpie::cli

#endif  // MAGPIE_TOOLS_CLI_BENCH_H_
