// Tests for magpie::io over real TCP streams on the multi-threaded Runtime:
// BufReader (read_line, read_until with a limit, fill_buf/consume),
// BufWriter (holds bytes until flush), read_to_end, copy and
// copy_bidirectional (byte counts, half-close in each direction, every byte
// checked). 127.0.0.1 only; bounded by a watchdog.

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/io/async_read.h"
#include "reactor/io/async_write.h"
#include "reactor/io/buf_reader.h"
#include "reactor/io/buf_writer.h"
#include "reactor/io/copy.h"
#include "reactor/io/copy_bidirectional.h"
#include "reactor/io/read_to_end.h"
#include "reactor/magpie_reactor.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using net::TcpListener;
using net::TcpStream;
using testing::Watchdog;

static_assert(io::AsyncRead<io::BufReader<TcpStream>>);
static_assert(io::AsyncWrite<io::BufWriter<TcpStream>>);
static_assert(io::AsyncReadWrite<TcpStream>);

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

// A connected pair (client, server side), made inside the runtime.
Task<std::pair<TcpStream, TcpStream>> Pair() {
  absl::StatusOr<TcpListener> listener =
      TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
  EXPECT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<net::SocketAddr> addr = listener->local_addr();
  absl::StatusOr<TcpStream> client = co_await TcpStream::connect(*addr);
  EXPECT_TRUE(client.ok()) << client.status();
  auto accepted = co_await listener->accept();
  EXPECT_TRUE(accepted.ok()) << accepted.status();
  co_return std::make_pair(*std::move(client), std::move(accepted->first));
}

Task<absl::Status> WriteThenClose(TcpStream stream,
                                  std::vector<std::string> pieces) {
  for (const std::string& piece : pieces) {
    absl::Status sent = co_await stream.write_all(bytes_of(piece));
    if (!sent.ok()) co_return sent;
  }
  co_return stream.shutdown(net::Shutdown::kWrite);
}

// Each test runs with a reactor thread and with worker-driven I/O.
class IoTest : public ::testing::TestWithParam<IoDriver> {
 protected:
  IoTest()
      : rt_(Runtime::Builder()
                .worker_threads(2)
                .io_driver(GetParam())
                .build()) {}
  template <class T>
  T run(Task<T> task) {
    return rt_.block_on(rt_.spawn(std::move(task)));
  }
  Watchdog dog_{"io_test", std::chrono::seconds(60)};
  Runtime rt_;
};

TEST_P(IoTest, BufReaderReadsLinesAcrossWrites) {
  auto lines = run([]() -> Task<std::vector<std::string>> {
    auto [client, server] = co_await Pair();
    spawn(WriteThenClose(std::move(client),
                         {"first li", "ne\nsecond\n", "\nno newline"}));
    io::BufReader reader(std::move(server), 4);  // Smaller than the lines.
    std::vector<std::string> got;
    while (true) {
      std::string line;
      absl::StatusOr<std::size_t> n = co_await reader.read_line(line);
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) break;
      EXPECT_EQ(*n, line.size());
      got.push_back(line);
    }
    co_return got;
  }());
  EXPECT_EQ(lines, (std::vector<std::string>{"first line\n", "second\n", "\n",
                                             "no newline"}));
}

TEST_P(IoTest, ReadUntilLimitIsAnErrorAndTheStreamStaysUsable) {
  auto result = run([]() -> Task<std::string> {
    auto [client, server] = co_await Pair();
    spawn(WriteThenClose(std::move(client), {"0123456789;tail;"}));
    io::BufReader reader(std::move(server));
    std::string out;
    absl::StatusOr<std::size_t> n = co_await reader.read_until(';', out, 4);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(out, "0123");
    out.clear();
    n = co_await reader.read_until(';', out);
    EXPECT_TRUE(n.ok());
    std::string rest;
    auto all = io::read_to_string(reader, rest);
    absl::StatusOr<std::size_t> m = co_await all;
    EXPECT_TRUE(m.ok());
    co_return out + "|" + rest;
  }());
  EXPECT_EQ(result, "456789;|tail;");
}

TEST_P(IoTest, FillBufAndConsume) {
  auto result = run([]() -> Task<std::string> {
    auto [client, server] = co_await Pair();
    spawn(WriteThenClose(std::move(client), {"abcdef"}));
    io::BufReader reader(std::move(server));
    std::string seen;
    while (true) {
      absl::StatusOr<std::span<const std::byte>> buf =
          co_await reader.fill_buf();
      EXPECT_TRUE(buf.ok());
      if (!buf.ok() || buf->empty()) break;
      seen.push_back(static_cast<char>((*buf)[0]));
      reader.consume(2);  // Skip every other byte.
    }
    co_return seen;
  }());
  EXPECT_EQ(result, "ace");
}

TEST_P(IoTest, BufWriterHoldsBytesUntilFlush) {
  auto result = run([]() -> Task<std::string> {
    auto [client, server] = co_await Pair();
    io::BufWriter writer(std::move(client));
    for (const char* piece : {"one ", "two ", "three"}) {
      absl::Status s = co_await writer.write_all(bytes_of(piece));
      EXPECT_TRUE(s.ok());
    }
    EXPECT_EQ(writer.buffer().size(), 13u);
    std::array<std::byte, 16> probe;
    EXPECT_TRUE(net::is_would_block(server.try_read(probe).status()));
    absl::Status shut = co_await writer.shutdown();  // Flushes first.
    EXPECT_TRUE(shut.ok()) << shut;
    EXPECT_TRUE(writer.buffer().empty());
    std::string all;
    auto rest = io::read_to_string(server, all);
    absl::StatusOr<std::size_t> n = co_await rest;
    EXPECT_EQ(*n, 13u);
    co_return all;
  }());
  EXPECT_EQ(result, "one two three");
}

TEST_P(IoTest, BufWriterPassesLargeWritesThrough) {
  auto ok = run([]() -> Task<bool> {
    auto [client, server] = co_await Pair();
    io::BufWriter writer(std::move(client), 16);
    std::vector<std::byte> big(100000, std::byte{9});
    spawn([](TcpStream s) -> Task<void> {  // Drain the peer.
      std::vector<std::byte> sink;
      auto all = io::read_to_end(s, sink);
      (void)co_await all;
    }(std::move(server)));
    absl::Status s = co_await writer.write_all(bytes_of("small"));
    absl::Status t = co_await writer.write_all(big);
    co_return s.ok() && t.ok() && writer.buffer().empty();
  }());
  EXPECT_TRUE(ok);
}

TEST_P(IoTest, ReadToEndLimit) {
  auto code = run([]() -> Task<absl::StatusCode> {
    auto [client, server] = co_await Pair();
    spawn(WriteThenClose(std::move(client), {std::string(10000, 'x')}));
    std::vector<std::byte> out;
    auto all = io::read_to_end(server, out, 5000);
    absl::StatusOr<std::size_t> n = co_await all;
    EXPECT_GT(out.size(), 5000u);
    co_return n.status().code();
  }());
  EXPECT_EQ(code, absl::StatusCode::kResourceExhausted);
}

std::byte Pattern(std::size_t i) { return static_cast<std::byte>(i * 7 + 3); }

Task<absl::Status> SendPattern(TcpStream stream, std::size_t bytes) {
  std::vector<std::byte> out(bytes);
  for (std::size_t i = 0; i < bytes; ++i) out[i] = Pattern(i);
  absl::Status s = co_await stream.write_all(out);
  if (!s.ok()) co_return s;
  co_return stream.shutdown(net::Shutdown::kWrite);
}

constexpr std::size_t kCopyBytes = 1 << 20;

TEST_P(IoTest, CopyCountsAndKeepsEveryByte) {
  auto ok = run([]() -> Task<bool> {
    auto [a_client, a_server] = co_await Pair();
    auto [b_client, b_server] = co_await Pair();
    spawn(SendPattern(std::move(a_client), kCopyBytes));
    // a_server -> BufWriter(b_client): the copy flushes at the end.
    io::BufWriter out(std::move(b_client));
    auto piped = io::copy(a_server, out);
    JoinHandle<std::vector<std::byte>> sink =
        spawn([](TcpStream s) -> Task<std::vector<std::byte>> {
          std::vector<std::byte> all;
          auto r = io::read_to_end(s, all);
          absl::StatusOr<std::size_t> n = co_await r;
          EXPECT_TRUE(n.ok()) << n.status();
          co_return all;
        }(std::move(b_server)));
    absl::StatusOr<std::uint64_t> n = co_await piped;
    EXPECT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, kCopyBytes);
    auto shut = out.shutdown();
    EXPECT_TRUE((co_await shut).ok());
    std::vector<std::byte> got = co_await sink;
    if (got.size() != kCopyBytes) co_return false;
    for (std::size_t i = 0; i < kCopyBytes; ++i) {
      if (got[i] != Pattern(i)) co_return false;
    }
    co_return true;
  }());
  EXPECT_TRUE(ok);
}

// client <-> [proxy: copy_bidirectional] <-> server. The client sends a
// request and half-closes; the server reads it to end of stream (so the
// proxy passed the half-close on), answers, and closes; the client reads
// the answer to end of stream. Both counts come back.
TEST_P(IoTest, CopyBidirectionalPassesHalfCloseBothWays) {
  const std::string request(70000, 'q');
  const std::string answer(50000, 'a');
  auto counts = run([](std::string request, std::string answer)
                        -> Task<std::pair<std::uint64_t, std::uint64_t>> {
    auto [client, proxy_in] = co_await Pair();
    auto [proxy_out, server] = co_await Pair();
    JoinHandle<bool> srv = spawn(
        [](TcpStream s, std::string want, std::string reply) -> Task<bool> {
          std::string got;
          auto all = io::read_to_string(s, got);
          absl::StatusOr<std::size_t> n = co_await all;
          if (!n.ok() || got != want) co_return false;
          absl::Status sent = co_await s.write_all(bytes_of(reply));
          co_return sent.ok();
        }(std::move(server), request, answer));
    JoinHandle<std::string> cli =
        spawn([](TcpStream s, std::string req) -> Task<std::string> {
          absl::Status sent = co_await s.write_all(bytes_of(req));
          EXPECT_TRUE(sent.ok());
          EXPECT_TRUE(s.shutdown(net::Shutdown::kWrite).ok());
          std::string got;
          auto all = io::read_to_string(s, got);
          absl::StatusOr<std::size_t> n = co_await all;
          EXPECT_TRUE(n.ok()) << n.status();
          co_return got;
        }(std::move(client), request));
    auto both = io::copy_bidirectional(proxy_in, proxy_out);
    absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> n = co_await both;
    EXPECT_TRUE(n.ok()) << n.status();
    EXPECT_TRUE(co_await srv);
    std::string got = co_await cli;
    EXPECT_EQ(got.size(), answer.size());
    EXPECT_TRUE(got == answer);
    co_return n.ok() ? *n : std::make_pair(std::uint64_t{0}, std::uint64_t{0});
  }(request, answer));
  EXPECT_EQ(counts.first, request.size());
  EXPECT_EQ(counts.second, answer.size());
}

// A reset on one side ends the whole copy with that error (ECONNRESET or
// EPIPE), instead of leaving the other direction waiting forever.
TEST_P(IoTest, CopyBidirectionalReportsAReset) {
  auto status = run([]() -> Task<absl::Status> {
    auto [client, proxy_in] = co_await Pair();
    auto [proxy_out, server] = co_await Pair();
    auto both = io::copy_bidirectional(proxy_in, proxy_out);
    spawn([](TcpStream s) -> Task<void> {
      EXPECT_TRUE(s.set_linger(std::chrono::seconds(0)).ok());
      co_return;  // Closed with linger 0: the proxy sees a reset.
    }(std::move(server)));
    absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> n = co_await both;
    co_return n.status();
  }());
  EXPECT_FALSE(status.ok());
  const int error = reactor::sys::error_number(status);
  EXPECT_TRUE(error == ECONNRESET || error == EPIPE) << status;
}

INSTANTIATE_TEST_SUITE_P(IoDrivers, IoTest,
                         ::testing::Values(IoDriver::kReactorThread,
                                           IoDriver::kWorkers),
                         [](const auto& info) {
                           return info.param == IoDriver::kWorkers
                                      ? "IoOnWorkers"
                                      : "IoThread";
                         });

}  // namespace
}  // namespace magpie
