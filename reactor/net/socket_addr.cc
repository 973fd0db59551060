#include "reactor/net/socket_addr.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {
namespace {

absl::Status invalid(std::string_view text, std::string_view why) {
  // Escaped: the text may hold control characters or NULs.
  return absl::InvalidArgumentError(absl::StrCat(
      "bad socket address \"",
      absl::CHexEscape(absl::string_view(text.data(), text.size())),
      "\": ", std::string(why)));
}

// 1 to 5 decimal digits, at most 65535.
bool parse_port(std::string_view digits, std::uint16_t* port) {
  if (digits.empty() || digits.size() > 5) return false;
  std::uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

SocketAddr::SocketAddr() {
  std::memset(&storage_, 0, sizeof(storage_));
  storage_.ss_family = AF_INET;
}

SocketAddr SocketAddr::ipv4(std::array<std::uint8_t, 4> octets,
                            std::uint16_t port) {
  SocketAddr addr;
  auto* in = reinterpret_cast<sockaddr_in*>(&addr.storage_);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  std::memcpy(&in->sin_addr, octets.data(), octets.size());
  return addr;
}

SocketAddr SocketAddr::ipv6(std::array<std::uint8_t, 16> bytes,
                            std::uint16_t port) {
  SocketAddr addr;
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr.storage_);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  std::memcpy(&in6->sin6_addr, bytes.data(), bytes.size());
  return addr;
}

absl::StatusOr<SocketAddr> SocketAddr::parse(std::string_view text) {
  // The host goes to inet_pton as a C string, which would stop at a NUL:
  // "1.2.3.4\0junk:80" must not read as 1.2.3.4:80.
  if (text.find('\0') != std::string_view::npos) {
    return invalid(text, "contains a NUL character");
  }
  std::string_view host;
  std::string_view port_text;
  int family;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid(text, "missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid(text, "expected ':port' after ']'");
    }
    port_text = text.substr(close + 2);
    family = AF_INET6;
    if (host.find('%') != std::string_view::npos) {
      return invalid(text, "IPv6 zone ids are not supported");
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid(text, "expected host:port");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return invalid(text, "IPv6 addresses must be in brackets: [addr]:port");
    }
    family = AF_INET;
  }
  std::uint16_t port = 0;
  if (!parse_port(port_text, &port)) {
    return invalid(text, "the port must be a number from 0 to 65535");
  }
  const std::string host_z(host);  // inet_pton wants a terminated string.
  if (family == AF_INET) {
    std::array<std::uint8_t, 4> octets;
    if (::inet_pton(AF_INET, host_z.c_str(), octets.data()) != 1) {
      return invalid(text, "not an IPv4 address (a.b.c.d)");
    }
    return ipv4(octets, port);
  }
  std::array<std::uint8_t, 16> bytes;
  if (::inet_pton(AF_INET6, host_z.c_str(), bytes.data()) != 1) {
    return invalid(text, "not an IPv6 address");
  }
  return ipv6(bytes, port);
}

absl::StatusOr<SocketAddr> SocketAddr::from_sockaddr(const sockaddr* addr,
                                                     socklen_t len) {
  SocketAddr result;
  if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    std::memcpy(&result.storage_, addr, sizeof(sockaddr_in));
    return result;
  }
  if (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    std::memcpy(&result.storage_, addr, sizeof(sockaddr_in6));
    return result;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported address family ", addr->sa_family));
}

std::uint16_t SocketAddr::port() const {
  if (is_ipv4()) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
}

void SocketAddr::set_port(std::uint16_t port) {
  if (is_ipv4()) {
    reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
  }
}

std::string SocketAddr::ip_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (is_ipv4()) {
    ::inet_ntop(AF_INET,
                &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr,
                buffer, sizeof(buffer));
  } else {
    ::inet_ntop(AF_INET6,
                &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr,
                buffer, sizeof(buffer));
  }
  return buffer;
}

std::string SocketAddr::to_string() const {
  if (is_ipv4()) return absl::StrCat(ip_string(), ":", port());
  return absl::StrCat("[", ip_string(), "]:", port());
}

bool operator==(const SocketAddr& a, const SocketAddr& b) {
  if (a.family() != b.family() || a.port() != b.port()) return false;
  if (a.is_ipv4()) {
    return std::memcmp(
               &reinterpret_cast<const sockaddr_in*>(&a.storage_)->sin_addr,
               &reinterpret_cast<const sockaddr_in*>(&b.storage_)->sin_addr,
               sizeof(in_addr)) == 0;
  }
  return std::memcmp(
             &reinterpret_cast<const sockaddr_in6*>(&a.storage_)->sin6_addr,
             &reinterpret_cast<const sockaddr_in6*>(&b.storage_)->sin6_addr,
             sizeof(in6_addr)) == 0;
}

namespace {

absl::StatusOr<SocketAddr> address_of(int fd, bool peer) {
  sockaddr_storage storage;
  socklen_t len = sizeof(storage);
  auto* addr = reinterpret_cast<sockaddr*>(&storage);
  reactor::sys::SysResult r = peer
                                  ? reactor::sys::peer_address(fd, addr, &len)
                                  : reactor::sys::local_address(fd, addr, &len);
  if (!r.ok()) {
    return reactor::sys::errno_status(r.error,
                                      peer ? "getpeername" : "getsockname");
  }
  return SocketAddr::from_sockaddr(addr, len);
}

}  // namespace

absl::StatusOr<SocketAddr> SocketAddr::local_of(int fd) {
  return address_of(fd, /*peer=*/false);
}

absl::StatusOr<SocketAddr> SocketAddr::peer_of(int fd) {
  return address_of(fd, /*peer=*/true);
}

}  // namespace magpie::net
