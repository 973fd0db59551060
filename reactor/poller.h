// magpie::reactor::Poller — owns the epoll instance and the loop's one
// blocking call: wait for events with a timeout (mio's Poll).
//
//   absl::StatusOr<Poller> poller = Poller::create();
//   sys::Events events(1024);
//   poller->poll(events, std::chrono::milliseconds(5));
//   for (std::size_t i = 0; i < events.size(); ++i) route(events.token(i),
//                                                          events.ready(i));
//
// Ownership: owns the selector (epoll fd); its Registry borrows it.
// Threads: poll() from one thread at a time (the reactor thread); registry()
// from any.

#ifndef MAGPIE_REACTOR_POLLER_H_
#define MAGPIE_REACTOR_POLLER_H_

#include <chrono>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/registry.h"
#include "reactor/sys/selector.h"

namespace magpie::reactor {

class Poller {
 public:
  static absl::StatusOr<Poller> create() {
    absl::StatusOr<sys::Selector> selector = sys::Selector::create();
    if (!selector.ok()) return selector.status();
    return Poller(*std::move(selector));
  }

  Poller(Poller&&) noexcept = default;
  Poller& operator=(Poller&&) noexcept = default;

  // Waits for events (or `timeout`; nullopt waits without limit) into
  // `events`. Never returns before the timeout without an event, except on
  // a signal (then with no events).
  absl::Status poll(sys::Events& events,
                    std::optional<std::chrono::nanoseconds> timeout) const {
    return selector_.select(events, timeout);
  }

  // The shareable half; valid while *this lives and is not moved.
  Registry registry() const { return Registry(&selector_); }

 private:
  explicit Poller(sys::Selector selector) : selector_(std::move(selector)) {}

  sys::Selector selector_;
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_POLLER_H_
