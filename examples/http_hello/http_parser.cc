#include "examples/http_hello/http_parser.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace examples::http {
namespace {

// A line's text without its terminator: LF, or CRLF (RFC 9112 §2.2).
absl::string_view strip_cr(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Control characters (RFC 9110 §5.5: CR, LF and NUL are invalid in a field
// value; we refuse every control but HTAB, and DEL, in any line).
bool has_control(absl::string_view line) {
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

// RFC 9110 §5.6.2 token characters (a method is a token).
bool is_token(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) continue;
    if (absl::string_view("!#$%&'*+-.^_`|~").find(c) ==
        absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Content-Length = 1*DIGIT (RFC 9112 §6.3: no sign, no list). Sets
// *nonzero; false when malformed.
bool parse_content_length(absl::string_view value, bool* nonzero) {
  if (value.empty()) return false;
  *nonzero = false;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    *nonzero |= c != '0';
  }
  return true;
}

}  // namespace

HeadFrame find_head(absl::string_view pending) {
  HeadFrame frame;
  // Empty lines before the request line (RFC 9112 §2.2).
  while (true) {
    if (absl::StartsWith(pending, "\n")) {
      pending.remove_prefix(1);
      frame.skip += 1;
    } else if (absl::StartsWith(pending, "\r\n")) {
      pending.remove_prefix(2);
      frame.skip += 2;
    } else {
      break;
    }
  }
  // The head ends at the first empty line: LF then LF, or LF then CRLF.
  for (std::size_t lf = pending.find('\n'); lf != absl::string_view::npos;
       lf = pending.find('\n', lf + 1)) {
    std::size_t end = 0;
    if (lf + 1 < pending.size() && pending[lf + 1] == '\n') {
      end = lf + 2;
    } else if (lf + 2 < pending.size() && pending[lf + 1] == '\r' &&
               pending[lf + 2] == '\n') {
      end = lf + 3;
    } else {
      continue;
    }
    frame.length = end;
    // The last line keeps its CR: parse_head strips exactly one per line,
    // so "a\r\r\n" stays a bare CR there.
    frame.head = pending.substr(0, lf);
    return frame;
  }
  return frame;
}

Parsed reject(int status) {
  Parsed parsed;
  parsed.status = status;
  return parsed;
}

Parsed parse_head(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  for (absl::string_view& line : lines) {
    line = strip_cr(line);
    // A bare CR, a NUL, or another control character: invalid.
    if (has_control(line)) return reject(400);
  }
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || !is_token(parts[0]) || parts[1].empty())
    return reject(400);
  Parsed out;
  out.request.method = parts[0];
  out.request.target = parts[1];
  bool http11 = false;
  if (parts[2] == "HTTP/1.1") {
    http11 = true;
  } else if (parts[2] != "HTTP/1.0") {
    return reject(absl::StartsWith(parts[2], "HTTP/") ? 505 : 400);
  }

  bool saw_close = false, saw_keep_alive = false;
  int hosts = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    const std::size_t colon = line.find(':');
    // No name, whitespace before the colon, or an obsolete folded line (or
    // whitespace between the request line and the first header).
    if (colon == absl::string_view::npos || colon == 0 ||
        absl::ascii_isspace(static_cast<unsigned char>(line[colon - 1])) ||
        absl::ascii_isspace(static_cast<unsigned char>(line[0]))) {
      return reject(400);
    }
    const absl::string_view name = line.substr(0, colon);
    if (!is_token(name)) return reject(400);
    const absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "Host")) {
      ++hosts;
    } else if (absl::EqualsIgnoreCase(name, "Connection")) {
      for (absl::string_view option : absl::StrSplit(value, ',')) {
        option = absl::StripAsciiWhitespace(option);
        saw_close |= absl::EqualsIgnoreCase(option, "close");
        saw_keep_alive |= absl::EqualsIgnoreCase(option, "keep-alive");
      }
    } else if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      bool nonzero = false;
      if (!parse_content_length(value, &nonzero)) return reject(400);
      if (nonzero) return reject(413);
    } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return reject(413);
    }
  }
  if (http11 && hosts != 1) return reject(400);  // RFC 9112 §3.2: exactly one
  // HTTP/1.1 keeps the connection unless told; HTTP/1.0 closes unless told.
  out.request.keep_alive = http11 ? !saw_close : saw_keep_alive && !saw_close;
  return out;
}

}  // namespace examples::http
