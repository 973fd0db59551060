// magpie::io::copy_bidirectional — copy a→b and b→a at once, as a proxy
// does; answers both byte counts once both directions have ended.
//
//   auto both = io::copy_bidirectional(client, upstream);
//   absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> n = co_await both;
//   // n->first: bytes client → upstream; n->second: upstream → client.
//
// Half-close: when one side's reader reaches end of stream, the other
// side's writer is flushed and shut down (poll_shutdown), so the peer sees
// end of stream too, while the opposite direction keeps flowing until it
// ends in turn. The first error from either direction ends the whole copy.
//
// Both directions are polled in the same task: each stream's read slot and
// write slot carry the task's waker (one reader and one writer per stream,
// scheduled_io.h). The future borrows both streams; they outlive it.
//
//   direction state | event                        | next
//   ----------------+------------------------------+-------------------------
//   copying         | CopyBuffer ready(count)      | shutting down the writer
//   shutting down   | poll_shutdown Ok             | done(count)
//   any             | error                        | whole future Ready(error)
//
// Threads: a plain future, polled by one thread at a time.

#ifndef MAGPIE_REACTOR_IO_COPY_BIDIRECTIONAL_H_
#define MAGPIE_REACTOR_IO_COPY_BIDIRECTIONAL_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/io/async_read.h"
#include "reactor/io/async_write.h"
#include "reactor/io/copy.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::io {

template <class T>
concept AsyncReadWrite = AsyncRead<T> && AsyncWrite<T>;

template <AsyncReadWrite A, AsyncReadWrite B>
class CopyBidirectionalFuture {
 public:
  using Output = absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>>;
  CopyBidirectionalFuture(A& a, B& b) : a_(&a), b_(&b) {}

  Poll<Output> poll(Context& cx) {
    absl::Status failed = absl::OkStatus();
    poll_direction(cx, a_to_b_, *a_, *b_, failed);
    if (!failed.ok()) return Output(failed);
    poll_direction(cx, b_to_a_, *b_, *a_, failed);
    if (!failed.ok()) return Output(failed);
    if (a_to_b_.done.has_value() && b_to_a_.done.has_value()) {
      return Output(std::make_pair(*a_to_b_.done, *b_to_a_.done));
    }
    return Pending;
  }

 private:
  struct Direction {
    CopyBuffer buffer;
    std::optional<std::uint64_t> copied;  // Reader ended; shutting down.
    std::optional<std::uint64_t> done;    // Writer shut down.
  };

  template <class R, class W>
  static void poll_direction(Context& cx, Direction& d, R& reader, W& writer,
                             absl::Status& failed) {
    if (d.done.has_value()) return;
    if (!d.copied.has_value()) {
      Poll<absl::StatusOr<std::uint64_t>> n =
          d.buffer.poll_copy(cx, reader, writer);
      if (n.is_pending()) return;
      if (!n.value().ok()) {
        failed = n.value().status();
        return;
      }
      d.copied = *n.value();
    }
    Poll<absl::Status> shut = writer.poll_shutdown(cx);
    if (shut.is_pending()) return;
    if (!shut.value().ok()) {
      failed = shut.value();
      return;
    }
    d.done = d.copied;
  }

  A* a_;
  B* b_;
  Direction a_to_b_;
  Direction b_to_a_;
};

template <AsyncReadWrite A, AsyncReadWrite B>
CopyBidirectionalFuture<A, B> copy_bidirectional(A& a, B& b) {
  return CopyBidirectionalFuture<A, B>(a, b);
}

}  // namespace magpie::io

#endif  // MAGPIE_REACTOR_IO_COPY_BIDIRECTIONAL_H_
