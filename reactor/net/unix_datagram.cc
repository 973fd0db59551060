#include "reactor/net/unix_datagram.h"

#include <sys/socket.h>

#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {

using reactor::Direction;
using reactor::Interest;
using reactor::IoSource;
namespace sys = reactor::sys;

absl::StatusOr<UnixDatagram> UnixDatagram::make(int fd) {
  absl::StatusOr<IoSource> source =
      IoSource::register_fd(fd, Interest::kReadable | Interest::kWritable);
  if (!source.ok()) return source.status();
  return UnixDatagram(*std::move(source));
}

absl::StatusOr<UnixDatagram> UnixDatagram::bind(const UnixSocketAddr& addr) {
  sys::SysResult sock = sys::socket(AF_UNIX, SOCK_DGRAM);
  if (!sock.ok()) return sys::to_status(sock, "socket");
  const int fd = static_cast<int>(sock.value);
  socklen_t len = 0;
  const sockaddr_un raw = addr.to_sockaddr(&len);
  sys::SysResult r =
      sys::bind(fd, reinterpret_cast<const sockaddr*>(&raw), len);
  if (!r.ok()) {
    sys::close(fd);
    return sys::errno_status(r.error, "bind " + addr.to_string());
  }
  return make(fd);
}

absl::StatusOr<UnixDatagram> UnixDatagram::unbound() {
  sys::SysResult sock = sys::socket(AF_UNIX, SOCK_DGRAM);
  if (!sock.ok()) return sys::to_status(sock, "socket");
  return make(static_cast<int>(sock.value));
}

absl::StatusOr<std::pair<UnixDatagram, UnixDatagram>> UnixDatagram::pair() {
  int fds[2];
  sys::SysResult r = sys::cvt(
      ::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds));
  if (!r.ok()) return sys::to_status(r, "socketpair");
  absl::StatusOr<UnixDatagram> a = make(fds[0]);
  if (!a.ok()) {
    sys::close(fds[1]);
    return a.status();
  }
  absl::StatusOr<UnixDatagram> b = make(fds[1]);
  if (!b.ok()) return b.status();
  return std::make_pair(*std::move(a), *std::move(b));
}

absl::Status UnixDatagram::connect(const UnixSocketAddr& peer) {
  socklen_t len = 0;
  const sockaddr_un raw = peer.to_sockaddr(&len);
  sys::SysResult r =
      sys::connect(fd(), reinterpret_cast<const sockaddr*>(&raw), len);
  return r.ok() ? absl::OkStatus()
                : sys::errno_status(r.error, "connect " + peer.to_string());
}

Poll<absl::StatusOr<std::size_t>> UnixDatagram::poll_send_to(
    Context& cx, std::span<const std::byte> buf, const UnixSocketAddr& to) {
  socklen_t len = 0;
  const sockaddr_un raw = to.to_sockaddr(&len);
  return source_.poll_io(cx, Direction::kWrite, "sendto", [&] {
    return sys::send_to(fd(), buf.data(), buf.size(),
                        reinterpret_cast<const sockaddr*>(&raw), len);
  });
}

Poll<absl::StatusOr<std::size_t>> UnixDatagram::poll_send(
    Context& cx, std::span<const std::byte> buf) {
  return source_.poll_io(cx, Direction::kWrite, "send", [&] {
    return sys::send(fd(), buf.data(), buf.size());
  });
}

Poll<absl::StatusOr<UnixDatagram::Received>> UnixDatagram::poll_recv_from(
    Context& cx, std::span<std::byte> buf) {
  sockaddr_un storage{};
  socklen_t len = 0;
  Poll<absl::StatusOr<std::size_t>> got =
      source_.poll_io(cx, Direction::kRead, "recvfrom", [&] {
        len = sizeof(storage);
        return sys::recv_from(fd(), buf.data(), buf.size(),
                              reinterpret_cast<sockaddr*>(&storage), &len);
      });
  if (got.is_pending()) return Pending;
  using Output = absl::StatusOr<Received>;
  if (!got.value().ok()) return Output(got.value().status());
  return Output(
      Received(*got.value(), UnixSocketAddr::from_sockaddr(storage, len)));
}

Poll<absl::StatusOr<std::size_t>> UnixDatagram::poll_recv(
    Context& cx, std::span<std::byte> buf) {
  return source_.poll_io(cx, Direction::kRead, "recv", [&] {
    return sys::recv(fd(), buf.data(), buf.size());
  });
}

absl::StatusOr<std::size_t> UnixDatagram::try_send_to(
    std::span<const std::byte> buf, const UnixSocketAddr& to) {
  socklen_t len = 0;
  const sockaddr_un raw = to.to_sockaddr(&len);
  return source_.try_io(Direction::kWrite, "sendto", [&] {
    return sys::send_to(fd(), buf.data(), buf.size(),
                        reinterpret_cast<const sockaddr*>(&raw), len);
  });
}

absl::StatusOr<std::size_t> UnixDatagram::try_send(
    std::span<const std::byte> buf) {
  return source_.try_io(Direction::kWrite, "send", [&] {
    return sys::send(fd(), buf.data(), buf.size());
  });
}

absl::StatusOr<UnixDatagram::Received> UnixDatagram::try_recv_from(
    std::span<std::byte> buf) {
  sockaddr_un storage{};
  socklen_t len = 0;
  absl::StatusOr<std::size_t> got =
      source_.try_io(Direction::kRead, "recvfrom", [&] {
        len = sizeof(storage);
        return sys::recv_from(fd(), buf.data(), buf.size(),
                              reinterpret_cast<sockaddr*>(&storage), &len);
      });
  if (!got.ok()) return got.status();
  return Received(*got, UnixSocketAddr::from_sockaddr(storage, len));
}

absl::StatusOr<std::size_t> UnixDatagram::try_recv(std::span<std::byte> buf) {
  return source_.try_io(Direction::kRead, "recv", [&] {
    return sys::recv(fd(), buf.data(), buf.size());
  });
}

absl::StatusOr<UnixSocketAddr> UnixDatagram::local_addr() const {
  return UnixSocketAddr::local_of(fd());
}

absl::StatusOr<UnixSocketAddr> UnixDatagram::peer_addr() const {
  return UnixSocketAddr::peer_of(fd());
}

}  // namespace magpie::net
