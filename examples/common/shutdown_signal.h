// examples::ShutdownSignal — turns SIGINT and SIGTERM into a
// magpie::CancellationToken, for a server's graceful shutdown.
//
//   int main() {
//     magpie::CancellationToken shutdown;
//     examples::ShutdownSignal signals(shutdown);  // before any other thread
//     magpie::Runtime rt;                          // workers inherit the mask
//     rt.block_on(serve(shutdown));                // ends once cancelled
//   }
//
// How: the constructor blocks SIGINT and SIGTERM in the calling thread with
// pthread_sigmask; every thread started afterwards (the runtime's workers,
// its reactor and blocking threads) inherits that mask, so the kernel never
// delivers the signals asynchronously to any of them. One plain std::thread
// takes them synchronously with sigwait() and calls token.cancel(), which is
// safe from any thread (no async-signal-safety rules to follow). A second
// signal while the server is still shutting down exits at once (status
// 128 + signal), the usual "press Ctrl-C again to force" behaviour.
//
// Ownership: construct it first in main, before any thread exists (a thread
// started earlier would still receive the signals the default way), and
// let it outlive the Runtime. The destructor stops and joins the waiter.
// Threads: construct and destroy on the main thread; received() from any.

#ifndef MAGPIE_EXAMPLES_COMMON_SHUTDOWN_SIGNAL_H_
#define MAGPIE_EXAMPLES_COMMON_SHUTDOWN_SIGNAL_H_

#include <signal.h>

#include <atomic>
#include <thread>

#include "runtime/magpie.h"

namespace examples {

class ShutdownSignal {
 public:
  explicit ShutdownSignal(magpie::CancellationToken token);
  ~ShutdownSignal();

  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // The first signal that arrived (SIGINT or SIGTERM), or 0.
  int received() const { return received_.load(std::memory_order_acquire); }

 private:
  void wait_loop();

  sigset_t signals_;
  magpie::CancellationToken token_;
  std::atomic<int> received_{0};
  // Set by the destructor before it wakes the waiter with a signal of its
  // own, so the waiter knows to return instead of counting it.
  std::atomic<bool> stopping_{false};
  std::thread waiter_;  // Last: starts once the fields above exist.
};

}  // namespace examples

#endif  // MAGPIE_EXAMPLES_COMMON_SHUTDOWN_SIGNAL_H_
