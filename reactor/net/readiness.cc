#include "reactor/net/readiness.h"

#include "reactor/reactor_error.h"
#include "runtime/core/coop.h"

namespace magpie::net {

using reactor::Direction;
using reactor::Ready;
using reactor::ReadyEvent;

Poll<ReadyFuture::Output> ReadyFuture::poll(Context& cx) {
  auto coop = coop::poll_proceed(cx);
  if (!coop) return Pending;
  Ready seen;
  bool shut_down = false;
  // Each poll_ready stores this poll's waker in its slot and re-checks.
  if (interest_.is_readable()) {
    Poll<ReadyEvent> r = source_->poll_ready(cx, Direction::kRead);
    if (r.is_ready()) {
      seen = seen | r.value().ready;
      shut_down = shut_down || r.value().is_shutdown;
    }
  }
  if (interest_.is_writable()) {
    Poll<ReadyEvent> w = source_->poll_ready(cx, Direction::kWrite);
    if (w.is_ready()) {
      seen = seen | w.value().ready;
      shut_down = shut_down || w.value().is_shutdown;
    }
  }
  if (shut_down) {
    coop->made_progress();
    return Output(reactor::reactor_shutdown_status());
  }
  if (seen.is_empty()) return Pending;
  coop->made_progress();
  return Output(seen);
}

bool is_would_block(const absl::Status& status) {
  return reactor::IoSource::is_would_block(status);
}

}  // namespace magpie::net
