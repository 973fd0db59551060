#include "reactor/sys/event_fd.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

#include "reactor/sys/error.h"

namespace magpie::reactor::sys {

absl::StatusOr<EventFd> EventFd::create() {
  SysResult r = cvt(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!r.ok()) return to_status(r, "eventfd");
  return EventFd(static_cast<int>(r.value));
}

EventFd::EventFd(EventFd&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

EventFd& EventFd::operator=(EventFd&& other) noexcept {
  EventFd taken(std::move(other));
  std::swap(fd_, taken.fd_);
  return *this;
}

EventFd::~EventFd() {
  if (fd_ >= 0) (void)cvt(::close(fd_));
}

void EventFd::wake() const {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is at its maximum: the reader will wake anyway.
  (void)cvt(::write(fd_, &one, sizeof(one)));
}

void EventFd::drain() const {
  std::uint64_t value = 0;
  // One read resets a non-semaphore eventfd; EAGAIN means it was zero.
  (void)cvt(::read(fd_, &value, sizeof(value)));
}

}  // namespace magpie::reactor::sys
