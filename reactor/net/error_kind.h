// magpie::net::ErrorKind — what kind of I/O failure a status from the net
// types (or timeout()) reports, so a caller can tell "the peer went away"
// from a real error without reading errno.
//
//   absl::StatusOr<std::size_t> n = co_await stream.read(buf);
//   if (!n.ok()) {
//     if (net::is_disconnect(n.status())) co_return;  // peer reset or left
//     LOG(ERROR) << n.status();
//   }
//   switch (net::error_kind(status)) { case net::ErrorKind::kAddrInUse: ... }
//
// The model is Rust's std::io::ErrorKind. Classification reads the errno
// the reactor attaches to every syscall failure (reactor/sys/error.h keeps
// that payload; this is the public way to ask about it). A status without
// an errno is classified by its code: the ones magpie itself makes are
// Cancelled (the reactor shut down), DeadlineExceeded (timeout()),
// OutOfRange (read_exact() hit the end of stream) and InvalidArgument (a bad
// address or name). Every errno and code not listed below is kOther: new
// kinds may be added, so a switch should keep a default.
//
// Threads: pure functions of their argument; call from anywhere.

#ifndef MAGPIE_REACTOR_NET_ERROR_KIND_H_
#define MAGPIE_REACTOR_NET_ERROR_KIND_H_

#include <string_view>

#include "absl/status/status.h"

namespace magpie::net {

enum class ErrorKind {
  kOk,                  // the status is OK: no error
  kConnectionReset,     // ECONNRESET: the peer reset the connection
  kBrokenPipe,          // EPIPE: wrote to a connection the peer closed
  kConnectionRefused,   // ECONNREFUSED: nobody listens there
  kConnectionAborted,   // ECONNABORTED: aborted before accept() took it
  kNotConnected,        // ENOTCONN
  kAddrInUse,           // EADDRINUSE: bind() to a taken port
  kAddrNotAvailable,    // EADDRNOTAVAIL: no such local address
  kTimedOut,            // ETIMEDOUT, or timeout() expired (DeadlineExceeded)
  kWouldBlock,          // EAGAIN / EWOULDBLOCK
  kInterrupted,         // EINTR
  kTooManyOpenFiles,    // EMFILE / ENFILE: back off, then retry
  kOutOfMemory,         // ENOMEM / ENOBUFS: kernel memory ran out
  kHostUnreachable,     // EHOSTUNREACH
  kNetworkUnreachable,  // ENETUNREACH / ENETDOWN
  kPermissionDenied,    // EACCES / EPERM
  kInvalidInput,        // EINVAL, or a bad argument (InvalidArgument)
  kUnexpectedEof,       // the stream ended early (read_exact: OutOfRange)
  kCancelled,           // ECANCELED, or the reactor shut down (Cancelled)
  kOther,               // anything else
};

// The kind of `status`; kOk for an OK status.
ErrorKind error_kind(const absl::Status& status);

// The kind of a raw errno value (0 is kOk).
ErrorKind error_kind_of_errno(int error);

// "connection reset", "broken pipe", ... (for logs).
std::string_view error_kind_name(ErrorKind kind);

inline bool is_connection_reset(const absl::Status& status) {
  return error_kind(status) == ErrorKind::kConnectionReset;
}
inline bool is_broken_pipe(const absl::Status& status) {
  return error_kind(status) == ErrorKind::kBrokenPipe;
}
inline bool is_connection_refused(const absl::Status& status) {
  return error_kind(status) == ErrorKind::kConnectionRefused;
}
inline bool is_timed_out(const absl::Status& status) {
  return error_kind(status) == ErrorKind::kTimedOut;
}

// The peer is gone: reset, broken pipe, aborted, not connected, or an early
// end of stream. What a server usually treats as "client left", not as a
// failure worth logging.
bool is_disconnect(const absl::Status& status);

// Out of descriptors or kernel memory: an accept loop backs off on these
// instead of retrying at once (DESIGN.md §4).
bool is_resource_exhaustion(const absl::Status& status);

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_ERROR_KIND_H_
