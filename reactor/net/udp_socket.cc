#include "reactor/net/udp_socket.h"

#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {

using reactor::Direction;
using reactor::Interest;
using reactor::IoSource;
namespace sys = reactor::sys;

absl::StatusOr<UdpSocket> UdpSocket::bind(const SocketAddr& addr) {
  sys::SysResult sock = sys::socket(addr.family(), SOCK_DGRAM);
  if (!sock.ok()) return sys::to_status(sock, "socket");
  const int fd = static_cast<int>(sock.value);
  sys::SysResult r = sys::bind(fd, addr.as_sockaddr(), addr.sockaddr_len());
  if (!r.ok()) {
    sys::close(fd);
    return sys::errno_status(r.error, "bind " + addr.to_string());
  }
  absl::StatusOr<IoSource> source =
      IoSource::register_fd(fd, Interest::kReadable | Interest::kWritable);
  if (!source.ok()) return source.status();
  return UdpSocket(*std::move(source));
}

Poll<absl::StatusOr<std::size_t>> UdpSocket::poll_send_to(
    Context& cx, std::span<const std::byte> buf, const SocketAddr& target) {
  return source_.poll_io(cx, Direction::kWrite, "sendto", [&] {
    return sys::send_to(fd(), buf.data(), buf.size(), target.as_sockaddr(),
                        target.sockaddr_len());
  });
}

Poll<absl::StatusOr<UdpSocket::Received>> UdpSocket::poll_recv_from(
    Context& cx, std::span<std::byte> buf) {
  sockaddr_storage storage;
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
  absl::StatusOr<SocketAddr> from =
      SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&storage), len);
  if (!from.ok()) return Output(from.status());
  return Output(Received(*got.value(), *from));
}

absl::StatusOr<SocketAddr> UdpSocket::local_addr() const {
  return SocketAddr::local_of(fd());
}

}  // namespace magpie::net
