#include "reactor/net/tcp_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "reactor/net/socket_options.h"
#include "reactor/sys/error.h"
#include "reactor/sys/socket.h"

namespace magpie::net {

namespace sys = reactor::sys;

absl::StatusOr<TcpSocket> TcpSocket::make(int family) {
  sys::SysResult sock = sys::socket(family, SOCK_STREAM);
  if (!sock.ok()) return sys::to_status(sock, "socket");
  return TcpSocket(static_cast<int>(sock.value));
}

absl::StatusOr<TcpSocket> TcpSocket::new_v4() { return make(AF_INET); }
absl::StatusOr<TcpSocket> TcpSocket::new_v6() { return make(AF_INET6); }
absl::StatusOr<TcpSocket> TcpSocket::new_for(const SocketAddr& addr) {
  return make(addr.family());
}

TcpSocket& TcpSocket::operator=(TcpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) sys::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

TcpSocket::~TcpSocket() {
  if (fd_ >= 0) sys::close(fd_);
}

absl::Status TcpSocket::set_reuseaddr(bool on) {
  return sockopt::set_bool(fd_, SOL_SOCKET, SO_REUSEADDR, on, "SO_REUSEADDR");
}
absl::StatusOr<bool> TcpSocket::reuseaddr() const {
  return sockopt::get_bool(fd_, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
}
absl::Status TcpSocket::set_reuseport(bool on) {
  return sockopt::set_bool(fd_, SOL_SOCKET, SO_REUSEPORT, on, "SO_REUSEPORT");
}
absl::StatusOr<bool> TcpSocket::reuseport() const {
  return sockopt::get_bool(fd_, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT");
}
absl::Status TcpSocket::set_nodelay(bool on) {
  return sockopt::set_bool(fd_, IPPROTO_TCP, TCP_NODELAY, on, "TCP_NODELAY");
}
absl::Status TcpSocket::set_linger(std::optional<std::chrono::seconds> linger) {
  return sockopt::set_linger(fd_, linger);
}
absl::Status TcpSocket::set_keepalive(
    bool on, std::optional<std::chrono::seconds> idle) {
  return sockopt::set_keepalive(fd_, on, idle);
}
absl::Status TcpSocket::set_send_buffer_size(int bytes) {
  return sockopt::set_int(fd_, SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
}
absl::StatusOr<int> TcpSocket::send_buffer_size() const {
  return sockopt::get_int(fd_, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
}
absl::Status TcpSocket::set_recv_buffer_size(int bytes) {
  return sockopt::set_int(fd_, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
}
absl::StatusOr<int> TcpSocket::recv_buffer_size() const {
  return sockopt::get_int(fd_, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
}

absl::Status TcpSocket::bind(const SocketAddr& addr) {
  sys::SysResult r = sys::bind(fd_, addr.as_sockaddr(), addr.sockaddr_len());
  return r.ok() ? absl::OkStatus()
                : sys::errno_status(r.error, "bind " + addr.to_string());
}

absl::StatusOr<SocketAddr> TcpSocket::local_addr() const {
  return SocketAddr::local_of(fd_);
}

absl::StatusOr<TcpListener> TcpSocket::listen(int backlog) && {
  const int fd = std::exchange(fd_, -1);
  sys::SysResult r = sys::listen(fd, backlog);
  if (!r.ok()) {
    sys::close(fd);
    return sys::to_status(r, "listen");
  }
  return TcpListener::from_fd(fd);
}

TcpStream::ConnectFuture TcpSocket::connect(const SocketAddr& addr) && {
  return TcpStream::ConnectFuture(addr, std::exchange(fd_, -1));
}

}  // namespace magpie::net
