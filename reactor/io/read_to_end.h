// magpie::io::read_to_end / read_to_string — read an AsyncRead until end of
// stream, appending everything to a vector or string.
//
//   std::string body;
//   auto all = io::read_to_string(stream, body);
//   absl::StatusOr<std::size_t> n = co_await all;   // bytes appended
//
// Optional `max`: ResourceExhausted once more than `max` bytes would be
// appended (what was read stays appended). The container's capacity doubles when
// less than kReadToEndChunk is free, so a large body costs few copies.
// The future borrows the reader and the output; both outlive it.
//
// Threads: a plain future, polled by one thread at a time.

#ifndef MAGPIE_REACTOR_IO_READ_TO_END_H_
#define MAGPIE_REACTOR_IO_READ_TO_END_H_

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "reactor/io/async_read.h"
#include "reactor/io/buf_reader.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::io {

// The least and the most free space offered to one poll_read.
inline constexpr std::size_t kReadToEndChunk = 4 * 1024;
inline constexpr std::size_t kReadToEndMaxOffer = 64 * 1024;

// Container is std::vector<std::byte> or std::string.
template <class R, class Container>
class ReadToEndFuture {
 public:
  using Output = absl::StatusOr<std::size_t>;
  ReadToEndFuture(R& reader, Container& out, std::size_t max)
      : reader_(&reader), out_(&out), max_(max) {}

  Poll<Output> poll(Context& cx) {
    while (true) {
      const std::size_t used = out_->size();
      if (out_->capacity() - used < kReadToEndChunk) {
        out_->reserve(std::max(2 * out_->capacity(), used + kReadToEndChunk));
      }
      // Offered space is bounded so resize() zeroes little per poll.
      const std::size_t grow =
          std::min(out_->capacity() - used, kReadToEndMaxOffer);
      out_->resize(used + grow);
      std::span<std::byte> spare(
          reinterpret_cast<std::byte*>(out_->data()) + used, grow);
      Poll<absl::StatusOr<std::size_t>> got = reader_->poll_read(cx, spare);
      const std::size_t n =
          got.is_ready() && got.value().ok() ? *got.value() : 0;
      out_->resize(used + n);
      if (got.is_pending()) return Pending;
      if (!got.value().ok()) return Output(got.value().status());
      if (n == 0) return Output(appended_);
      appended_ += n;
      if (appended_ > max_) {
        return Output(absl::ResourceExhaustedError(
            absl::StrCat("read_to_end: more than ", max_, " bytes")));
      }
    }
  }

 private:
  R* reader_;
  Container* out_;
  std::size_t max_;
  std::size_t appended_ = 0;
};

template <class R>
ReadToEndFuture<R, std::vector<std::byte>> read_to_end(
    R& reader, std::vector<std::byte>& out, std::size_t max = kNoLimit) {
  return ReadToEndFuture<R, std::vector<std::byte>>(reader, out, max);
}

template <class R>
ReadToEndFuture<R, std::string> read_to_string(R& reader, std::string& out,
                                               std::size_t max = kNoLimit) {
  return ReadToEndFuture<R, std::string>(reader, out, max);
}

}  // namespace magpie::io

#endif  // MAGPIE_REACTOR_IO_READ_TO_END_H_
