// magpie::net TCP split halves — a TcpStream's read side and write side as
// two objects, so one task reads while another writes.
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
//   half           | may do                                    | on drop
//   ---------------+-------------------------------------------+-----------
//   ReadHalf       | read, read_exact, peek, readable, try_read | nothing
//   WriteHalf      | write, write_all, flush, shutdown,         | nothing
//                  | writable, try_write                        |
//   OwnedReadHalf  | as ReadHalf                                | nothing
//   OwnedWriteHalf | as WriteHalf                               | shuts the
//                  |                                            | write side
//
// Dropping an OwnedWriteHalf shuts the write direction down (the peer reads
// end of stream), as Tokio does; the read half keeps reading. The stream is
// closed when both owned halves are gone. reunite() puts two owned halves
// of the same stream back together (and the write half then shuts nothing).
//
// Ownership: borrowed halves point into the stream, which must outlive them
// and not move. Owned halves share the stream through a std::shared_ptr;
// the last one destroyed closes it (deregistered first).
//
// Threads: each half may be used from any thread, one future per half at a
// time, both halves at once. Drop the halves when no future borrows them.

#ifndef MAGPIE_REACTOR_NET_TCP_SPLIT_H_
#define MAGPIE_REACTOR_NET_TCP_SPLIT_H_

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/io/async_read.h"
#include "reactor/io/async_write.h"
#include "reactor/net/readiness.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/tcp_stream.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

// The read operations of a half, over a stream it can reach via stream().
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
  TcpStream::PeekFuture peek(std::span<std::byte> buf) {
    return stream().peek(buf);
  }
  ReadyFuture readable() { return stream().readable(); }
  absl::StatusOr<std::size_t> try_read(std::span<std::byte> buf) {
    return stream().try_read(buf);
  }
  absl::StatusOr<SocketAddr> local_addr() const {
    return cstream().local_addr();
  }
  absl::StatusOr<SocketAddr> peer_addr() const { return cstream().peer_addr(); }

 private:
  Self& self() { return static_cast<Self&>(*this); }
  TcpStream& stream() { return self().stream_ref(); }
  const TcpStream& cstream() const {
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
  absl::StatusOr<SocketAddr> local_addr() const {
    return cstream().local_addr();
  }
  absl::StatusOr<SocketAddr> peer_addr() const { return cstream().peer_addr(); }

 private:
  Self& self() { return static_cast<Self&>(*this); }
  TcpStream& stream() { return self().stream_ref(); }
  const TcpStream& cstream() const {
    return static_cast<const Self&>(*this).stream_ref();
  }
};

class ReadHalf : public ReadSide<ReadHalf> {
 public:
  explicit ReadHalf(TcpStream& stream) : stream_(&stream) {}

 private:
  friend class ReadSide<ReadHalf>;
  TcpStream& stream_ref() const { return *stream_; }
  TcpStream* stream_;
};

class WriteHalf : public WriteSide<WriteHalf> {
 public:
  explicit WriteHalf(TcpStream& stream) : stream_(&stream) {}

 private:
  friend class WriteSide<WriteHalf>;
  TcpStream& stream_ref() const { return *stream_; }
  TcpStream* stream_;
};

class OwnedWriteHalf;

class OwnedReadHalf : public ReadSide<OwnedReadHalf> {
 public:
  explicit OwnedReadHalf(std::shared_ptr<TcpStream> stream)
      : stream_(std::move(stream)) {}
  OwnedReadHalf(OwnedReadHalf&&) noexcept = default;
  OwnedReadHalf& operator=(OwnedReadHalf&&) noexcept = default;

  // The whole stream again, if `writer` came from the same into_split();
  // otherwise InvalidArgument (both halves are dropped).
  absl::StatusOr<TcpStream> reunite(OwnedWriteHalf writer) &&;

 private:
  friend class ReadSide<OwnedReadHalf>;
  TcpStream& stream_ref() const { return *stream_; }
  std::shared_ptr<TcpStream> stream_;
};

class OwnedWriteHalf : public WriteSide<OwnedWriteHalf> {
 public:
  explicit OwnedWriteHalf(std::shared_ptr<TcpStream> stream)
      : stream_(std::move(stream)) {}
  OwnedWriteHalf(OwnedWriteHalf&& other) noexcept
      : stream_(std::move(other.stream_)) {}
  OwnedWriteHalf& operator=(OwnedWriteHalf&& other) noexcept;
  OwnedWriteHalf(const OwnedWriteHalf&) = delete;
  OwnedWriteHalf& operator=(const OwnedWriteHalf&) = delete;
  // Shuts the write direction down (see the table above).
  ~OwnedWriteHalf();

 private:
  friend class WriteSide<OwnedWriteHalf>;
  friend class OwnedReadHalf;
  TcpStream& stream_ref() const { return *stream_; }
  std::shared_ptr<TcpStream> stream_;
};

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_TCP_SPLIT_H_
