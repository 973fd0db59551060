// examples — the serving skeleton the example servers share: bind and
// announce a listener, accept until shutdown with one task per connection,
// then wait for the connections to finish.
//
//   auto listener = examples::bind_and_announce("127.0.0.1", 7878);
//   auto counters = std::make_shared<examples::ServerCounters>();
//   co_await examples::accept_loop(*std::move(listener), shutdown, handler,
//                                  counters, /*max_connections=*/10000);
//   co_await examples::wait_for_connections(counters, std::chrono::seconds(10));
//
// The accept loop:
//  - stops accepting as soon as the shutdown token is cancelled (the
//    listener is closed when the loop returns, so new connects are refused);
//  - spawns handler(stream) as its own task per connection, so connections
//    run in parallel on every worker; counters->active counts them;
//  - over `max_connections` open connections, accepts and closes at once
//    (the client sees EOF instead of waiting in the kernel's backlog);
//  - when accept fails with EMFILE/ENFILE (out of file descriptors; also
//    ENOBUFS/ENOMEM), logs once per burst, sleeps 10 ms doubling up to 1 s,
//    and retries: the listener stays usable and the pending connection
//    stays queued. Other accept errors (a connection reset before it was
//    accepted, ...) are logged and skipped.
//
// A handler returns a Task that serves one connection and ends when it is
// done with it; it should watch the same shutdown token so that idle
// connections close at shutdown. An exception escaping it is logged.
//
// Threads: the functions return Tasks to run on a magpie::Runtime (inside
// rt.block_on or a spawned task). The counters are atomics, readable from
// any thread; they are statistics only (relaxed) except `active`.

#ifndef MAGPIE_EXAMPLES_COMMON_SERVER_H_
#define MAGPIE_EXAMPLES_COMMON_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "reactor/magpie_reactor.h"
#include "runtime/magpie.h"

namespace examples {

struct ServerCounters {
  std::atomic<std::uint64_t> accepted{0};  // handed to the handler
  std::atomic<std::uint64_t> rejected{0};  // closed at once: over the cap
  // Handlers still running. Incremented by the accept loop before the spawn,
  // decremented (release) as the very last thing a connection task does;
  // wait_for_connections() reads it with acquire.
  std::atomic<std::uint64_t> active{0};
};

using ConnectionHandler =
    std::function<magpie::Task<void>(magpie::net::TcpStream)>;

// Binds `address`:`port` (port 0: the kernel picks one; IPv6 addresses
// with or without brackets) and prints "listening on <addr>" to stdout,
// flushed, so scripts can read the real port. Needs a current reactor.
absl::StatusOr<magpie::net::TcpListener> bind_and_announce(
    const std::string& address, std::uint16_t port);

// Accepts until `shutdown` is cancelled (see the header comment).
magpie::Task<void> accept_loop(magpie::net::TcpListener listener,
                               magpie::CancellationToken shutdown,
                               ConnectionHandler handler,
                               std::shared_ptr<ServerCounters> counters,
                               std::size_t max_connections);

// Waits until no connection task is running, or `grace` has passed. True if
// they all finished; the runtime drops whatever is left when it shuts down.
magpie::Task<bool> wait_for_connections(
    std::shared_ptr<ServerCounters> counters, std::chrono::milliseconds grace);

}  // namespace examples

#endif  // MAGPIE_EXAMPLES_COMMON_SERVER_H_
