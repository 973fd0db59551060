// magpie::io::AsyncRead — the concept every readable byte stream satisfies
// (TcpStream, its split halves, BufReader, ...), and the read futures built
// on it.
//
//   template <io::AsyncRead R>
//   Task<void> drain(R& reader) {
//     std::array<std::byte, 4096> buf;
//     while (true) {
//       absl::StatusOr<std::size_t> n = co_await reader.read(buf);
//       if (!n.ok() || *n == 0) co_return;   // error or end of stream
//     }
//   }
//
// The contract of poll_read(cx, buf) (DESIGN.md §1):
//  1. Ready(n) with 1 <= n <= buf.size() bytes copied into buf; Ready(0)
//     means end of stream (or an empty buf); Ready(error) is a status with
//     the errno (reactor/sys/error.h).
//  2. Pending only after cx.waker() was registered with whatever will make
//     progress, and the condition re-checked (the leaves do it: IoSource).
//  3. One read-side poll at a time: a reader has one waker slot.
// read(buf) returns a future polling exactly that; it borrows the reader,
// which must outlive it and not move while it is pending.
//
// Generic futures here: io::read(r, buf) and io::read_exact(r, buf) work on
// any AsyncRead (the types' own read()/read_exact() return the same).
//
// Threads: the futures are plain values, polled by one thread at a time.

#ifndef MAGPIE_REACTOR_IO_ASYNC_READ_H_
#define MAGPIE_REACTOR_IO_ASYNC_READ_H_

#include <concepts>
#include <cstddef>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "runtime/core/context.h"
#include "runtime/core/future.h"
#include "runtime/core/poll.h"

namespace magpie::io {

template <class R>
concept AsyncRead = requires(R& reader, Context& cx, std::span<std::byte> buf) {
  {
    reader.poll_read(cx, buf)
    } -> std::same_as<Poll<absl::StatusOr<std::size_t>>>;
  { reader.read(buf) } -> Future;
};

// One poll_read: bytes read, 0 at end of stream.
template <class R>
class ReadFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  ReadFuture(R& reader, std::span<std::byte> buf)
      : reader_(&reader), buf_(buf) {}
  Poll<Output> poll(Context& cx) { return reader_->poll_read(cx, buf_); }

 private:
  R* reader_;
  std::span<std::byte> buf_;
};

// Fills buf completely; OutOfRange on an early end of stream.
template <class R>
class ReadExactFuture {
 public:
  using Output = absl::Status;
  ReadExactFuture(R& reader, std::span<std::byte> buf)
      : reader_(&reader), buf_(buf) {}

  Poll<Output> poll(Context& cx) {
    while (filled_ < buf_.size()) {
      Poll<absl::StatusOr<std::size_t>> got =
          reader_->poll_read(cx, buf_.subspan(filled_));
      if (got.is_pending()) return Pending;
      if (!got.value().ok()) return absl::Status(got.value().status());
      if (*got.value() == 0) {
        return absl::OutOfRangeError(
            absl::StrCat("unexpected end of stream after ", filled_, " of ",
                         buf_.size(), " bytes"));
      }
      filled_ += *got.value();
    }
    return absl::OkStatus();
  }

 private:
  R* reader_;
  std::span<std::byte> buf_;
  std::size_t filled_ = 0;
};

template <class R>
ReadFuture<R> read(R& reader, std::span<std::byte> buf) {
  return ReadFuture<R>(reader, buf);
}

template <class R>
ReadExactFuture<R> read_exact(R& reader, std::span<std::byte> buf) {
  return ReadExactFuture<R>(reader, buf);
}

}  // namespace magpie::io

#endif  // MAGPIE_REACTOR_IO_ASYNC_READ_H_
