#include "reactor/net/socket_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <climits>
#include <string>

#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net::sockopt {

namespace sys = reactor::sys;

namespace {

int saturated_seconds(std::chrono::seconds s) {
  return static_cast<int>(
      std::clamp<std::chrono::seconds::rep>(s.count(), 0, INT_MAX));
}

absl::StatusOr<int> family_of(int fd) {
  sys::SysResult r = sys::get_int_option(fd, SOL_SOCKET, SO_DOMAIN);
  if (!r.ok()) return sys::to_status(r, "getsockopt(SO_DOMAIN)");
  return static_cast<int>(r.value);
}

}  // namespace

absl::Status set_bool(int fd, int level, int name, bool on, const char* what) {
  return set_int(fd, level, name, on ? 1 : 0, what);
}

absl::StatusOr<bool> get_bool(int fd, int level, int name, const char* what) {
  absl::StatusOr<int> v = get_int(fd, level, name, what);
  if (!v.ok()) return v.status();
  return *v != 0;
}

absl::Status set_int(int fd, int level, int name, int value, const char* what) {
  return sys::to_status(sys::set_int_option(fd, level, name, value),
                        std::string("setsockopt(") + what + ")");
}

absl::StatusOr<int> get_int(int fd, int level, int name, const char* what) {
  sys::SysResult r = sys::get_int_option(fd, level, name);
  if (!r.ok())
    return sys::to_status(r, std::string("getsockopt(") + what + ")");
  return static_cast<int>(r.value);
}

absl::Status set_linger(int fd, std::optional<std::chrono::seconds> linger) {
  ::linger value{};
  value.l_onoff = linger.has_value() ? 1 : 0;
  value.l_linger = linger.has_value() ? saturated_seconds(*linger) : 0;
  return sys::to_status(
      sys::cvt(::setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, sizeof(value))),
      "setsockopt(SO_LINGER)");
}

absl::StatusOr<std::optional<std::chrono::seconds>> linger(int fd) {
  ::linger value{};
  socklen_t len = sizeof(value);
  sys::SysResult r =
      sys::cvt(::getsockopt(fd, SOL_SOCKET, SO_LINGER, &value, &len));
  if (!r.ok()) return sys::to_status(r, "getsockopt(SO_LINGER)");
  if (value.l_onoff == 0) return std::optional<std::chrono::seconds>();
  return std::optional<std::chrono::seconds>(
      std::chrono::seconds(value.l_linger));
}

absl::Status set_keepalive(int fd, bool on,
                           std::optional<std::chrono::seconds> idle) {
  absl::Status s = set_bool(fd, SOL_SOCKET, SO_KEEPALIVE, on, "SO_KEEPALIVE");
  if (!s.ok() || !on || !idle.has_value()) return s;
  // Linux takes 1..kMaxKeepIdle seconds (MAX_TCP_KEEPIDLE).
  constexpr int kMaxKeepIdle = 32767;
  return set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE,
                 std::clamp(saturated_seconds(*idle), 1, kMaxKeepIdle),
                 "TCP_KEEPIDLE");
}

absl::StatusOr<bool> keepalive(int fd) {
  return get_bool(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE");
}

absl::Status set_ttl(int fd, int ttl) {
  absl::StatusOr<int> family = family_of(fd);
  if (!family.ok()) return family.status();
  if (*family == AF_INET6) {
    return set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl,
                   "IPV6_UNICAST_HOPS");
  }
  return set_int(fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL");
}

absl::StatusOr<int> ttl(int fd) {
  absl::StatusOr<int> family = family_of(fd);
  if (!family.ok()) return family.status();
  if (*family == AF_INET6) {
    return get_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS");
  }
  return get_int(fd, IPPROTO_IP, IP_TTL, "IP_TTL");
}

}  // namespace magpie::net::sockopt
