// TCP echo on the real multi-threaded Runtime (issue: the reactor): many
// concurrent clients send messages of random sizes from 1 B to 64 KiB to an
// echo server running on the same runtime, and check every byte that comes
// back. Runs with 2 and 4 workers, with a reactor thread and with
// worker-driven I/O (IoDriver); smaller counts under the sanitizers.
// 127.0.0.1 only; bounded by count and by a watchdog.

#include <cmath>
#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

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

using std::chrono::seconds;
using testing::ScaledForSanitizers;
using testing::Watchdog;

constexpr std::size_t kMaxMessage = 64 * 1024;

// Log-uniform in [1, 64 KiB]: every size class is exercised, and the mean
// (~6 KiB) keeps 200 x 1,000 messages to a few seconds.
std::size_t RandomSize(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> exponent(0.0, std::log2(kMaxMessage));
  return std::min<std::size_t>(
      kMaxMessage, static_cast<std::size_t>(std::exp2(exponent(rng))));
}

std::byte PatternByte(std::uint64_t seed, std::size_t i) {
  return static_cast<std::byte>((seed * 0x9E3779B97F4A7C15ull + i * 131) >> 56);
}

struct Stats {
  core::Atomic<long> messages_ok{0};
  core::Atomic<long> bytes_checked{0};
  core::Atomic<long> errors{0};
  core::Atomic<int> connections{0};
};

Task<void> EchoConnection(net::TcpStream stream, Stats* stats) {
  std::vector<std::byte> buf(kMaxMessage);
  while (true) {
    absl::StatusOr<std::size_t> n = co_await stream.read(buf);
    if (!n.ok() || *n == 0) break;
    absl::Status sent =
        co_await stream.write_all(std::span<const std::byte>(buf.data(), *n));
    if (!sent.ok()) break;
  }
  stats->connections.fetch_sub(1, std::memory_order_relaxed);
}

Task<void> AcceptLoop(net::TcpListener* listener, CancellationToken stop,
                      Stats* stats) {
  while (true) {
    auto next = co_await select(listener->accept(), stop.cancelled());
    if (next.index() == 1) co_return;
    auto accepted = std::get<0>(std::move(next));
    if (!accepted.ok()) {
      stats->errors.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    stats->connections.fetch_add(1, std::memory_order_relaxed);
    spawn(EchoConnection(std::move(accepted->first), stats));
  }
}

Task<void> Client(net::SocketAddr server, int id, int messages, Stats* stats) {
  absl::StatusOr<net::TcpStream> stream =
      co_await net::TcpStream::connect(server);
  if (!stream.ok()) {
    ADD_FAILURE() << "connect: " << stream.status();
    stats->errors.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  std::mt19937_64 rng(1000 + id);
  std::vector<std::byte> out(kMaxMessage);
  std::vector<std::byte> in(kMaxMessage);
  for (int m = 0; m < messages; ++m) {
    const std::size_t size = RandomSize(rng);
    const std::uint64_t seed = (static_cast<std::uint64_t>(id) << 32) | m;
    for (std::size_t i = 0; i < size; ++i) out[i] = PatternByte(seed, i);
    absl::Status sent = co_await stream->write_all(
        std::span<const std::byte>(out.data(), size));
    absl::Status got =
        sent.ok()
            ? co_await stream->read_exact(std::span<std::byte>(in.data(), size))
            : sent;
    if (!got.ok()) {
      ADD_FAILURE() << "client " << id << " message " << m << ": " << got;
      stats->errors.fetch_add(1, std::memory_order_relaxed);
      co_return;
    }
    for (std::size_t i = 0; i < size; ++i) {
      if (in[i] != PatternByte(seed, i)) {
        ADD_FAILURE() << "client " << id << " message " << m << " byte " << i;
        stats->errors.fetch_add(1, std::memory_order_relaxed);
        co_return;
      }
    }
    stats->messages_ok.fetch_add(1, std::memory_order_relaxed);
    stats->bytes_checked.fetch_add(static_cast<long>(size),
                                   std::memory_order_relaxed);
  }
}

class EchoTest : public ::testing::TestWithParam<std::tuple<int, IoDriver>> {};

TEST_P(EchoTest, ManyClientsRandomSizesEveryByteChecked) {
  const int kClients = ScaledForSanitizers(200, 40);
  const int kMessages = ScaledForSanitizers(1000, 50);
  const auto [workers, io_driver] = GetParam();
  Watchdog dog("echo with " + std::to_string(workers) + " workers",
               seconds(300));
  Runtime rt =
      Runtime::Builder().worker_threads(workers).io_driver(io_driver).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  Stats stats;
  CancellationToken stop;

  auto listener =
      rt.block_on(rt.spawn([]() -> Task<absl::StatusOr<net::TcpListener>> {
        co_return net::TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
      }()));
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<net::SocketAddr> addr = listener->local_addr();
  ASSERT_TRUE(addr.ok());
  auto server = rt.spawn(AcceptLoop(&*listener, stop, &stats));

  std::vector<JoinHandle<void>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(rt.spawn(Client(*addr, c, kMessages, &stats)));
  }
  for (auto& client : clients) rt.block_on(std::move(client));
  stop.cancel();
  rt.block_on(std::move(server));

  EXPECT_EQ(stats.errors.load(), 0);
  EXPECT_EQ(stats.messages_ok.load(), long{kClients} * kMessages);
  RecordProperty("bytes_checked", std::to_string(stats.bytes_checked.load()));
  rt.shutdown();  // closes the server's connections
}

INSTANTIATE_TEST_SUITE_P(
    Workers, EchoTest,
    ::testing::Combine(::testing::Values(2, 4),
                       ::testing::Values(IoDriver::kReactorThread,
                                         IoDriver::kWorkers)),
    [](const auto& info) {
      return std::to_string(std::get<0>(info.param)) + "workers" +
             (std::get<1>(info.param) == IoDriver::kWorkers ? "_IoOnWorkers"
                                                            : "_IoThread");
    });

}  // namespace
}  // namespace magpie
