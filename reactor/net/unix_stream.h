// magpie::net::UnixStream — a connected Unix domain stream socket driven by
// the reactor; the Unix counterpart of TcpStream, with the same operations.
//
//   auto addr = *UnixSocketAddr::from_path("/run/app.sock");
//   absl::StatusOr<UnixStream> stream = co_await UnixStream::connect(addr);
//   auto [a, b] = *UnixStream::pair();            // socketpair(2)
//
// Futures (each borrows the stream, which must outlive it and not move):
//   connect(addr)  -> absl::StatusOr<UnixStream>  ENOENT / ECONNREFUSED as a
//                     status; EAGAIN (the listener's backlog is full) too
//   read, read_exact, peek, write, write_all, readable, writable, ready
// Also try_read / try_write (would-block as a status, readiness.h),
// shutdown(Shutdown), split() / into_split() (split.h: UnixReadHalf,
// UnixWriteHalf, UnixOwnedReadHalf, UnixOwnedWriteHalf), from_fd / into_fd,
// local_addr / peer_addr. It is an io::AsyncRead and io::AsyncWrite.
// Writes never raise SIGPIPE (MSG_NOSIGNAL): a gone peer is EPIPE.
//
// Threads: one read-side and one write-side future pending at a time, from
// any threads with any wakers. Closed on destruction (deregistered first).

#ifndef MAGPIE_REACTOR_NET_UNIX_STREAM_H_
#define MAGPIE_REACTOR_NET_UNIX_STREAM_H_

#include <cstddef>
#include <optional>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/interest.h"
#include "reactor/io/async_read.h"
#include "reactor/io/async_write.h"
#include "reactor/io_source.h"
#include "reactor/net/readiness.h"
#include "reactor/net/shutdown.h"
#include "reactor/net/unix_socket_addr.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

class UnixStream;
template <class Stream>
class ReadHalfOf;
template <class Stream>
class WriteHalfOf;
template <class Stream>
class OwnedReadHalfOf;
template <class Stream>
class OwnedWriteHalfOf;
using UnixReadHalf = ReadHalfOf<UnixStream>;
using UnixWriteHalf = WriteHalfOf<UnixStream>;
using UnixOwnedReadHalf = OwnedReadHalfOf<UnixStream>;
using UnixOwnedWriteHalf = OwnedWriteHalfOf<UnixStream>;

class UnixStream {
 public:
  class ConnectFuture;
  class PeekFuture;

  static ConnectFuture connect(const UnixSocketAddr& addr);
  // Two connected, registered, unnamed streams.
  static absl::StatusOr<std::pair<UnixStream, UnixStream>> pair();
  // Adopts a connected AF_UNIX stream socket (made non-blocking); the fd is
  // closed on failure. into_fd() hands it back (deregistered).
  static absl::StatusOr<UnixStream> from_fd(int fd);
  int into_fd() && { return source_.release(); }

  UnixStream(UnixStream&&) noexcept = default;
  UnixStream& operator=(UnixStream&&) noexcept = default;

  io::ReadFuture<UnixStream> read(std::span<std::byte> buf) {
    return io::ReadFuture<UnixStream>(*this, buf);
  }
  io::ReadExactFuture<UnixStream> read_exact(std::span<std::byte> buf) {
    return io::ReadExactFuture<UnixStream>(*this, buf);
  }
  io::WriteFuture<UnixStream> write(std::span<const std::byte> buf) {
    return io::WriteFuture<UnixStream>(*this, buf);
  }
  io::WriteAllFuture<UnixStream> write_all(std::span<const std::byte> buf) {
    return io::WriteAllFuture<UnixStream>(*this, buf);
  }
  PeekFuture peek(std::span<std::byte> buf);

  Poll<absl::StatusOr<std::size_t>> poll_read(Context& cx,
                                              std::span<std::byte> buf);
  Poll<absl::StatusOr<std::size_t>> poll_peek(Context& cx,
                                              std::span<std::byte> buf);
  Poll<absl::StatusOr<std::size_t>> poll_write(Context& cx,
                                               std::span<const std::byte> buf);
  Poll<absl::Status> poll_flush(Context&) { return absl::OkStatus(); }
  Poll<absl::Status> poll_shutdown(Context&) {
    return shutdown(Shutdown::kWrite);
  }

  ReadyFuture readable() {
    return ReadyFuture(source_, reactor::Interest::kReadable);
  }
  ReadyFuture writable() {
    return ReadyFuture(source_, reactor::Interest::kWritable);
  }
  ReadyFuture ready(reactor::Interest interest) {
    return ReadyFuture(source_, interest);
  }
  absl::StatusOr<std::size_t> try_read(std::span<std::byte> buf);
  absl::StatusOr<std::size_t> try_write(std::span<const std::byte> buf);

  std::pair<UnixReadHalf, UnixWriteHalf> split();
  std::pair<UnixOwnedReadHalf, UnixOwnedWriteHalf> into_split() &&;

  absl::Status shutdown(Shutdown how);
  absl::StatusOr<UnixSocketAddr> local_addr() const;
  absl::StatusOr<UnixSocketAddr> peer_addr() const;
  int fd() const { return source_.fd(); }

 private:
  friend class UnixListener;
  explicit UnixStream(reactor::IoSource source) : source_(std::move(source)) {}

  reactor::IoSource source_;
};

class UnixStream::ConnectFuture {
 public:
  using Output = absl::StatusOr<UnixStream>;
  explicit ConnectFuture(const UnixSocketAddr& addr) : addr_(addr) {}
  Poll<Output> poll(Context& cx);

 private:
  UnixSocketAddr addr_;
  std::optional<reactor::IoSource> source_;
};

class UnixStream::PeekFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  PeekFuture(UnixStream& stream, std::span<std::byte> buf)
      : stream_(&stream), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return stream_->poll_peek(cx, buf_); }

 private:
  UnixStream* stream_;
  std::span<std::byte> buf_;
};

inline UnixStream::ConnectFuture UnixStream::connect(
    const UnixSocketAddr& addr) {
  return ConnectFuture(addr);
}
inline UnixStream::PeekFuture UnixStream::peek(std::span<std::byte> buf) {
  return PeekFuture(*this, buf);
}

}  // namespace magpie::net

#include "reactor/net/split.h"  // IWYU pragma: export

#endif  // MAGPIE_REACTOR_NET_UNIX_STREAM_H_
