#include "reactor/signal/signal.h"

#include <signal.h>

#include "reactor/handle.h"
#include "reactor/interest.h"
#include "reactor/reactor_error.h"
#include "reactor/signal/registry.h"
#include "runtime/core/coop.h"

namespace magpie::signal {

absl::StatusOr<Signal> signal(int signum) {
  // The reactor first: with none, fail before installing a handler (which
  // would take the signal's default action away for good).
  absl::StatusOr<reactor::Handle> handle = reactor::Handle::current();
  if (!handle.ok()) return handle.status();
  if (absl::Status s = internal::install(signum); !s.ok()) return s;
  // Seen before registering: a delivery from here on is reported.
  const std::uint64_t seen = internal::generation(signum);
  absl::StatusOr<int> fd = internal::dup_read_end();
  if (!fd.ok()) return fd.status();
  absl::StatusOr<reactor::IoSource> source = reactor::IoSource::register_fd(
      *handle, *fd, reactor::Interest::kReadable);
  if (!source.ok()) return source.status();
  return Signal(signum, seen, *std::move(source));
}

Poll<absl::Status> Signal::poll_recv(Context& cx) {
  auto coop = coop::poll_proceed(cx);
  if (!coop) return Pending;
  while (true) {
    // Signal rule 1: the generation is the truth.
    const std::uint64_t now = internal::generation(signum_);
    if (now != seen_) {
      seen_ = now;
      coop->made_progress();
      return absl::OkStatus();
    }
    // Stores this poll's waker in the read slot and re-checks.
    Poll<reactor::ReadyEvent> ready =
        source_.poll_ready(cx, reactor::Direction::kRead);
    if (ready.is_pending()) return Pending;
    if (ready.value().is_shutdown) {
      coop->made_progress();
      return reactor::reactor_shutdown_status();
    }
    // Signal rule 3: drain to EAGAIN, then clear what we observed and look
    // at the generation again.
    internal::drain(source_.fd());
    source_.clear_readiness(ready.value());
  }
}

CtrlCFuture::CtrlCFuture() : listener_(signal(SIGINT)) {}

Poll<absl::Status> CtrlCFuture::poll(Context& cx) {
  if (!listener_.ok()) return listener_.status();
  return listener_->poll_recv(cx);
}

}  // namespace magpie::signal
