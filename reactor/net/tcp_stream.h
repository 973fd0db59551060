// magpie::net::TcpStream — a connected TCP socket driven by the reactor.
//
//   SocketAddr addr = *SocketAddr::parse("127.0.0.1:80");
//   absl::StatusOr<TcpStream> stream =
//       magpie::block_on(TcpStream::connect(addr));
//   absl::Status sent = magpie::block_on(stream->write_all(request));
//   absl::StatusOr<std::size_t> n = magpie::block_on(stream->read(buffer));
//
// Futures (each borrows the stream, which must outlive it and not move):
//   connect(addr)     -> absl::StatusOr<TcpStream>  non-blocking connect;
//                        refusal etc. as a status
//                        (net::is_connection_refused(status))
//   read(buf)         -> absl::StatusOr<size_t>     bytes read; 0 = end of
//                        stream (or an empty buf)
//   write(buf)        -> absl::StatusOr<size_t>     bytes written (>= 1 for a
//                        non-empty buf)
//   write_all(buf)    -> absl::Status               every byte, or the error
//   read_exact(buf)   -> absl::Status               fills buf; OutOfRange on
//                        an early end of stream
// Errors carry the errno; classify them with net::error_kind()
// (error_kind.h). Writes never raise SIGPIPE (a reset peer gives kBrokenPipe
// or kConnectionReset). With no current reactor,
// connect() fails FailedPrecondition; after a reactor shutdown every future
// fails Cancelled.
//
// Threads: one read-side future (read, read_exact) and one write-side future
// (write, write_all) may be pending at once, polled from any threads, with a
// different waker on each poll. The stream is closed on destruction
// (deregistered first).

#ifndef MAGPIE_REACTOR_NET_TCP_STREAM_H_
#define MAGPIE_REACTOR_NET_TCP_STREAM_H_

#include <cstddef>
#include <optional>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/io_source.h"
#include "reactor/net/socket_addr.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

// Which half of a connection shutdown() closes.
enum class Shutdown { kRead, kWrite, kBoth };

class TcpStream {
 public:
  class ConnectFuture;
  class ReadFuture;
  class WriteFuture;
  class WriteAllFuture;
  class ReadExactFuture;

  static ConnectFuture connect(const SocketAddr& addr);

  TcpStream(TcpStream&&) noexcept = default;
  TcpStream& operator=(TcpStream&&) noexcept = default;

  ReadFuture read(std::span<std::byte> buf);
  WriteFuture write(std::span<const std::byte> buf);
  WriteAllFuture write_all(std::span<const std::byte> buf);
  ReadExactFuture read_exact(std::span<std::byte> buf);

  // The one-step forms the futures are made of.
  Poll<absl::StatusOr<std::size_t>> poll_read(Context& cx,
                                              std::span<std::byte> buf);
  Poll<absl::StatusOr<std::size_t>> poll_write(Context& cx,
                                               std::span<const std::byte> buf);

  // Closes one or both halves. Asking for a state the connection is already
  // in succeeds: after the peer reset the connection (or it was never
  // connected) there is nothing left to shut, so ENOTCONN is OK, not an
  // error (Rust's TcpStream::shutdown does the same on macOS).
  absl::Status shutdown(Shutdown how);
  absl::Status set_nodelay(bool nodelay);
  absl::StatusOr<bool> nodelay() const;
  absl::StatusOr<SocketAddr> local_addr() const;
  absl::StatusOr<SocketAddr> peer_addr() const;

  int fd() const { return source_.fd(); }

 private:
  friend class TcpListener;

  explicit TcpStream(reactor::IoSource source) : source_(std::move(source)) {}

  reactor::IoSource source_;
};

class TcpStream::ConnectFuture {
 public:
  using Output = absl::StatusOr<TcpStream>;
  explicit ConnectFuture(const SocketAddr& addr) : addr_(addr) {}
  Poll<Output> poll(Context& cx);

 private:
  absl::Status start();

  SocketAddr addr_;
  std::optional<reactor::IoSource> source_;
};

class TcpStream::ReadFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  ReadFuture(TcpStream& stream, std::span<std::byte> buf)
      : stream_(&stream), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return stream_->poll_read(cx, buf_); }

 private:
  TcpStream* stream_;
  std::span<std::byte> buf_;
};

class TcpStream::WriteFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  WriteFuture(TcpStream& stream, std::span<const std::byte> buf)
      : stream_(&stream), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return stream_->poll_write(cx, buf_); }

 private:
  TcpStream* stream_;
  std::span<const std::byte> buf_;
};

class TcpStream::WriteAllFuture {
 public:
  using Output = absl::Status;
  WriteAllFuture(TcpStream& stream, std::span<const std::byte> buf)
      : stream_(&stream), rest_(buf) {}
  Poll<Output> poll(Context& cx);

 private:
  TcpStream* stream_;
  std::span<const std::byte> rest_;
};

class TcpStream::ReadExactFuture {
 public:
  using Output = absl::Status;
  ReadExactFuture(TcpStream& stream, std::span<std::byte> buf)
      : stream_(&stream), buf_(buf) {}
  Poll<Output> poll(Context& cx);

 private:
  TcpStream* stream_;
  std::span<std::byte> buf_;
  std::size_t filled_ = 0;
};

inline TcpStream::ConnectFuture TcpStream::connect(const SocketAddr& addr) {
  return ConnectFuture(addr);
}
inline TcpStream::ReadFuture TcpStream::read(std::span<std::byte> buf) {
  return ReadFuture(*this, buf);
}
inline TcpStream::WriteFuture TcpStream::write(std::span<const std::byte> buf) {
  return WriteFuture(*this, buf);
}
inline TcpStream::WriteAllFuture TcpStream::write_all(
    std::span<const std::byte> buf) {
  return WriteAllFuture(*this, buf);
}
inline TcpStream::ReadExactFuture TcpStream::read_exact(
    std::span<std::byte> buf) {
  return ReadExactFuture(*this, buf);
}

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_TCP_STREAM_H_
