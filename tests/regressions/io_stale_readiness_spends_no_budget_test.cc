// Regression (issue 7, item 2): an I/O poll spent a coop unit as soon as its
// source looked ready, even when the operation then would block (readiness
// left over from an earlier event, or another task took the data or the
// connection first) and the poll answered Pending. A task waiting on many
// such sources ran out of budget by waiting, and spun. Now only an answer
// other than Pending is progress (reactor/io_source.h, coop rule 1).
//
// Each test consumes the one event behind a readiness, so the readiness is
// stale, then polls once with a budget of one unit: the poll must answer
// Pending and leave that unit in place.

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "reactor/enter_guard.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/tcp_listener.h"
#include "reactor/net/tcp_stream.h"
#include "reactor/net/udp_socket.h"
#include "reactor/reactor.h"
#include "runtime/block_on.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/waker.h"
#include "runtime/testing/watchdog.h"
#include "tests/reactor/test_support.h"

namespace magpie::net {
namespace {

using std::chrono::seconds;

// A started reactor, entered on the test thread (tests/reactor/test_support.h).
class IoStaleReadinessTest : public magpie::testing::ReactorTest {
 protected:
  // Polls `future` once with one unit of budget; true if the unit is still
  // there afterwards. Expects the poll to answer Pending.
  template <class F>
  bool PendingPollKeepsTheUnit(F& future) {
    Waker waker = noop_waker();
    Context cx(waker);
    coop::BudgetScope one_unit(1);
    EXPECT_TRUE(future.poll(cx).is_pending());
    std::optional<coop::RestoreOnPending> unit = coop::poll_proceed(cx);
    return unit.has_value();
  }
};

TEST_F(IoStaleReadinessTest, UdpReceiveAfterTheOnlyDatagramWasTaken) {
  testing::Watchdog dog("UDP stale readiness", seconds(30));
  const SocketAddr loopback = *SocketAddr::parse("127.0.0.1:0");
  absl::StatusOr<UdpSocket> a = UdpSocket::bind(loopback);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<UdpSocket> b = UdpSocket::bind(loopback);
  ASSERT_TRUE(b.ok()) << b.status();
  const std::string ping = "ping";
  ASSERT_TRUE(block_on(a->send_to(std::as_bytes(std::span<const char>(
                                      ping.data(), ping.size())),
                                  *b->local_addr()))
                  .ok());
  std::vector<std::byte> buf(64);
  // Takes the datagram; the source stays marked readable (edge-triggered:
  // readiness is cleared only when an operation would block).
  auto got = block_on(b->recv_from(buf));
  ASSERT_TRUE(got.ok()) << got.status();

  auto again = b->recv_from(buf);
  EXPECT_TRUE(PendingPollKeepsTheUnit(again));
}

TEST_F(IoStaleReadinessTest, AcceptAfterTheOnlyConnectionWasTaken) {
  testing::Watchdog dog("TCP accept stale readiness", seconds(30));
  absl::StatusOr<TcpListener> listener =
      TcpListener::bind(*SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(listener.ok()) << listener.status();
  auto client = block_on(TcpStream::connect(*listener->local_addr()));
  ASSERT_TRUE(client.ok()) << client.status();
  auto accepted = block_on(listener->accept());
  ASSERT_TRUE(accepted.ok()) << accepted.status();

  auto again = listener->accept();
  EXPECT_TRUE(PendingPollKeepsTheUnit(again));
}

}  // namespace
}  // namespace magpie::net
