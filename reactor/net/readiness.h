// magpie::net::ReadyFuture — waits until a socket is ready for an interest
// (readable, writable or either) without performing any I/O, and says which
// readiness it saw. The futures behind readable() / writable() / ready() of
// TcpStream, its halves and UdpSocket.
//
//   auto r = stream.readable();
//   absl::StatusOr<reactor::Ready> ready = co_await r;
//   absl::StatusOr<std::size_t> n = stream.try_read(buf);
//   if (net::is_would_block(n.status())) { /* spurious: wait again */ }
//
// Readiness is a hint, not a promise: it stays set until an operation hits
// EAGAIN (then try_read/try_write clear exactly what they observed, guarded
// by the reactor's tick, io_source.h), so readable() answers at once again
// until a try_read answers would-block. A stream's read()/write() future
// that transfers less than asked (the buffer drained or filled) clears it
// too (io_source.h, poll_stream_io). Closed and error bits count as
// ready so the next operation reports them.
//
// A readable interest occupies the source's read waker slot, a writable one
// its write slot (one reader and one writer at a time, scheduled_io.h):
// ready(kReadable | kWritable) occupies both. Every Pending poll stores this
// poll's waker and re-checks (ScheduledIo::poll_ready). A leaf: it spends a
// coop unit only when it answers Ready (coop rule 1).
//
// Errors: Cancelled once the reactor shut down. The future borrows the
// source, which outlives it and does not move.

#ifndef MAGPIE_REACTOR_NET_READINESS_H_
#define MAGPIE_REACTOR_NET_READINESS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/interest.h"
#include "reactor/io_source.h"
#include "reactor/ready.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

class ReadyFuture {
 public:
  using Output = absl::StatusOr<reactor::Ready>;
  ReadyFuture(reactor::IoSource& source, reactor::Interest interest)
      : source_(&source), interest_(interest) {}
  Poll<Output> poll(Context& cx);

 private:
  reactor::IoSource* source_;
  reactor::Interest interest_;
};

// True if `status` is the would-block answer of a try_* operation (errno
// EAGAIN): nothing was done, wait for readiness and try again.
bool is_would_block(const absl::Status& status);

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_READINESS_H_
