// magpie::net::UnixDatagram — a Unix domain datagram socket driven by the
// reactor: message boundaries kept, reliable and ordered on one machine.
//
//   auto server = *UnixDatagram::bind(*UnixSocketAddr::abstract("svc"));
//   auto client = *UnixDatagram::unbound();
//   co_await client.send_to(request, *UnixSocketAddr::abstract("svc"));
//   auto [n, from] = *co_await server.recv_from(buf);
//
// Futures (borrowing the socket, which must outlive them and not move):
//   send_to(buf, addr), send(buf)  -> absl::StatusOr<size_t>
//   recv_from(buf)                 -> absl::StatusOr<pair<size_t, addr>>
//   recv(buf)                      -> absl::StatusOr<size_t>
// (a datagram longer than buf is truncated), and try_send / try_send_to /
// try_recv / try_recv_from (would-block as a status, readiness.h),
// readable() / writable(). An unbound sender's address is unnamed, so the
// receiver cannot answer it: bind both sides for request/response.
//
// The socket file of a path address is created by bind() and never
// removed by magpie: delete it yourself (after the socket is closed) when
// you want it gone. Abstract addresses leave no file.
//
// Threads: one send-side and one receive-side future pending at a time,
// from any threads with any wakers. Closed on destruction.

#ifndef MAGPIE_REACTOR_NET_UNIX_DATAGRAM_H_
#define MAGPIE_REACTOR_NET_UNIX_DATAGRAM_H_

#include <cstddef>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/interest.h"
#include "reactor/io_source.h"
#include "reactor/net/readiness.h"
#include "reactor/net/unix_socket_addr.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

class UnixDatagram {
 public:
  using Received = std::pair<std::size_t, UnixSocketAddr>;

  class SendToFuture;
  class SendFuture;
  class RecvFromFuture;
  class RecvFuture;

  static absl::StatusOr<UnixDatagram> bind(const UnixSocketAddr& addr);
  static absl::StatusOr<UnixDatagram> unbound();
  static absl::StatusOr<std::pair<UnixDatagram, UnixDatagram>> pair();

  UnixDatagram(UnixDatagram&&) noexcept = default;
  UnixDatagram& operator=(UnixDatagram&&) noexcept = default;

  absl::Status connect(const UnixSocketAddr& peer);

  Poll<absl::StatusOr<std::size_t>> poll_send_to(Context& cx,
                                                 std::span<const std::byte> buf,
                                                 const UnixSocketAddr& to);
  Poll<absl::StatusOr<std::size_t>> poll_send(Context& cx,
                                              std::span<const std::byte> buf);
  Poll<absl::StatusOr<Received>> poll_recv_from(Context& cx,
                                                std::span<std::byte> buf);
  Poll<absl::StatusOr<std::size_t>> poll_recv(Context& cx,
                                              std::span<std::byte> buf);

  SendToFuture send_to(std::span<const std::byte> buf,
                       const UnixSocketAddr& to);
  SendFuture send(std::span<const std::byte> buf);
  RecvFromFuture recv_from(std::span<std::byte> buf);
  RecvFuture recv(std::span<std::byte> buf);

  absl::StatusOr<std::size_t> try_send_to(std::span<const std::byte> buf,
                                          const UnixSocketAddr& to);
  absl::StatusOr<std::size_t> try_send(std::span<const std::byte> buf);
  absl::StatusOr<Received> try_recv_from(std::span<std::byte> buf);
  absl::StatusOr<std::size_t> try_recv(std::span<std::byte> buf);

  ReadyFuture readable() {
    return ReadyFuture(source_, reactor::Interest::kReadable);
  }
  ReadyFuture writable() {
    return ReadyFuture(source_, reactor::Interest::kWritable);
  }

  absl::StatusOr<UnixSocketAddr> local_addr() const;
  absl::StatusOr<UnixSocketAddr> peer_addr() const;
  int fd() const { return source_.fd(); }

 private:
  explicit UnixDatagram(reactor::IoSource source)
      : source_(std::move(source)) {}
  static absl::StatusOr<UnixDatagram> make(int fd);

  reactor::IoSource source_;
};

class UnixDatagram::SendToFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  SendToFuture(UnixDatagram& socket, std::span<const std::byte> buf,
               const UnixSocketAddr& to)
      : socket_(&socket), buf_(buf), to_(to) {}
  Poll<Output> poll(Context& cx) {
    return socket_->poll_send_to(cx, buf_, to_);
  }

 private:
  UnixDatagram* socket_;
  std::span<const std::byte> buf_;
  UnixSocketAddr to_;
};

class UnixDatagram::SendFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  SendFuture(UnixDatagram& socket, std::span<const std::byte> buf)
      : socket_(&socket), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return socket_->poll_send(cx, buf_); }

 private:
  UnixDatagram* socket_;
  std::span<const std::byte> buf_;
};

class UnixDatagram::RecvFromFuture {
 public:
  using Output = absl::StatusOr<Received>;
  RecvFromFuture(UnixDatagram& socket, std::span<std::byte> buf)
      : socket_(&socket), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return socket_->poll_recv_from(cx, buf_); }

 private:
  UnixDatagram* socket_;
  std::span<std::byte> buf_;
};

class UnixDatagram::RecvFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  RecvFuture(UnixDatagram& socket, std::span<std::byte> buf)
      : socket_(&socket), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return socket_->poll_recv(cx, buf_); }

 private:
  UnixDatagram* socket_;
  std::span<std::byte> buf_;
};

inline UnixDatagram::SendToFuture UnixDatagram::send_to(
    std::span<const std::byte> buf, const UnixSocketAddr& to) {
  return SendToFuture(*this, buf, to);
}
inline UnixDatagram::SendFuture UnixDatagram::send(
    std::span<const std::byte> buf) {
  return SendFuture(*this, buf);
}
inline UnixDatagram::RecvFromFuture UnixDatagram::recv_from(
    std::span<std::byte> buf) {
  return RecvFromFuture(*this, buf);
}
inline UnixDatagram::RecvFuture UnixDatagram::recv(std::span<std::byte> buf) {
  return RecvFuture(*this, buf);
}

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_UNIX_DATAGRAM_H_
