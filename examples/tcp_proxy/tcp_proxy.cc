// tcp_proxy — a TCP proxy on magpie: every client connection is forwarded
// to --upstream (a "host:port", looked up by name per connection) and bytes
// are copied both ways until both sides are done.
//
//   bazel run //examples/echo_server -- --port=7000 &
//   bazel run //examples/tcp_proxy -- --port=7878 --upstream=localhost:7000
//   nc 127.0.0.1 7878                        # lines come back via the proxy
//
// Prints `listening on <addr>` once bound (with --port=0, read the port
// from it). SIGINT/SIGTERM: stop accepting, give open connections
// --drain_ms to finish, then print "served N connections (R rejected),
// proxied U bytes up, D bytes down, F upstream failures" and exit 0.
//
// How it is put together: examples::run_server (flags, signals through
// magpie::signal, runtime, accept loop, drain) with
// examples::proxy_handler (examples/tcp_proxy/proxy.h): TcpStream::connect
// by name, then magpie::io::copy_bidirectional, which passes each side's
// half-close on to the other.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "examples/common/server_main.h"
#include "examples/tcp_proxy/proxy.h"

ABSL_FLAG(std::string, upstream, "localhost:7000",
          "where to forward connections: host:port (a name is looked up)");
ABSL_FLAG(int, drain_ms, 2000,
          "at shutdown, how long open connections may keep copying");

int main(int argc, char** argv) {
  auto stats = std::make_shared<examples::ProxyStats>();
  return examples::run_server(
      argc, argv,
      {.thread_name = "proxy",
       .make_handler =
           [stats](const magpie::CancellationToken& shutdown) {
             examples::ProxyConfig config;
             config.upstream = absl::GetFlag(FLAGS_upstream);
             config.drain = std::chrono::milliseconds(
                 std::max(0, absl::GetFlag(FLAGS_drain_ms)));
             return examples::proxy_handler(config, shutdown, stats);
           },
       .summary =
           [stats] {
             return absl::StrCat(
                 "proxied ", stats->bytes_up.load(std::memory_order_relaxed),
                 " bytes up, ",
                 stats->bytes_down.load(std::memory_order_relaxed),
                 " bytes down, ",
                 stats->upstream_failures.load(std::memory_order_relaxed),
                 " upstream failures");
           }});
}
