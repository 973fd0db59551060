// magpie_peer — magpie's process in the runtime comparison (run.py). Every
// peer (tokio/, go/, asio/, this) speaks the same command line:
//
//   PEER bench WORKLOAD WORKERS SAMPLES [SCALE]
//       one warm-up sample, then SAMPLES lines "sample <value>" (the
//       workload's unit, workloads.h); a runtime with WORKERS workers.
//   PEER build
//       how it was compiled: "build optimized=0|1 ndebug=0|1".
//   PEER echo WORKERS
//       an echo server on 127.0.0.1:0: prints "port <n>", serves until it
//       is killed, or exits by itself after kMaxServe (bounded runs).
//
// The echo server is written as a user writes it (README's minimal echo):
// read up to 4 KiB, write it all back, TCP_NODELAY on.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "bench/compare/workloads.h"
#include "runtime/magpie.h"

namespace {

constexpr std::chrono::seconds kMaxServe{900};

magpie::Task<void> echo(magpie::net::TcpStream stream) {
  (void)stream.set_nodelay(true);
  std::array<std::byte, 4096> buf;
  while (true) {
    auto n = co_await stream.read(buf);
    if (!n.ok() || *n == 0) co_return;
    if (!(co_await stream.write_all(std::span(buf.data(), *n))).ok()) co_return;
  }
}

magpie::Task<int> serve() {
  auto listener =
      magpie::net::TcpListener::bind(magpie::net::SocketAddr::ipv4_loopback(0));
  if (!listener.ok()) {
    std::fprintf(stderr, "bind: %s\n", listener.status().ToString().c_str());
    co_return 1;
  }
  std::printf("port %d\n", static_cast<int>(listener->local_addr()->port()));
  std::fflush(stdout);
  while (true) {
    auto accepted = co_await listener->accept();
    if (accepted.ok()) magpie::spawn(echo(std::move(accepted->first)));
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: magpie_peer bench WORKLOAD WORKERS SAMPLES [SCALE]\n"
               "       magpie_peer echo WORKERS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // How this binary was compiled; run.py refuses to measure a build with
  // asserts or without optimization.
  if (argc == 2 && std::string(argv[1]) == "build") {
#if defined(__OPTIMIZE__) && defined(NDEBUG)
    std::printf("build optimized=1 ndebug=1\n");
#elif defined(__OPTIMIZE__)
    std::printf("build optimized=1 ndebug=0\n");
#else
    std::printf("build optimized=0 ndebug=0\n");
#endif
    return 0;
  }
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  const int workers = std::atoi(argv[mode == "bench" ? 3 : 2]);
  if (workers < 1) return usage();
  magpie::Runtime::Builder builder;
  builder.worker_threads(workers);
  // Experiments only (bench/RESULTS.md, I/O hand-off): the park spin in ns.
  if (const char* spin = std::getenv("MAGPIE_PEER_PARK_SPIN_NS")) {
    builder.park_spin(std::chrono::nanoseconds(std::atoll(spin)));
  }
  // Experiments only: MAGPIE_PEER_RESCUE=0 turns the stalled-worker rescue
  // off (Builder::rescue_stalled_workers).
  if (const char* rescue = std::getenv("MAGPIE_PEER_RESCUE")) {
    builder.rescue_stalled_workers(std::string_view(rescue) != "0");
  }
  // Experiments only: MAGPIE_PEER_EVENT_INTERVAL=N polls the driver every N
  // ticks of a busy worker (Builder::event_interval; default 61, Tokio's).
  if (const char* ticks = std::getenv("MAGPIE_PEER_EVENT_INTERVAL")) {
    builder.event_interval(static_cast<std::uint32_t>(std::atoi(ticks)));
  }
  // The I/O driver: MAGPIE_IO_DRIVER=workers or =reactor (the Builder reads
  // it; default: the workers, IoDriver::kWorkers).
  magpie::Runtime rt = builder.build();
  if (mode == "echo") {
    std::thread([] {
      std::this_thread::sleep_for(kMaxServe);
      std::_Exit(0);
    }).detach();
    return rt.block_on(serve());
  }
  if (mode != "bench" || argc < 5) return usage();
  const std::string workload = argv[2];
  const int samples = std::atoi(argv[4]);
  const double scale = argc > 5 ? std::atof(argv[5]) : 1.0;
  if (samples < 1 || !(scale > 0)) return usage();
  for (int i = 0; i <= samples; ++i) {  // Sample 0 warms up.
    absl::StatusOr<double> value =
        magpie::bench::run_sample(rt, workload, scale);
    if (!value.ok()) {
      std::fprintf(stderr, "%s\n", value.status().ToString().c_str());
      return 2;
    }
    if (i > 0) std::printf("sample %.3f\n", *value);
  }
  return 0;
}
