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
// Errors carry the errno; no SIGPIPE. bind() needs a current reactor
// (FailedPrecondition otherwise).
//
// Threads: one send_to and one recv_from pending at a time, from any threads
// with any wakers. Closed on destruction (deregistered first).

#ifndef MAGPIE_REACTOR_NET_UDP_SOCKET_H_
#define MAGPIE_REACTOR_NET_UDP_SOCKET_H_

#include <cstddef>
#include <span>
#include <utility>

#include "absl/status/statusor.h"
#include "reactor/io_source.h"
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

  static absl::StatusOr<UdpSocket> bind(const SocketAddr& addr);

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

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_UDP_SOCKET_H_
