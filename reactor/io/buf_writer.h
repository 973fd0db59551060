// magpie::io::BufWriter — an AsyncWrite that gathers small writes into one
// buffer and hands them to the inner writer in large pieces.
//
//   io::BufWriter writer(std::move(write_half));
//   auto a = writer.write_all(header);  co_await a;  // buffered
//   auto b = writer.write_all(body);    co_await b;  // buffered
//   auto f = writer.flush();            co_await f;  // now on the wire
//
// Behaviour:
//   poll_write(buf)   copies buf into the buffer; when it does not fit the
//                     buffer is written out first; a buf at least as large
//                     as the buffer goes straight to the inner writer
//   poll_flush()      writes out the buffer, then flushes the inner writer
//   poll_shutdown()   writes out the buffer, then shuts the inner writer
//                     down (the peer reads end of stream)
// Bytes still buffered when a BufWriter is destroyed are lost (no I/O can
// run in a destructor): flush or shut down first. An error while writing
// out leaves the unwritten bytes buffered, so a later flush retries them.
//
// Ownership: owns the inner writer; inner() lends it, into_inner() gives it
// back and drops unflushed bytes. Each future borrows the BufWriter, which
// must outlive it and stay in place while it is pending.
//
// Threads: like its inner writer; one write-side future at a time.

#ifndef MAGPIE_REACTOR_IO_BUF_WRITER_H_
#define MAGPIE_REACTOR_IO_BUF_WRITER_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/io/async_write.h"
#include "reactor/io/buf_reader.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::io {

template <AsyncWrite W>
class BufWriter {
 public:
  explicit BufWriter(W inner, std::size_t capacity = kDefaultBufferSize)
      : inner_(std::move(inner)),
        capacity_(std::max<std::size_t>(capacity, 1)) {
    buf_.reserve(capacity_);
  }

  BufWriter(BufWriter&&) noexcept = default;
  BufWriter& operator=(BufWriter&&) noexcept = default;

  W& inner() { return inner_; }
  // Gives the inner writer back; unflushed bytes are dropped.
  W into_inner() && { return std::move(inner_); }
  // The bytes accepted and not yet written out.
  std::span<const std::byte> buffer() const {
    return std::span<const std::byte>(buf_.data() + written_,
                                      buf_.size() - written_);
  }

  Poll<absl::StatusOr<std::size_t>> poll_write(
      Context& cx, std::span<const std::byte> data) {
    using Out = absl::StatusOr<std::size_t>;
    if (data.empty()) return Out(0);
    if (buf_.size() + data.size() > capacity_) {
      Poll<absl::Status> out = poll_write_out(cx);
      if (out.is_pending()) return Pending;
      if (!out.value().ok()) return Out(out.value());
    }
    if (data.size() >= capacity_) return inner_.poll_write(cx, data);
    buf_.insert(buf_.end(), data.begin(), data.end());
    return Out(data.size());
  }

  Poll<absl::Status> poll_flush(Context& cx) {
    Poll<absl::Status> out = poll_write_out(cx);
    if (out.is_pending() || !out.value().ok()) return out;
    return inner_.poll_flush(cx);
  }

  Poll<absl::Status> poll_shutdown(Context& cx) {
    Poll<absl::Status> out = poll_write_out(cx);
    if (out.is_pending() || !out.value().ok()) return out;
    return inner_.poll_shutdown(cx);
  }

  WriteFuture<BufWriter> write(std::span<const std::byte> buf) {
    return WriteFuture<BufWriter>(*this, buf);
  }
  WriteAllFuture<BufWriter> write_all(std::span<const std::byte> buf) {
    return WriteAllFuture<BufWriter>(*this, buf);
  }
  FlushFuture<BufWriter> flush() { return FlushFuture<BufWriter>(*this); }
  ShutdownFuture<BufWriter> shutdown() {
    return ShutdownFuture<BufWriter>(*this);
  }

 private:
  // Writes the buffered bytes to the inner writer (not flushing it).
  Poll<absl::Status> poll_write_out(Context& cx) {
    while (written_ < buf_.size()) {
      Poll<absl::StatusOr<std::size_t>> n = inner_.poll_write(
          cx, std::span<const std::byte>(buf_).subspan(written_));
      if (n.is_pending()) return Pending;
      if (!n.value().ok()) return absl::Status(n.value().status());
      if (*n.value() == 0) return write_zero_status();
      written_ += *n.value();
    }
    buf_.clear();
    written_ = 0;
    return absl::OkStatus();
  }

  W inner_;
  std::size_t capacity_;
  std::vector<std::byte> buf_;
  std::size_t written_ = 0;  // Prefix of buf_ already handed to inner_.
};

}  // namespace magpie::io

#endif  // MAGPIE_REACTOR_IO_BUF_WRITER_H_
