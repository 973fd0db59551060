// echo_server — a TCP echo server on magpie: every connection is a spawned
// task that reads a chunk and writes it back, until the client closes.
//
//   bazel run --config=opt //examples/echo_server -- --port=7878
//   nc 127.0.0.1 7878                       # type; lines come back
//   bazel run --config=opt //bench:echo_load -- --address=127.0.0.1:7878
//
// Once bound it prints one line, `listening on <addr>`, to stdout (with
// --port=0 the kernel picks the port; scripts read it from that line).
// Diagnostics go to stderr.
//
// How it is put together (a template for your own server):
//  1. main() blocks SIGINT and SIGTERM before the Runtime starts its threads
//     (examples::ShutdownSignal); one plain thread sigwait()s for them and
//     cancels a magpie::CancellationToken.
//  2. rt.block_on(serve(...)) binds the listener and runs the accept loop
//     (examples/common/server.h): select(accept, cancelled), one spawned
//     task per connection, a cap on open connections, and a backoff when
//     the process runs out of file descriptors (EMFILE/ENFILE).
//  3. Each connection (examples/echo_server/echo.cc) waits with
//     select(read, cancelled): at shutdown idle connections close at once,
//     while a chunk already read is still echoed in full.
//  4. After the token fires: stop accepting, wait (at most kShutdownGrace)
//     for the open connections to finish, print a summary line, exit 0.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "examples/common/server.h"
#include "examples/common/shutdown_signal.h"
#include "examples/echo_server/echo.h"
#include "reactor/magpie_reactor.h"
#include "runtime/magpie.h"

ABSL_FLAG(int, port, 7878, "TCP port to listen on; 0 lets the kernel pick one");
ABSL_FLAG(std::string, address, "127.0.0.1",
          "IP address to listen on (e.g. 0.0.0.0, ::1)");
ABSL_FLAG(int, workers, 0, "worker threads; 0 means one per core");
ABSL_FLAG(int, max_connections, 10000,
          "open connections at most; more are accepted and closed at once");

namespace {

// How long shutdown waits for open connections to finish their echoes.
// Connections still open after that are dropped when the runtime stops.
constexpr std::chrono::seconds kShutdownGrace{10};

struct Options {
  std::string address;
  std::uint16_t port = 0;
  std::size_t max_connections = 0;
};

// The whole server, from bind to summary; returns the exit status.
magpie::Task<int> serve(Options options, magpie::CancellationToken shutdown) {
  absl::StatusOr<magpie::net::TcpListener> listener =
      examples::bind_and_announce(options.address, options.port);
  if (!listener.ok()) {
    std::fprintf(stderr, "cannot listen on %s port %u: %s\n",
                 options.address.c_str(), unsigned{options.port},
                 listener.status().ToString().c_str());
    co_return 1;
  }

  auto counters = std::make_shared<examples::ServerCounters>();
  auto stats = std::make_shared<examples::EchoStats>();
  // Returns once `shutdown` is cancelled; the listener closes with it.
  co_await examples::accept_loop(*std::move(listener), shutdown,
                                 examples::echo_handler(shutdown, stats),
                                 counters, options.max_connections);

  if (!co_await examples::wait_for_connections(counters, kShutdownGrace)) {
    std::fprintf(stderr, "%llu connections still open after %llds; closing\n",
                 static_cast<unsigned long long>(
                     counters->active.load(std::memory_order_acquire)),
                 static_cast<long long>(kShutdownGrace.count()));
  }
  std::printf("served %llu connections (%llu rejected), echoed %llu bytes\n",
              static_cast<unsigned long long>(
                  counters->accepted.load(std::memory_order_relaxed)),
              static_cast<unsigned long long>(
                  counters->rejected.load(std::memory_order_relaxed)),
              static_cast<unsigned long long>(
                  stats->bytes_echoed.load(std::memory_order_relaxed)));
  std::fflush(stdout);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int port = absl::GetFlag(FLAGS_port);
  const int workers = absl::GetFlag(FLAGS_workers);
  const int max_connections = absl::GetFlag(FLAGS_max_connections);
  if (port < 0 || port > 65535 || workers < 0 || max_connections < 1) {
    std::fprintf(stderr,
                 "need 0 <= --port <= 65535, --workers >= 0, "
                 "--max_connections >= 1\n");
    return 2;
  }

  // First, before any thread exists: every thread started later (the
  // runtime's workers, reactor and blocking threads) inherits the mask.
  magpie::CancellationToken shutdown;
  examples::ShutdownSignal signals(shutdown);

  magpie::Runtime::Builder builder;
  builder.thread_name("echo");
  if (workers > 0) builder.worker_threads(static_cast<std::size_t>(workers));
  magpie::Runtime rt = builder.build();

  Options options;
  options.address = absl::GetFlag(FLAGS_address);
  options.port = static_cast<std::uint16_t>(port);
  options.max_connections = static_cast<std::size_t>(max_connections);
  // This thread runs the accept loop; connections run on the workers.
  return rt.block_on(serve(std::move(options), shutdown));
}
