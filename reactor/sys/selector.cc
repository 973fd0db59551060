#include "reactor/sys/selector.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <climits>
#include <utility>

#include "reactor/sys/error.h"

namespace magpie::reactor::sys {
namespace {

std::uint32_t epoll_flags(Interest interest) {
  // Edge-triggered; EPOLLRDHUP so a half-closed peer shows as READ_CLOSED.
  std::uint32_t flags = EPOLLET | EPOLLRDHUP;
  if (interest.is_readable()) flags |= EPOLLIN | EPOLLPRI;
  if (interest.is_writable()) flags |= EPOLLOUT;
  return flags;
}

// Milliseconds for epoll_wait: -1 for no limit, else rounded up and clamped
// to INT_MAX (about 24 days; the caller simply waits again).
int timeout_ms(std::optional<std::chrono::nanoseconds> timeout) {
  if (!timeout.has_value()) return -1;
  if (timeout->count() <= 0) return 0;
  const auto ms =
      std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace

Events::Events(std::size_t capacity)
    : buffer_(new epoll_event[capacity]), capacity_(capacity) {}
Events::~Events() = default;
Events::Events(Events&&) noexcept = default;
Events& Events::operator=(Events&&) noexcept = default;

Token Events::token(std::size_t i) const { return Token{buffer_[i].data.u64}; }

Ready Events::ready(std::size_t i) const {
  const std::uint32_t flags = buffer_[i].events;
  std::uint16_t bits = 0;
  if ((flags & (EPOLLIN | EPOLLPRI)) != 0) bits |= Ready::kReadable;
  if ((flags & EPOLLOUT) != 0) bits |= Ready::kWritable;
  if ((flags & EPOLLRDHUP) != 0) bits |= Ready::kReadClosed;
  if ((flags & EPOLLHUP) != 0) bits |= Ready::kReadClosed | Ready::kWriteClosed;
  if ((flags & EPOLLERR) != 0) bits |= Ready::kError;
  return Ready(bits);
}

absl::StatusOr<Selector> Selector::create() {
  SysResult r = cvt(::epoll_create1(EPOLL_CLOEXEC));
  if (!r.ok()) return to_status(r, "epoll_create1");
  return Selector(static_cast<int>(r.value));
}

Selector::Selector(Selector&& other) noexcept
    : epoll_fd_(std::exchange(other.epoll_fd_, -1)) {}

Selector& Selector::operator=(Selector&& other) noexcept {
  Selector taken(std::move(other));
  std::swap(epoll_fd_, taken.epoll_fd_);
  return *this;
}

Selector::~Selector() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

absl::Status Selector::register_fd(int fd, Token token,
                                   Interest interest) const {
  epoll_event event{};
  event.events = epoll_flags(interest);
  event.data.u64 = token.value;
  return to_status(cvt(::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event)),
                   "epoll_ctl(ADD)");
}

absl::Status Selector::reregister_fd(int fd, Token token,
                                     Interest interest) const {
  epoll_event event{};
  event.events = epoll_flags(interest);
  event.data.u64 = token.value;
  return to_status(cvt(::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event)),
                   "epoll_ctl(MOD)");
}

absl::Status Selector::deregister_fd(int fd) const {
  return to_status(cvt(::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr)),
                   "epoll_ctl(DEL)");
}

absl::Status Selector::select(
    Events& events, std::optional<std::chrono::nanoseconds> timeout) const {
  events.size_ = 0;
  SysResult r = cvt(::epoll_wait(epoll_fd_, events.buffer_.get(),
                                 static_cast<int>(events.capacity_),
                                 timeout_ms(timeout)));
  if (r.interrupted()) return absl::OkStatus();
  if (!r.ok()) return to_status(r, "epoll_wait");
  events.size_ = static_cast<std::size_t>(r.value);
  return absl::OkStatus();
}

}  // namespace magpie::reactor::sys
