// examples: bind_and_announce, accept_loop and wait_for_connections.

#include "examples/common/server.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace examples {
namespace {

using magpie::net::SocketAddr;
using magpie::net::TcpListener;
using magpie::net::TcpStream;
using namespace std::chrono_literals;

// Backoff after running out of file descriptors: long enough for some
// connections to close, short enough that a recovered server resumes fast.
constexpr std::chrono::milliseconds kFirstBackoff = 10ms;
constexpr std::chrono::milliseconds kMaxBackoff = 1s;
// How often wait_for_connections() looks at the count.
constexpr std::chrono::milliseconds kDrainPollInterval = 10ms;

// Runs one connection and keeps `active` honest whatever happens to it.
magpie::Task<void> run_counted(magpie::Task<void> connection,
                               std::shared_ptr<ServerCounters> counters) {
  try {
    co_await std::move(connection);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "connection failed: %s\n", e.what());
  }
  // ORDERING: release pairs with the acquire load in wait_for_connections():
  // everything this connection did happens before the server sees it gone.
  counters->active.fetch_sub(1, std::memory_order_release);
}

}  // namespace

absl::StatusOr<TcpListener> bind_and_announce(const std::string& address,
                                              std::uint16_t port) {
  const bool bare_ipv6 =
      address.find(':') != std::string::npos && address.front() != '[';
  const std::string text = bare_ipv6 ? absl::StrCat("[", address, "]:", port)
                                     : absl::StrCat(address, ":", port);
  absl::StatusOr<SocketAddr> addr = SocketAddr::parse(text);
  if (!addr.ok()) return addr.status();
  absl::StatusOr<TcpListener> listener = TcpListener::bind(*addr);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<SocketAddr> bound = listener->local_addr();
  if (!bound.ok()) return bound.status();
  std::printf("listening on %s\n", bound->to_string().c_str());
  std::fflush(stdout);
  return listener;
}

magpie::Task<void> accept_loop(TcpListener listener,
                               magpie::CancellationToken shutdown,
                               ConnectionHandler handler,
                               std::shared_ptr<ServerCounters> counters,
                               std::size_t max_connections) {
  std::chrono::milliseconds backoff = kFirstBackoff;
  std::uint64_t failed_in_burst = 0;  // EMFILE/ENFILE since the last accept
  // select() polls accept first, so on a busy listener accept could keep
  // winning: check the token on every turn too.
  while (!shutdown.is_cancelled()) {
    auto next =
        co_await magpie::select(listener.accept(), shutdown.cancelled());
    if (next.index() == 1) break;  // Shutdown: stop accepting.
    absl::StatusOr<TcpListener::Accepted> accepted =
        std::get<0>(std::move(next));

    if (!accepted.ok()) {
      // Out of descriptors or kernel memory lasts until connections close,
      // so the loop backs off. Any other error (kConnectionAborted: the
      // client gave up before we accepted, ...) concerns one connection
      // only: skip it.
      if (!magpie::net::is_resource_exhaustion(accepted.status())) {
        std::fprintf(stderr, "accept: %s\n",
                     accepted.status().ToString().c_str());
        continue;
      }
      // Out of descriptors (or kernel memory): retrying at once would spin,
      // since the pending connection keeps the listener readable. Log the
      // first failure of a burst only.
      if (failed_in_burst++ == 0) {
        std::fprintf(stderr, "accept: %s; backing off\n",
                     accepted.status().ToString().c_str());
      }
      co_await magpie::select(magpie::sleep(backoff), shutdown.cancelled());
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    if (failed_in_burst > 0) {
      std::fprintf(stderr, "accept: recovered after %llu failed attempts\n",
                   static_cast<unsigned long long>(failed_in_burst));
      failed_in_burst = 0;
      backoff = kFirstBackoff;
    }

    TcpStream stream = std::move(accepted->first);
    // Only this loop increments `active`, so the check cannot overshoot.
    if (counters->active.load(std::memory_order_relaxed) >= max_connections) {
      counters->rejected.fetch_add(1, std::memory_order_relaxed);
      continue;  // `stream` closes here.
    }
    counters->active.fetch_add(1, std::memory_order_relaxed);
    counters->accepted.fetch_add(1, std::memory_order_relaxed);
    // Detached: the task reports its end through `active`.
    magpie::spawn(run_counted(handler(std::move(stream)), counters));
  }
}

magpie::Task<bool> wait_for_connections(
    std::shared_ptr<ServerCounters> counters, std::chrono::milliseconds grace) {
  // Saturating: a grace of milliseconds::max() waits without limit.
  const auto deadline = magpie::deadline_after(grace);
  // ORDERING: acquire pairs with the release decrement in run_counted().
  while (counters->active.load(std::memory_order_acquire) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await magpie::sleep(kDrainPollInterval);
  }
  co_return true;
}

}  // namespace examples
