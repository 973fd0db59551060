// magpie::reactor::Interest — which readiness a registration asks epoll to
// report: readable, writable, or both.
//
//   registry.register_fd(fd, token, Interest::kReadable | Interest::kWritable);
//
// Error and hang-up conditions are always reported whatever the interest
// (epoll does so), as are "peer closed its write side" (EPOLLRDHUP, asked
// for with every registration). Registrations are edge-triggered: an event
// arrives when readiness appears, not while it lasts (see scheduled_io.h for
// how the futures cope).
//
// A plain value; never empty (the constructors only make the two named
// values and their union).

#ifndef MAGPIE_REACTOR_INTEREST_H_
#define MAGPIE_REACTOR_INTEREST_H_

#include <cstdint>

namespace magpie::reactor {

class Interest {
 public:
  static const Interest kReadable;
  static const Interest kWritable;

  constexpr bool is_readable() const { return (bits_ & kReadBit) != 0; }
  constexpr bool is_writable() const { return (bits_ & kWriteBit) != 0; }

  constexpr Interest operator|(Interest other) const {
    return Interest(bits_ | other.bits_);
  }
  friend constexpr bool operator==(Interest, Interest) = default;

 private:
  static constexpr std::uint8_t kReadBit = 1;
  static constexpr std::uint8_t kWriteBit = 2;

  explicit constexpr Interest(std::uint8_t bits) : bits_(bits) {}

  std::uint8_t bits_;
};

inline constexpr Interest Interest::kReadable{Interest::kReadBit};
inline constexpr Interest Interest::kWritable{Interest::kWriteBit};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_INTEREST_H_
