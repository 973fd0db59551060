// magpie::io::copy — move every byte from an AsyncRead to an AsyncWrite
// until end of stream; the byte count is the answer.
//
//   auto piped = io::copy(upstream_reader, client_writer);
//   absl::StatusOr<std::uint64_t> n = co_await piped;
//
// copy() reads into a buffer of kCopyBufferSize bytes, writes it all out,
// and repeats; at end of stream it flushes the writer and answers the
// count. It does not shut the writer down (copy_bidirectional does, for
// proxies). Whenever a read would wait while written bytes are unflushed,
// the writer is flushed first, so a BufWriter never sits on data the peer
// is waiting for. The first error ends the copy (the count is lost with
// it; bytes already written stay written).
//
// CopyBuffer is the state machine (shared with copy_bidirectional):
//
//   state            | event                     | next
//   -----------------+---------------------------+--------------------------
//   empty, reading   | read n > 0                | holding n bytes
//   empty, reading   | read 0                    | done reading
//   empty, reading   | read Pending, need flush  | flush, then Pending
//   holding          | write m < rest            | holding rest - m
//   holding          | write all                 | empty (need flush)
//   holding          | write 0                   | error (write_zero_status)
//   done reading     | flush Ok                  | Ready(count)
//
// The future borrows reader and writer; both outlive it and stay in place.
// Threads: a plain future, polled by one thread at a time.

#ifndef MAGPIE_REACTOR_IO_COPY_H_
#define MAGPIE_REACTOR_IO_COPY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/io/async_read.h"
#include "reactor/io/async_write.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::io {

// Tokio's and std's copy buffer: big enough to amortise syscalls, small
// enough to keep thousands of proxied connections cheap.
inline constexpr std::size_t kCopyBufferSize = 8 * 1024;

class CopyBuffer {
 public:
  CopyBuffer() : buf_(std::make_unique<std::byte[]>(kCopyBufferSize)) {}

  // Drives one direction; Ready(count) at end of stream once the writer is
  // flushed.
  template <class R, class W>
  Poll<absl::StatusOr<std::uint64_t>> poll_copy(Context& cx, R& reader,
                                                W& writer) {
    using Out = absl::StatusOr<std::uint64_t>;
    while (true) {
      if (pos_ == cap_ && !read_done_) {
        Poll<absl::StatusOr<std::size_t>> got = reader.poll_read(
            cx, std::span<std::byte>(buf_.get(), kCopyBufferSize));
        if (got.is_pending()) {
          if (need_flush_) {
            Poll<absl::Status> flushed = writer.poll_flush(cx);
            if (flushed.is_ready()) {
              if (!flushed.value().ok()) return Out(flushed.value());
              need_flush_ = false;
            }
          }
          return Pending;
        }
        if (!got.value().ok()) return Out(got.value().status());
        pos_ = 0;
        cap_ = *got.value();
        if (cap_ == 0) read_done_ = true;
      }
      while (pos_ < cap_) {
        Poll<absl::StatusOr<std::size_t>> n = writer.poll_write(
            cx, std::span<const std::byte>(buf_.get() + pos_, cap_ - pos_));
        if (n.is_pending()) return Pending;
        if (!n.value().ok()) return Out(n.value().status());
        if (*n.value() == 0) return Out(write_zero_status());
        pos_ += *n.value();
        amount_ += *n.value();
        need_flush_ = true;
      }
      if (read_done_) {
        Poll<absl::Status> flushed = writer.poll_flush(cx);
        if (flushed.is_pending()) return Pending;
        if (!flushed.value().ok()) return Out(flushed.value());
        need_flush_ = false;
        return Out(amount_);
      }
    }
  }

  std::uint64_t amount() const { return amount_; }

 private:
  std::unique_ptr<std::byte[]> buf_;
  std::size_t pos_ = 0;  // Next byte to write.
  std::size_t cap_ = 0;  // End of the bytes read.
  std::uint64_t amount_ = 0;
  bool read_done_ = false;
  bool need_flush_ = false;
};

template <AsyncRead R, AsyncWrite W>
class CopyFuture {
 public:
  using Output = absl::StatusOr<std::uint64_t>;
  CopyFuture(R& reader, W& writer) : reader_(&reader), writer_(&writer) {}
  Poll<Output> poll(Context& cx) {
    return buffer_.poll_copy(cx, *reader_, *writer_);
  }

 private:
  R* reader_;
  W* writer_;
  CopyBuffer buffer_;
};

template <AsyncRead R, AsyncWrite W>
CopyFuture<R, W> copy(R& reader, W& writer) {
  return CopyFuture<R, W>(reader, writer);
}

}  // namespace magpie::io

#endif  // MAGPIE_REACTOR_IO_COPY_H_
