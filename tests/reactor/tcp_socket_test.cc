// Tests for TcpSocket (options before bind/listen/connect), lookup_host
// (localhost and numeric forms only: no network here; a name that does not
// exist must fail clearly) and connecting / binding by name.

#include "reactor/net/tcp_socket.h"

#include <sys/socket.h>

#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "reactor/net/lookup_host.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/tcp_listener.h"
#include "reactor/net/tcp_stream.h"
#include "runtime/block_on.h"
#include "tests/reactor/test_support.h"

namespace magpie::net {
namespace {

using namespace std::chrono_literals;

class TcpSocketTest : public magpie::testing::ReactorTest {};

TEST_F(TcpSocketTest, ReuseportLetsTwoListenersShareAPort) {
  absl::StatusOr<TcpSocket> first = TcpSocket::new_v4();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->set_reuseaddr(true).ok());
  ASSERT_TRUE(first->set_reuseport(true).ok());
  EXPECT_TRUE(*first->reuseport());
  ASSERT_TRUE(first->bind(SocketAddr::ipv4_loopback(0)).ok());
  const SocketAddr addr = *first->local_addr();
  absl::StatusOr<TcpListener> a = std::move(*first).listen(16);
  ASSERT_TRUE(a.ok()) << a.status();

  absl::StatusOr<TcpSocket> second = TcpSocket::new_v4();
  ASSERT_TRUE(second->set_reuseport(true).ok());
  ASSERT_TRUE(second->bind(addr).ok());
  absl::StatusOr<TcpListener> b = std::move(*second).listen(16);
  ASSERT_TRUE(b.ok()) << b.status();

  // Without SO_REUSEPORT the same bind is refused.
  absl::StatusOr<TcpSocket> third = TcpSocket::new_v4();
  absl::Status refused = third->bind(addr);
  EXPECT_EQ(reactor::sys::error_number(refused), EADDRINUSE) << refused;
}

TEST_F(TcpSocketTest, ConnectWithOptionsSetFirst) {
  absl::StatusOr<TcpListener> listener =
      TcpListener::bind(SocketAddr::ipv4_loopback(0));
  ASSERT_TRUE(listener.ok());
  absl::StatusOr<TcpSocket> socket =
      TcpSocket::new_for(*listener->local_addr());
  ASSERT_TRUE(socket.ok());
  ASSERT_TRUE(socket->set_nodelay(true).ok());
  ASSERT_TRUE(socket->set_keepalive(true).ok());
  ASSERT_TRUE(socket->set_linger(1s).ok());
  ASSERT_TRUE(socket->set_send_buffer_size(64 * 1024).ok());
  ASSERT_TRUE(socket->set_recv_buffer_size(64 * 1024).ok());
  EXPECT_GE(*socket->send_buffer_size(), 64 * 1024);
  EXPECT_GE(*socket->recv_buffer_size(), 64 * 1024);
  absl::StatusOr<TcpStream> stream =
      block_on(std::move(*socket).connect(*listener->local_addr()));
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_TRUE(*stream->nodelay());
  EXPECT_TRUE(*stream->keepalive());
  EXPECT_EQ(*stream->linger(), std::optional(1s));
  EXPECT_EQ(*stream->peer_addr(), *listener->local_addr());
}

TEST_F(TcpSocketTest, ConnectRefusedThroughTheBuilder) {
  SocketAddr addr;
  {
    absl::StatusOr<TcpListener> gone =
        TcpListener::bind(SocketAddr::ipv4_loopback(0));
    addr = *gone->local_addr();
  }
  absl::StatusOr<TcpSocket> socket = TcpSocket::new_v4();
  absl::StatusOr<TcpStream> stream = block_on(std::move(*socket).connect(addr));
  EXPECT_EQ(reactor::sys::error_number(stream.status()), ECONNREFUSED);
  EXPECT_EQ(driver().source_count(), 0u);
}

TEST_F(TcpSocketTest, DroppedSocketAndUnpolledConnectCloseTheirFd) {
  absl::StatusOr<TcpSocket> socket = TcpSocket::new_v4();
  const int fd = socket->fd();
  {
    TcpStream::ConnectFuture never =
        std::move(*socket).connect(SocketAddr::ipv4_loopback(1));
  }
  // The fd number was freed: the next socket may reuse it.
  absl::StatusOr<TcpSocket> again = TcpSocket::new_v4();
  EXPECT_EQ(again->fd(), fd);
}

TEST_F(TcpSocketTest, LookupLocalhostAndNumericForms) {
  absl::StatusOr<std::vector<SocketAddr>> local =
      block_on(lookup_host("localhost:8080"));
  ASSERT_TRUE(local.ok()) << local.status();
  ASSERT_FALSE(local->empty());
  bool has_v4_loopback = false;
  for (const SocketAddr& a : *local) {
    EXPECT_EQ(a.port(), 8080);
    has_v4_loopback = has_v4_loopback || a == SocketAddr::ipv4_loopback(8080);
  }
  EXPECT_TRUE(has_v4_loopback);

  absl::StatusOr<std::vector<SocketAddr>> numeric =
      block_on(lookup_host("127.0.0.1:9"));
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(*numeric, std::vector{SocketAddr::ipv4_loopback(9)});
  absl::StatusOr<std::vector<SocketAddr>> v6 = block_on(lookup_host("[::1]:7"));
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(*v6, std::vector{SocketAddr::ipv6_loopback(7)});
  absl::StatusOr<std::vector<SocketAddr>> split =
      block_on(lookup_host("localhost", 81));
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->front().port(), 81);
}

TEST_F(TcpSocketTest, LookupRejectsMalformedInput) {
  const std::vector<std::string> inputs = {
      "localhost", "localhost:",  "localhost:http",        "localhost:70000",
      ":80",       "[::1]:99999", std::string("a\0b:1", 5)};
  for (const std::string& bad : inputs) {
    absl::StatusOr<std::vector<SocketAddr>> r = block_on(lookup_host(bad));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
        << bad << ": " << r.status();
  }
}

TEST_F(TcpSocketTest, UnknownHostIsAClearError) {
  // .invalid never resolves (RFC 6761). Without a reachable resolver the
  // answer may be a temporary failure instead; both name the host.
  absl::StatusOr<std::vector<SocketAddr>> r =
      block_on(lookup_host("no-such-host.invalid:80"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().code() == absl::StatusCode::kNotFound ||
              r.status().code() == absl::StatusCode::kUnavailable)
      << r.status();
  EXPECT_NE(r.status().message().find("no-such-host.invalid"),
            std::string::npos);
}

TEST_F(TcpSocketTest, ConnectAndBindByName) {
  absl::StatusOr<TcpListener> listener =
      block_on(TcpListener::bind("localhost:0"));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const SocketAddr where = *listener->local_addr();
  absl::StatusOr<TcpStream> stream = block_on(TcpStream::connect(
      where.is_ipv4() ? "localhost:" + std::to_string(where.port())
                      : where.to_string()));
  ASSERT_TRUE(stream.ok()) << stream.status();
  auto accepted = block_on(listener->accept());
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->second, *stream->local_addr());
  absl::StatusOr<TcpStream> bad = block_on(TcpStream::connect("localhost"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TcpSocketTest, DroppingAPendingLookupIsSafe) {
  for (int i = 0; i < 20; ++i) {
    LookupHostFuture lookup = lookup_host("localhost:1");
    Arc<magpie::testing::WakeCounter> counter =
        make_arc<magpie::testing::WakeCounter>();
    (void)magpie::testing::poll_once(lookup, waker_from(counter));
  }  // Each abandoned; the resolver drops its answers.
  absl::StatusOr<std::vector<SocketAddr>> after =
      block_on(lookup_host("localhost:2"));
  EXPECT_TRUE(after.ok()) << after.status();
}

}  // namespace
}  // namespace magpie::net
