// magpie::io::BufReader — an AsyncRead with a buffer in front, for reading
// lines and delimited records without a syscall per byte.
//
//   io::BufReader reader(std::move(stream));         // or a read half
//   std::string line;
//   while (true) {
//     line.clear();
//     absl::StatusOr<std::size_t> n = co_await reader.read_line(line);
//     if (!n.ok() || *n == 0) break;                 // error / end of stream
//     ... line ends with '\n' unless the stream ended without one ...
//   }
//
// Operations (each future borrows the BufReader, which must outlive it and
// stay in place while it is pending):
//   read(buf)                   AsyncRead: from the buffer, or straight from
//                               the inner reader when the buffer is empty
//                               and buf is at least as large as it
//   read_until(delim, out, max) appends up to and including `delim`; the
//                               count appended, 0 at end of stream;
//                               ResourceExhausted once `max` bytes were
//                               appended without a delimiter (what was read
//                               stays in `out`; the stream stays usable)
//   read_line(out, max)         read_until('\n', ...)
//   fill_buf() / consume(n)     the buffer itself: the bytes not yet
//                               consumed (empty at end of stream), then say
//                               how many were used
//   read_exact(buf)             io::read_exact over this reader
// Bytes already buffered are handed out without polling the inner reader
// (like Tokio's BufReader, no coop unit is spent for them); every poll of
// the inner reader goes through its leaf, which registers the waker and
// spends the budget (coop rule 1).
//
// Ownership: owns the inner reader (a TcpStream, a ReadHalf, an
// OwnedReadHalf, ...); inner() lends it, into_inner() gives it back and
// drops whatever was buffered. A cancelled read_until leaves the bytes it
// already appended in `out` and the rest in the buffer: nothing is lost.
//
// Threads: like its inner reader; one read-side future at a time.

#ifndef MAGPIE_REACTOR_IO_BUF_READER_H_
#define MAGPIE_REACTOR_IO_BUF_READER_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "reactor/io/async_read.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::io {

// The buffer a BufReader or BufWriter uses unless told otherwise (Tokio's
// and std's default: a few pages, larger than most protocol lines).
inline constexpr std::size_t kDefaultBufferSize = 8 * 1024;

// No limit on a read_until's length.
inline constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

template <AsyncRead R>
class BufReader {
 public:
  class FillBufFuture;
  class ReadUntilFuture;

  explicit BufReader(R inner, std::size_t capacity = kDefaultBufferSize)
      : inner_(std::move(inner)), buf_(std::max<std::size_t>(capacity, 1)) {}

  BufReader(BufReader&&) noexcept = default;
  BufReader& operator=(BufReader&&) noexcept = default;

  R& inner() { return inner_; }
  // Gives the inner reader back; buffered bytes are dropped.
  R into_inner() && { return std::move(inner_); }
  // The bytes buffered and not yet consumed.
  std::span<const std::byte> buffer() const {
    return std::span<const std::byte>(buf_.data() + pos_, filled_ - pos_);
  }
  std::size_t capacity() const { return buf_.size(); }

  // The buffered bytes, reading more first if there are none; empty at end
  // of stream.
  Poll<absl::StatusOr<std::span<const std::byte>>> poll_fill_buf(Context& cx) {
    using Out = absl::StatusOr<std::span<const std::byte>>;
    if (pos_ >= filled_) {
      Poll<absl::StatusOr<std::size_t>> got = inner_.poll_read(cx, buf_);
      if (got.is_pending()) return Pending;
      if (!got.value().ok()) return Out(got.value().status());
      pos_ = 0;
      filled_ = *got.value();
    }
    return Out(buffer());
  }

  // Marks `n` buffered bytes as used (clamped to what is buffered).
  void consume(std::size_t n) { pos_ = std::min(pos_ + n, filled_); }

  Poll<absl::StatusOr<std::size_t>> poll_read(Context& cx,
                                              std::span<std::byte> out) {
    using Out = absl::StatusOr<std::size_t>;
    if (out.empty()) return Out(0);
    if (pos_ >= filled_ && out.size() >= buf_.size()) {
      return inner_.poll_read(cx, out);  // Nothing to gain from copying.
    }
    Poll<absl::StatusOr<std::span<const std::byte>>> avail = poll_fill_buf(cx);
    if (avail.is_pending()) return Pending;
    if (!avail.value().ok()) return Out(avail.value().status());
    const std::span<const std::byte> bytes = *avail.value();
    const std::size_t n = std::min(bytes.size(), out.size());
    if (n > 0) std::memcpy(out.data(), bytes.data(), n);
    consume(n);
    return Out(n);
  }

  ReadFuture<BufReader> read(std::span<std::byte> buf) {
    return ReadFuture<BufReader>(*this, buf);
  }
  ReadExactFuture<BufReader> read_exact(std::span<std::byte> buf) {
    return ReadExactFuture<BufReader>(*this, buf);
  }
  FillBufFuture fill_buf() { return FillBufFuture(*this); }
  ReadUntilFuture read_until(char delim, std::string& out,
                             std::size_t max = kNoLimit) {
    return ReadUntilFuture(*this, delim, out, max);
  }
  ReadUntilFuture read_line(std::string& out, std::size_t max = kNoLimit) {
    return ReadUntilFuture(*this, '\n', out, max);
  }

 private:
  R inner_;
  std::vector<std::byte> buf_;
  std::size_t pos_ = 0;     // First unconsumed byte.
  std::size_t filled_ = 0;  // End of the buffered bytes.
};

template <AsyncRead R>
class BufReader<R>::FillBufFuture {
 public:
  using Output = absl::StatusOr<std::span<const std::byte>>;
  explicit FillBufFuture(BufReader& reader) : reader_(&reader) {}
  Poll<Output> poll(Context& cx) { return reader_->poll_fill_buf(cx); }

 private:
  BufReader* reader_;
};

template <AsyncRead R>
class BufReader<R>::ReadUntilFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  ReadUntilFuture(BufReader& reader, char delim, std::string& out,
                  std::size_t max)
      : reader_(&reader), out_(&out), delim_(delim), max_(max) {}

  Poll<Output> poll(Context& cx) {
    while (true) {
      Poll<absl::StatusOr<std::span<const std::byte>>> avail =
          reader_->poll_fill_buf(cx);
      if (avail.is_pending()) return Pending;
      if (!avail.value().ok()) return Output(avail.value().status());
      const std::span<const std::byte> bytes = *avail.value();
      if (bytes.empty()) return Output(appended_);  // End of stream.
      const char* data = reinterpret_cast<const char*>(bytes.data());
      const std::size_t room = max_ - appended_;
      const std::size_t look = std::min(bytes.size(), room);
      const void* hit = std::memchr(data, delim_, look);
      const std::size_t take =
          hit != nullptr ? static_cast<const char*>(hit) - data + 1 : look;
      out_->append(data, take);
      reader_->consume(take);
      appended_ += take;
      if (hit != nullptr) return Output(appended_);
      if (appended_ >= max_) {
        return Output(absl::ResourceExhaustedError(absl::StrCat(
            "no delimiter within ", max_, " bytes (read_until limit)")));
      }
    }
  }

 private:
  BufReader* reader_;
  std::string* out_;
  char delim_;
  std::size_t max_;
  std::size_t appended_ = 0;
};

}  // namespace magpie::io

#endif  // MAGPIE_REACTOR_IO_BUF_READER_H_
