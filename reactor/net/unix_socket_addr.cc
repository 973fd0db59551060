#include "reactor/net/unix_socket_addr.h"

#include <cstddef>
#include <cstring>

#include "absl/status/status.h"
#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {

namespace {

constexpr std::size_t kPathCapacity = sizeof(sockaddr_un{}.sun_path);
constexpr socklen_t kPathOffset = offsetof(sockaddr_un, sun_path);

}  // namespace

absl::StatusOr<UnixSocketAddr> UnixSocketAddr::from_path(
    std::string_view path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("unix socket path: empty");
  }
  if (path.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("unix socket path: contains a NUL");
  }
  if (path.size() >= kPathCapacity) {
    return absl::InvalidArgumentError("unix socket path: longer than " +
                                      std::to_string(kPathCapacity - 1) +
                                      " bytes: " + std::string(path));
  }
  return UnixSocketAddr(Kind::kPath, std::string(path));
}

absl::StatusOr<UnixSocketAddr> UnixSocketAddr::abstract(std::string_view name) {
  if (name.size() + 1 > kPathCapacity) {
    return absl::InvalidArgumentError(
        "abstract unix socket name: longer than " +
        std::to_string(kPathCapacity - 1) + " bytes");
  }
  return UnixSocketAddr(Kind::kAbstract, std::string(name));
}

UnixSocketAddr UnixSocketAddr::from_sockaddr(const sockaddr_un& addr,
                                             socklen_t len) {
  if (len <= kPathOffset || addr.sun_family != AF_UNIX) return {};
  const std::size_t n = std::min<std::size_t>(len - kPathOffset, kPathCapacity);
  if (addr.sun_path[0] == '\0') {
    return UnixSocketAddr(Kind::kAbstract,
                          std::string(addr.sun_path + 1, n - 1));
  }
  return UnixSocketAddr(Kind::kPath,
                        std::string(addr.sun_path, strnlen(addr.sun_path, n)));
}

absl::StatusOr<UnixSocketAddr> UnixSocketAddr::local_of(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  reactor::sys::SysResult r =
      reactor::sys::local_address(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (!r.ok()) return reactor::sys::to_status(r, "getsockname");
  return from_sockaddr(addr, len);
}

absl::StatusOr<UnixSocketAddr> UnixSocketAddr::peer_of(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  reactor::sys::SysResult r =
      reactor::sys::peer_address(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (!r.ok()) return reactor::sys::to_status(r, "getpeername");
  return from_sockaddr(addr, len);
}

sockaddr_un UnixSocketAddr::to_sockaddr(socklen_t* len) const {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  switch (kind_) {
    case Kind::kUnnamed:
      *len = sizeof(sa_family_t);
      break;
    case Kind::kPath:
      std::memcpy(addr.sun_path, name_.data(), name_.size());
      *len = static_cast<socklen_t>(kPathOffset + name_.size() + 1);
      break;
    case Kind::kAbstract:
      std::memcpy(addr.sun_path + 1, name_.data(), name_.size());
      *len = static_cast<socklen_t>(kPathOffset + 1 + name_.size());
      break;
  }
  return addr;
}

std::string UnixSocketAddr::to_string() const {
  switch (kind_) {
    case Kind::kPath:
      return name_;
    case Kind::kAbstract:
      return "@" + name_;
    case Kind::kUnnamed:
      break;
  }
  return "(unnamed)";
}

}  // namespace magpie::net
