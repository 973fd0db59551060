// magpie::net::TcpListener — a listening TCP socket whose accept() is a
// future.
//
//   absl::StatusOr<TcpListener> listener =
//       TcpListener::bind(*SocketAddr::parse("127.0.0.1:0"));
//   SocketAddr where = *listener->local_addr();          // the real port
//   auto accepted = magpie::block_on(listener->accept());
//   if (accepted.ok()) { auto& [stream, peer] = *accepted; ... }
//
// bind() creates the socket (SO_REUSEADDR), binds, listens and registers it
// with the current reactor (FailedPrecondition with none). The accepted
// streams are registered with the listener's reactor.
//
// Errors: accept() reports kernel errors as a status with the errno
// (classify with net::error_kind(), error_kind.h). Running out of file descriptors (kTooManyOpenFiles; net::is_resource_exhaustion()) is
// such an error, and the listener stays usable: the pending connection stays
// queued and the next accept() tries again at once. A server loop should
// back off briefly (e.g. magpie::sleep(10ms)) on such an error instead of
// retrying hot (DESIGN.md §4).
//
// Threads: one accept() pending at a time, polled from any thread with any
// waker; the listener outlives it. Closed on destruction (deregistered
// first).

#ifndef MAGPIE_REACTOR_NET_TCP_LISTENER_H_
#define MAGPIE_REACTOR_NET_TCP_LISTENER_H_

#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "reactor/io_source.h"
#include "reactor/net/lookup_host.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/tcp_stream.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

class TcpListener {
 public:
  // The listen() backlog bind() uses unless told otherwise.
  static constexpr int kDefaultBacklog = 1024;

  using Accepted = std::pair<TcpStream, SocketAddr>;

  class AcceptFuture {
   public:
    using Output = absl::StatusOr<Accepted>;
    explicit AcceptFuture(TcpListener& listener) : listener_(&listener) {}
    Poll<Output> poll(Context& cx) { return listener_->poll_accept(cx); }

   private:
    TcpListener* listener_;
  };

  static absl::StatusOr<TcpListener> bind(const SocketAddr& addr,
                                          int backlog = kDefaultBacklog);

  // By name ("localhost:8080", or any numeric form): a future, since the
  // name may need a lookup (lookup_host.h); binds the first address that
  // binds, else answers the last error.
  class BindHostFuture {
   public:
    using Output = absl::StatusOr<TcpListener>;
    BindHostFuture(std::string_view host_port, int backlog)
        : lookup_(host_port), backlog_(backlog) {}
    Poll<Output> poll(Context& cx);

   private:
    LookupHostFuture lookup_;
    int backlog_;
  };
  static BindHostFuture bind(std::string_view host_port,
                             int backlog = kDefaultBacklog) {
    return BindHostFuture(host_port, backlog);
  }

  // Adopts a bound, listening socket (made non-blocking here) and registers
  // it with the current reactor; the fd is closed on failure. into_fd()
  // deregisters and hands it back; no accept() may be pending.
  static absl::StatusOr<TcpListener> from_fd(int fd);
  int into_fd() && { return source_.release(); }

  TcpListener(TcpListener&&) noexcept = default;
  TcpListener& operator=(TcpListener&&) noexcept = default;

  absl::StatusOr<SocketAddr> local_addr() const;

  AcceptFuture accept() { return AcceptFuture(*this); }
  Poll<absl::StatusOr<Accepted>> poll_accept(Context& cx);

  int fd() const { return source_.fd(); }

 private:
  explicit TcpListener(reactor::IoSource source) : source_(std::move(source)) {}

  reactor::IoSource source_;
};

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_TCP_LISTENER_H_
