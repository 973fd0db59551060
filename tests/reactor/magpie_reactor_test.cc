// The aggregate header compiles on its own and its API works end to end:
// a sleep, a timeout and a TCP round trip through reactor/magpie_reactor.h.

#include "reactor/magpie_reactor.h"

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"

namespace magpie {
namespace {

using namespace std::chrono_literals;

TEST(MagpieReactorTest, SleepTimeoutAndTcp) {
  absl::StatusOr<reactor::Reactor> reactor = reactor::Reactor::start();
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  reactor::EnterGuard guard = reactor->enter();

  const auto start = std::chrono::steady_clock::now();
  block_on(sleep(5ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 5ms);

  absl::StatusOr<net::TcpListener> listener =
      net::TcpListener::bind(*net::SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<net::TcpStream> client =
      block_on(timeout(5s, net::TcpStream::connect(*listener->local_addr())));
  ASSERT_TRUE(client.ok()) << client.status();
  auto accepted = block_on(listener->accept());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  const std::string text = "magpie";
  ASSERT_TRUE(block_on(client->write_all(std::as_bytes(
                           std::span<const char>(text.data(), text.size()))))
                  .ok());
  std::vector<std::byte> buf(text.size());
  ASSERT_TRUE(block_on(accepted->first.read_exact(buf)).ok());
  EXPECT_EQ(std::memcmp(buf.data(), text.data(), text.size()), 0);
}

}  // namespace
}  // namespace magpie
