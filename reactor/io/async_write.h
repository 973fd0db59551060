// magpie::io::AsyncWrite — the concept every writable byte stream satisfies
// (TcpStream, its write halves, BufWriter, ...), and the write futures built
// on it.
//
//   template <io::AsyncWrite W>
//   Task<absl::Status> say(W& writer, std::span<const std::byte> bytes) {
//     auto all = io::write_all(writer, bytes);
//     if (absl::Status s = co_await all; !s.ok()) co_return s;
//     auto done = io::shutdown(writer);     // flush, then half-close
//     co_return co_await done;
//   }
//
// The contract:
//  1. poll_write(cx, buf): Ready(n), 1 <= n <= buf.size(), for a non-empty
//     buf; Ready(0) only for an empty buf; Ready(error) with the errno.
//     Writes never raise SIGPIPE (a reset peer is EPIPE / ECONNRESET).
//  2. poll_flush(cx): Ready(Ok) once every byte accepted by poll_write has
//     left this object (a socket has no buffer of its own: Ready at once).
//  3. poll_shutdown(cx): flushes, then closes the write direction (the peer
//     reads end of stream); the read direction stays usable.
//  4. Pending only after cx.waker() was registered and the condition
//     re-checked; one write-side poll at a time (one waker slot).
// The futures borrow the writer, which must outlive them and not move while
// they are pending.
//
// Threads: the futures are plain values, polled by one thread at a time.

#ifndef MAGPIE_REACTOR_IO_ASYNC_WRITE_H_
#define MAGPIE_REACTOR_IO_ASYNC_WRITE_H_

#include <concepts>
#include <cstddef>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/core/context.h"
#include "runtime/core/future.h"
#include "runtime/core/poll.h"

namespace magpie::io {

template <class W>
concept AsyncWrite = requires(W& writer, Context& cx,
                              std::span<const std::byte> buf) {
  {
    writer.poll_write(cx, buf)
    } -> std::same_as<Poll<absl::StatusOr<std::size_t>>>;
  { writer.poll_flush(cx) } -> std::same_as<Poll<absl::Status>>;
  { writer.poll_shutdown(cx) } -> std::same_as<Poll<absl::Status>>;
  { writer.write(buf) } -> Future;
};

// The status of a write that accepted no bytes of a non-empty buffer.
inline absl::Status write_zero_status() {
  return absl::DataLossError("write accepted 0 bytes");
}

// One poll_write: bytes written.
template <class W>
class WriteFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  WriteFuture(W& writer, std::span<const std::byte> buf)
      : writer_(&writer), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return writer_->poll_write(cx, buf_); }

 private:
  W* writer_;
  std::span<const std::byte> buf_;
};

// Every byte of buf, or the first error.
template <class W>
class WriteAllFuture {
 public:
  using Output = absl::Status;
  WriteAllFuture(W& writer, std::span<const std::byte> buf)
      : writer_(&writer), rest_(buf) {}

  Poll<Output> poll(Context& cx) {
    while (!rest_.empty()) {
      Poll<absl::StatusOr<std::size_t>> written =
          writer_->poll_write(cx, rest_);
      if (written.is_pending()) return Pending;
      if (!written.value().ok()) return absl::Status(written.value().status());
      if (*written.value() == 0) return write_zero_status();
      rest_ = rest_.subspan(*written.value());
    }
    return absl::OkStatus();
  }

 private:
  W* writer_;
  std::span<const std::byte> rest_;
};

template <class W>
class FlushFuture {
 public:
  using Output = absl::Status;
  explicit FlushFuture(W& writer) : writer_(&writer) {}
  Poll<Output> poll(Context& cx) { return writer_->poll_flush(cx); }

 private:
  W* writer_;
};

template <class W>
class ShutdownFuture {
 public:
  using Output = absl::Status;
  explicit ShutdownFuture(W& writer) : writer_(&writer) {}
  Poll<Output> poll(Context& cx) { return writer_->poll_shutdown(cx); }

 private:
  W* writer_;
};

template <class W>
WriteFuture<W> write(W& writer, std::span<const std::byte> buf) {
  return WriteFuture<W>(writer, buf);
}
template <class W>
WriteAllFuture<W> write_all(W& writer, std::span<const std::byte> buf) {
  return WriteAllFuture<W>(writer, buf);
}
template <class W>
FlushFuture<W> flush(W& writer) {
  return FlushFuture<W>(writer);
}
template <class W>
ShutdownFuture<W> shutdown(W& writer) {
  return ShutdownFuture<W>(writer);
}

}  // namespace magpie::io

#endif  // MAGPIE_REACTOR_IO_ASYNC_WRITE_H_
