#include "reactor/net/tcp_stream.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "reactor/net/socket_options.h"
#include "reactor/reactor_error.h"
#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {

using reactor::Direction;
using reactor::Interest;
using reactor::IoSource;

namespace {

// recv(MSG_PEEK), retried on EINTR like the other calls in reactor/sys.
reactor::sys::SysResult peek_once(int fd, std::span<std::byte> buf) {
  while (true) {
    reactor::sys::SysResult r = reactor::sys::cvt(
        ::recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_NOSIGNAL));
    if (!r.interrupted()) return r;
  }
}

}  // namespace

TcpStream::ConnectFuture::~ConnectFuture() {
  if (prepared_fd_ >= 0) reactor::sys::close(prepared_fd_);
}

absl::Status TcpStream::ConnectFuture::start() {
  int fd = std::exchange(prepared_fd_, -1);
  if (fd < 0) {
    reactor::sys::SysResult sock =
        reactor::sys::socket(addr_.family(), SOCK_STREAM);
    if (!sock.ok()) return reactor::sys::to_status(sock, "socket");
    fd = static_cast<int>(sock.value);
  }
  reactor::sys::SysResult connected =
      reactor::sys::connect(fd, addr_.as_sockaddr(), addr_.sockaddr_len());
  if (!connected.ok() && connected.error != EINPROGRESS &&
      connected.error != EINTR) {
    reactor::sys::close(fd);
    return reactor::sys::errno_status(connected.error,
                                      "connect to " + addr_.to_string());
  }
  // Registered only now: epoll reports a never-connected socket as hung up,
  // and the closed bits are final (ready.h).
  absl::StatusOr<IoSource> source =
      IoSource::register_fd(fd, Interest::kReadable | Interest::kWritable);
  if (!source.ok()) return source.status();
  source_.emplace(*std::move(source));
  return absl::OkStatus();
}

Poll<TcpStream::ConnectFuture::Output> TcpStream::ConnectFuture::poll(
    Context& cx) {
  if (!source_.has_value()) {
    absl::Status started = start();
    if (!started.ok()) return Output(started);
  }
  while (true) {
    Poll<reactor::ReadyEvent> ready =
        source_->poll_ready(cx, Direction::kWrite);
    if (ready.is_pending()) return Pending;
    if (ready.value().is_shutdown) {
      return Output(reactor::reactor_shutdown_status());
    }
    const int fd = source_->fd();
    reactor::sys::SysResult error =
        reactor::sys::get_int_option(fd, SOL_SOCKET, SO_ERROR);
    if (!error.ok()) return Output(reactor::sys::to_status(error, "SO_ERROR"));
    if (error.value != 0) {
      return Output(reactor::sys::errno_status(
          static_cast<int>(error.value), "connect to " + addr_.to_string()));
    }
    absl::StatusOr<SocketAddr> peer = SocketAddr::peer_of(fd);
    if (peer.ok()) return Output(TcpStream(*std::move(source_)));
    if (reactor::sys::error_number(peer.status()) != ENOTCONN) {
      return Output(peer.status());
    }
    if (!(ready.value().ready & reactor::Ready(reactor::Ready::kClosed))
             .is_empty()) {
      // Hung up without a pending error: the error was consumed elsewhere.
      return Output(reactor::sys::errno_status(
          ENOTCONN, "connect to " + addr_.to_string()));
    }
    // A writable edge from before the handshake finished: wait for the next.
    source_->clear_readiness(ready.value());
  }
}

Poll<TcpStream::ConnectHostFuture::Output> TcpStream::ConnectHostFuture::poll(
    Context& cx) {
  if (!addrs_.has_value()) {
    Poll<LookupHostFuture::Output> found = lookup_.poll(cx);
    if (found.is_pending()) return Pending;
    if (!found.value().ok()) return Output(found.value().status());
    addrs_ = *std::move(found.value());
  }
  while (true) {
    if (!attempt_.has_value()) attempt_.emplace((*addrs_)[next_]);
    Poll<Output> done = attempt_->poll(cx);
    if (done.is_pending()) return Pending;
    attempt_.reset();
    next_ += 1;
    if (done.value().ok() || next_ >= addrs_->size()) return done;
  }
}

Poll<absl::StatusOr<std::size_t>> TcpStream::poll_read(
    Context& cx, std::span<std::byte> buf) {
  if (buf.empty()) return absl::StatusOr<std::size_t>(0);
  return source_.poll_stream_io(cx, Direction::kRead, "recv", buf.size(), [&] {
    return reactor::sys::recv(source_.fd(), buf.data(), buf.size());
  });
}

Poll<absl::StatusOr<std::size_t>> TcpStream::poll_write(
    Context& cx, std::span<const std::byte> buf) {
  if (buf.empty()) return absl::StatusOr<std::size_t>(0);
  return source_.poll_stream_io(cx, Direction::kWrite, "send", buf.size(), [&] {
    return reactor::sys::send(source_.fd(), buf.data(), buf.size());
  });
}

Poll<absl::Status> TcpStream::WriteAllFuture::poll(Context& cx) {
  while (!rest_.empty()) {
    Poll<absl::StatusOr<std::size_t>> written = stream_->poll_write(cx, rest_);
    if (written.is_pending()) return Pending;
    if (!written.value().ok()) return absl::Status(written.value().status());
    if (*written.value() == 0) {
      return absl::DataLossError("send wrote 0 bytes");
    }
    rest_ = rest_.subspan(*written.value());
  }
  return absl::OkStatus();
}

Poll<absl::Status> TcpStream::ReadExactFuture::poll(Context& cx) {
  while (filled_ < buf_.size()) {
    Poll<absl::StatusOr<std::size_t>> got =
        stream_->poll_read(cx, buf_.subspan(filled_));
    if (got.is_pending()) return Pending;
    if (!got.value().ok()) return absl::Status(got.value().status());
    if (*got.value() == 0) {
      return absl::OutOfRangeError(
          absl::StrCat("unexpected end of stream after ", filled_, " of ",
                       buf_.size(), " bytes"));
    }
    filled_ += *got.value();
  }
  return absl::OkStatus();
}

absl::StatusOr<TcpStream> TcpStream::from_fd(int fd) {
  if (fd < 0) return absl::InvalidArgumentError("from_fd: negative fd");
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    const int error = errno;
    reactor::sys::close(fd);
    return reactor::sys::errno_status(error, "fcntl(O_NONBLOCK)");
  }
  absl::StatusOr<IoSource> source =
      IoSource::register_fd(fd, Interest::kReadable | Interest::kWritable);
  if (!source.ok()) return source.status();
  return TcpStream(*std::move(source));
}

int TcpStream::into_fd() && { return source_.release(); }

Poll<absl::StatusOr<std::size_t>> TcpStream::poll_peek(
    Context& cx, std::span<std::byte> buf) {
  if (buf.empty()) return absl::StatusOr<std::size_t>(0);
  return source_.poll_io(cx, Direction::kRead, "recv(MSG_PEEK)",
                         [&] { return peek_once(source_.fd(), buf); });
}

absl::StatusOr<std::size_t> TcpStream::try_read(std::span<std::byte> buf) {
  if (buf.empty()) return 0;
  return source_.try_io(Direction::kRead, "recv", [&] {
    return reactor::sys::recv(source_.fd(), buf.data(), buf.size());
  });
}

absl::StatusOr<std::size_t> TcpStream::try_write(
    std::span<const std::byte> buf) {
  if (buf.empty()) return 0;
  return source_.try_io(Direction::kWrite, "send", [&] {
    return reactor::sys::send(source_.fd(), buf.data(), buf.size());
  });
}

absl::Status TcpStream::set_linger(std::optional<std::chrono::seconds> linger) {
  return sockopt::set_linger(fd(), linger);
}
absl::StatusOr<std::optional<std::chrono::seconds>> TcpStream::linger() const {
  return sockopt::linger(fd());
}
absl::Status TcpStream::set_keepalive(
    bool on, std::optional<std::chrono::seconds> idle) {
  return sockopt::set_keepalive(fd(), on, idle);
}
absl::StatusOr<bool> TcpStream::keepalive() const {
  return sockopt::keepalive(fd());
}
absl::Status TcpStream::set_ttl(int ttl) { return sockopt::set_ttl(fd(), ttl); }
absl::StatusOr<int> TcpStream::ttl() const { return sockopt::ttl(fd()); }

absl::Status TcpStream::shutdown(Shutdown how) {
  const int flag = how == Shutdown::kRead    ? SHUT_RD
                   : how == Shutdown::kWrite ? SHUT_WR
                                             : SHUT_RDWR;
  reactor::sys::SysResult r = reactor::sys::shutdown(fd(), flag);
  // ENOTCONN: already shut (the peer reset it); that is what was asked for.
  if (!r.ok() && r.error == ENOTCONN) return absl::OkStatus();
  return reactor::sys::to_status(r, "shutdown");
}

absl::Status TcpStream::set_nodelay(bool nodelay) {
  return reactor::sys::to_status(
      reactor::sys::set_int_option(fd(), IPPROTO_TCP, TCP_NODELAY,
                                   nodelay ? 1 : 0),
      "setsockopt(TCP_NODELAY)");
}

absl::StatusOr<bool> TcpStream::nodelay() const {
  reactor::sys::SysResult r =
      reactor::sys::get_int_option(fd(), IPPROTO_TCP, TCP_NODELAY);
  if (!r.ok()) return reactor::sys::to_status(r, "getsockopt(TCP_NODELAY)");
  return r.value != 0;
}

absl::StatusOr<SocketAddr> TcpStream::local_addr() const {
  return SocketAddr::local_of(fd());
}

absl::StatusOr<SocketAddr> TcpStream::peer_addr() const {
  return SocketAddr::peer_of(fd());
}

}  // namespace magpie::net
