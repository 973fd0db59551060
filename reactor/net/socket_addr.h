// magpie::net::SocketAddr — an IPv4 or IPv6 address with a port, parsed
// from and printed as "host:port".
//
//   SocketAddr::parse("127.0.0.1:8080")   // IPv4
//   SocketAddr::parse("[::1]:8080")       // IPv6: brackets required
//   addr.to_string()                      // "[::1]:8080"
//
// Accepted text: dotted-quad IPv4 (exactly four decimal parts) or any IPv6
// form inet_pton accepts (including "::ffff:1.2.3.4"), in brackets; a port
// of 1 to 5 decimal digits, at most 65535. No host names (resolve them
// first), no IPv6 zone ids. Anything else is InvalidArgument naming the
// input. to_string() prints IPv6 in RFC 5952 compressed form, so parse and
// to_string round-trip on canonical text.
//
// A plain value: copy it freely, use it from any thread.

#ifndef MAGPIE_REACTOR_NET_SOCKET_ADDR_H_
#define MAGPIE_REACTOR_NET_SOCKET_ADDR_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace magpie::net {

class SocketAddr {
 public:
  // 0.0.0.0:0.
  SocketAddr();

  static absl::StatusOr<SocketAddr> parse(std::string_view text);

  static SocketAddr ipv4(std::array<std::uint8_t, 4> octets,
                         std::uint16_t port);
  static SocketAddr ipv6(std::array<std::uint8_t, 16> bytes,
                         std::uint16_t port);
  static SocketAddr ipv4_loopback(std::uint16_t port) {
    return ipv4({127, 0, 0, 1}, port);
  }
  static SocketAddr ipv6_loopback(std::uint16_t port) {
    return ipv6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, port);
  }

  // The local (getsockname) or remote (getpeername) address of socket fd.
  static absl::StatusOr<SocketAddr> local_of(int fd);
  static absl::StatusOr<SocketAddr> peer_of(int fd);

  // From a kernel-filled address (accept, recvfrom, getsockname).
  static absl::StatusOr<SocketAddr> from_sockaddr(const sockaddr* addr,
                                                  socklen_t len);

  bool is_ipv4() const { return storage_.ss_family == AF_INET; }
  bool is_ipv6() const { return storage_.ss_family == AF_INET6; }
  int family() const { return storage_.ss_family; }

  std::uint16_t port() const;
  void set_port(std::uint16_t port);

  // The address alone: "127.0.0.1", "::1".
  std::string ip_string() const;
  // "127.0.0.1:80", "[::1]:80".
  std::string to_string() const;

  const sockaddr* as_sockaddr() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  socklen_t sockaddr_len() const {
    return is_ipv4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  }

  friend bool operator==(const SocketAddr& a, const SocketAddr& b);
  friend std::ostream& operator<<(std::ostream& out, const SocketAddr& addr) {
    return out << addr.to_string();
  }

 private:
  sockaddr_storage storage_;
};

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_SOCKET_ADDR_H_
