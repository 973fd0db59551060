// magpie::reactor::Token — the word a registered file descriptor carries
// through epoll, so that an event can be routed back to its source.
//
// The reactor uses the address of the source's ScheduledIo as its token
// (see driver.h, rule 2: a ScheduledIo outlives every epoll batch that may
// still name it), and reserves Token{0} for its own eventfd. Registry users
// outside the reactor may pick any value; the Poller hands it back verbatim.
//
// A Token is a plain value.

#ifndef MAGPIE_REACTOR_TOKEN_H_
#define MAGPIE_REACTOR_TOKEN_H_

#include <compare>
#include <cstdint>

namespace magpie::reactor {

struct Token {
  std::uint64_t value = 0;

  friend constexpr auto operator<=>(const Token&, const Token&) = default;
};

// The token of the reactor's own wake-up eventfd.
inline constexpr Token kWakeToken{0};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_TOKEN_H_
