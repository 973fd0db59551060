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
// Also (split.h, readiness.h, socket_options.h, lookup_host.h):
//   peek(buf)         -> absl::StatusOr<size_t>     like read, but the bytes
//                        stay in the socket for the next read
//   readable(), writable(), ready(interest)
//                     -> absl::StatusOr<Ready>      readiness without I/O
//   try_read(buf), try_write(buf)                   one attempt now; a
//                        would-block answers a status is_would_block() knows
//   split(), into_split()                           read and write halves
//                                                   (split.h)
//   from_fd(fd), into_fd()                          adopt / hand back an fd
//   set_linger, set_keepalive, set_ttl (and getters)
// TcpStream is an io::AsyncRead and io::AsyncWrite (poll_flush is a no-op;
// poll_shutdown closes the write direction).
//
// Threads: one read-side future (read, read_exact, peek, readable) and one
// write-side future (write, write_all, writable) may be pending at once, polled from any threads, with a
// different waker on each poll. The stream is closed on destruction
// (deregistered first).

#ifndef MAGPIE_REACTOR_NET_TCP_STREAM_H_
#define MAGPIE_REACTOR_NET_TCP_STREAM_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/interest.h"
#include "reactor/io_source.h"
#include "reactor/net/lookup_host.h"
#include "reactor/net/readiness.h"
#include "reactor/net/shutdown.h"
#include "reactor/net/socket_addr.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

class TcpStream;
// The halves of split() / into_split() (split.h).
template <class Stream>
class ReadHalfOf;
template <class Stream>
class WriteHalfOf;
template <class Stream>
class OwnedReadHalfOf;
template <class Stream>
class OwnedWriteHalfOf;
using ReadHalf = ReadHalfOf<TcpStream>;
using WriteHalf = WriteHalfOf<TcpStream>;
using OwnedReadHalf = OwnedReadHalfOf<TcpStream>;
using OwnedWriteHalf = OwnedWriteHalfOf<TcpStream>;

class TcpStream {
 public:
  class ConnectFuture;
  class ReadFuture;
  class WriteFuture;
  class WriteAllFuture;
  class ReadExactFuture;
  class PeekFuture;
  class ConnectHostFuture;

  static ConnectFuture connect(const SocketAddr& addr);
  // By name ("localhost:8080", or any numeric form): lookup_host, then each
  // address in turn until one connects; the last address's error otherwise.
  static ConnectHostFuture connect(std::string_view host_port);

  // Adopts a connected stream socket (made non-blocking here) and registers
  // it with the current reactor; the fd is closed on failure.
  static absl::StatusOr<TcpStream> from_fd(int fd);
  // Deregisters and hands the fd back (still non-blocking); the caller owns
  // it. No future may borrow the stream.
  int into_fd() &&;

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

  Poll<absl::StatusOr<std::size_t>> poll_peek(Context& cx,
                                              std::span<std::byte> buf);
  PeekFuture peek(std::span<std::byte> buf);

  // io::AsyncWrite: nothing is buffered here; shutdown closes the write
  // direction.
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

  // Borrowed halves (the stream outlives them) and owned halves (movable
  // into different tasks); see split.h.
  std::pair<ReadHalf, WriteHalf> split();
  std::pair<OwnedReadHalf, OwnedWriteHalf> into_split() &&;

  absl::Status set_linger(std::optional<std::chrono::seconds> linger);
  absl::StatusOr<std::optional<std::chrono::seconds>> linger() const;
  absl::Status set_keepalive(bool on,
                             std::optional<std::chrono::seconds> idle = {});
  absl::StatusOr<bool> keepalive() const;
  absl::Status set_ttl(int ttl);
  absl::StatusOr<int> ttl() const;

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
  friend class TcpSocket;

  explicit TcpStream(reactor::IoSource source) : source_(std::move(source)) {}

  reactor::IoSource source_;
};

class TcpStream::ConnectFuture {
 public:
  using Output = absl::StatusOr<TcpStream>;
  explicit ConnectFuture(const SocketAddr& addr) : addr_(addr) {}
  ConnectFuture(ConnectFuture&& other) noexcept
      : addr_(other.addr_),
        source_(std::move(other.source_)),
        prepared_fd_(std::exchange(other.prepared_fd_, -1)) {}
  ConnectFuture& operator=(ConnectFuture&&) = delete;
  ~ConnectFuture();
  Poll<Output> poll(Context& cx);

 private:
  friend class TcpSocket;
  // Connects `fd`, a socket TcpSocket prepared, instead of a new one; owns
  // it from here on.
  ConnectFuture(const SocketAddr& addr, int fd)
      : addr_(addr), prepared_fd_(fd) {}

  absl::Status start();

  SocketAddr addr_;
  std::optional<reactor::IoSource> source_;
  int prepared_fd_ = -1;
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

class TcpStream::PeekFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  PeekFuture(TcpStream& stream, std::span<std::byte> buf)
      : stream_(&stream), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return stream_->poll_peek(cx, buf_); }

 private:
  TcpStream* stream_;
  std::span<std::byte> buf_;
};

class TcpStream::ConnectHostFuture {
 public:
  using Output = absl::StatusOr<TcpStream>;
  explicit ConnectHostFuture(std::string_view host_port) : lookup_(host_port) {}
  Poll<Output> poll(Context& cx);

 private:
  LookupHostFuture lookup_;
  std::optional<std::vector<SocketAddr>> addrs_;
  std::size_t next_ = 0;
  std::optional<ConnectFuture> attempt_;
};

inline TcpStream::ConnectHostFuture TcpStream::connect(
    std::string_view host_port) {
  return ConnectHostFuture(host_port);
}

inline TcpStream::PeekFuture TcpStream::peek(std::span<std::byte> buf) {
  return PeekFuture(*this, buf);
}

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

// The halves split() returns, complete wherever TcpStream is.
#include "reactor/net/split.h"  // IWYU pragma: export

#endif  // MAGPIE_REACTOR_NET_TCP_STREAM_H_
