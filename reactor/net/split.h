// magpie::net split halves — a stream's read side and write side as two
// objects, so one task reads while another writes. Used by TcpStream and
// UnixStream (their headers name the halves: ReadHalf / OwnedReadHalf, ...
// for TCP, UnixReadHalf / UnixOwnedReadHalf, ... for Unix sockets).
//
//   // Borrowed: both halves in one task (or a select), stream outlives them.
//   auto [reader, writer] = stream.split();
//
//   // Owned: movable into different tasks.
//   auto [reader, writer] = std::move(stream).into_split();
//   magpie::spawn(pump_out(std::move(writer)));
//   magpie::spawn(pump_in(std::move(reader)));
//
// Read and write proceed concurrently because they use different slots of
// the stream's one ScheduledIo registration: the read half only ever waits
// in the read slot, the write half in the write slot (scheduled_io.h: one
// reader and one writer at a time). Each half is an io::AsyncRead or
// io::AsyncWrite, so BufReader, BufWriter and io::copy take them.
//
//   half             | may do                                    | on drop
//   -----------------+-------------------------------------------+----------
//   ReadHalfOf       | read, read_exact, peek, readable, try_read | nothing
//   WriteHalfOf      | write, write_all, flush, shutdown,         | nothing
//                    | writable, try_write                        |
//   OwnedReadHalfOf  | as ReadHalfOf                              | nothing
//   OwnedWriteHalfOf | as WriteHalfOf                             | shuts the
//                    |                                            | write side
//
// Dropping an owned write half shuts the write direction down (the peer
// reads end of stream), as Tokio does; the read half keeps reading. The
// stream is closed when both owned halves are gone. reunite() puts two
// owned halves of the same stream back together (and the write half then
// shuts nothing down).
//
// Ownership: borrowed halves point into the stream, which must outlive them
// and not move. Owned halves share the stream through a std::shared_ptr;
// the last one destroyed closes it (deregistered first).
//
// Threads: each half may be used from any thread, one future per half at a
// time, both halves at once. Drop the halves when no future borrows them.
//
// Stream requirements (TcpStream, UnixStream): poll_read, poll_peek, peek,
// readable, try_read, poll_write, poll_flush, poll_shutdown, writable,
// try_write, shutdown(Shutdown), fd(), local_addr, peer_addr.

#ifndef MAGPIE_REACTOR_NET_SPLIT_H_
#define MAGPIE_REACTOR_NET_SPLIT_H_

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/io/async_read.h"
#include "reactor/io/async_write.h"
#include "reactor/net/readiness.h"
#include "reactor/net/shutdown.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

// The read operations of a half, over the stream Self::stream_ref() names.
template <class Self>
class ReadSide {
 public:
  Poll<absl::StatusOr<std::size_t>> poll_read(Context& cx,
                                              std::span<std::byte> buf) {
    return stream().poll_read(cx, buf);
  }
  Poll<absl::StatusOr<std::size_t>> poll_peek(Context& cx,
                                              std::span<std::byte> buf) {
    return stream().poll_peek(cx, buf);
  }
  io::ReadFuture<Self> read(std::span<std::byte> buf) {
    return io::ReadFuture<Self>(self(), buf);
  }
  io::ReadExactFuture<Self> read_exact(std::span<std::byte> buf) {
    return io::ReadExactFuture<Self>(self(), buf);
  }
  auto peek(std::span<std::byte> buf) { return stream().peek(buf); }
  ReadyFuture readable() { return stream().readable(); }
  absl::StatusOr<std::size_t> try_read(std::span<std::byte> buf) {
    return stream().try_read(buf);
  }
  auto local_addr() const { return cstream().local_addr(); }
  auto peer_addr() const { return cstream().peer_addr(); }

 private:
  Self& self() { return static_cast<Self&>(*this); }
  auto& stream() { return self().stream_ref(); }
  const auto& cstream() const {
    return static_cast<const Self&>(*this).stream_ref();
  }
};

// The write operations of a half.
template <class Self>
class WriteSide {
 public:
  Poll<absl::StatusOr<std::size_t>> poll_write(Context& cx,
                                               std::span<const std::byte> buf) {
    return stream().poll_write(cx, buf);
  }
  Poll<absl::Status> poll_flush(Context& cx) { return stream().poll_flush(cx); }
  Poll<absl::Status> poll_shutdown(Context& cx) {
    return stream().poll_shutdown(cx);
  }
  io::WriteFuture<Self> write(std::span<const std::byte> buf) {
    return io::WriteFuture<Self>(self(), buf);
  }
  io::WriteAllFuture<Self> write_all(std::span<const std::byte> buf) {
    return io::WriteAllFuture<Self>(self(), buf);
  }
  io::FlushFuture<Self> flush() { return io::FlushFuture<Self>(self()); }
  io::ShutdownFuture<Self> shutdown() {
    return io::ShutdownFuture<Self>(self());
  }
  ReadyFuture writable() { return stream().writable(); }
  absl::StatusOr<std::size_t> try_write(std::span<const std::byte> buf) {
    return stream().try_write(buf);
  }
  auto local_addr() const { return cstream().local_addr(); }
  auto peer_addr() const { return cstream().peer_addr(); }

 private:
  Self& self() { return static_cast<Self&>(*this); }
  auto& stream() { return self().stream_ref(); }
  const auto& cstream() const {
    return static_cast<const Self&>(*this).stream_ref();
  }
};

template <class Stream>
class ReadHalfOf : public ReadSide<ReadHalfOf<Stream>> {
 public:
  explicit ReadHalfOf(Stream& stream) : stream_(&stream) {}

 private:
  friend class ReadSide<ReadHalfOf>;
  Stream& stream_ref() const { return *stream_; }
  Stream* stream_;
};

template <class Stream>
class WriteHalfOf : public WriteSide<WriteHalfOf<Stream>> {
 public:
  explicit WriteHalfOf(Stream& stream) : stream_(&stream) {}

 private:
  friend class WriteSide<WriteHalfOf>;
  Stream& stream_ref() const { return *stream_; }
  Stream* stream_;
};

template <class Stream>
class OwnedWriteHalfOf;

template <class Stream>
class OwnedReadHalfOf : public ReadSide<OwnedReadHalfOf<Stream>> {
 public:
  explicit OwnedReadHalfOf(std::shared_ptr<Stream> stream)
      : stream_(std::move(stream)) {}
  OwnedReadHalfOf(OwnedReadHalfOf&&) noexcept = default;
  OwnedReadHalfOf& operator=(OwnedReadHalfOf&&) noexcept = default;

  // The whole stream again, if `writer` came from the same into_split();
  // otherwise InvalidArgument (both halves are dropped).
  absl::StatusOr<Stream> reunite(OwnedWriteHalfOf<Stream> writer) && {
    if (stream_ == nullptr || stream_ != writer.stream_) {
      return absl::InvalidArgumentError(
          "reunite: the halves come from different streams");
    }
    writer.stream_.reset();  // Lets go without shutting anything down.
    std::shared_ptr<Stream> stream = std::move(stream_);
    return std::move(*stream);
  }

 private:
  friend class ReadSide<OwnedReadHalfOf>;
  Stream& stream_ref() const { return *stream_; }
  std::shared_ptr<Stream> stream_;
};

template <class Stream>
class OwnedWriteHalfOf : public WriteSide<OwnedWriteHalfOf<Stream>> {
 public:
  explicit OwnedWriteHalfOf(std::shared_ptr<Stream> stream)
      : stream_(std::move(stream)) {}
  OwnedWriteHalfOf(OwnedWriteHalfOf&& other) noexcept
      : stream_(std::move(other.stream_)) {}
  OwnedWriteHalfOf& operator=(OwnedWriteHalfOf&& other) noexcept {
    if (this != &other) {
      OwnedWriteHalfOf dropped(std::move(*this));
      stream_ = std::move(other.stream_);
    }
    return *this;
  }
  OwnedWriteHalfOf(const OwnedWriteHalfOf&) = delete;
  OwnedWriteHalfOf& operator=(const OwnedWriteHalfOf&) = delete;
  // Shuts the write direction down (see the table above). A peer that
  // already went away makes that fail; there is nobody to tell.
  ~OwnedWriteHalfOf() {
    if (stream_ != nullptr && stream_->fd() >= 0) {
      (void)stream_->shutdown(Shutdown::kWrite);
    }
  }

 private:
  friend class WriteSide<OwnedWriteHalfOf>;
  friend class OwnedReadHalfOf<Stream>;
  Stream& stream_ref() const { return *stream_; }
  std::shared_ptr<Stream> stream_;
};

// Both halves of `stream`, sharing it.
template <class Stream>
std::pair<OwnedReadHalfOf<Stream>, OwnedWriteHalfOf<Stream>> into_split_of(
    Stream stream) {
  auto shared = std::make_shared<Stream>(std::move(stream));
  return {OwnedReadHalfOf<Stream>(shared), OwnedWriteHalfOf<Stream>(shared)};
}

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_SPLIT_H_
