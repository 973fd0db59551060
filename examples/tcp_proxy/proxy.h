// examples::proxy — one TCP proxy connection: connect to the upstream by
// name, then copy bytes both ways with magpie::io::copy_bidirectional until
// both directions have ended (each side's half-close is passed on to the
// other).
//
//   examples::ProxyConfig config{.upstream = "localhost:8080"};
//   auto stats = std::make_shared<examples::ProxyStats>();
//   co_await examples::accept_loop(std::move(listener), shutdown,
//                                  examples::proxy_handler(config, shutdown,
//                                                          stats),
//                                  counters, max_connections);
//
// Shutdown is graceful: once the token fires, a connection still being
// set up is abandoned, and an established one gets `config.drain` to finish
// what it is copying; after that it is closed (both sockets), so shutdown
// is bounded. Upstream errors (refused, unknown host) close the client's
// connection and are counted; they never stop the proxy.
//
// Threads: the handler's tasks run on any worker; ProxyStats are relaxed
// atomic counters readable from any thread.

#ifndef MAGPIE_EXAMPLES_TCP_PROXY_PROXY_H_
#define MAGPIE_EXAMPLES_TCP_PROXY_PROXY_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "examples/common/server.h"
#include "reactor/magpie_reactor.h"
#include "runtime/magpie.h"

namespace examples {

struct ProxyConfig {
  std::string upstream;  // "host:port", looked up per connection.
  std::chrono::milliseconds drain{2000};
};

struct ProxyStats {                          // statistics: relaxed
  std::atomic<std::uint64_t> bytes_up{0};    // client -> upstream
  std::atomic<std::uint64_t> bytes_down{0};  // upstream -> client
  std::atomic<std::uint64_t> upstream_failures{0};
  std::atomic<std::uint64_t> copy_errors{0};  // resets and the like
  std::atomic<std::uint64_t> cut_at_shutdown{0};
};

magpie::Task<void> proxy_connection(magpie::net::TcpStream client,
                                    ProxyConfig config,
                                    magpie::CancellationToken shutdown,
                                    std::shared_ptr<ProxyStats> stats);

ConnectionHandler proxy_handler(ProxyConfig config,
                                magpie::CancellationToken shutdown,
                                std::shared_ptr<ProxyStats> stats);

}  // namespace examples

#endif  // MAGPIE_EXAMPLES_TCP_PROXY_PROXY_H_
