#include "reactor/reactor_error.h"

namespace magpie::reactor {

absl::Status no_reactor_status() {
  return absl::FailedPreconditionError(
      "no current magpie reactor on this thread: create the future inside a "
      "magpie Runtime, or hold a reactor::EnterGuard (Reactor::enter())");
}

absl::Status reactor_shutdown_status() {
  return absl::CancelledError("the magpie reactor has shut down");
}

}  // namespace magpie::reactor
