// magpie::reactor::EnterGuard — makes a reactor the current one of this
// thread for the guard's lifetime (RAII), restoring the previous one after.
//
//   absl::StatusOr<reactor::Reactor> reactor = reactor::Reactor::start();
//   reactor::EnterGuard guard = reactor->enter();
//   magpie::block_on(magpie::sleep(10ms));   // finds the reactor
//
// Ownership: the guard keeps its own Handle, so the reactor's shared state
// lives at least as long as the guard.
//
// Threads: a guard belongs to the thread that made it; guards nest and must
// be destroyed in reverse order of creation (like scopes). Not copyable or
// movable (the thread-local points into it).

#ifndef MAGPIE_REACTOR_ENTER_GUARD_H_
#define MAGPIE_REACTOR_ENTER_GUARD_H_

#include "reactor/handle.h"

namespace magpie::reactor {

class [[nodiscard]] EnterGuard {
 public:
  explicit EnterGuard(Handle handle)
      : handle_(std::move(handle)),
        previous_(Handle::exchange_current(&handle_)) {}
  ~EnterGuard() { Handle::exchange_current(previous_); }

  EnterGuard(const EnterGuard&) = delete;
  EnterGuard& operator=(const EnterGuard&) = delete;

 private:
  Handle handle_;
  const Handle* previous_;
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_ENTER_GUARD_H_
