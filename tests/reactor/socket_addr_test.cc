// Tests for SocketAddr: parse/print round trips for IPv4 and IPv6, and
// rejection of malformed input with InvalidArgument.

#include "reactor/net/socket_addr.h"

#include <string>

#include "gtest/gtest.h"

namespace magpie::net {
namespace {

TEST(SocketAddrTest, RoundTrips) {
  for (const std::string text :
       {"127.0.0.1:80", "0.0.0.0:0", "255.255.255.255:65535", "10.1.2.3:8080",
        "[::1]:443", "[::]:0", "[2001:db8::1]:9000", "[fe80::1:2:3:4]:1",
        "[::ffff:1.2.3.4]:22", "[2001:db8:0:1:1:1:1:1]:65535"}) {
    absl::StatusOr<SocketAddr> addr = SocketAddr::parse(text);
    ASSERT_TRUE(addr.ok()) << text << ": " << addr.status();
    EXPECT_EQ(addr->to_string(), text);
    EXPECT_EQ(*SocketAddr::parse(addr->to_string()), *addr);
  }
}

TEST(SocketAddrTest, CanonicalizesIpv6) {
  absl::StatusOr<SocketAddr> addr =
      SocketAddr::parse("[2001:0DB8:0000:0000:0000:0000:0000:0001]:80");
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(addr->to_string(), "[2001:db8::1]:80");
  EXPECT_TRUE(addr->is_ipv6());
  EXPECT_EQ(addr->port(), 80);
  EXPECT_EQ(addr->ip_string(), "2001:db8::1");
}

TEST(SocketAddrTest, Accessors) {
  SocketAddr v4 = SocketAddr::ipv4({192, 168, 0, 1}, 53);
  EXPECT_TRUE(v4.is_ipv4());
  EXPECT_EQ(v4.to_string(), "192.168.0.1:53");
  v4.set_port(5353);
  EXPECT_EQ(v4.port(), 5353);
  EXPECT_EQ(SocketAddr::ipv6_loopback(7).to_string(), "[::1]:7");
  EXPECT_EQ(SocketAddr::ipv4_loopback(7).to_string(), "127.0.0.1:7");
  EXPECT_FALSE(SocketAddr::ipv4_loopback(7) == SocketAddr::ipv4_loopback(8));
  EXPECT_FALSE(SocketAddr::ipv4_loopback(7) == SocketAddr::ipv6_loopback(7));
}

TEST(SocketAddrTest, RejectsBadInput) {
  for (const std::string text : {"",
                                 "127.0.0.1",
                                 "127.0.0.1:",
                                 ":80",
                                 "127.0.0.1:65536",
                                 "127.0.0.1:-1",
                                 "127.0.0.1:8o",
                                 "127.0.0.1:123456",
                                 "1.2.3:80",
                                 "1.2.3.4.5:80",
                                 "256.0.0.1:80",
                                 "localhost:80",
                                 "::1:80",
                                 "[::1]",
                                 "[::1]80",
                                 "[::1:80",
                                 "[::g]:80",
                                 "[127.0.0.1]:80",
                                 "[::1%eth0]:80",
                                 " 127.0.0.1:80",
                                 "127.0.0.1:80 "}) {
    absl::StatusOr<SocketAddr> addr = SocketAddr::parse(text);
    EXPECT_TRUE(absl::IsInvalidArgument(addr.status()))
        << "\"" << text << "\" gave " << addr.status();
    if (!addr.ok()) {
      EXPECT_NE(std::string(addr.status().message()).find(text),
                std::string::npos);
    }
  }
}

}  // namespace
}  // namespace magpie::net
