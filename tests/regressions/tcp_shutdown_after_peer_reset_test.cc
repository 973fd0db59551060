// Regression: TcpStream::shutdown(kWrite) after the peer reset the
// connection returned FAILED_PRECONDITION (ENOTCONN). Shutting down a
// connection that is already down is what the caller asked for: OK, for
// every half.

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/net/error_kind.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/tcp_listener.h"
#include "reactor/net/tcp_stream.h"
#include "reactor/time/timeout.h"
#include "runtime/block_on.h"
#include "runtime/testing/watchdog.h"
#include "tests/reactor/test_support.h"

namespace magpie::net {
namespace {

using namespace std::chrono_literals;

class TcpShutdownAfterPeerResetTest : public magpie::testing::ReactorTest {};

TEST_F(TcpShutdownAfterPeerResetTest, EveryHalfSucceedsOnAResetConnection) {
  magpie::testing::Watchdog dog("shutdown after peer reset", 30s);
  for (Shutdown how : {Shutdown::kWrite, Shutdown::kRead, Shutdown::kBoth}) {
    absl::StatusOr<TcpListener> listener =
        TcpListener::bind(SocketAddr::ipv4_loopback(0));
    ASSERT_TRUE(listener.ok()) << listener.status();
    absl::StatusOr<TcpStream> client =
        block_on(TcpStream::connect(*listener->local_addr()));
    ASSERT_TRUE(client.ok()) << client.status();
    auto accepted = block_on(listener->accept());
    ASSERT_TRUE(accepted.ok()) << accepted.status();
    {
      // Linger 0: closing sends RST instead of FIN.
      TcpStream server = std::move(accepted->first);
      linger hard{1, 0};
      ASSERT_EQ(
          ::setsockopt(server.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof(hard)),
          0);
    }
    // Wait until the reset has arrived: the read reports it.
    std::vector<std::byte> buf(16);
    absl::StatusOr<std::size_t> got = block_on(timeout(10s, client->read(buf)));
    ASSERT_FALSE(got.ok());
    ASSERT_TRUE(is_connection_reset(got.status())) << got.status();

    const absl::Status shut = client->shutdown(how);
    EXPECT_TRUE(shut.ok()) << shut;
    // Asking again is still fine.
    EXPECT_TRUE(client->shutdown(how).ok());
  }
}

TEST_F(TcpShutdownAfterPeerResetTest, ShutdownTwiceOnALiveConnectionIsOk) {
  absl::StatusOr<TcpListener> listener =
      TcpListener::bind(SocketAddr::ipv4_loopback(0));
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<TcpStream> client =
      block_on(TcpStream::connect(*listener->local_addr()));
  ASSERT_TRUE(client.ok()) << client.status();
  auto accepted = block_on(listener->accept());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(client->shutdown(Shutdown::kWrite).ok());
  EXPECT_TRUE(client->shutdown(Shutdown::kWrite).ok());
  EXPECT_TRUE(client->shutdown(Shutdown::kBoth).ok());
  // The peer sees the end of stream.
  std::vector<std::byte> buf(16);
  absl::StatusOr<std::size_t> eof =
      block_on(timeout(10s, accepted->first.read(buf)));
  ASSERT_TRUE(eof.ok()) << eof.status();
  EXPECT_EQ(*eof, 0u);
}

}  // namespace
}  // namespace magpie::net
