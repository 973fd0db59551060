// examples::echo_connection: read a chunk, write it all back, repeat.

#include "examples/echo_server/echo.h"

#include <array>
#include <cstddef>
#include <cstdio>
#include <span>
#include <utility>

namespace examples {
namespace {

// A client that resets or leaves is routine; anything else is worth a line.
void report_unless_disconnect(const char* what, const absl::Status& status) {
  if (magpie::net::is_disconnect(status)) return;
  std::fprintf(stderr, "echo %s: %s\n", what, status.ToString().c_str());
}

}  // namespace

// Big enough that one read usually takes everything a client sent; it lives
// in the connection's coroutine frame (one heap allocation per connection).
constexpr std::size_t kEchoBufferBytes = 16 * 1024;

magpie::Task<void> echo_connection(magpie::net::TcpStream stream,
                                   magpie::CancellationToken shutdown,
                                   std::shared_ptr<EchoStats> stats) {
  // Small request/response exchanges: send each echo at once, don't let
  // Nagle's algorithm hold it back waiting for an ACK.
  (void)stream.set_nodelay(true);
  std::array<std::byte, kEchoBufferBytes> buffer;
  std::uint64_t echoed = 0;
  // The check covers a busy client: select() polls the read first, so a
  // read that is always ready would keep winning over shutdown.
  while (!shutdown.is_cancelled()) {
    // Wait for data or for shutdown, whichever comes first. If shutdown wins
    // the read is dropped unfinished, which loses nothing (select.h).
    auto next =
        co_await magpie::select(stream.read(buffer), shutdown.cancelled());
    if (next.index() == 1) break;  // Shutdown while idle: close.
    absl::StatusOr<std::size_t> n = std::get<0>(std::move(next));
    if (!n.ok()) {
      report_unless_disconnect("read", n.status());
      break;
    }
    if (*n == 0) break;  // The peer closed its side.

    // Not raced against shutdown: what was read is echoed in full.
    absl::Status written =
        co_await stream.write_all(std::span(buffer).first(*n));
    if (!written.ok()) {
      report_unless_disconnect("write", written);
      break;
    }
    echoed += *n;
  }
  stats->bytes_echoed.fetch_add(echoed, std::memory_order_relaxed);
}  // `stream` closes here.

ConnectionHandler echo_handler(magpie::CancellationToken shutdown,
                               std::shared_ptr<EchoStats> stats) {
  // Not a coroutine itself: it only creates the connection's Task, whose
  // frame holds copies of everything it needs (a coroutine lambda's captures
  // would dangle once the lambda is gone).
  return [shutdown = std::move(shutdown),
          stats = std::move(stats)](magpie::net::TcpStream stream) {
    return echo_connection(std::move(stream), shutdown, stats);
  };
}

}  // namespace examples
