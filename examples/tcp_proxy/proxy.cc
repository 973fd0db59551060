#include "examples/tcp_proxy/proxy.h"

#include <cstdio>
#include <optional>
#include <utility>

namespace examples {
namespace {

// Polls a future that lives elsewhere, so select() can race it without
// taking it over (the loser of a select is dropped; this one must not be).
template <magpie::Future F>
class ByRef {
 public:
  using Output = magpie::FutureOutput<F>;
  explicit ByRef(F& future) : future_(&future) {}
  magpie::Poll<Output> poll(magpie::Context& cx) { return future_->poll(cx); }

 private:
  F* future_;
};

}  // namespace

magpie::Task<void> proxy_connection(magpie::net::TcpStream client,
                                    ProxyConfig config,
                                    magpie::CancellationToken shutdown,
                                    std::shared_ptr<ProxyStats> stats) {
  auto connect = magpie::net::TcpStream::connect(config.upstream);
  auto connecting = magpie::select(std::move(connect), shutdown.cancelled());
  auto connected = co_await connecting;
  if (connected.index() == 1) co_return;  // Shutting down.
  absl::StatusOr<magpie::net::TcpStream> upstream =
      std::get<0>(std::move(connected));
  if (!upstream.ok()) {
    stats->upstream_failures.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "upstream %s: %s\n", config.upstream.c_str(),
                 upstream.status().ToString().c_str());
    co_return;
  }
  (void)client.set_nodelay(true);
  (void)upstream->set_nodelay(true);

  auto both = magpie::io::copy_bidirectional(client, *upstream);
  using Both = decltype(both);
  auto running = magpie::select(ByRef<Both>(both), shutdown.cancelled());
  auto first = co_await running;
  std::optional<typename Both::Output> done;
  if (first.index() == 0) {
    done = std::get<0>(std::move(first));
  } else {
    // Graceful: let the transfer finish, within the drain period.
    auto draining =
        magpie::select(ByRef<Both>(both), magpie::sleep(config.drain));
    auto drained = co_await draining;
    if (drained.index() == 0) {
      done = std::get<0>(std::move(drained));
    } else {
      stats->cut_at_shutdown.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (done.has_value()) {
    if (done->ok()) {
      stats->bytes_up.fetch_add((*done)->first, std::memory_order_relaxed);
      stats->bytes_down.fetch_add((*done)->second, std::memory_order_relaxed);
    } else {
      stats->copy_errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
  // Both sockets close here.
}

ConnectionHandler proxy_handler(ProxyConfig config,
                                magpie::CancellationToken shutdown,
                                std::shared_ptr<ProxyStats> stats) {
  return [config = std::move(config), shutdown = std::move(shutdown),
          stats = std::move(stats)](magpie::net::TcpStream stream) {
    return proxy_connection(std::move(stream), config, shutdown, stats);
  };
}

}  // namespace examples
