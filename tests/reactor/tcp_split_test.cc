// Tests for TcpStream's split halves, peek, readiness futures, try_read /
// try_write, fd interop and socket options, on a real reactor over
// loopback: half-close through a write half, dropping either owned half,
// reunite, peek leaving the data, readiness cleared only by a would-block,
// a reset while a half is waiting, and both halves moving bytes at once
// from two threads.

#include "reactor/net/split.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/enter_guard.h"
#include "reactor/net/readiness.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/tcp_listener.h"
#include "reactor/net/tcp_stream.h"
#include "reactor/sys/error.h"
#include "runtime/block_on.h"
#include "runtime/testing/watchdog.h"
#include "tests/reactor/test_support.h"

namespace magpie::net {
namespace {

using namespace std::chrono_literals;
using magpie::testing::JoinStatus;
using magpie::testing::poll_once;
using magpie::testing::ScaledForSanitizers;
using magpie::testing::WakeCounter;
using magpie::testing::Watchdog;
using reactor::sys::error_number;

static_assert(io::AsyncRead<TcpStream> && io::AsyncWrite<TcpStream>);
static_assert(io::AsyncRead<ReadHalf> && io::AsyncWrite<WriteHalf>);
static_assert(io::AsyncRead<OwnedReadHalf> && io::AsyncWrite<OwnedWriteHalf>);

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

class TcpSplitTest : public magpie::testing::ReactorTest {
 protected:
  // A connected pair (client, server side).
  std::pair<TcpStream, TcpStream> connected_pair() {
    absl::StatusOr<TcpListener> listener =
        TcpListener::bind(SocketAddr::ipv4_loopback(0));
    EXPECT_TRUE(listener.ok()) << listener.status();
    absl::StatusOr<SocketAddr> addr = listener->local_addr();
    absl::StatusOr<TcpStream> client = block_on(TcpStream::connect(*addr));
    EXPECT_TRUE(client.ok()) << client.status();
    auto accepted = block_on(listener->accept());
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    return {*std::move(client), std::move(accepted->first)};
  }

  // Everything `stream` delivers until end of stream.
  template <class R>
  std::string read_all(R& reader) {
    std::string all;
    std::array<std::byte, 1024> buf;
    while (true) {
      absl::StatusOr<std::size_t> n = block_on(reader.read(buf));
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) return all;
      all += text_of(std::span<const std::byte>(buf.data(), *n));
    }
  }
};

TEST_F(TcpSplitTest, HalfCloseThroughBorrowedWriteHalf) {
  auto [client, server] = connected_pair();
  auto [reader, writer] = client.split();
  ASSERT_TRUE(block_on(writer.write_all(bytes_of("request"))).ok());
  ASSERT_TRUE(block_on(writer.shutdown()).ok());
  // The peer sees the request, then end of stream...
  EXPECT_EQ(read_all(server), "request");
  // ...and can still answer through the half-closed connection.
  ASSERT_TRUE(block_on(server.write_all(bytes_of("response"))).ok());
  ASSERT_TRUE(server.shutdown(Shutdown::kWrite).ok());
  EXPECT_EQ(read_all(reader), "response");
}

TEST_F(TcpSplitTest, DroppingOwnedWriteHalfShutsWriteSideOnly) {
  auto [client, server] = connected_pair();
  auto [reader, writer] = std::move(client).into_split();
  { OwnedWriteHalf dropped = std::move(writer); }
  EXPECT_EQ(read_all(server), "");  // End of stream at once.
  ASSERT_TRUE(block_on(server.write_all(bytes_of("still open"))).ok());
  ASSERT_TRUE(server.shutdown(Shutdown::kWrite).ok());
  EXPECT_EQ(read_all(reader), "still open");
}

TEST_F(TcpSplitTest, DroppingOwnedReadHalfKeepsWriting) {
  auto [client, server] = connected_pair();
  auto [reader, writer] = std::move(client).into_split();
  { OwnedReadHalf dropped = std::move(reader); }
  ASSERT_TRUE(block_on(writer.write_all(bytes_of("after drop"))).ok());
  { OwnedWriteHalf last = std::move(writer); }  // Closes the stream.
  EXPECT_EQ(read_all(server), "after drop");
  EXPECT_EQ(driver().source_count(), 1u);  // Only `server` is left.
}

TEST_F(TcpSplitTest, ReuniteSameStreamOnlyAndNoShutdown) {
  auto [a, a_peer] = connected_pair();
  auto [b, b_peer] = connected_pair();
  auto [a_read, a_write] = std::move(a).into_split();
  auto [b_read, b_write] = std::move(b).into_split();
  absl::StatusOr<TcpStream> wrong =
      std::move(a_read).reunite(std::move(b_write));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);

  auto [c, c_peer] = connected_pair();
  auto [c_read, c_write] = std::move(c).into_split();
  absl::StatusOr<TcpStream> whole =
      std::move(c_read).reunite(std::move(c_write));
  ASSERT_TRUE(whole.ok()) << whole.status();
  // Reuniting shut nothing down: the stream still writes.
  ASSERT_TRUE(block_on(whole->write_all(bytes_of("whole"))).ok());
  std::array<std::byte, 5> got;
  ASSERT_TRUE(block_on(c_peer.read_exact(got)).ok());
  EXPECT_EQ(text_of(got), "whole");
}

TEST_F(TcpSplitTest, PeekLeavesTheDataForRead) {
  auto [client, server] = connected_pair();
  ASSERT_TRUE(block_on(client.write_all(bytes_of("hello"))).ok());
  std::array<std::byte, 16> buf;
  absl::StatusOr<std::size_t> peeked = block_on(server.peek(buf));
  ASSERT_TRUE(peeked.ok()) << peeked.status();
  EXPECT_EQ(text_of(std::span(buf.data(), *peeked)), "hello");
  auto [reader, writer] = server.split();
  absl::StatusOr<std::size_t> again = block_on(reader.peek(buf));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *peeked);
  std::array<std::byte, 5> exact;
  ASSERT_TRUE(block_on(reader.read_exact(exact)).ok());
  EXPECT_EQ(text_of(exact), "hello");
}

TEST_F(TcpSplitTest, ReadinessIsClearedOnlyByAWouldBlock) {
  auto [client, server] = connected_pair();
  std::array<std::byte, 64> buf;
  // Nothing sent: try_read would block, and readable() waits.
  absl::StatusOr<std::size_t> none = server.try_read(buf);
  EXPECT_TRUE(is_would_block(none.status())) << none.status();
  Arc<WakeCounter> counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  ReadyFuture readable = server.readable();
  EXPECT_TRUE(poll_once(readable, waker).is_pending());

  ASSERT_TRUE(block_on(client.write_all(bytes_of("abc"))).ok());
  ASSERT_TRUE(
      magpie::testing::wait_until([&] { return counter->count() > 0; }, 5s));
  // Readable, and it stays readable: neither readable() nor a successful
  // try_read clears it.
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<reactor::Ready> r = block_on(server.readable());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->is_readable());
  }
  absl::StatusOr<std::size_t> got = server.try_read(buf);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, 3u);
  ReadyFuture still = server.readable();
  EXPECT_TRUE(poll_once(still, waker).is_ready());
  // Only the would-block clears it; then readable() waits again.
  EXPECT_TRUE(is_would_block(server.try_read(buf).status()));
  ReadyFuture after = server.readable();
  EXPECT_TRUE(poll_once(after, waker).is_pending());
  // A fresh, writable socket: writable() and try_write.
  absl::StatusOr<reactor::Ready> w = block_on(client.writable());
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->is_writable());
  absl::StatusOr<std::size_t> sent = client.try_write(bytes_of("x"));
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(*sent, 1u);
  absl::StatusOr<reactor::Ready> either = block_on(server.ready(
      reactor::Interest::kReadable | reactor::Interest::kWritable));
  ASSERT_TRUE(either.ok());
  EXPECT_TRUE(either->is_writable());
}

TEST_F(TcpSplitTest, TryWriteFillsTheSocketThenWouldBlock) {
  auto [client, server] = connected_pair();
  std::vector<std::byte> chunk(64 * 1024, std::byte{7});
  std::size_t total = 0;
  absl::Status last;
  for (int i = 0; i < 10000; ++i) {
    absl::StatusOr<std::size_t> n = client.try_write(chunk);
    if (!n.ok()) {
      last = n.status();
      break;
    }
    total += *n;
  }
  EXPECT_TRUE(is_would_block(last)) << last;
  EXPECT_GT(total, 0u);
  Arc<WakeCounter> counter = make_arc<WakeCounter>();
  ReadyFuture writable = client.writable();
  EXPECT_TRUE(poll_once(writable, waker_from(counter)).is_pending());
}

TEST_F(TcpSplitTest, ResetWhileAHalfIsWaiting) {
  auto [client, server] = connected_pair();
  auto [reader, writer] = std::move(client).into_split();
  std::array<std::byte, 64> buf;
  io::ReadFuture<OwnedReadHalf> pending = reader.read(buf);
  Arc<WakeCounter> counter = make_arc<WakeCounter>();
  EXPECT_TRUE(poll_once(pending, waker_from(counter)).is_pending());
  // The peer resets: linger 0 then close sends RST.
  ASSERT_TRUE(server.set_linger(0s).ok());
  { TcpStream gone = std::move(server); }
  ASSERT_TRUE(
      magpie::testing::wait_until([&] { return counter->count() > 0; }, 5s));
  absl::StatusOr<std::size_t> n = block_on(pending);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(error_number(n.status()), ECONNRESET) << n.status();
  // The write half reports an error too, without SIGPIPE.
  absl::Status sent = block_on(writer.write_all(bytes_of("late")));
  EXPECT_FALSE(sent.ok());
}

TEST_F(TcpSplitTest, OwnedHalvesMoveBytesBothWaysFromTwoThreads) {
  const std::size_t kBytes = ScaledForSanitizers(4 << 20, 512 << 10);
  Watchdog dog("owned halves, two threads", std::chrono::seconds(60));
  // Named variables, not structured bindings: lambdas capture them.
  std::pair<TcpStream, TcpStream> pair = connected_pair();
  TcpStream& server = pair.second;
  std::pair<OwnedReadHalf, OwnedWriteHalf> halves =
      std::move(pair.first).into_split();
  OwnedReadHalf& reader = halves.first;
  const reactor::Handle handle = reactor_->handle();
  auto pattern = [](std::size_t i) { return static_cast<std::byte>(i * 13); };
  // The server echoes everything; the client writes on one thread and
  // reads on another at the same time. Were the halves not independent,
  // the echo would stall once the socket buffers fill.
  std::thread echo([&] {
    reactor::EnterGuard guard(handle);
    std::vector<std::byte> buf(64 * 1024);
    while (true) {
      absl::StatusOr<std::size_t> n = block_on(server.read(buf));
      if (!n.ok() || *n == 0) break;
      if (!block_on(server.write_all(std::span(buf.data(), *n))).ok()) break;
    }
    (void)server.shutdown(Shutdown::kWrite);
  });
  std::thread write_side([&, w = std::move(halves.second)]() mutable {
    reactor::EnterGuard guard(handle);
    std::vector<std::byte> out(kBytes);
    for (std::size_t i = 0; i < kBytes; ++i) out[i] = pattern(i);
    EXPECT_TRUE(block_on(w.write_all(out)).ok());
    EXPECT_TRUE(block_on(w.shutdown()).ok());
  });
  std::size_t received = 0;
  bool intact = true;
  std::vector<std::byte> in(64 * 1024);
  while (true) {
    absl::StatusOr<std::size_t> n = block_on(reader.read(in));
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    for (std::size_t i = 0; i < *n; ++i) {
      intact = intact && in[i] == pattern(received + i);
    }
    received += *n;
  }
  write_side.join();
  echo.join();
  EXPECT_EQ(received, kBytes);
  EXPECT_TRUE(intact);
}

TEST_F(TcpSplitTest, FromFdAndIntoFdRoundTrip) {
  auto [client, server] = connected_pair();
  const int fd = std::move(client).into_fd();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(driver().source_count(), 1u);
  absl::StatusOr<TcpStream> adopted = TcpStream::from_fd(fd);
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  ASSERT_TRUE(block_on(adopted->write_all(bytes_of("adopted"))).ok());
  std::array<std::byte, 7> got;
  ASSERT_TRUE(block_on(server.read_exact(got)).ok());
  EXPECT_EQ(text_of(got), "adopted");
  EXPECT_FALSE(TcpStream::from_fd(-1).ok());
}

TEST_F(TcpSplitTest, SocketOptionsRoundTrip) {
  auto [client, server] = connected_pair();
  ASSERT_TRUE(client.set_linger(3s).ok());
  EXPECT_EQ(*client.linger(), std::optional(3s));
  ASSERT_TRUE(client.set_linger(std::nullopt).ok());
  EXPECT_EQ(*client.linger(), std::nullopt);
  ASSERT_TRUE(client.set_keepalive(true, 30s).ok());
  EXPECT_TRUE(*client.keepalive());
  ASSERT_TRUE(client.set_ttl(17).ok());
  EXPECT_EQ(*client.ttl(), 17);
  // A duration past what the kernel takes saturates instead of wrapping.
  EXPECT_TRUE(client.set_linger(std::chrono::seconds::max()).ok());
  EXPECT_TRUE(client.set_keepalive(true, std::chrono::seconds::max()).ok());
}

}  // namespace
}  // namespace magpie::net
