#include "examples/common/server_main.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "examples/common/shutdown_signal.h"

ABSL_FLAG(int, port, 7878, "TCP port to listen on; 0 lets the kernel pick one");
ABSL_FLAG(std::string, address, "127.0.0.1",
          "IP address to listen on (e.g. 0.0.0.0, ::1)");
ABSL_FLAG(int, workers, 0, "worker threads; 0 means one per core");
ABSL_FLAG(int, max_connections, 10000,
          "open connections at most; more are accepted and closed at once");

namespace examples {
namespace {

struct Options {
  std::string address;
  std::uint16_t port = 0;
  std::size_t max_connections = 0;
};

// The whole server, from bind to summary; returns the exit status.
magpie::Task<int> serve(Options options, magpie::CancellationToken shutdown,
                        ServerSpec spec) {
  // Before "listening on": a SIGTERM sent right after it must be seen.
  if (absl::Status s = watch_shutdown_signals(shutdown); !s.ok()) {
    std::fprintf(stderr, "cannot watch signals: %s\n", s.ToString().c_str());
    co_return 1;
  }
  absl::StatusOr<magpie::net::TcpListener> listener =
      bind_and_announce(options.address, options.port);
  if (!listener.ok()) {
    std::fprintf(stderr, "cannot listen on %s port %u: %s\n",
                 options.address.c_str(), unsigned{options.port},
                 listener.status().ToString().c_str());
    co_return 1;
  }
  auto counters = std::make_shared<ServerCounters>();
  // Returns once `shutdown` is cancelled; the listener closes with it.
  co_await accept_loop(*std::move(listener), shutdown,
                       spec.make_handler(shutdown), counters,
                       options.max_connections);
  if (!co_await wait_for_connections(counters, kShutdownGrace)) {
    std::fprintf(stderr, "%llu connections still open after %llds; closing\n",
                 static_cast<unsigned long long>(
                     counters->active.load(std::memory_order_acquire)),
                 static_cast<long long>(kShutdownGrace.count()));
  }
  std::printf("served %llu connections (%llu rejected), %s\n",
              static_cast<unsigned long long>(
                  counters->accepted.load(std::memory_order_relaxed)),
              static_cast<unsigned long long>(
                  counters->rejected.load(std::memory_order_relaxed)),
              spec.summary().c_str());
  std::fflush(stdout);
  co_return 0;
}

}  // namespace

int run_server(int argc, char** argv, ServerSpec spec) {
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

  // SIGINT / SIGTERM cancel it (watch_shutdown_signals, in serve()).
  magpie::CancellationToken shutdown;

  magpie::Runtime::Builder builder;
  builder.thread_name(spec.thread_name);
  if (workers > 0) builder.worker_threads(static_cast<std::size_t>(workers));
  // No signal masks: any thread may take SIGINT/SIGTERM (shutdown_signal.h).
  magpie::Runtime rt = builder.build();

  Options options;
  options.address = absl::GetFlag(FLAGS_address);
  options.port = static_cast<std::uint16_t>(port);
  options.max_connections = static_cast<std::size_t>(max_connections);
  // This thread runs the accept loop; connections run on the workers.
  return rt.block_on(serve(std::move(options), shutdown, std::move(spec)));
}

}  // namespace examples
