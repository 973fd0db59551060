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
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/interest.h"
#include "reactor/ready.h"
#include "reactor/token.h"

struct epoll_event;

namespace magpie::reactor::sys {

class Events {
 public:
  explicit Events(std::size_t capacity);
  ~Events();
  Events(Events&&) noexcept;
  Events& operator=(Events&&) noexcept;

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  Token token(std::size_t i) const;
  Ready ready(std::size_t i) const;

 private:
  friend class Selector;

  std::unique_ptr<epoll_event[]> buffer_;
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

  // Waits until at least one event or `timeout` (nullopt: no limit; never
  // shorter than asked: nanoseconds with epoll_pwait2, else rounded up to
  // whole milliseconds for epoll_wait) and fills `events`. EINTR counts as
  // a return with no events.
  absl::Status select(Events& events,
                      std::optional<std::chrono::nanoseconds> timeout) const;

 private:
  explicit Selector(int epoll_fd) : epoll_fd_(epoll_fd) {}

  int epoll_fd_ = -1;
};

}  // namespace magpie::reactor::sys

#endif  // MAGPIE_REACTOR_SYS_SELECTOR_H_
