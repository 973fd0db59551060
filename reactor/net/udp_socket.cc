#include "reactor/net/udp_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "reactor/net/socket_options.h"
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

namespace {

// recv(2) / recvfrom(2) with flags (MSG_PEEK), retried on EINTR.
sys::SysResult recv_flags(int fd, std::span<std::byte> buf, int flags,
                          sockaddr* addr, socklen_t* len) {
  while (true) {
    sys::SysResult r =
        sys::cvt(::recvfrom(fd, buf.data(), buf.size(), flags, addr, len));
    if (!r.interrupted()) return r;
  }
}

absl::StatusOr<UdpSocket::Received> received(std::size_t n,
                                             const sockaddr_storage& storage,
                                             socklen_t len) {
  absl::StatusOr<SocketAddr> from = SocketAddr::from_sockaddr(
      reinterpret_cast<const sockaddr*>(&storage), len);
  if (!from.ok()) return from.status();
  return UdpSocket::Received(n, *from);
}

absl::Status not_v4(const SocketAddr& addr, const char* what) {
  return absl::InvalidArgumentError(
      std::string(what) + ": not an IPv4 address: " + addr.to_string());
}

}  // namespace

absl::Status UdpSocket::connect(const SocketAddr& peer) {
  sys::SysResult r =
      sys::connect(fd(), peer.as_sockaddr(), peer.sockaddr_len());
  return r.ok() ? absl::OkStatus()
                : sys::errno_status(r.error, "connect " + peer.to_string());
}

absl::StatusOr<SocketAddr> UdpSocket::peer_addr() const {
  return SocketAddr::peer_of(fd());
}

Poll<absl::StatusOr<std::size_t>> UdpSocket::poll_send(
    Context& cx, std::span<const std::byte> buf) {
  return source_.poll_io(cx, Direction::kWrite, "send", [&] {
    return sys::send(fd(), buf.data(), buf.size());
  });
}

Poll<absl::StatusOr<std::size_t>> UdpSocket::poll_recv(
    Context& cx, std::span<std::byte> buf) {
  return source_.poll_io(cx, Direction::kRead, "recv", [&] {
    return sys::recv(fd(), buf.data(), buf.size());
  });
}

Poll<absl::StatusOr<UdpSocket::Received>> UdpSocket::poll_peek_from(
    Context& cx, std::span<std::byte> buf) {
  sockaddr_storage storage;
  socklen_t len = 0;
  Poll<absl::StatusOr<std::size_t>> got =
      source_.poll_io(cx, Direction::kRead, "recvfrom(MSG_PEEK)", [&] {
        len = sizeof(storage);
        return recv_flags(fd(), buf, MSG_PEEK,
                          reinterpret_cast<sockaddr*>(&storage), &len);
      });
  if (got.is_pending()) return Pending;
  if (!got.value().ok()) return absl::StatusOr<Received>(got.value().status());
  return received(*got.value(), storage, len);
}

absl::StatusOr<std::size_t> UdpSocket::try_send(
    std::span<const std::byte> buf) {
  return source_.try_io(Direction::kWrite, "send", [&] {
    return sys::send(fd(), buf.data(), buf.size());
  });
}

absl::StatusOr<std::size_t> UdpSocket::try_send_to(
    std::span<const std::byte> buf, const SocketAddr& target) {
  return source_.try_io(Direction::kWrite, "sendto", [&] {
    return sys::send_to(fd(), buf.data(), buf.size(), target.as_sockaddr(),
                        target.sockaddr_len());
  });
}

absl::StatusOr<std::size_t> UdpSocket::try_recv(std::span<std::byte> buf) {
  return source_.try_io(Direction::kRead, "recv", [&] {
    return sys::recv(fd(), buf.data(), buf.size());
  });
}

absl::StatusOr<UdpSocket::Received> UdpSocket::try_recv_from(
    std::span<std::byte> buf) {
  sockaddr_storage storage;
  socklen_t len = 0;
  absl::StatusOr<std::size_t> got =
      source_.try_io(Direction::kRead, "recvfrom", [&] {
        len = sizeof(storage);
        return sys::recv_from(fd(), buf.data(), buf.size(),
                              reinterpret_cast<sockaddr*>(&storage), &len);
      });
  if (!got.ok()) return got.status();
  return received(*got, storage, len);
}

absl::Status UdpSocket::set_broadcast(bool on) {
  return sockopt::set_bool(fd(), SOL_SOCKET, SO_BROADCAST, on, "SO_BROADCAST");
}
absl::StatusOr<bool> UdpSocket::broadcast() const {
  return sockopt::get_bool(fd(), SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST");
}
absl::Status UdpSocket::set_ttl(int ttl) { return sockopt::set_ttl(fd(), ttl); }
absl::StatusOr<int> UdpSocket::ttl() const { return sockopt::ttl(fd()); }
absl::Status UdpSocket::set_multicast_loop_v4(bool on) {
  return sockopt::set_bool(fd(), IPPROTO_IP, IP_MULTICAST_LOOP, on,
                           "IP_MULTICAST_LOOP");
}
absl::StatusOr<bool> UdpSocket::multicast_loop_v4() const {
  return sockopt::get_bool(fd(), IPPROTO_IP, IP_MULTICAST_LOOP,
                           "IP_MULTICAST_LOOP");
}
absl::Status UdpSocket::set_multicast_ttl_v4(int ttl) {
  return sockopt::set_int(fd(), IPPROTO_IP, IP_MULTICAST_TTL, ttl,
                          "IP_MULTICAST_TTL");
}
absl::StatusOr<int> UdpSocket::multicast_ttl_v4() const {
  return sockopt::get_int(fd(), IPPROTO_IP, IP_MULTICAST_TTL,
                          "IP_MULTICAST_TTL");
}

namespace {

absl::Status membership_v4(int fd, int option, const char* what,
                           const SocketAddr& group,
                           const SocketAddr& interface) {
  if (!group.is_ipv4()) return not_v4(group, what);
  if (!interface.is_ipv4()) return not_v4(interface, what);
  ip_mreq request{};
  request.imr_multiaddr =
      reinterpret_cast<const sockaddr_in*>(group.as_sockaddr())->sin_addr;
  request.imr_interface =
      reinterpret_cast<const sockaddr_in*>(interface.as_sockaddr())->sin_addr;
  return sys::to_status(
      sys::cvt(::setsockopt(fd, IPPROTO_IP, option, &request, sizeof(request))),
      what);
}

absl::Status membership_v6(int fd, int option, const char* what,
                           const SocketAddr& group, unsigned interface_index) {
  if (!group.is_ipv6()) {
    return absl::InvalidArgumentError(
        std::string(what) + ": not an IPv6 address: " + group.to_string());
  }
  ipv6_mreq request{};
  request.ipv6mr_multiaddr =
      reinterpret_cast<const sockaddr_in6*>(group.as_sockaddr())->sin6_addr;
  request.ipv6mr_interface = interface_index;
  return sys::to_status(sys::cvt(::setsockopt(fd, IPPROTO_IPV6, option,
                                              &request, sizeof(request))),
                        what);
}

}  // namespace

absl::Status UdpSocket::join_multicast_v4(const SocketAddr& group,
                                          const SocketAddr& interface) {
  return membership_v4(fd(), IP_ADD_MEMBERSHIP, "setsockopt(IP_ADD_MEMBERSHIP)",
                       group, interface);
}
absl::Status UdpSocket::leave_multicast_v4(const SocketAddr& group,
                                           const SocketAddr& interface) {
  return membership_v4(fd(), IP_DROP_MEMBERSHIP,
                       "setsockopt(IP_DROP_MEMBERSHIP)", group, interface);
}
absl::Status UdpSocket::join_multicast_v6(const SocketAddr& group,
                                          unsigned interface_index) {
  return membership_v6(fd(), IPV6_ADD_MEMBERSHIP,
                       "setsockopt(IPV6_ADD_MEMBERSHIP)", group,
                       interface_index);
}
absl::Status UdpSocket::leave_multicast_v6(const SocketAddr& group,
                                           unsigned interface_index) {
  return membership_v6(fd(), IPV6_DROP_MEMBERSHIP,
                       "setsockopt(IPV6_DROP_MEMBERSHIP)", group,
                       interface_index);
}

}  // namespace magpie::net
