// examples::echo — the echo protocol: every byte a client sends comes back
// unchanged. Used by the echo_server binary and, in-process, by
// //bench:echo_load when it runs its own server.
//
//   auto stats = std::make_shared<examples::EchoStats>();
//   co_await examples::accept_loop(std::move(listener), shutdown,
//                                  examples::echo_handler(shutdown, stats),
//                                  counters, max_connections);
//
// Shutdown: a connection waiting for data closes as soon as the token is
// cancelled; a chunk that was already read is still written back in full
// first (an in-flight echo finishes), then the connection closes.
//
// Threads: the handler's tasks run on any worker; EchoStats is atomics.

#ifndef MAGPIE_EXAMPLES_ECHO_SERVER_ECHO_H_
#define MAGPIE_EXAMPLES_ECHO_SERVER_ECHO_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "examples/common/server.h"
#include "reactor/magpie_reactor.h"
#include "runtime/magpie.h"

namespace examples {

struct EchoStats {
  std::atomic<std::uint64_t> bytes_echoed{0};  // statistics: relaxed
};

// Serves one connection until the peer closes, an error, or shutdown.
magpie::Task<void> echo_connection(magpie::net::TcpStream stream,
                                   magpie::CancellationToken shutdown,
                                   std::shared_ptr<EchoStats> stats);

// echo_connection as a ConnectionHandler for accept_loop().
ConnectionHandler echo_handler(magpie::CancellationToken shutdown,
                               std::shared_ptr<EchoStats> stats);

}  // namespace examples

#endif  // MAGPIE_EXAMPLES_ECHO_SERVER_ECHO_H_
