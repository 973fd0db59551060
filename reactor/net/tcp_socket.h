// magpie::net::TcpSocket — a TCP socket not yet listening or connected, for
// setting the options that must come first (SO_REUSEADDR, SO_REUSEPORT,
// buffer sizes, ...), then bind + listen(backlog), or connect.
//
//   absl::StatusOr<TcpSocket> socket = TcpSocket::new_v4();
//   socket->set_reuseaddr(true);   // each setter returns a status
//   socket->set_reuseport(true);   // several listeners share the port
//   socket->bind(*SocketAddr::parse("0.0.0.0:8080"));
//   absl::StatusOr<TcpListener> listener = std::move(*socket).listen(4096);
//
//   auto client = TcpSocket::new_v4();
//   client->set_nodelay(true);
//   absl::StatusOr<TcpStream> stream = co_await std::move(*client).connect(a);
//
// Unlike TcpListener::bind(), nothing is set by default (no SO_REUSEADDR).
// Options set here carry over to the listener's accepted streams where the
// kernel inherits them (nodelay, keepalive, linger, buffer sizes) and to the
// connected stream.
//
// Ownership: move-only; owns the fd until listen() or connect() take it (the
// fd is closed on destruction otherwise, and on their failure). Not
// registered with the reactor until then: a TcpSocket may be built on any
// thread; listen() and connect() need a current reactor.

#ifndef MAGPIE_REACTOR_NET_TCP_SOCKET_H_
#define MAGPIE_REACTOR_NET_TCP_SOCKET_H_

#include <chrono>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/tcp_listener.h"
#include "reactor/net/tcp_stream.h"

namespace magpie::net {

class TcpSocket {
 public:
  static absl::StatusOr<TcpSocket> new_v4();
  static absl::StatusOr<TcpSocket> new_v6();
  // A socket of `addr`'s family.
  static absl::StatusOr<TcpSocket> new_for(const SocketAddr& addr);

  TcpSocket(TcpSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  TcpSocket& operator=(TcpSocket&& other) noexcept;
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;
  ~TcpSocket();

  absl::Status set_reuseaddr(bool on);
  absl::StatusOr<bool> reuseaddr() const;
  absl::Status set_reuseport(bool on);
  absl::StatusOr<bool> reuseport() const;
  absl::Status set_nodelay(bool on);
  absl::Status set_linger(std::optional<std::chrono::seconds> linger);
  absl::Status set_keepalive(bool on,
                             std::optional<std::chrono::seconds> idle = {});
  // SO_SNDBUF / SO_RCVBUF; the kernel doubles the value and clamps it to its
  // limits, and the getters report what it chose.
  absl::Status set_send_buffer_size(int bytes);
  absl::StatusOr<int> send_buffer_size() const;
  absl::Status set_recv_buffer_size(int bytes);
  absl::StatusOr<int> recv_buffer_size() const;

  absl::Status bind(const SocketAddr& addr);
  absl::StatusOr<SocketAddr> local_addr() const;

  // Listens with `backlog` and registers the listener with the current
  // reactor. The socket is consumed whatever the outcome.
  absl::StatusOr<TcpListener> listen(int backlog) &&;
  // Connects (a future, like TcpStream::connect). The socket is consumed.
  TcpStream::ConnectFuture connect(const SocketAddr& addr) &&;

  int fd() const { return fd_; }

 private:
  explicit TcpSocket(int fd) : fd_(fd) {}
  static absl::StatusOr<TcpSocket> make(int family);

  int fd_ = -1;
};

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_TCP_SOCKET_H_
