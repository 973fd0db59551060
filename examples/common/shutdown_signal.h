// examples::watch_shutdown_signals — turns SIGINT and SIGTERM into a
// magpie::CancellationToken, for a server's graceful shutdown.
//
//   magpie::Task<int> serve(magpie::CancellationToken shutdown) {
//     if (!examples::watch_shutdown_signals(shutdown).ok()) co_return 1;
//     ... bind, accept until shutdown is cancelled ...
//   }
//
// How: two magpie::signal listeners (reactor/signal/signal.h), made at once
// on the current runtime (so a signal that arrives from then on counts,
// even before anything awaits it), moved into a spawned task that awaits
// whichever comes first and calls token.cancel(). A second signal while the
// server is still shutting down exits at once (status 128 + signal), the
// usual "press Ctrl-C again to force" behaviour. No thread of its own and
// no signal masks: whichever thread the kernel picks runs magpie's handler,
// which only rings the runtime's driver, and the listeners wake like on any
// other event, in either IoDriver mode (signal.h: do not block the signals
// in every thread, and do not sigwait() for them elsewhere).
//
// Call it inside the Runtime (block_on or a task), before announcing that
// the server listens, so a SIGTERM sent right after the announcement is
// seen. The watcher task lives until the runtime shuts down.

#ifndef MAGPIE_EXAMPLES_COMMON_SHUTDOWN_SIGNAL_H_
#define MAGPIE_EXAMPLES_COMMON_SHUTDOWN_SIGNAL_H_

#include "absl/status/status.h"
#include "runtime/magpie.h"

namespace examples {

// Errors: those of magpie::signal::signal() (FailedPrecondition with no
// current runtime).
absl::Status watch_shutdown_signals(magpie::CancellationToken token);

}  // namespace examples

#endif  // MAGPIE_EXAMPLES_COMMON_SHUTDOWN_SIGNAL_H_
