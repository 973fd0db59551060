// examples::run_server — the main() the example servers share: the common
// flags, SIGINT/SIGTERM handling, the Runtime, and the serve sequence
// (bind and announce, accept until shutdown, drain, summary).
//
//   int main(int argc, char** argv) {
//     auto stats = std::make_shared<MyStats>();
//     return examples::run_server(argc, argv, {
//         .thread_name = "echo",
//         .make_handler = [stats](const magpie::CancellationToken& shutdown) {
//           return my_handler(shutdown, stats);
//         },
//         .summary = [stats] { return absl::StrCat("echoed ", ..., " bytes"); },
//     });
//   }
//
// Flags: --address (default 127.0.0.1), --port (7878; 0 lets the kernel
// pick, read it from the "listening on <addr>" line), --workers (0: one per
// core), --max_connections (10000). Order of events:
//  1. Inside the Runtime, listeners for SIGINT and SIGTERM are made
//     (examples::watch_shutdown_signals, through magpie::signal and the
//     reactor); the first signal cancels the shutdown token, a second one
//     exits at once.
//  2. rt.block_on(...) binds, prints "listening on <addr>", and runs
//     examples::accept_loop with make_handler(shutdown) until the token
//     fires.
//  3. It waits (at most kShutdownGrace) for open connections to finish,
//     prints "served N connections (R rejected), <summary()>", returns 0.
// Returns 2 on bad flags, 1 if it cannot listen.
//
// Threads: call from main(), once.

#ifndef MAGPIE_EXAMPLES_COMMON_SERVER_MAIN_H_
#define MAGPIE_EXAMPLES_COMMON_SERVER_MAIN_H_

#include <chrono>
#include <functional>
#include <string>

#include "examples/common/server.h"
#include "runtime/magpie.h"

namespace examples {

// How long shutdown waits for open connections to finish; connections
// still open after that are dropped when the runtime stops.
inline constexpr std::chrono::seconds kShutdownGrace{10};

struct ServerSpec {
  std::string thread_name;  // worker threads are "<thread_name>-<i>"
  // Called once with the shutdown token; the handler it returns serves
  // each connection (and should watch the token).
  std::function<ConnectionHandler(const magpie::CancellationToken&)>
      make_handler;
  // The end of the summary line (e.g. "echoed 123 bytes").
  std::function<std::string()> summary;
};

int run_server(int argc, char** argv, ServerSpec spec);

}  // namespace examples

#endif  // MAGPIE_EXAMPLES_COMMON_SERVER_MAIN_H_
