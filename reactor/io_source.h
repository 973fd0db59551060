// magpie::reactor::IoSource — a file descriptor registered with the reactor:
// owns the fd and its registration, and runs non-blocking operations on it
// the edge-triggered way.
//
//   absl::StatusOr<IoSource> source =
//       IoSource::register_fd(fd, Interest::kReadable | Interest::kWritable);
//   Poll<absl::StatusOr<std::size_t>> n = source->poll_io(
//       cx, Direction::kRead, "recv",
//       [&] { return sys::recv(source->fd(), buf, len); });
//
// poll_io() is the one place the I/O protocol lives (reactor.h rule 5):
//   loop: wait until the direction is ready (registering cx.waker() and
//         re-checking if not); run the operation; if it hit EAGAIN, clear
//         exactly the readiness observed (tick-guarded) and go round, which
//         registers the waker and re-checks before answering Pending.
// poll_stream_io() is the same for a byte stream's recv/send (TCP, Unix
// stream) with one more clearing rule, Tokio's (PollEvented::poll_read):
// a short transfer (0 < n < len) drained the receive buffer or filled the
// send buffer, so it also clears the readiness observed (tick-guarded).
// The next operation then waits for the next edge instead of spending a
// syscall on EAGAIN (one recv per request on a request/response socket).
// Safe with EPOLLET: data that arrives after the transfer raises a new
// edge, whose event bumps the tick, so the clear either loses the race
// (tick changed: readiness kept) or precedes the event's set_readiness().
//
// Ownership: move-only; owns the fd. Destruction (or close()) deregisters
// first, then closes (mio: "deregister before drop"). Moving a source while
// a future that borrows it is pending is not allowed.
//
// Threads: one reader and one writer may poll concurrently, from any
// threads, with a different waker on each poll. Destroy it when no future
// borrows it.

#ifndef MAGPIE_REACTOR_IO_SOURCE_H_
#define MAGPIE_REACTOR_IO_SOURCE_H_

#include <cerrno>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "reactor/handle.h"
#include "reactor/interest.h"
#include "reactor/reactor_error.h"
#include "reactor/ready.h"
#include "reactor/scheduled_io.h"
#include "reactor/sys/error.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/poll.h"

namespace magpie::reactor {

class IoSource {
 public:
  // Registers `fd` with the current thread's reactor and takes ownership of
  // it; on failure (FailedPrecondition with no current reactor) closes it.
  static absl::StatusOr<IoSource> register_fd(int fd, Interest interest);
  static absl::StatusOr<IoSource> register_fd(const Handle& handle, int fd,
                                              Interest interest);

  IoSource(IoSource&& other) noexcept;
  IoSource& operator=(IoSource&& other) noexcept;
  IoSource(const IoSource&) = delete;
  IoSource& operator=(const IoSource&) = delete;
  ~IoSource() { close(); }

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  // The reactor it is registered with. Precondition: is_open().
  const Handle& handle() const { return *handle_; }

  // Deregisters, then closes. Idempotent.
  void close();

  // Deregisters and hands the fd to the caller (still non-blocking), who
  // now owns it; -1 if not open. No future may borrow the source.
  int release();

  Poll<ReadyEvent> poll_ready(Context& cx, Direction direction) {
    return io_->poll_ready(cx, direction);
  }
  void clear_readiness(const ReadyEvent& event) { io_->clear_readiness(event); }

  // Runs `op` once, now, if `direction` is known to be ready; never waits
  // and stores no waker. Unavailable with errno EAGAIN (would_block_status)
  // when not ready or when the operation hit EAGAIN, which clears the
  // readiness observed (tick-guarded): here readiness is cleared only by a
  // would-block. Cancelled once the reactor shut down.
  template <class Op>
  absl::StatusOr<std::size_t> try_io(Direction direction, std::string_view what,
                                     Op&& op) {
    const std::optional<ReadyEvent> ready = io_->ready_now(direction);
    if (!ready.has_value()) return would_block_status(what);
    if (ready->is_shutdown) return reactor_shutdown_status();
    const sys::SysResult result = op();
    if (result.would_block()) {
      io_->clear_readiness(*ready);
      return would_block_status(what);
    }
    if (!result.ok()) return sys::errno_status(result.error, what);
    return static_cast<std::size_t>(result.value);
  }

  // The status try_io answers when it would have to wait.
  static absl::Status would_block_status(std::string_view what) {
    return sys::errno_status(EAGAIN, what);
  }
  static bool is_would_block(const absl::Status& status) {
    return sys::error_number(status) == EAGAIN;
  }

  // Runs `op` (returning sys::SysResult) once `direction` is ready; see the
  // protocol above. Errors name `what`; Cancelled once the reactor shut down.
  template <class Op>
  Poll<absl::StatusOr<std::size_t>> poll_io(Context& cx, Direction direction,
                                            std::string_view what, Op&& op) {
    return poll_io_impl(cx, direction, what, kNoShortTransferHint,
                        std::forward<Op>(op));
  }

  // poll_io() for a byte stream's recv/send of `len` (> 0) bytes: a short
  // transfer also clears the readiness observed (see the protocol above).
  // Not for peeks (they drain nothing), datagrams or accept.
  template <class Op>
  Poll<absl::StatusOr<std::size_t>> poll_stream_io(Context& cx,
                                                   Direction direction,
                                                   std::string_view what,
                                                   std::size_t len, Op&& op) {
    return poll_io_impl(cx, direction, what, len, std::forward<Op>(op));
  }

 private:
  // poll_io_impl's `stream_len` when a short transfer says nothing.
  static constexpr std::size_t kNoShortTransferHint = 0;

  template <class Op>
  Poll<absl::StatusOr<std::size_t>> poll_io_impl(Context& cx,
                                                 Direction direction,
                                                 std::string_view what,
                                                 std::size_t stream_len,
                                                 Op&& op) {
    // Coop budget (runtime/core/coop.h): a task that always finds its socket
    // ready still yields its worker now and then. Only an answer other than
    // Pending is progress (coop rule 1): a readiness that turns out stale
    // (the op would block, e.g. another task accepted the connection) loops
    // back and may end Pending, and then the unit goes back.
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    while (true) {
      Poll<ReadyEvent> ready = io_->poll_ready(cx, direction);
      if (ready.is_pending()) return Pending;
      if (ready.value().is_shutdown) {
        coop->made_progress();
        return absl::StatusOr<std::size_t>(reactor_shutdown_status());
      }
      const sys::SysResult result = op();
      if (result.would_block()) {
        io_->clear_readiness(ready.value());
        continue;
      }
      coop->made_progress();
      if (!result.ok()) {
        return absl::StatusOr<std::size_t>(
            sys::errno_status(result.error, what));
      }
      const auto n = static_cast<std::size_t>(result.value);
      // A short stream transfer: buffer drained (read) or full (write).
      if (n > 0 && n < stream_len) io_->clear_readiness(ready.value());
      return absl::StatusOr<std::size_t>(n);
    }
  }

  IoSource(Handle handle, ScheduledIo* io, int fd)
      : handle_(std::move(handle)), io_(io), fd_(fd) {}

  std::optional<Handle> handle_;
  ScheduledIo* io_ = nullptr;
  int fd_ = -1;
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_IO_SOURCE_H_
