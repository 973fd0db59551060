// echo_load — a closed-loop load generator for the echo server: C
// connections, each sending M messages of S bytes one at a time (write
// all, read the echo back in full, check every byte, time the round trip).
// Closed loop: a connection sends its next message only after the previous
// echo came back, so throughput is C / mean RTT and the RTT percentiles are
// the latencies a request/response client would see.
//
//   bazel run --config=opt //examples/echo_server -- --port=0 --workers=2
//   bazel run --config=opt //bench:echo_load -- --address=127.0.0.1:PORT
//   bazel run --config=opt //bench:echo_load       # its own server, in-process
//
// Without --address it binds 127.0.0.1:0 itself and serves the echo
// protocol (examples/echo_server/echo.h) on the same runtime as the clients.
// Loopback only: --address must be a 127.0.0.0/8 or ::1 address. Bounded:
// it stops after C x M round trips (or the first error on each connection).
//
// Output: total round trips, elapsed wall time, requests/s, RTT p50, p99 and
// p99.9 in microseconds, and errors (a failed connect, read or write, or an
// echo that differs from what was sent). Exit status 1 if any error.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "examples/common/server.h"
#include "examples/echo_server/echo.h"
#include "reactor/magpie_reactor.h"
#include "runtime/magpie.h"

ABSL_FLAG(std::string, address, "",
          "host:port of a running echo server on loopback; empty: start one "
          "in-process on 127.0.0.1:0");
ABSL_FLAG(int, connections, 64, "concurrent connections (C)");
ABSL_FLAG(int, messages, 10000, "round trips per connection (M)");
ABSL_FLAG(int, size, 64, "bytes per message (S)");
ABSL_FLAG(int, workers, 0, "worker threads of this process; 0: one per core");

namespace {

using magpie::net::SocketAddr;
using magpie::net::TcpStream;
using Clock = std::chrono::steady_clock;

// Each message is written in full before its echo is read. Much larger
// messages could fill both sides' socket buffers and deadlock (the server
// blocks writing echoes nobody reads yet, so it stops reading); 64 KiB stays
// well inside Linux's defaults.
constexpr int kMaxMessageBytes = 64 * 1024;

struct Options {
  std::size_t connections = 0;
  std::size_t messages = 0;
  std::size_t size = 0;
};

// What one connection measured.
struct ConnectionResult {
  std::vector<std::int64_t> rtt_ns;  // One per completed round trip.
  std::uint64_t errors = 0;
  std::string first_error;
};

// The bytes of message `m` on connection `id`: different per connection and
// per message, so a misrouted or stale echo is caught.
void fill_message(std::vector<std::byte>& message, std::size_t id,
                  std::size_t m) {
  for (std::size_t i = 0; i < message.size(); ++i) {
    message[i] = static_cast<std::byte>(id * 131 + m * 7 + i);
  }
}

magpie::Task<ConnectionResult> run_connection(SocketAddr server, std::size_t id,
                                              Options options) {
  ConnectionResult result;
  auto fail = [&result](std::string what) {
    ++result.errors;
    result.first_error = std::move(what);
  };
  absl::StatusOr<TcpStream> stream = co_await TcpStream::connect(server);
  if (!stream.ok()) {
    fail("connect: " + stream.status().ToString());
    co_return result;
  }
  (void)stream->set_nodelay(true);
  result.rtt_ns.reserve(options.messages);
  std::vector<std::byte> sent(options.size), echoed(options.size);
  for (std::size_t m = 0; m < options.messages; ++m) {
    fill_message(sent, id, m);
    const Clock::time_point start = Clock::now();
    if (absl::Status s = co_await stream->write_all(sent); !s.ok()) {
      fail("write: " + s.ToString());
      break;
    }
    if (absl::Status s = co_await stream->read_exact(echoed); !s.ok()) {
      fail("read: " + s.ToString());
      break;
    }
    const Clock::time_point end = Clock::now();
    if (std::memcmp(sent.data(), echoed.data(), sent.size()) != 0) {
      fail("echo differs from the message sent");
      break;  // The stream is out of step now; stop this connection.
    }
    result.rtt_ns.push_back((end - start).count());
  }
  co_return result;
}

// The sample at quantile q (0..1) of sorted samples, in microseconds.
double percentile_us(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  std::size_t rank = static_cast<std::size_t>(q * sorted.size());
  return sorted[std::min(rank, sorted.size() - 1)] / 1000.0;
}

magpie::Task<int> run(std::string address, Options options) {
  // The target: the given server, or one of our own on an ephemeral port.
  SocketAddr server;
  magpie::CancellationToken stop_server;
  auto server_counters = std::make_shared<examples::ServerCounters>();
  std::optional<magpie::JoinHandle<void>> in_process;
  if (address.empty()) {
    absl::StatusOr<magpie::net::TcpListener> listener =
        magpie::net::TcpListener::bind(SocketAddr::ipv4_loopback(0));
    if (!listener.ok()) {
      std::fprintf(stderr, "bind: %s\n", listener.status().ToString().c_str());
      co_return 1;
    }
    server = *listener->local_addr();
    in_process = magpie::spawn(examples::accept_loop(
        *std::move(listener), stop_server,
        examples::echo_handler(stop_server,
                               std::make_shared<examples::EchoStats>()),
        server_counters, options.connections));
  } else {
    absl::StatusOr<SocketAddr> parsed = SocketAddr::parse(address);
    if (!parsed.ok()) {
      std::fprintf(stderr, "--address: %s\n",
                   parsed.status().ToString().c_str());
      co_return 2;
    }
    const std::string ip = parsed->ip_string();
    if (ip.rfind("127.", 0) != 0 && ip != "::1") {
      std::fprintf(stderr, "--address must be a loopback address, not %s\n",
                   ip.c_str());
      co_return 2;
    }
    server = *parsed;
  }
  std::printf("echo_load: %zu connections x %zu messages x %zu bytes -> %s%s\n",
              options.connections, options.messages, options.size,
              server.to_string().c_str(),
              in_process ? " (in-process server)" : "");

  const Clock::time_point start = Clock::now();
  std::vector<magpie::JoinHandle<ConnectionResult>> clients;
  for (std::size_t id = 0; id < options.connections; ++id) {
    clients.push_back(magpie::spawn(run_connection(server, id, options)));
  }
  std::vector<std::int64_t> rtt_ns;
  rtt_ns.reserve(options.connections * options.messages);
  std::uint64_t errors = 0;
  for (auto& client : clients) {
    ConnectionResult result = co_await client;
    rtt_ns.insert(rtt_ns.end(), result.rtt_ns.begin(), result.rtt_ns.end());
    if (result.errors > 0 && errors == 0) {
      std::fprintf(stderr, "first error: %s\n", result.first_error.c_str());
    }
    errors += result.errors;
  }
  const double elapsed_s =
      std::chrono::duration<double>(Clock::now() - start).count();

  if (in_process) {
    stop_server.cancel();
    co_await *std::move(in_process);
    co_await examples::wait_for_connections(server_counters,
                                            std::chrono::seconds(5));
  }

  std::sort(rtt_ns.begin(), rtt_ns.end());
  std::printf(
      "requests: %zu  errors: %llu  elapsed: %.3f s  requests/s: %.0f\n",
      rtt_ns.size(), static_cast<unsigned long long>(errors), elapsed_s,
      rtt_ns.size() / elapsed_s);
  std::printf("rtt us: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
              percentile_us(rtt_ns, 0.50), percentile_us(rtt_ns, 0.99),
              percentile_us(rtt_ns, 0.999), percentile_us(rtt_ns, 1.0));
  co_return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int connections = absl::GetFlag(FLAGS_connections);
  const int messages = absl::GetFlag(FLAGS_messages);
  const int size = absl::GetFlag(FLAGS_size);
  const int workers = absl::GetFlag(FLAGS_workers);
  if (connections < 1 || messages < 1 || size < 1 || size > kMaxMessageBytes ||
      workers < 0) {
    std::fprintf(stderr,
                 "need --connections >= 1, --messages >= 1, "
                 "1 <= --size <= %d, --workers >= 0\n",
                 kMaxMessageBytes);
    return 2;
  }
  Options options;
  options.connections = static_cast<std::size_t>(connections);
  options.messages = static_cast<std::size_t>(messages);
  options.size = static_cast<std::size_t>(size);

  magpie::Runtime::Builder builder;
  builder.thread_name("load");
  if (workers > 0) builder.worker_threads(static_cast<std::size_t>(workers));
  magpie::Runtime rt = builder.build();
  return rt.block_on(run(absl::GetFlag(FLAGS_address), options));
}
