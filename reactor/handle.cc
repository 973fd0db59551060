#include "reactor/handle.h"

#include "reactor/reactor_error.h"

namespace magpie::reactor {
namespace {

// The innermost EnterGuard's handle on this thread, or null.
thread_local const Handle* current_handle = nullptr;

}  // namespace

absl::StatusOr<Handle> Handle::current() {
  if (current_handle == nullptr) return no_reactor_status();
  return *current_handle;
}

bool Handle::has_current() { return current_handle != nullptr; }

const Handle* Handle::exchange_current(const Handle* handle) {
  const Handle* previous = current_handle;
  current_handle = handle;
  return previous;
}

}  // namespace magpie::reactor
