#include "reactor/sys/error.h"

#include <charconv>
#include <string>

#include "absl/strings/cord.h"

namespace magpie::reactor::sys {
namespace {

// The payload type URL under which errno_status() keeps the errno.
constexpr std::string_view kErrnoPayloadUrl = "magpie.dev/reactor/errno";

}  // namespace

absl::Status errno_status(int error, std::string_view what) {
  absl::Status status = absl::ErrnoToStatus(error, std::string(what));
  status.SetPayload(std::string(kErrnoPayloadUrl),
                    absl::Cord(std::to_string(error)));
  return status;
}

int error_number(const absl::Status& status) {
  auto payload = status.GetPayload(std::string(kErrnoPayloadUrl));
  if (!payload.has_value()) return 0;
  std::string text(*payload);
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace magpie::reactor::sys
