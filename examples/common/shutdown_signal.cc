// examples::watch_shutdown_signals: SIGINT/SIGTERM -> CancellationToken.

#include "examples/common/shutdown_signal.h"

#include <signal.h>
#include <string.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace examples {
namespace {

magpie::Task<void> watch(magpie::signal::Signal interrupt,
                         magpie::signal::Signal terminate,
                         magpie::CancellationToken token) {
  bool first = true;
  while (true) {
    auto next = co_await magpie::select(interrupt.recv(), terminate.recv());
    const absl::Status& got =
        next.index() == 0 ? std::get<0>(next) : std::get<1>(next);
    if (!got.ok()) co_return;  // The runtime is shutting down.
    const int sig = next.index() == 0 ? SIGINT : SIGTERM;
    if (first) {
      first = false;
      std::fprintf(stderr, "SIG%s: shutting down (again to force)\n",
                   sigabbrev_np(sig));
      token.cancel();
    } else {
      std::fprintf(stderr, "SIG%s again: exiting now\n", sigabbrev_np(sig));
      std::_Exit(128 + sig);
    }
  }
}

}  // namespace

absl::Status watch_shutdown_signals(magpie::CancellationToken token) {
  absl::StatusOr<magpie::signal::Signal> interrupt =
      magpie::signal::signal(SIGINT);
  if (!interrupt.ok()) return interrupt.status();
  absl::StatusOr<magpie::signal::Signal> terminate =
      magpie::signal::signal(SIGTERM);
  if (!terminate.ok()) return terminate.status();
  magpie::spawn(
      watch(*std::move(interrupt), *std::move(terminate), std::move(token)));
  return absl::OkStatus();
}

}  // namespace examples
