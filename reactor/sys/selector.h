// magpie::reactor::sys::Selector — the epoll backend: one epoll instance,
// edge-triggered registrations, and a batch of events read from it.
//
// Required types every backend provides (mio's sys contract; epoll is the
// only backend):
//   Selector   create / register_fd / reregister_fd / deregister_fd / select
//   Events     a reusable buffer of (Token, Ready) pairs filled by select()
//   EventFd    a counter another thread bumps to end a select() early
//
// Ownership: the Selector owns its epoll fd and closes it when destroyed.
// Lifetimes: a file descriptor must be deregistered before it is closed
// (closing drops it from epoll only once every dup of it is closed).
//
// Threads: register_fd / reregister_fd / deregister_fd from any thread, at
// the same time as one thread sits in select() (epoll allows this). Events
// belongs to the thread that selects into it.
//
// This file and the others in reactor/sys are the only ones that include
// the Linux epoll and eventfd headers.

#ifndef MAGPIE_REACTOR_SYS_SELECTOR_H_
#define MAGPIE_REACTOR_SYS_SELECTOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/interest.h"
#include "reactor/ready.h"
#include "reactor/token.h"

struct epoll_event;

namespace magpie::reactor::sys {

// Events: token() and ready() are inline (the reactor reads both for every
// event it dispatches; out of line, ready() cost ~24 instructions an event
// on the echo server). They read the buffer through RawEvent, a mirror of
// struct epoll_event (packed on x86-64, as <sys/epoll.h> declares it) with
// the epoll flag values it needs, so this header stays free of the Linux
// headers; selector.cc static_asserts that the layout and values match.
class Events {
 public:
  explicit Events(std::size_t capacity);
  ~Events();
  Events(Events&&) noexcept;
  Events& operator=(Events&&) noexcept;

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  Token token(std::size_t i) const { return Token{raw_[i].data}; }
  Ready ready(std::size_t i) const { return decode(raw_[i].events); }

  // epoll's event flags as Ready bits: IN/PRI readable, OUT writable, RDHUP
  // read-closed, HUP both closed, ERR error.
  static constexpr Ready decode(std::uint32_t flags) {
    std::uint16_t bits = 0;
    if ((flags & (kEpollIn | kEpollPri)) != 0) bits |= Ready::kReadable;
    if ((flags & kEpollOut) != 0) bits |= Ready::kWritable;
    if ((flags & kEpollRdHup) != 0) bits |= Ready::kReadClosed;
    if ((flags & kEpollHup) != 0) {
      bits |= Ready::kReadClosed | Ready::kWriteClosed;
    }
    if ((flags & kEpollErr) != 0) bits |= Ready::kError;
    return Ready(bits);
  }

  // The values of EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP and
  // EPOLLRDHUP (Linux ABI; checked in selector.cc).
  static constexpr std::uint32_t kEpollIn = 0x001;
  static constexpr std::uint32_t kEpollPri = 0x002;
  static constexpr std::uint32_t kEpollOut = 0x004;
  static constexpr std::uint32_t kEpollErr = 0x008;
  static constexpr std::uint32_t kEpollHup = 0x010;
  static constexpr std::uint32_t kEpollRdHup = 0x2000;

  // struct epoll_event's layout: packed on x86-64 only.
#if defined(__x86_64__)
  struct __attribute__((packed)) RawEvent {
#else
  struct RawEvent {
#endif
    std::uint32_t events;
    std::uint64_t data;
  };

 private:
  friend class Selector;

  std::unique_ptr<epoll_event[]> buffer_;
  const RawEvent* raw_ = nullptr;  // buffer_, read as RawEvent
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

class Selector {
 public:
  static absl::StatusOr<Selector> create();

  Selector(Selector&& other) noexcept;
  Selector& operator=(Selector&& other) noexcept;
  Selector(const Selector&) = delete;
  Selector& operator=(const Selector&) = delete;
  ~Selector();

  absl::Status register_fd(int fd, Token token, Interest interest) const;
  absl::Status reregister_fd(int fd, Token token, Interest interest) const;
  absl::Status deregister_fd(int fd) const;

  // Waits until at least one event or `timeout` (nullopt: no limit; zero: a
  // poll; never shorter than asked: a positive timeout in nanoseconds with
  // epoll_pwait2, else rounded up to whole milliseconds for epoll_wait) and
  // fills `events`. A poll and an unbounded wait use epoll_wait (cheaper).
  // EINTR counts as a return with no events.
  absl::Status select(Events& events,
                      std::optional<std::chrono::nanoseconds> timeout) const;

 private:
  explicit Selector(int epoll_fd) : epoll_fd_(epoll_fd) {}

  int epoll_fd_ = -1;
};

}  // namespace magpie::reactor::sys

#endif  // MAGPIE_REACTOR_SYS_SELECTOR_H_
