// magpie::reactor::sys::EventFd — a non-blocking eventfd counter used to end
// the reactor's epoll wait from another thread.
//
//   wake()   any thread: adds 1 (the fd becomes readable; with edge-triggered
//            epoll every write is a new edge).
//   drain()  the reactor thread: reads the counter back to zero.
//
// Ownership: owns the fd, closes it when destroyed. Register it (readable)
// with the Selector that should be woken, deregister before destroying.
//
// Memory ordering: none of its own. Whatever a waker wants the reactor to
// see must be published through an atomic or a mutex before wake(); the
// reactor re-reads that state after select() returns.

#ifndef MAGPIE_REACTOR_SYS_EVENT_FD_H_
#define MAGPIE_REACTOR_SYS_EVENT_FD_H_

#include "absl/status/statusor.h"

namespace magpie::reactor::sys {

class EventFd {
 public:
  static absl::StatusOr<EventFd> create();

  EventFd(EventFd&& other) noexcept;
  EventFd& operator=(EventFd&& other) noexcept;
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  ~EventFd();

  int fd() const { return fd_; }

  // Bumps the counter. Never blocks (a saturated counter is already awake).
  void wake() const;

  // Resets the counter to zero.
  void drain() const;

 private:
  explicit EventFd(int fd) : fd_(fd) {}

  int fd_ = -1;
};

}  // namespace magpie::reactor::sys

#endif  // MAGPIE_REACTOR_SYS_EVENT_FD_H_
