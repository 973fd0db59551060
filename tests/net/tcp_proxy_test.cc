// End-to-end test of the tcp_proxy example's connection task on the real
// multi-threaded Runtime, 127.0.0.1 only: many clients, each split into an
// owned writer and an owned reader on different tasks, stream random
// amounts in random chunks through the proxy (which connects upstream by
// name, "localhost:<port>", and runs copy_bidirectional) to an echo
// upstream (into_split + io::copy), and check every byte that comes back
// and the end of stream after their half-close. The proxy's byte counts
// must match. Runs on 2 and 4 workers; smaller under the sanitizers.
// Bounded by count and by a watchdog.

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "examples/tcp_proxy/proxy.h"
#include "gtest/gtest.h"
#include "reactor/magpie_reactor.h"
#include "runtime/core/atomic.h"
#include "runtime/core/select.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/sync/cancellation_token.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using net::TcpListener;
using net::TcpStream;
using testing::ScaledForSanitizers;
using testing::Watchdog;

std::byte PatternByte(std::uint64_t seed, std::uint64_t i) {
  return static_cast<std::byte>((seed * 0x9E3779B97F4A7C15ull + i * 131) >> 56);
}

struct Totals {
  core::Atomic<long> clients_ok{0};
  core::Atomic<long> errors{0};
  core::Atomic<std::uint64_t> bytes{0};
};

// Upstream: echo everything back, then pass the half-close on.
Task<void> Echo(TcpStream stream) {
  auto [reader, writer] = std::move(stream).into_split();
  auto copied = io::copy(reader, writer);
  absl::StatusOr<std::uint64_t> n = co_await copied;
  if (n.ok()) {
    auto shut = writer.shutdown();
    (void)co_await shut;
  }
}

// Accepts until `stop`, running `serve` per connection; awaits them all.
template <class Serve>
Task<void> AcceptAll(TcpListener* listener, CancellationToken stop,
                     Serve serve) {
  std::vector<JoinHandle<void>> connections;
  while (true) {
    auto next = co_await select(listener->accept(), stop.cancelled());
    if (next.index() == 1) break;
    auto accepted = std::get<0>(std::move(next));
    if (!accepted.ok()) {
      ADD_FAILURE() << "accept: " << accepted.status();
      continue;
    }
    connections.push_back(spawn(serve(std::move(accepted->first))));
  }
  for (auto& c : connections) co_await c;
}

Task<void> Writer(net::OwnedWriteHalf writer, std::uint64_t seed,
                  std::uint64_t total, Totals* totals) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> chunk(32 * 1024);
  std::uint64_t sent = 0;
  while (sent < total) {
    const std::size_t size = static_cast<std::size_t>(
        std::min<std::uint64_t>(total - sent, 1 + rng() % chunk.size()));
    for (std::size_t i = 0; i < size; ++i) {
      chunk[i] = PatternByte(seed, sent + i);
    }
    absl::Status s = co_await writer.write_all(std::span(chunk.data(), size));
    if (!s.ok()) {
      ADD_FAILURE() << "write: " << s;
      totals->errors.fetch_add(1, std::memory_order_relaxed);
      co_return;
    }
    sent += size;
  }
  auto shut = writer.shutdown();  // Half-close: the echo ends after it.
  absl::Status s = co_await shut;
  if (!s.ok()) totals->errors.fetch_add(1, std::memory_order_relaxed);
}

Task<void> Client(net::SocketAddr proxy, int id, Totals* totals) {
  absl::StatusOr<TcpStream> stream = co_await TcpStream::connect(proxy);
  if (!stream.ok()) {
    ADD_FAILURE() << "connect: " << stream.status();
    totals->errors.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  const std::uint64_t seed = 7000 + id;
  std::mt19937_64 rng(seed);
  const std::uint64_t total = 1 + rng() % (256 * 1024);
  auto [reader, writer] = std::move(*stream).into_split();
  JoinHandle<void> writing =
      spawn(Writer(std::move(writer), seed, total, totals));
  std::vector<std::byte> buf(16 * 1024);
  std::uint64_t got = 0;
  while (true) {
    absl::StatusOr<std::size_t> n = co_await reader.read(buf);
    if (!n.ok()) {
      ADD_FAILURE() << "client " << id << " read: " << n.status();
      totals->errors.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    if (*n == 0) break;
    for (std::size_t i = 0; i < *n; ++i) {
      if (buf[i] != PatternByte(seed, got + i)) {
        ADD_FAILURE() << "client " << id << " byte " << got + i;
        totals->errors.fetch_add(1, std::memory_order_relaxed);
        co_await writing;
        co_return;
      }
    }
    got += *n;
  }
  co_await writing;
  if (got != total) {
    ADD_FAILURE() << "client " << id << ": " << got << " of " << total;
    totals->errors.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  totals->bytes.fetch_add(total, std::memory_order_relaxed);
  totals->clients_ok.fetch_add(1, std::memory_order_relaxed);
}

class TcpProxyTest : public ::testing::TestWithParam<int> {};

TEST_P(TcpProxyTest, ManyClientsThroughTheProxyEveryByteChecked) {
  const int kClients = ScaledForSanitizers(200, 30);
  Watchdog dog("tcp_proxy with " + std::to_string(GetParam()) + " workers",
               std::chrono::seconds(240));
  Runtime rt = Runtime::Builder().worker_threads(GetParam()).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  CancellationToken stop;
  Totals totals;
  auto stats = std::make_shared<examples::ProxyStats>();

  auto bind = []() -> Task<absl::StatusOr<TcpListener>> {
    co_return TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
  };
  absl::StatusOr<TcpListener> upstream = rt.block_on(rt.spawn(bind()));
  absl::StatusOr<TcpListener> proxy = rt.block_on(rt.spawn(bind()));
  ASSERT_TRUE(upstream.ok() && proxy.ok());
  examples::ProxyConfig config;
  config.upstream =
      "localhost:" + std::to_string(upstream->local_addr()->port());
  const net::SocketAddr proxy_addr = *proxy->local_addr();

  auto echo_server = rt.spawn(AcceptAll(&*upstream, stop, &Echo));
  auto proxy_server = rt.spawn(
      AcceptAll(&*proxy, stop, examples::proxy_handler(config, stop, stats)));
  std::vector<JoinHandle<void>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(rt.spawn(Client(proxy_addr, c, &totals)));
  }
  for (auto& client : clients) rt.block_on(std::move(client));
  stop.cancel();
  rt.block_on(std::move(proxy_server));
  rt.block_on(std::move(echo_server));

  EXPECT_EQ(totals.errors.load(), 0);
  EXPECT_EQ(totals.clients_ok.load(), kClients);
  EXPECT_EQ(stats->upstream_failures.load(), 0u);
  EXPECT_EQ(stats->copy_errors.load(), 0u);
  EXPECT_EQ(stats->cut_at_shutdown.load(), 0u);
  EXPECT_EQ(stats->bytes_up.load(), totals.bytes.load());
  EXPECT_EQ(stats->bytes_down.load(), totals.bytes.load());
  RecordProperty("bytes_each_way", std::to_string(totals.bytes.load()));
  rt.shutdown();
}

INSTANTIATE_TEST_SUITE_P(Workers, TcpProxyTest, ::testing::Values(2, 4),
                         [](const auto& info) {
                           return std::to_string(info.param) + "workers";
                         });

TEST(TcpProxyUpstreamTest, UnknownOrRefusedUpstreamClosesTheClient) {
  Watchdog dog("tcp_proxy upstream failure", std::chrono::seconds(60));
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto stats = std::make_shared<examples::ProxyStats>();
  CancellationToken stop;
  const bool closed =
      rt.block_on(rt.spawn([](std::shared_ptr<examples::ProxyStats> stats,
                              CancellationToken stop) -> Task<bool> {
        absl::StatusOr<TcpListener> gone =
            TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
        examples::ProxyConfig config;
        config.upstream = gone->local_addr()->to_string();
        *gone = TcpListener::bind(net::SocketAddr::ipv4_loopback(0)).value();
        // `config.upstream` names a port nothing listens on any more.
        absl::StatusOr<TcpListener> front =
            TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
        absl::StatusOr<TcpStream> client =
            co_await TcpStream::connect(*front->local_addr());
        auto accepted = co_await front->accept();
        co_await examples::proxy_connection(std::move(accepted->first), config,
                                            stop, stats);
        std::array<std::byte, 8> buf;
        absl::StatusOr<std::size_t> n = co_await client->read(buf);
        co_return n.ok() && *n == 0;
      }(stats, stop)));
  EXPECT_TRUE(closed);
  EXPECT_EQ(stats->upstream_failures.load(), 1u);
}

}  // namespace
}  // namespace magpie
