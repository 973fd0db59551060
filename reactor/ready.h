// magpie::reactor::Ready — a set of readiness conditions of one source, as
// the reactor last saw them.
//
//   bit | name         | set by epoll flag     | cleared by
//   ----+--------------+-----------------------+--------------------------
//    0  | READABLE     | EPOLLIN, EPOLLPRI     | a read that hit EAGAIN
//    1  | WRITABLE     | EPOLLOUT              | a write that hit EAGAIN
//    2  | READ_CLOSED  | EPOLLRDHUP, EPOLLHUP  | never (final)
//    3  | WRITE_CLOSED | EPOLLHUP              | never (final)
//    4  | ERROR        | EPOLLERR              | an operation's EAGAIN
//
// The closed bits are final: once the peer hung up, every later read sees
// end-of-stream (or an error) at once, never EAGAIN. ERROR counts for both
// directions so the operation runs and reports the error itself.
//
// A plain value (16 bits used by ScheduledIo's packed word).

#ifndef MAGPIE_REACTOR_READY_H_
#define MAGPIE_REACTOR_READY_H_

#include <cstdint>

namespace magpie::reactor {

// Which half of a source a future waits on.
enum class Direction : std::uint8_t { kRead, kWrite };

class Ready {
 public:
  static constexpr std::uint16_t kReadable = 1u << 0;
  static constexpr std::uint16_t kWritable = 1u << 1;
  static constexpr std::uint16_t kReadClosed = 1u << 2;
  static constexpr std::uint16_t kWriteClosed = 1u << 3;
  static constexpr std::uint16_t kError = 1u << 4;
  static constexpr std::uint16_t kAll =
      kReadable | kWritable | kReadClosed | kWriteClosed | kError;
  static constexpr std::uint16_t kClosed = kReadClosed | kWriteClosed;

  constexpr Ready() = default;
  explicit constexpr Ready(std::uint16_t bits) : bits_(bits & kAll) {}

  // The bits that let a future waiting in `direction` make progress.
  static constexpr Ready mask_for(Direction direction) {
    return Ready(direction == Direction::kRead
                     ? kReadable | kReadClosed | kError
                     : kWritable | kWriteClosed | kError);
  }

  constexpr std::uint16_t bits() const { return bits_; }
  constexpr bool is_empty() const { return bits_ == 0; }
  constexpr bool is_readable() const { return (bits_ & kReadable) != 0; }
  constexpr bool is_writable() const { return (bits_ & kWritable) != 0; }
  constexpr bool is_read_closed() const { return (bits_ & kReadClosed) != 0; }
  constexpr bool is_write_closed() const { return (bits_ & kWriteClosed) != 0; }
  constexpr bool is_error() const { return (bits_ & kError) != 0; }

  constexpr Ready operator|(Ready other) const {
    return Ready(bits_ | other.bits_);
  }
  constexpr Ready operator&(Ready other) const {
    return Ready(bits_ & other.bits_);
  }
  // The bits of *this not in `other`.
  constexpr Ready without(Ready other) const {
    return Ready(bits_ & ~other.bits_);
  }
  friend constexpr bool operator==(Ready, Ready) = default;

 private:
  std::uint16_t bits_ = 0;
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_READY_H_
