#include "reactor/net/error_kind.h"

#include <cerrno>

#include "reactor/sys/error.h"

namespace magpie::net {

ErrorKind error_kind_of_errno(int error) {
  switch (error) {
    case 0:
      return ErrorKind::kOk;
    case ECONNRESET:
      return ErrorKind::kConnectionReset;
    case EPIPE:
      return ErrorKind::kBrokenPipe;
    case ECONNREFUSED:
      return ErrorKind::kConnectionRefused;
    case ECONNABORTED:
      return ErrorKind::kConnectionAborted;
    case ENOTCONN:
      return ErrorKind::kNotConnected;
    case EADDRINUSE:
      return ErrorKind::kAddrInUse;
    case EADDRNOTAVAIL:
      return ErrorKind::kAddrNotAvailable;
    case ETIMEDOUT:
      return ErrorKind::kTimedOut;
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      return ErrorKind::kWouldBlock;
    case EINTR:
      return ErrorKind::kInterrupted;
    case EMFILE:
    case ENFILE:
      return ErrorKind::kTooManyOpenFiles;
    case ENOMEM:
    case ENOBUFS:
      return ErrorKind::kOutOfMemory;
    case EHOSTUNREACH:
      return ErrorKind::kHostUnreachable;
    case ENETUNREACH:
    case ENETDOWN:
      return ErrorKind::kNetworkUnreachable;
    case EACCES:
    case EPERM:
      return ErrorKind::kPermissionDenied;
    case EINVAL:
      return ErrorKind::kInvalidInput;
    case ECANCELED:
      return ErrorKind::kCancelled;
    default:
      return ErrorKind::kOther;
  }
}

ErrorKind error_kind(const absl::Status& status) {
  if (status.ok()) return ErrorKind::kOk;
  const int error = reactor::sys::error_number(status);
  if (error != 0) return error_kind_of_errno(error);
  // No errno: one of the statuses magpie makes itself (see the header).
  switch (status.code()) {
    case absl::StatusCode::kCancelled:
      return ErrorKind::kCancelled;
    case absl::StatusCode::kDeadlineExceeded:
      return ErrorKind::kTimedOut;
    case absl::StatusCode::kOutOfRange:
      return ErrorKind::kUnexpectedEof;
    case absl::StatusCode::kInvalidArgument:
      return ErrorKind::kInvalidInput;
    default:
      return ErrorKind::kOther;
  }
}

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk:
      return "ok";
    case ErrorKind::kConnectionReset:
      return "connection reset";
    case ErrorKind::kBrokenPipe:
      return "broken pipe";
    case ErrorKind::kConnectionRefused:
      return "connection refused";
    case ErrorKind::kConnectionAborted:
      return "connection aborted";
    case ErrorKind::kNotConnected:
      return "not connected";
    case ErrorKind::kAddrInUse:
      return "address in use";
    case ErrorKind::kAddrNotAvailable:
      return "address not available";
    case ErrorKind::kTimedOut:
      return "timed out";
    case ErrorKind::kWouldBlock:
      return "would block";
    case ErrorKind::kInterrupted:
      return "interrupted";
    case ErrorKind::kTooManyOpenFiles:
      return "too many open files";
    case ErrorKind::kOutOfMemory:
      return "out of memory";
    case ErrorKind::kHostUnreachable:
      return "host unreachable";
    case ErrorKind::kNetworkUnreachable:
      return "network unreachable";
    case ErrorKind::kPermissionDenied:
      return "permission denied";
    case ErrorKind::kInvalidInput:
      return "invalid input";
    case ErrorKind::kUnexpectedEof:
      return "unexpected end of stream";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kOther:
      return "other";
  }
  return "other";
}

bool is_disconnect(const absl::Status& status) {
  switch (error_kind(status)) {
    case ErrorKind::kConnectionReset:
    case ErrorKind::kBrokenPipe:
    case ErrorKind::kConnectionAborted:
    case ErrorKind::kNotConnected:
    case ErrorKind::kUnexpectedEof:
      return true;
    default:
      return false;
  }
}

bool is_resource_exhaustion(const absl::Status& status) {
  const ErrorKind kind = error_kind(status);
  return kind == ErrorKind::kTooManyOpenFiles ||
         kind == ErrorKind::kOutOfMemory;
}

}  // namespace magpie::net
