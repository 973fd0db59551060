// magpie::net::UdpSocket — a UDP socket driven by the reactor.
//
//   absl::StatusOr<UdpSocket> socket =
//       UdpSocket::bind(*SocketAddr::parse("127.0.0.1:0"));
//   magpie::block_on(socket->send_to(payload, peer));
//   auto got = magpie::block_on(socket->recv_from(buffer));  // {size, from}
//
// Futures (borrowing the socket, which must outlive them and not move):
//   send_to(buf, target) -> absl::StatusOr<size_t>  bytes sent (one datagram)
//   recv_from(buf)       -> absl::StatusOr<std::pair<size_t, SocketAddr>>
//                           one datagram (truncated to buf) and its sender
// Connected use (after connect(peer), datagrams go to and come only from
// that peer):
//   send(buf)            -> absl::StatusOr<size_t>
//   recv(buf)            -> absl::StatusOr<size_t>  one datagram, truncated
//   peek_from(buf)       -> like recv_from, the datagram stays queued
// Without waiting: try_send, try_send_to, try_recv, try_recv_from answer a
// would-block status (is_would_block(), readiness.h) instead of waiting;
// readable() / writable() / ready(interest) wait for readiness (readiness.h
// states when it is cleared). Options: broadcast, TTL, IPv4 multicast loop
// and TTL, joining and leaving IPv4 / IPv6 multicast groups (the group's and
// the interface's ports are ignored).
// Errors carry the errno; no SIGPIPE. bind() needs a current reactor
// (FailedPrecondition otherwise).
//
// Threads: one send-side future (send_to, send, writable) and one
// receive-side future (recv_from, recv, peek_from, readable) pending at a
// time, from any threads
// with any wakers. Closed on destruction (deregistered first).

#ifndef MAGPIE_REACTOR_NET_UDP_SOCKET_H_
#define MAGPIE_REACTOR_NET_UDP_SOCKET_H_

#include <cstddef>
#include <span>
#include <utility>

#include "absl/status/statusor.h"
#include "reactor/interest.h"
#include "reactor/io_source.h"
#include "reactor/net/readiness.h"
#include "reactor/net/socket_addr.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

class UdpSocket {
 public:
  using Received = std::pair<std::size_t, SocketAddr>;

  class SendToFuture {
   public:
    using Output = absl::StatusOr<std::size_t>;
    SendToFuture(UdpSocket& socket, std::span<const std::byte> buf,
                 const SocketAddr& target)
        : socket_(&socket), buf_(buf), target_(target) {}
    Poll<Output> poll(Context& cx) {
      return socket_->poll_send_to(cx, buf_, target_);
    }

   private:
    UdpSocket* socket_;
    std::span<const std::byte> buf_;
    SocketAddr target_;
  };

  class RecvFromFuture {
   public:
    using Output = absl::StatusOr<Received>;
    RecvFromFuture(UdpSocket& socket, std::span<std::byte> buf)
        : socket_(&socket), buf_(buf) {}
    Poll<Output> poll(Context& cx) { return socket_->poll_recv_from(cx, buf_); }

   private:
    UdpSocket* socket_;
    std::span<std::byte> buf_;
  };

  class RecvFuture;
  class SendFuture;
  class PeekFromFuture;

  static absl::StatusOr<UdpSocket> bind(const SocketAddr& addr);

  // Sets the default peer (connect(2) on a datagram socket: no handshake,
  // immediate). Datagrams from other senders are dropped by the kernel.
  absl::Status connect(const SocketAddr& peer);
  absl::StatusOr<SocketAddr> peer_addr() const;

  SendFuture send(std::span<const std::byte> buf);
  RecvFuture recv(std::span<std::byte> buf);
  PeekFromFuture peek_from(std::span<std::byte> buf);
  Poll<absl::StatusOr<std::size_t>> poll_send(Context& cx,
                                              std::span<const std::byte> buf);
  Poll<absl::StatusOr<std::size_t>> poll_recv(Context& cx,
                                              std::span<std::byte> buf);
  Poll<absl::StatusOr<Received>> poll_peek_from(Context& cx,
                                                std::span<std::byte> buf);

  absl::StatusOr<std::size_t> try_send(std::span<const std::byte> buf);
  absl::StatusOr<std::size_t> try_send_to(std::span<const std::byte> buf,
                                          const SocketAddr& target);
  absl::StatusOr<std::size_t> try_recv(std::span<std::byte> buf);
  absl::StatusOr<Received> try_recv_from(std::span<std::byte> buf);

  ReadyFuture readable() {
    return ReadyFuture(source_, reactor::Interest::kReadable);
  }
  ReadyFuture writable() {
    return ReadyFuture(source_, reactor::Interest::kWritable);
  }
  ReadyFuture ready(reactor::Interest interest) {
    return ReadyFuture(source_, interest);
  }

  absl::Status set_broadcast(bool on);
  absl::StatusOr<bool> broadcast() const;
  absl::Status set_ttl(int ttl);
  absl::StatusOr<int> ttl() const;
  absl::Status set_multicast_loop_v4(bool on);
  absl::StatusOr<bool> multicast_loop_v4() const;
  absl::Status set_multicast_ttl_v4(int ttl);
  absl::StatusOr<int> multicast_ttl_v4() const;
  absl::Status join_multicast_v4(const SocketAddr& group,
                                 const SocketAddr& interface);
  absl::Status leave_multicast_v4(const SocketAddr& group,
                                  const SocketAddr& interface);
  // `interface_index` 0 lets the kernel choose.
  absl::Status join_multicast_v6(const SocketAddr& group,
                                 unsigned interface_index);
  absl::Status leave_multicast_v6(const SocketAddr& group,
                                  unsigned interface_index);

  UdpSocket(UdpSocket&&) noexcept = default;
  UdpSocket& operator=(UdpSocket&&) noexcept = default;

  SendToFuture send_to(std::span<const std::byte> buf,
                       const SocketAddr& target) {
    return SendToFuture(*this, buf, target);
  }
  RecvFromFuture recv_from(std::span<std::byte> buf) {
    return RecvFromFuture(*this, buf);
  }

  Poll<absl::StatusOr<std::size_t>> poll_send_to(Context& cx,
                                                 std::span<const std::byte> buf,
                                                 const SocketAddr& target);
  Poll<absl::StatusOr<Received>> poll_recv_from(Context& cx,
                                                std::span<std::byte> buf);

  absl::StatusOr<SocketAddr> local_addr() const;
  int fd() const { return source_.fd(); }

 private:
  explicit UdpSocket(reactor::IoSource source) : source_(std::move(source)) {}

  reactor::IoSource source_;
};

class UdpSocket::SendFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  SendFuture(UdpSocket& socket, std::span<const std::byte> buf)
      : socket_(&socket), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return socket_->poll_send(cx, buf_); }

 private:
  UdpSocket* socket_;
  std::span<const std::byte> buf_;
};

class UdpSocket::RecvFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  RecvFuture(UdpSocket& socket, std::span<std::byte> buf)
      : socket_(&socket), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return socket_->poll_recv(cx, buf_); }

 private:
  UdpSocket* socket_;
  std::span<std::byte> buf_;
};

class UdpSocket::PeekFromFuture {
 public:
  using Output = absl::StatusOr<Received>;
  PeekFromFuture(UdpSocket& socket, std::span<std::byte> buf)
      : socket_(&socket), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return socket_->poll_peek_from(cx, buf_); }

 private:
  UdpSocket* socket_;
  std::span<std::byte> buf_;
};

inline UdpSocket::SendFuture UdpSocket::send(std::span<const std::byte> buf) {
  return SendFuture(*this, buf);
}
inline UdpSocket::RecvFuture UdpSocket::recv(std::span<std::byte> buf) {
  return RecvFuture(*this, buf);
}
inline UdpSocket::PeekFromFuture UdpSocket::peek_from(
    std::span<std::byte> buf) {
  return PeekFromFuture(*this, buf);
}

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_UDP_SOCKET_H_
