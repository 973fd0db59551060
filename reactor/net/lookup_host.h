// magpie::net::lookup_host — name lookup: "localhost:8080" (or a host and a
// port) to the socket addresses it names, without blocking a worker or the
// reactor thread.
//
//   absl::StatusOr<std::vector<SocketAddr>> addrs =
//       co_await net::lookup_host("localhost:8080");
//
// Accepted forms: "host:port", "[v6 literal]:port", and any numeric address
// SocketAddr::parse takes (answered at once, no lookup). The port must be
// numeric (0..65535). Errors:
//   InvalidArgument  malformed text (no port, bad port, empty host, a NUL)
//   NotFound         the name does not exist (EAI_NONAME / EAI_NODATA), the
//                    message names the host: `lookup_host("nope.invalid")`
//   Unavailable      a temporary failure (EAI_AGAIN): try again later
//   other            the resolver's own error, with gai_strerror's text
// Addresses come in getaddrinfo's order (RFC 6724 preference), one per
// address (SOCK_STREAM hints, so no duplicates per protocol).
//
// Where the blocking call runs — and why here. getaddrinfo blocks, for
// seconds when DNS is slow. The scheduler's blocking pool would be the
// natural home, but the reactor may depend on runtime/core only (Bazel
// visibility enforces it: STYLE.md "Layout"), and TcpStream::connect(name)
// lives in the reactor. So lookups run on a small resolver pool of their
// own, private to this file: at most kMaxResolverThreads threads, started
// on demand, each leaving after kResolverIdle without work; further lookups
// queue. Name lookup is rare next to I/O, so a few threads suffice, and the
// pool costs nothing while unused. The pool is never destroyed (its
// threads are detached and may still sit in getaddrinfo at exit).
//
// The future: the first poll queues the lookup; every Pending poll stores
// this poll's waker in an AtomicWaker and re-checks the completion flag
// (DESIGN §1). A leaf: a coop unit is spent only when it answers Ready.
// Dropping the future abandons the lookup: a queued one is skipped, one
// under way finishes and its answer is dropped. Movable before its first
// poll only, like every future.
//
// Memory ordering: the resolver thread writes the result, then stores
// `done` with release; poll() loads it with acquire before reading the
// result. The AtomicWaker orders the wake against the registration.

#ifndef MAGPIE_REACTOR_NET_LOOKUP_HOST_H_
#define MAGPIE_REACTOR_NET_LOOKUP_HOST_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "reactor/net/socket_addr.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::net {

inline constexpr int kMaxResolverThreads = 4;
inline constexpr std::chrono::seconds kResolverIdle{10};

namespace internal {
struct LookupJob;
}  // namespace internal

class LookupHostFuture {
 public:
  using Output = absl::StatusOr<std::vector<SocketAddr>>;

  explicit LookupHostFuture(std::string_view host_port);
  LookupHostFuture(std::string_view host, std::uint16_t port);
  LookupHostFuture(LookupHostFuture&&) noexcept;
  LookupHostFuture& operator=(LookupHostFuture&&) noexcept;
  ~LookupHostFuture();

  Poll<Output> poll(Context& cx);

 private:
  // Set when the answer is known without a lookup (numeric or malformed).
  std::optional<Output> immediate_;
  std::string host_;
  std::uint16_t port_ = 0;
  std::shared_ptr<internal::LookupJob> job_;
};

inline LookupHostFuture lookup_host(std::string_view host_port) {
  return LookupHostFuture(host_port);
}
inline LookupHostFuture lookup_host(std::string_view host, std::uint16_t port) {
  return LookupHostFuture(host, port);
}

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_LOOKUP_HOST_H_
