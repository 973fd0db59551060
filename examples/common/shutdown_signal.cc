// examples::ShutdownSignal: SIGINT/SIGTERM -> CancellationToken::cancel().

#include "examples/common/shutdown_signal.h"

#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace examples {

ShutdownSignal::ShutdownSignal(magpie::CancellationToken token)
    : token_(std::move(token)) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  // Blocked here, so blocked in every thread created from now on.
  if (int rc = pthread_sigmask(SIG_BLOCK, &signals_, nullptr); rc != 0) {
    std::fprintf(stderr, "pthread_sigmask: %s\n", std::strerror(rc));
    std::abort();
  }
  // A shell starts background jobs with SIGINT ignored, and an ignored
  // signal is discarded, never queued for sigwait(): restore the default
  // action. Harmless now that the signals are blocked.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  waiter_ = std::thread([this] { wait_loop(); });
}

ShutdownSignal::~ShutdownSignal() {
  // ORDERING: release pairs with the acquire load in wait_loop(), which runs
  // after sigwait() returns the signal sent below.
  stopping_.store(true, std::memory_order_release);
  // The waiter is blocked in sigwait() (or about to be): hand it a signal.
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
}

void ShutdownSignal::wait_loop() {
  for (;;) {
    int sig = 0;
    if (sigwait(&signals_, &sig) != 0) continue;
    // ORDERING: acquire pairs with the release store in the destructor.
    if (stopping_.load(std::memory_order_acquire)) return;
    // ORDERING: acq_rel: release publishes the signal number to received(),
    // acquire orders this after an earlier signal's exchange.
    if (received_.exchange(sig, std::memory_order_acq_rel) == 0) {
      std::fprintf(stderr, "SIG%s: shutting down (again to force)\n",
                   sigabbrev_np(sig));
      token_.cancel();
    } else {
      std::fprintf(stderr, "SIG%s again: exiting now\n", sigabbrev_np(sig));
      std::_Exit(128 + sig);
    }
  }
}

}  // namespace examples
