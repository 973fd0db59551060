#include "reactor/net/unix_listener.h"

#include <sys/stat.h>
#include <unistd.h>

#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {

using reactor::Direction;
using reactor::Interest;
using reactor::IoSource;
namespace sys = reactor::sys;

absl::StatusOr<UnixListener> UnixListener::bind(const UnixSocketAddr& addr,
                                                int backlog) {
  sys::SysResult sock = sys::socket(AF_UNIX, SOCK_STREAM);
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
  struct stat st {};
  if (addr.kind() == UnixSocketAddr::Kind::kPath) {
    (void)::stat(addr.name().c_str(), &st);
  }
  r = sys::listen(fd, backlog);
  if (!r.ok()) {
    sys::close(fd);
    return sys::to_status(r, "listen");
  }
  absl::StatusOr<IoSource> source =
      IoSource::register_fd(fd, Interest::kReadable);
  if (!source.ok()) return source.status();
  return UnixListener(*std::move(source), addr, st.st_dev, st.st_ino);
}

UnixListener::UnixListener(UnixListener&& other) noexcept
    : source_(std::move(other.source_)),
      addr_(std::move(other.addr_)),
      dev_(other.dev_),
      ino_(other.ino_),
      remove_on_drop_(std::exchange(other.remove_on_drop_, false)) {}

UnixListener& UnixListener::operator=(UnixListener&& other) noexcept {
  if (this != &other) {
    remove_file();
    source_ = std::move(other.source_);
    addr_ = std::move(other.addr_);
    dev_ = other.dev_;
    ino_ = other.ino_;
    remove_on_drop_ = std::exchange(other.remove_on_drop_, false);
  }
  return *this;
}

UnixListener::~UnixListener() { remove_file(); }

void UnixListener::remove_file() {
  if (!remove_on_drop_ || addr_.kind() != UnixSocketAddr::Kind::kPath) return;
  remove_on_drop_ = false;
  struct stat st {};
  // Only the file this listener made: another process may have replaced it.
  if (::stat(addr_.name().c_str(), &st) == 0 && st.st_dev == dev_ &&
      st.st_ino == ino_) {
    (void)::unlink(addr_.name().c_str());
  }
}

absl::StatusOr<UnixSocketAddr> UnixListener::local_addr() const {
  return UnixSocketAddr::local_of(fd());
}

Poll<absl::StatusOr<UnixListener::Accepted>> UnixListener::poll_accept(
    Context& cx) {
  sockaddr_un storage{};
  socklen_t len = 0;
  Poll<absl::StatusOr<std::size_t>> accepted =
      source_.poll_io(cx, Direction::kRead, "accept", [&] {
        len = sizeof(storage);
        return sys::accept(fd(), reinterpret_cast<sockaddr*>(&storage), &len);
      });
  if (accepted.is_pending()) return Pending;
  using Output = absl::StatusOr<Accepted>;
  if (!accepted.value().ok()) return Output(accepted.value().status());
  const int conn = static_cast<int>(*accepted.value());
  const UnixSocketAddr peer = UnixSocketAddr::from_sockaddr(storage, len);
  absl::StatusOr<IoSource> source = IoSource::register_fd(
      source_.handle(), conn, Interest::kReadable | Interest::kWritable);
  if (!source.ok()) return Output(source.status());
  return Output(Accepted(UnixStream(*std::move(source)), peer));
}

}  // namespace magpie::net
