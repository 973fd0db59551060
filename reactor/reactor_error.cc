#include "reactor/reactor_error.h"

namespace magpie::reactor {

absl::Status no_reactor_status() {
  return absl::FailedPreconditionError(
      "no current magpie reactor on this thread: poll the future inside a "
      "magpie Runtime (a spawned task, Runtime::block_on) or while a "
      "Handle::enter() guard is held");
}

absl::Status reactor_shutdown_status() {
  return absl::CancelledError("the magpie reactor has shut down");
}

}  // namespace magpie::reactor
