// magpie::reactor::ReactorError — the exception a reactor future whose
// output is not a status (Sleep, Interval's tick) throws when it cannot do
// its job: no reactor is current (FailedPrecondition), or the reactor shut
// down while it waited (Cancelled).
//
// Futures whose output is an absl::Status or absl::StatusOr (the net
// futures, timeout()) report the same statuses as values instead. The
// exception propagates out of block_on, or into the task's JoinHandle.

#ifndef MAGPIE_REACTOR_REACTOR_ERROR_H_
#define MAGPIE_REACTOR_REACTOR_ERROR_H_

#include <stdexcept>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace magpie::reactor {

class ReactorError : public std::runtime_error {
 public:
  explicit ReactorError(absl::Status status)
      : std::runtime_error(status.ToString()), status_(std::move(status)) {}

  const absl::Status& status() const noexcept { return status_; }

 private:
  absl::Status status_;
};

// The status of a future polled with no current reactor.
absl::Status no_reactor_status();

// The status of a future whose reactor has shut down.
absl::Status reactor_shutdown_status();

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_REACTOR_ERROR_H_
