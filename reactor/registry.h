// magpie::reactor::Registry — the shareable half of a Poller: registers,
// re-registers and deregisters file descriptors with a token and an
// interest (mio's Registry).
//
//   Registry registry = poller.registry();
//   MAGPIE_RETURN_IF_ERROR(registry.register_fd(fd, token,
//   Interest::kReadable));
//   ...
//   registry.deregister_fd(fd);   // before close(fd)
//
// Ownership: borrows the Poller's selector; valid while that Poller lives
// (the Driver owns both and outlives every registration, see driver.h).
// Lifetimes: deregister a file descriptor before closing it.
//
// Threads: any, concurrently with each other and with Poller::poll() on the
// reactor thread (epoll_ctl and epoll_wait may race; the kernel orders
// them). Registrations are edge-triggered (interest.h).

#ifndef MAGPIE_REACTOR_REGISTRY_H_
#define MAGPIE_REACTOR_REGISTRY_H_

#include "absl/status/status.h"
#include "reactor/interest.h"
#include "reactor/sys/selector.h"
#include "reactor/token.h"

namespace magpie::reactor {

class Registry {
 public:
  explicit Registry(const sys::Selector* selector) : selector_(selector) {}

  absl::Status register_fd(int fd, Token token, Interest interest) const {
    return selector_->register_fd(fd, token, interest);
  }
  absl::Status reregister_fd(int fd, Token token, Interest interest) const {
    return selector_->reregister_fd(fd, token, interest);
  }
  absl::Status deregister_fd(int fd) const {
    return selector_->deregister_fd(fd);
  }

 private:
  const sys::Selector* selector_;
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_REGISTRY_H_
