// examples/http_hello: the HTTP/1.1 request-head parser — framing (where
// the next request head starts and ends in the bytes received) and parsing
// (request line and the few headers this server cares about).
//
//   HeadFrame frame = find_head(pending);
//   pending.remove_prefix(frame.skip);              // stray empty lines
//   if (frame.length == 0) { read more; }
//   Parsed parsed = parse_head(frame.head);         // status 0: a request
//
// Leniency, per RFC 9112 (numbers are its sections):
//   §2.2  empty lines (CRLF or LF) before a request line are ignored, also
//         between pipelined requests; a bare LF ends a line like CRLF does,
//         and the CR before it is ignored; a bare CR elsewhere is 400.
//   §2.2  whitespace between the request line and the first header, and
//   §5.2  obsolete line folding (a header line starting with SP or HTAB),
//         are rejected with 400.
//   §5.1  no whitespace between a field name and its colon (400).
//   §3.2  an HTTP/1.1 request carries exactly one Host header (400).
//   §6.3  Content-Length is digits only (no sign, no list): anything else
//         is 400; a non-zero length or any Transfer-Encoding is 413, since
//         this server reads no bodies.
//   RFC 9110 §5.5: a NUL or other control character (but HTAB) in a field
//         line, or in the request line, is 400.
// What it leaves out: bodies, chunked encoding, absolute-form targets.
//
// Pure functions over views into the caller's buffer; any thread.

#ifndef MAGPIE_EXAMPLES_HTTP_HELLO_HTTP_PARSER_H_
#define MAGPIE_EXAMPLES_HTTP_HELLO_HTTP_PARSER_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace examples::http {

// Where the next request head lies in `pending` (received, not yet parsed).
struct HeadFrame {
  // Leading empty lines to discard (counted even when no head is complete,
  // so a stream of empty lines never fills the buffer).
  std::size_t skip = 0;
  // Bytes of the head after `skip`, through its final empty line; 0 when
  // the head is not complete yet.
  std::size_t length = 0;
  // The request line and header lines, without the final empty line (the
  // last line keeps its CR, if any; parse_head() strips it).
  absl::string_view head;
};

HeadFrame find_head(absl::string_view pending);

// One parsed request head. The views point into the parsed text.
struct Request {
  absl::string_view method;
  absl::string_view target;
  bool keep_alive = false;
};

// What the parser concluded: a request to answer, or an error status.
struct Parsed {
  int status = 0;  // 0: a valid request in `request`; else 400, 413, 505
  Request request;
};

Parsed reject(int status);

// Parses a head as find_head() frames it.
Parsed parse_head(absl::string_view head);

}  // namespace examples::http

#endif  // MAGPIE_EXAMPLES_HTTP_HELLO_HTTP_PARSER_H_
