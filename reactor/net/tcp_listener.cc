#include "reactor/net/tcp_listener.h"

#include <fcntl.h>

#include <cerrno>

#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {

using reactor::Direction;
using reactor::Interest;
using reactor::IoSource;
namespace sys = reactor::sys;

absl::StatusOr<TcpListener> TcpListener::bind(const SocketAddr& addr,
                                              int backlog) {
  sys::SysResult sock = sys::socket(addr.family(), SOCK_STREAM);
  if (!sock.ok()) return sys::to_status(sock, "socket");
  const int fd = static_cast<int>(sock.value);
  sys::SysResult r = sys::set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (r.ok()) r = sys::bind(fd, addr.as_sockaddr(), addr.sockaddr_len());
  if (!r.ok()) {
    sys::close(fd);
    return sys::errno_status(r.error, "bind " + addr.to_string());
  }
  r = sys::listen(fd, backlog);
  if (!r.ok()) {
    sys::close(fd);
    return sys::to_status(r, "listen");
  }
  absl::StatusOr<IoSource> source =
      IoSource::register_fd(fd, Interest::kReadable);
  if (!source.ok()) return source.status();
  return TcpListener(*std::move(source));
}

absl::StatusOr<TcpListener> TcpListener::from_fd(int fd) {
  if (fd < 0) return absl::InvalidArgumentError("from_fd: negative fd");
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    const int error = errno;
    sys::close(fd);
    return sys::errno_status(error, "fcntl(O_NONBLOCK)");
  }
  absl::StatusOr<IoSource> source =
      IoSource::register_fd(fd, Interest::kReadable);
  if (!source.ok()) return source.status();
  return TcpListener(*std::move(source));
}

absl::StatusOr<SocketAddr> TcpListener::local_addr() const {
  return SocketAddr::local_of(fd());
}

Poll<absl::StatusOr<TcpListener::Accepted>> TcpListener::poll_accept(
    Context& cx) {
  sockaddr_storage storage;
  socklen_t len = 0;
  Poll<absl::StatusOr<std::size_t>> accepted =
      source_.poll_io(cx, Direction::kRead, "accept", [&] {
        len = sizeof(storage);
        return sys::accept(fd(), reinterpret_cast<sockaddr*>(&storage), &len);
      });
  if (accepted.is_pending()) return Pending;
  using Output = absl::StatusOr<Accepted>;
  // EMFILE and friends land here with the readiness kept, so the next
  // accept() retries at once (see the header).
  if (!accepted.value().ok()) return Output(accepted.value().status());
  const int conn = static_cast<int>(*accepted.value());
  absl::StatusOr<SocketAddr> peer =
      SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&storage), len);
  if (!peer.ok()) {
    sys::close(conn);
    return Output(peer.status());
  }
  absl::StatusOr<IoSource> source = IoSource::register_fd(
      source_.handle(), conn, Interest::kReadable | Interest::kWritable);
  if (!source.ok()) return Output(source.status());
  return Output(Accepted(TcpStream(*std::move(source)), *peer));
}

Poll<TcpListener::BindHostFuture::Output> TcpListener::BindHostFuture::poll(
    Context& cx) {
  Poll<LookupHostFuture::Output> found = lookup_.poll(cx);
  if (found.is_pending()) return Pending;
  if (!found.value().ok()) return Output(found.value().status());
  Output last = absl::NotFoundError("bind: no address");
  for (const SocketAddr& addr : *found.value()) {
    last = TcpListener::bind(addr, backlog_);
    if (last.ok()) break;
  }
  return last;
}

}  // namespace magpie::net
