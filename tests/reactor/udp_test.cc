// Tests for UdpSocket: datagram round trips over IPv4 and IPv6 loopback,
// with the receive polled (Pending) before the datagram is sent.

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/net/udp_socket.h"
#include "runtime/block_on.h"
#include "tests/reactor/test_support.h"

namespace magpie::net {
namespace {

using magpie::testing::poll_once;
using magpie::testing::wait_until;
using magpie::testing::WakeCounter;

class UdpTest : public magpie::testing::ReactorTest {
 protected:
  void round_trip(const SocketAddr& loopback) {
    absl::StatusOr<UdpSocket> a = UdpSocket::bind(loopback);
    if (!a.ok())
      GTEST_SKIP() << "cannot bind " << loopback << ": " << a.status();
    absl::StatusOr<UdpSocket> b = UdpSocket::bind(loopback);
    ASSERT_TRUE(b.ok()) << b.status();
    const SocketAddr a_addr = *a->local_addr();
    const SocketAddr b_addr = *b->local_addr();

    // b waits first; its waker must be woken by a's datagram.
    std::vector<std::byte> buf(1500);
    auto recv = b->recv_from(buf);
    auto counter = make_arc<WakeCounter>();
    Waker waker = waker_from(counter);
    ASSERT_TRUE(poll_once(recv, waker).is_pending());

    const std::string ping = "ping over " + loopback.to_string();
    absl::StatusOr<std::size_t> sent = block_on(a->send_to(
        std::as_bytes(std::span<const char>(ping.data(), ping.size())),
        b_addr));
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_EQ(*sent, ping.size());
    ASSERT_TRUE(wait_until([&] { return counter->count() > 0; },
                           std::chrono::seconds(5)));
    auto got = block_on(recv);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->first, ping.size());
    EXPECT_EQ(got->second, a_addr);
    EXPECT_EQ(std::memcmp(buf.data(), ping.data(), ping.size()), 0);

    // And back.
    const std::string pong = "pong";
    ASSERT_TRUE(block_on(b->send_to(std::as_bytes(std::span<const char>(
                                        pong.data(), pong.size())),
                                    a_addr))
                    .ok());
    auto back = block_on(a->recv_from(buf));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->first, pong.size());
    EXPECT_EQ(back->second, b_addr);
  }
};

TEST_F(UdpTest, RoundTripIpv4) { round_trip(SocketAddr::ipv4_loopback(0)); }

TEST_F(UdpTest, RoundTripIpv6) { round_trip(SocketAddr::ipv6_loopback(0)); }

}  // namespace
}  // namespace magpie::net
