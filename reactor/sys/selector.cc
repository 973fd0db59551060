#include "reactor/sys/selector.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "reactor/sys/error.h"
#include "runtime/core/atomic.h"
#include "runtime/core/sanitizers.h"

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

#if defined(MAGPIE_UNDER_TSAN)
// ThreadSanitizer intercepts epoll_wait (and so sees that an epoll_ctl
// happens before the epoll_wait that reports it) but not epoll_pwait2.
constexpr bool kTryPwait2 = false;
#else
constexpr bool kTryPwait2 = true;
#endif

// Set once epoll_pwait2 answered ENOSYS (kernels before 5.11, sandboxes):
// from then on every select uses epoll_wait. A relaxed flag: racing threads
// at worst both try the unsupported call once.
core::Atomic<bool> pwait2_unsupported{false};

}  // namespace

// Events reads the kernel's epoll_event array through its mirror RawEvent.
static_assert(sizeof(Events::RawEvent) == sizeof(epoll_event));
static_assert(alignof(Events::RawEvent) == alignof(epoll_event));
static_assert(offsetof(Events::RawEvent, events) ==
              offsetof(epoll_event, events));
static_assert(offsetof(Events::RawEvent, data) == offsetof(epoll_event, data));
static_assert(Events::kEpollIn == EPOLLIN && Events::kEpollPri == EPOLLPRI &&
              Events::kEpollOut == EPOLLOUT && Events::kEpollErr == EPOLLERR &&
              Events::kEpollHup == EPOLLHUP &&
              Events::kEpollRdHup == EPOLLRDHUP);

Events::Events(std::size_t capacity)
    : buffer_(new epoll_event[capacity]),
      raw_(reinterpret_cast<const RawEvent*>(buffer_.get())),
      capacity_(capacity) {}
Events::~Events() = default;
Events::Events(Events&& other) noexcept
    : buffer_(std::move(other.buffer_)),
      raw_(std::exchange(other.raw_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}
Events& Events::operator=(Events&& other) noexcept {
  buffer_ = std::move(other.buffer_);
  raw_ = std::exchange(other.raw_, nullptr);
  capacity_ = std::exchange(other.capacity_, 0);
  size_ = std::exchange(other.size_, 0);
  return *this;
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
  if (epoll_fd_ >= 0) (void)cvt(::close(epoll_fd_));
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
  SysResult r = cvt(::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr));
  // ENOENT: not registered, which is the state asked for.
  if (!r.ok() && r.error == ENOENT) return absl::OkStatus();
  return to_status(r, "epoll_ctl(DEL)");
}

absl::Status Selector::select(
    Events& events, std::optional<std::chrono::nanoseconds> timeout) const {
  events.size_ = 0;
  const int capacity = static_cast<int>(events.capacity_);
  SysResult r{-1, ENOSYS};
  // epoll_pwait2 takes the timeout in nanoseconds: the reactor then wakes at
  // a timer's 16.4 us tick rather than up to a millisecond after it
  // (epoll_wait's unit), give or take the thread's timer slack
  // (timer_slack.h). Only a positive, finite timeout needs that unit: a
  // poll (zero) or an unbounded wait means the same to both calls, and
  // epoll_wait is the cheaper (a zero-timeout epoll_pwait2 cost ~250 ns
  // more per call than epoll_wait here, kernel 6.18; a busy worker polls
  // the driver every event_interval ticks).
  const bool needs_ns = timeout.has_value() && timeout->count() > 0;
  if (kTryPwait2 && needs_ns &&
      !pwait2_unsupported.load(std::memory_order_relaxed)) {
    const std::int64_t ns = timeout->count();
    timespec limit{};
    limit.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    limit.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    r = cvt(::epoll_pwait2(epoll_fd_, events.buffer_.get(), capacity, &limit,
                           nullptr));
    if (r.error == ENOSYS) {
      pwait2_unsupported.store(true, std::memory_order_relaxed);
    }
  }
  if (r.error == ENOSYS) {
    r = cvt(::epoll_wait(epoll_fd_, events.buffer_.get(), capacity,
                         timeout_ms(timeout)));
  }
  if (r.interrupted()) return absl::OkStatus();
  if (!r.ok()) return to_status(r, "epoll_wait");
  events.size_ = static_cast<std::size_t>(r.value);
  return absl::OkStatus();
}

}  // namespace magpie::reactor::sys
