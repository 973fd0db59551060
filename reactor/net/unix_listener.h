// magpie::net::UnixListener — a listening Unix domain stream socket whose
// accept() is a future.
//
//   auto addr = *UnixSocketAddr::from_path("/run/app.sock");
//   absl::StatusOr<UnixListener> listener = UnixListener::bind(addr);
//   listener->set_remove_on_drop(true);        // optional; see below
//   auto accepted = co_await listener->accept();  // {UnixStream, peer}
//
// The socket file: bind() creates it, and fails with EADDRINUSE if a file
// of that name exists (a stale socket from an earlier run included) —
// magpie never deletes a file on its own initiative. The file is removed
// only if the user asks: set_remove_on_drop(true) unlinks it when the
// listener is destroyed (only if it is still the socket this listener made:
// same device and inode). An abstract address (UnixSocketAddr::abstract)
// has no file at all and vanishes with the socket.
//
// Errors: accept() reports kernel errors with the errno; EMFILE/ENFILE
// leave the listener usable and the connection queued, as TcpListener's do
// (back off before retrying: DESIGN §4).
//
// Threads: one accept() pending at a time, from any thread with any waker.
// Closed on destruction (deregistered first).

#ifndef MAGPIE_REACTOR_NET_UNIX_LISTENER_H_
#define MAGPIE_REACTOR_NET_UNIX_LISTENER_H_

#include <sys/types.h>

#include <utility>

#include "absl/status/statusor.h"
#include "reactor/io_source.h"
#include "reactor/net/unix_socket_addr.h"
#include "reactor/net/unix_stream.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

class UnixListener {
 public:
  static constexpr int kDefaultBacklog = 1024;

  using Accepted = std::pair<UnixStream, UnixSocketAddr>;

  class AcceptFuture {
   public:
    using Output = absl::StatusOr<Accepted>;
    explicit AcceptFuture(UnixListener& listener) : listener_(&listener) {}
    Poll<Output> poll(Context& cx) { return listener_->poll_accept(cx); }

   private:
    UnixListener* listener_;
  };

  static absl::StatusOr<UnixListener> bind(const UnixSocketAddr& addr,
                                           int backlog = kDefaultBacklog);

  UnixListener(UnixListener&& other) noexcept;
  UnixListener& operator=(UnixListener&& other) noexcept;
  ~UnixListener();

  // Unlink the socket file when the listener is destroyed (path addresses
  // only; see the header comment). Off by default.
  void set_remove_on_drop(bool remove) { remove_on_drop_ = remove; }

  absl::StatusOr<UnixSocketAddr> local_addr() const;
  AcceptFuture accept() { return AcceptFuture(*this); }
  Poll<absl::StatusOr<Accepted>> poll_accept(Context& cx);
  int fd() const { return source_.fd(); }

 private:
  UnixListener(reactor::IoSource source, UnixSocketAddr addr, dev_t dev,
               ino_t ino)
      : source_(std::move(source)),
        addr_(std::move(addr)),
        dev_(dev),
        ino_(ino) {}
  void remove_file();

  reactor::IoSource source_;
  UnixSocketAddr addr_;
  dev_t dev_ = 0;  // Of the socket file bind() made (path addresses).
  ino_t ino_ = 0;
  bool remove_on_drop_ = false;
};

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_UNIX_LISTENER_H_
