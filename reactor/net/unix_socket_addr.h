// magpie::net::UnixSocketAddr — the address of a Unix domain socket: a path
// in the file system, a name in Linux's abstract namespace, or unnamed.
//
//   UnixSocketAddr file = *UnixSocketAddr::from_path("/tmp/app.sock");
//   UnixSocketAddr hidden = *UnixSocketAddr::abstract("app");  // "@app"
//
//   kind      | sockaddr_un.sun_path          | to_string()
//   ----------+-------------------------------+-------------
//   path      | "/tmp/app.sock\0"             | /tmp/app.sock
//   abstract  | "\0app" (length counts bytes) | @app
//   unnamed   | (no path; socketpair, client) | (unnamed)
//
// An abstract name lives as long as a socket is bound to it and leaves no
// file behind (Linux only). A path must be shorter than sun_path (108
// bytes, with its terminating NUL) and contain no NUL: InvalidArgument
// otherwise. Abstract names may contain any bytes.
//
// A plain value; any thread.

#ifndef MAGPIE_REACTOR_NET_UNIX_SOCKET_ADDR_H_
#define MAGPIE_REACTOR_NET_UNIX_SOCKET_ADDR_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace magpie::net {

class UnixSocketAddr {
 public:
  enum class Kind { kUnnamed, kPath, kAbstract };

  // Unnamed.
  UnixSocketAddr() = default;

  static absl::StatusOr<UnixSocketAddr> from_path(std::string_view path);
  static absl::StatusOr<UnixSocketAddr> abstract(std::string_view name);
  // From a kernel-filled address (accept, getsockname, recvfrom).
  static UnixSocketAddr from_sockaddr(const sockaddr_un& addr, socklen_t len);
  static absl::StatusOr<UnixSocketAddr> local_of(int fd);
  static absl::StatusOr<UnixSocketAddr> peer_of(int fd);

  Kind kind() const { return kind_; }
  bool is_unnamed() const { return kind_ == Kind::kUnnamed; }
  bool is_abstract() const { return kind_ == Kind::kAbstract; }
  // The path (kPath) or the abstract name without its leading NUL.
  const std::string& name() const { return name_; }

  // For bind / connect / sendto.
  sockaddr_un to_sockaddr(socklen_t* len) const;

  std::string to_string() const;
  friend bool operator==(const UnixSocketAddr&,
                         const UnixSocketAddr&) = default;
  friend std::ostream& operator<<(std::ostream& out,
                                  const UnixSocketAddr& addr) {
    return out << addr.to_string();
  }

 private:
  UnixSocketAddr(Kind kind, std::string name)
      : kind_(kind), name_(std::move(name)) {}

  Kind kind_ = Kind::kUnnamed;
  std::string name_;
};

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_UNIX_SOCKET_ADDR_H_
