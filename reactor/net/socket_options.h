// magpie::net socket options — the setsockopt/getsockopt calls the net
// types share (TcpStream, TcpSocket, UdpSocket), on a plain fd, each
// failure a status with the errno naming the option.
//
//   absl::Status s = net::sockopt::set_linger(fd, std::chrono::seconds(0));
//
// Durations are whole seconds, as the kernel takes them; a longer one
// saturates at the largest the kernel accepts (INT_MAX seconds for linger,
// 32767 for the keep-alive idle time), a negative one at the smallest. nullopt
// linger means "off" (close returns at once, the kernel sends what is
// queued in the background).
//
// Threads: any; the fd stays owned by the caller.

#ifndef MAGPIE_REACTOR_NET_SOCKET_OPTIONS_H_
#define MAGPIE_REACTOR_NET_SOCKET_OPTIONS_H_

#include <chrono>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace magpie::net::sockopt {

absl::Status set_bool(int fd, int level, int name, bool on, const char* what);
absl::StatusOr<bool> get_bool(int fd, int level, int name, const char* what);
absl::Status set_int(int fd, int level, int name, int value, const char* what);
absl::StatusOr<int> get_int(int fd, int level, int name, const char* what);

absl::Status set_linger(int fd, std::optional<std::chrono::seconds> linger);
absl::StatusOr<std::optional<std::chrono::seconds>> linger(int fd);

// SO_KEEPALIVE, and optionally the idle time before the first probe
// (TCP_KEEPIDLE).
absl::Status set_keepalive(int fd, bool on,
                           std::optional<std::chrono::seconds> idle = {});
absl::StatusOr<bool> keepalive(int fd);

// IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6), chosen by the socket's family.
absl::Status set_ttl(int fd, int ttl);
absl::StatusOr<int> ttl(int fd);

}  // namespace magpie::net::sockopt

#endif  // MAGPIE_REACTOR_NET_SOCKET_OPTIONS_H_
