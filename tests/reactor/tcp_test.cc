// Tests for TcpListener and TcpStream on a real reactor over loopback:
// connect errors, peer reset during writes (no SIGPIPE), EMFILE on accept
// and recovery, an echo between threads with every byte checked, and the
// failure modes (no reactor, reactor shutdown).

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/enter_guard.h"
#include "reactor/net/error_kind.h"
#include "reactor/net/socket_addr.h"
#include "reactor/net/tcp_listener.h"
#include "reactor/net/tcp_stream.h"
#include "reactor/time/timeout.h"
#include "runtime/block_on.h"
#include "tests/reactor/test_support.h"

namespace magpie::net {
namespace {

using namespace std::chrono_literals;
using magpie::testing::JoinStatus;
using magpie::testing::kSanitized;
using magpie::testing::poll_once;
using magpie::testing::wait_until;
using magpie::testing::WakeCounter;

class TcpTest : public magpie::testing::ReactorTest {
 protected:
  // A listener on an ephemeral loopback port, and its address.
  std::pair<TcpListener, SocketAddr> listen() {
    absl::StatusOr<TcpListener> listener =
        TcpListener::bind(SocketAddr::ipv4_loopback(0));
    EXPECT_TRUE(listener.ok()) << listener.status();
    absl::StatusOr<SocketAddr> addr = listener->local_addr();
    EXPECT_TRUE(addr.ok()) << addr.status();
    return {*std::move(listener), *addr};
  }

  // A connected pair (client, server side).
  std::pair<TcpStream, TcpStream> connected_pair() {
    auto [listener, addr] = listen();
    absl::StatusOr<TcpStream> client = block_on(TcpStream::connect(addr));
    EXPECT_TRUE(client.ok()) << client.status();
    auto accepted = block_on(listener.accept());
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    return {*std::move(client), std::move(accepted->first)};
  }
};

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

TEST_F(TcpTest, ConnectToClosedPortIsRefused) {
  SocketAddr addr;
  {
    auto [listener, bound] = listen();
    addr = bound;
  }  // Closed: nothing listens there any more.
  absl::StatusOr<TcpStream> stream = block_on(TcpStream::connect(addr));
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(error_kind(stream.status()), ErrorKind::kConnectionRefused)
      << stream.status();
  EXPECT_TRUE(is_connection_refused(stream.status()));
  EXPECT_EQ(driver().source_count(), 0u);
}

TEST_F(TcpTest, AcceptReportsPeerAndAddresses) {
  auto [listener, addr] = listen();
  absl::StatusOr<TcpStream> client = block_on(TcpStream::connect(addr));
  ASSERT_TRUE(client.ok()) << client.status();
  auto accepted = block_on(listener.accept());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->second, *client->local_addr());
  EXPECT_EQ(*client->peer_addr(), addr);
  ASSERT_TRUE(client->set_nodelay(true).ok());
  EXPECT_TRUE(*client->nodelay());
  ASSERT_TRUE(client->set_nodelay(false).ok());
  EXPECT_FALSE(*client->nodelay());
}

TEST_F(TcpTest, ReadSeesEndOfStreamAfterShutdownWrite) {
  auto [client, server] = connected_pair();
  const std::string hello = "hello";
  ASSERT_TRUE(block_on(client.write_all(bytes_of(hello))).ok());
  ASSERT_TRUE(client.shutdown(Shutdown::kWrite).ok());
  std::vector<std::byte> buf(hello.size());
  ASSERT_TRUE(block_on(server.read_exact(buf)).ok());
  EXPECT_EQ(std::memcmp(buf.data(), hello.data(), hello.size()), 0);
  absl::StatusOr<std::size_t> eof = block_on(server.read(buf));
  ASSERT_TRUE(eof.ok()) << eof.status();
  EXPECT_EQ(*eof, 0u);
  // read_exact past the end is OutOfRange.
  absl::Status short_read = block_on(server.read_exact(buf));
  EXPECT_TRUE(absl::IsOutOfRange(short_read)) << short_read;
}

TEST_F(TcpTest, PeerResetDuringWriteIsAnErrorWithoutSigpipe) {
  auto [client, server] = connected_pair();
  // Linger 0: closing sends RST instead of FIN.
  linger hard{1, 0};
  ASSERT_EQ(
      ::setsockopt(server.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof(hard)), 0);
  { TcpStream gone = std::move(server); }
  std::vector<std::byte> chunk(64 * 1024, std::byte{0x5a});
  absl::Status failed;
  for (int i = 0; i < 1000 && failed.ok(); ++i) {
    failed = block_on(timeout(5s, client.write_all(chunk)));
  }
  ASSERT_FALSE(failed.ok());
  const ErrorKind kind = error_kind(failed);
  EXPECT_TRUE(kind == ErrorKind::kBrokenPipe ||
              kind == ErrorKind::kConnectionReset)
      << failed;
  EXPECT_TRUE(is_disconnect(failed)) << failed;
}

TEST_F(TcpTest, AcceptHittingEmfileRecovers) {
  auto [listener, addr] = listen();
  absl::StatusOr<TcpStream> client = block_on(TcpStream::connect(addr));
  ASSERT_TRUE(client.ok()) << client.status();
  // The connection waits in the backlog. Now use up every descriptor.
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  const int probe = ::dup(0);
  ASSERT_GE(probe, 0);
  ::close(probe);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(probe + 4);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;
  while (true) {
    const int fd = ::dup(0);
    if (fd < 0) break;
    fillers.push_back(fd);
  }
  auto first = block_on(timeout(5s, listener.accept()));
  auto second = block_on(timeout(5s, listener.accept()));
  for (int fd : fillers) ::close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(error_kind(first.status()), ErrorKind::kTooManyOpenFiles)
      << first.status();
  EXPECT_TRUE(is_resource_exhaustion(first.status()));
  ASSERT_FALSE(second.ok());  // Still failing, but answered (not hung).
  EXPECT_EQ(error_kind(second.status()), ErrorKind::kTooManyOpenFiles)
      << second.status();
  // Descriptors are back: the same listener accepts the waiting connection.
  auto recovered = block_on(timeout(5s, listener.accept()));
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(recovered->second, *client->local_addr());
}

// One connection's worth of echo on the server side.
void echo(TcpStream stream) {
  std::vector<std::byte> buf(16 * 1024);
  while (true) {
    absl::StatusOr<std::size_t> n = block_on(stream.read(buf));
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) return;
    ASSERT_TRUE(block_on(stream.write_all(std::span(buf).first(*n))).ok());
  }
}

TEST_F(TcpTest, EchoManyClientsRandomSizes) {
  const int kClients = kSanitized ? 4 : 16;
  const int kMessages = kSanitized ? 20 : 100;
  constexpr std::size_t kMaxMessage = 64 * 1024;
  // No structured binding: lambdas below capture these (clang 14).
  std::pair<TcpListener, SocketAddr> listening = listen();
  TcpListener& listener = listening.first;
  const SocketAddr addr = listening.second;
  const reactor::Handle handle = reactor_->handle();

  std::thread server([&] {
    reactor::EnterGuard guard(handle);
    std::vector<std::thread> handlers;
    for (int i = 0; i < kClients; ++i) {
      auto accepted = block_on(listener.accept());
      ASSERT_TRUE(accepted.ok()) << accepted.status();
      handlers.emplace_back(
          [&handle, stream = std::move(accepted->first)]() mutable {
            reactor::EnterGuard guard(handle);
            echo(std::move(stream));
          });
    }
    for (auto& handler : handlers) handler.join();
  });

  core::Atomic<std::uint64_t> bytes_checked{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      reactor::EnterGuard guard(handle);
      absl::StatusOr<TcpStream> stream = block_on(TcpStream::connect(addr));
      ASSERT_TRUE(stream.ok()) << stream.status();
      std::mt19937 rng(1000 + c);
      std::vector<std::byte> out(kMaxMessage);
      std::vector<std::byte> in(kMaxMessage);
      for (int m = 0; m < kMessages; ++m) {
        const std::size_t size = 1 + rng() % kMaxMessage;
        for (std::size_t i = 0; i < size; ++i) {
          out[i] = static_cast<std::byte>(rng());
        }
        // Write and read side by side: a big message does not fit the
        // socket buffers one way.
        auto [wrote, read] =
            block_on(JoinStatus(stream->write_all(std::span(out).first(size)),
                                stream->read_exact(std::span(in).first(size))));
        ASSERT_TRUE(wrote.ok()) << wrote;
        ASSERT_TRUE(read.ok()) << read;
        ASSERT_TRUE(std::equal(out.begin(), out.begin() + size, in.begin()))
            << "client " << c << " message " << m;
        bytes_checked.fetch_add(size, std::memory_order_relaxed);
      }
      ASSERT_TRUE(stream->shutdown(Shutdown::kWrite).ok());
      absl::StatusOr<std::size_t> eof = block_on(stream->read(in));
      ASSERT_TRUE(eof.ok());
      EXPECT_EQ(*eof, 0u);
    });
  }
  for (auto& client : clients) client.join();
  server.join();
  EXPECT_GT(bytes_checked.load(std::memory_order_relaxed), 0u);
  EXPECT_TRUE(wait_until([&] { return driver().source_count() == 1; }, 5s))
      << "only the listener should be left";
}

TEST_F(TcpTest, Ipv6Loopback) {
  absl::StatusOr<TcpListener> listener =
      TcpListener::bind(SocketAddr::ipv6_loopback(0));
  if (!listener.ok()) GTEST_SKIP() << "no IPv6 loopback: " << listener.status();
  SocketAddr addr = *listener->local_addr();
  EXPECT_TRUE(addr.is_ipv6());
  absl::StatusOr<TcpStream> client = block_on(TcpStream::connect(addr));
  ASSERT_TRUE(client.ok()) << client.status();
  auto accepted = block_on(listener->accept());
  ASSERT_TRUE(accepted.ok());
  const std::string ping = "ping6";
  ASSERT_TRUE(block_on(client->write_all(bytes_of(ping))).ok());
  std::vector<std::byte> buf(ping.size());
  ASSERT_TRUE(block_on(accepted->first.read_exact(buf)).ok());
  EXPECT_EQ(std::memcmp(buf.data(), ping.data(), ping.size()), 0);
}

TEST_F(TcpTest, ShutdownFailsPendingRead) {
  auto [client, server] = connected_pair();
  std::vector<std::byte> buf(16);
  auto read = server.read(buf);
  auto counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  ASSERT_TRUE(poll_once(read, waker).is_pending());
  reactor_->shutdown();
  EXPECT_EQ(counter->count(), 1);
  auto after = poll_once(read, waker);
  ASSERT_TRUE(after.is_ready());
  EXPECT_TRUE(absl::IsCancelled(after.value().status()))
      << after.value().status();
  // New sockets are refused too.
  absl::StatusOr<TcpListener> refused =
      TcpListener::bind(SocketAddr::ipv4_loopback(0));
  EXPECT_TRUE(absl::IsCancelled(refused.status())) << refused.status();
}

// A short read (less than the buffer) drained the socket, so it clears the
// readiness it saw (io_source.h, poll_stream_io): the next read registers
// its waker and waits for the next edge, which must wake it. Rounds, since
// the data's event and the clear race differently each time.
TEST_F(TcpTest, ShortReadClearsReadinessAndTheNextEdgeWakes) {
  auto [client, server] = connected_pair();
  std::vector<std::byte> buf(64);
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    const std::string msg = "ping" + std::to_string(round);
    ASSERT_TRUE(block_on(client.write_all(bytes_of(msg))).ok());
    absl::StatusOr<std::size_t> got = block_on(server.read(buf));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(*got, msg.size());
    auto read = server.read(buf);
    auto counter = make_arc<WakeCounter>();
    Waker waker = waker_from(counter);
    ASSERT_TRUE(poll_once(read, waker).is_pending()) << "round " << round;
    ASSERT_TRUE(block_on(client.write_all(bytes_of(msg))).ok());
    ASSERT_TRUE(wait_until([&] { return counter->count() > 0; }, 10s));
    auto after = poll_once(read, waker);
    ASSERT_TRUE(after.is_ready());
    ASSERT_TRUE(after.value().ok()) << after.value().status();
    EXPECT_EQ(*after.value(), msg.size());
    EXPECT_EQ(std::memcmp(buf.data(), msg.data(), msg.size()), 0);
  }
}

TEST(TcpNoReactorTest, FailsWithFailedPrecondition) {
  std::thread bare([] {
    absl::StatusOr<TcpListener> listener =
        TcpListener::bind(SocketAddr::ipv4_loopback(0));
    EXPECT_TRUE(absl::IsFailedPrecondition(listener.status()))
        << listener.status();
    absl::StatusOr<TcpStream> stream =
        block_on(TcpStream::connect(SocketAddr::ipv4_loopback(9)));
    EXPECT_TRUE(absl::IsFailedPrecondition(stream.status())) << stream.status();
  });
  bare.join();
}

}  // namespace
}  // namespace magpie::net
