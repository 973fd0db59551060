// Tests for UdpSocket beyond send_to/recv_from: connected send/recv,
// peek_from, try_send/try_recv with readiness, and the broadcast / TTL /
// multicast options. 127.0.0.1 only.

#include <cerrno>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "reactor/net/readiness.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/udp_socket.h"
#include "reactor/sys/error.h"
#include "runtime/block_on.h"
#include "tests/reactor/test_support.h"

namespace magpie::net {
namespace {

using magpie::testing::poll_once;
using magpie::testing::WakeCounter;

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}
std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

class UdpConnectedTest : public magpie::testing::ReactorTest {
 protected:
  UdpSocket bound() {
    absl::StatusOr<UdpSocket> s = UdpSocket::bind(SocketAddr::ipv4_loopback(0));
    EXPECT_TRUE(s.ok()) << s.status();
    return *std::move(s);
  }
};

TEST_F(UdpConnectedTest, ConnectedSendAndRecv) {
  UdpSocket a = bound();
  UdpSocket b = bound();
  ASSERT_TRUE(a.connect(*b.local_addr()).ok());
  ASSERT_TRUE(b.connect(*a.local_addr()).ok());
  EXPECT_EQ(*a.peer_addr(), *b.local_addr());
  absl::StatusOr<std::size_t> sent = block_on(a.send(bytes_of("ping")));
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(*sent, 4u);
  std::array<std::byte, 16> buf;
  absl::StatusOr<std::size_t> got = block_on(b.recv(buf));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(text_of(std::span(buf.data(), *got)), "ping");
  // A datagram from a third socket never reaches connected `b`.
  UdpSocket stranger = bound();
  ASSERT_TRUE(
      block_on(stranger.send_to(bytes_of("noise"), *b.local_addr())).ok());
  ASSERT_TRUE(block_on(a.send(bytes_of("pong"))).ok());
  got = block_on(b.recv(buf));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(text_of(std::span(buf.data(), *got)), "pong");
}

TEST_F(UdpConnectedTest, PeekFromLeavesTheDatagram) {
  UdpSocket a = bound();
  UdpSocket b = bound();
  ASSERT_TRUE(block_on(a.send_to(bytes_of("hello"), *b.local_addr())).ok());
  std::array<std::byte, 16> buf;
  absl::StatusOr<UdpSocket::Received> peeked = block_on(b.peek_from(buf));
  ASSERT_TRUE(peeked.ok()) << peeked.status();
  EXPECT_EQ(peeked->first, 5u);
  EXPECT_EQ(peeked->second, *a.local_addr());
  absl::StatusOr<UdpSocket::Received> got = block_on(b.recv_from(buf));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(text_of(std::span(buf.data(), got->first)), "hello");
}

TEST_F(UdpConnectedTest, TryRecvWouldBlockUntilADatagramArrives) {
  UdpSocket a = bound();
  UdpSocket b = bound();
  std::array<std::byte, 16> buf;
  EXPECT_TRUE(is_would_block(b.try_recv(buf).status()));
  EXPECT_TRUE(is_would_block(b.try_recv_from(buf).status()));
  Arc<WakeCounter> counter = make_arc<WakeCounter>();
  ReadyFuture readable = b.readable();
  EXPECT_TRUE(poll_once(readable, waker_from(counter)).is_pending());
  ASSERT_TRUE(block_on(a.writable()).ok());
  absl::StatusOr<std::size_t> sent =
      a.try_send_to(bytes_of("x"), *b.local_addr());
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_TRUE(block_on(b.readable()).ok());
  absl::StatusOr<UdpSocket::Received> got = b.try_recv_from(buf);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->second, *a.local_addr());
  EXPECT_TRUE(is_would_block(b.try_recv(buf).status()));
  ASSERT_TRUE(a.connect(*b.local_addr()).ok());
  EXPECT_TRUE(a.try_send(bytes_of("y")).ok());
}

TEST_F(UdpConnectedTest, Options) {
  UdpSocket s = bound();
  ASSERT_TRUE(s.set_broadcast(true).ok());
  EXPECT_TRUE(*s.broadcast());
  ASSERT_TRUE(s.set_broadcast(false).ok());
  EXPECT_FALSE(*s.broadcast());
  ASSERT_TRUE(s.set_ttl(9).ok());
  EXPECT_EQ(*s.ttl(), 9);
  ASSERT_TRUE(s.set_multicast_loop_v4(false).ok());
  EXPECT_FALSE(*s.multicast_loop_v4());
  ASSERT_TRUE(s.set_multicast_ttl_v4(3).ok());
  EXPECT_EQ(*s.multicast_ttl_v4(), 3);
  // Not a multicast group: the kernel refuses (EINVAL).
  absl::Status join = s.join_multicast_v4(SocketAddr::ipv4_loopback(0),
                                          SocketAddr::ipv4_loopback(0));
  EXPECT_EQ(reactor::sys::error_number(join), EINVAL) << join;
  EXPECT_EQ(s.join_multicast_v4(SocketAddr::ipv6_loopback(0),
                                SocketAddr::ipv4_loopback(0))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.join_multicast_v6(SocketAddr::ipv4_loopback(0), 0).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace magpie::net
