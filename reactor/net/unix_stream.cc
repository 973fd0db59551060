#include "reactor/net/unix_stream.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

#include "reactor/reactor_error.h"
#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {

using reactor::Direction;
using reactor::Interest;
using reactor::IoSource;
namespace sys = reactor::sys;

namespace {

sys::SysResult peek_once(int fd, std::span<std::byte> buf) {
  while (true) {
    sys::SysResult r =
        sys::cvt(::recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_NOSIGNAL));
    if (!r.interrupted()) return r;
  }
}

absl::StatusOr<IoSource> register_stream(int fd) {
  return IoSource::register_fd(fd, Interest::kReadable | Interest::kWritable);
}

}  // namespace

Poll<UnixStream::ConnectFuture::Output> UnixStream::ConnectFuture::poll(
    Context& cx) {
  const std::string what = "connect " + addr_.to_string();
  if (!source_.has_value()) {
    sys::SysResult sock = sys::socket(AF_UNIX, SOCK_STREAM);
    if (!sock.ok()) return Output(sys::to_status(sock, "socket"));
    const int fd = static_cast<int>(sock.value);
    socklen_t len = 0;
    const sockaddr_un addr = addr_.to_sockaddr(&len);
    sys::SysResult r =
        sys::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
    // A Unix stream connect completes at once or fails (EAGAIN: backlog
    // full); EINPROGRESS is handled for completeness.
    if (!r.ok() && r.error != EINPROGRESS) {
      sys::close(fd);
      return Output(sys::errno_status(r.error, what));
    }
    absl::StatusOr<IoSource> source = register_stream(fd);
    if (!source.ok()) return Output(source.status());
    if (r.ok()) return Output(UnixStream(*std::move(source)));
    source_.emplace(*std::move(source));
  }
  Poll<reactor::ReadyEvent> ready = source_->poll_ready(cx, Direction::kWrite);
  if (ready.is_pending()) return Pending;
  if (ready.value().is_shutdown) {
    return Output(reactor::reactor_shutdown_status());
  }
  sys::SysResult error =
      sys::get_int_option(source_->fd(), SOL_SOCKET, SO_ERROR);
  if (!error.ok()) return Output(sys::to_status(error, "SO_ERROR"));
  if (error.value != 0) {
    return Output(sys::errno_status(static_cast<int>(error.value), what));
  }
  return Output(UnixStream(*std::move(source_)));
}

absl::StatusOr<std::pair<UnixStream, UnixStream>> UnixStream::pair() {
  int fds[2];
  sys::SysResult r = sys::cvt(::socketpair(
      AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds));
  if (!r.ok()) return sys::to_status(r, "socketpair");
  absl::StatusOr<IoSource> a = register_stream(fds[0]);
  if (!a.ok()) {
    sys::close(fds[1]);
    return a.status();
  }
  absl::StatusOr<IoSource> b = register_stream(fds[1]);
  if (!b.ok()) return b.status();
  return std::make_pair(UnixStream(*std::move(a)), UnixStream(*std::move(b)));
}

absl::StatusOr<UnixStream> UnixStream::from_fd(int fd) {
  if (fd < 0) return absl::InvalidArgumentError("from_fd: negative fd");
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    const int error = errno;
    sys::close(fd);
    return sys::errno_status(error, "fcntl(O_NONBLOCK)");
  }
  absl::StatusOr<IoSource> source = register_stream(fd);
  if (!source.ok()) return source.status();
  return UnixStream(*std::move(source));
}

Poll<absl::StatusOr<std::size_t>> UnixStream::poll_read(
    Context& cx, std::span<std::byte> buf) {
  if (buf.empty()) return absl::StatusOr<std::size_t>(0);
  return source_.poll_stream_io(cx, Direction::kRead, "recv", buf.size(), [&] {
    return sys::recv(source_.fd(), buf.data(), buf.size());
  });
}

Poll<absl::StatusOr<std::size_t>> UnixStream::poll_peek(
    Context& cx, std::span<std::byte> buf) {
  if (buf.empty()) return absl::StatusOr<std::size_t>(0);
  return source_.poll_io(cx, Direction::kRead, "recv(MSG_PEEK)",
                         [&] { return peek_once(source_.fd(), buf); });
}

Poll<absl::StatusOr<std::size_t>> UnixStream::poll_write(
    Context& cx, std::span<const std::byte> buf) {
  if (buf.empty()) return absl::StatusOr<std::size_t>(0);
  return source_.poll_stream_io(cx, Direction::kWrite, "send", buf.size(), [&] {
    return sys::send(source_.fd(), buf.data(), buf.size());
  });
}

absl::StatusOr<std::size_t> UnixStream::try_read(std::span<std::byte> buf) {
  if (buf.empty()) return 0;
  return source_.try_io(Direction::kRead, "recv", [&] {
    return sys::recv(source_.fd(), buf.data(), buf.size());
  });
}

absl::StatusOr<std::size_t> UnixStream::try_write(
    std::span<const std::byte> buf) {
  if (buf.empty()) return 0;
  return source_.try_io(Direction::kWrite, "send", [&] {
    return sys::send(source_.fd(), buf.data(), buf.size());
  });
}

std::pair<UnixReadHalf, UnixWriteHalf> UnixStream::split() {
  return {UnixReadHalf(*this), UnixWriteHalf(*this)};
}

std::pair<UnixOwnedReadHalf, UnixOwnedWriteHalf> UnixStream::into_split() && {
  return into_split_of(std::move(*this));
}

absl::Status UnixStream::shutdown(Shutdown how) {
  const int flag = how == Shutdown::kRead    ? SHUT_RD
                   : how == Shutdown::kWrite ? SHUT_WR
                                             : SHUT_RDWR;
  return sys::to_status(sys::shutdown(fd(), flag), "shutdown");
}

absl::StatusOr<UnixSocketAddr> UnixStream::local_addr() const {
  return UnixSocketAddr::local_of(fd());
}

absl::StatusOr<UnixSocketAddr> UnixStream::peer_addr() const {
  return UnixSocketAddr::peer_of(fd());
}

}  // namespace magpie::net
