// http_hello — a minimal HTTP/1.1 server on magpie: `GET /` answers
// "Hello, world!\n", any other path 404. Keep-alive and pipelining work, so
// load generators such as wrk can drive it:
//
//   bazel run --config=opt //examples/http_hello -- --port=8080
//   curl -v http://127.0.0.1:8080/
//   wrk -t2 -c64 -d5s http://127.0.0.1:8080/
//
// Same flags, `listening on <addr>` line and SIGINT/SIGTERM shutdown as
// echo_server (examples/common/server_main.h); the summary line counts
// connections and requests.
//
// One connection is one task with one fixed buffer holding the bytes read
// but not yet parsed:
//
//   [0, begin)      parsed and answered
//   [begin, end)    received, not yet a complete request head
//   [end, size)     free space for the next read
//
// Each round answers every complete request head in [begin, end) — a
// pipelining client may send several in one packet — appends the responses
// to one output string, and writes that with one write_all. A head split
// across reads simply waits in the buffer for its empty line. Framing and
// parsing, and how lenient they are (empty lines before a request, bare LF
// line ends), are in http_parser.h. Heads are at
// most kMaxHeadBytes (431 otherwise); requests with a body (Content-Length
// other than 0, or Transfer-Encoding) get 413 since this server reads none;
// malformed ones 400. Errors close the connection, as do `Connection: close`
// and HTTP/1.0 without `Connection: keep-alive`. What it leaves out: bodies,
// chunked encoding, the Date header, absolute-form targets.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "examples/common/server_main.h"
#include "examples/http_hello/http_parser.h"
#include "reactor/magpie_reactor.h"
#include "runtime/magpie.h"

namespace {

using namespace std::chrono_literals;
using examples::http::find_head;
using examples::http::HeadFrame;
using examples::http::parse_head;
using examples::http::Parsed;
using examples::http::reject;
using examples::http::Request;
using magpie::net::TcpStream;

constexpr absl::string_view kHello = "Hello, world!\n";
// Request line plus headers, including the blank line. Browsers and curl
// stay far below; 8 KiB is what many servers allow by default.
constexpr std::size_t kMaxHeadBytes = 8 * 1024;
// Twice the largest head: after moving a partial head to the front there is
// always room to read the rest of it.
constexpr std::size_t kBufferBytes = 2 * kMaxHeadBytes;
// A keep-alive connection that sends nothing for this long is closed.
constexpr std::chrono::seconds kIdleTimeout{60};
// After an error response: how long to read and discard what the client is
// still sending, so closing does not reset the connection (RST) and destroy
// the response before the client read it.
constexpr std::chrono::seconds kLingerTime{1};

absl::string_view reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Error";
}

// Appends a complete response to `out`. For HEAD, the headers describe the
// body that GET would send, but no body follows.
void append_response(std::string& out, int status, absl::string_view body,
                     bool keep_alive, bool head_only = false) {
  absl::StrAppend(
      &out, "HTTP/1.1 ", status, " ", reason(status),
      "\r\nContent-Type: text/plain\r\nContent-Length: ", body.size(), "\r\n");
  if (status == 405) out += "Allow: GET, HEAD\r\n";
  // Said explicitly either way: HTTP/1.0 clients need the keep-alive.
  out += keep_alive ? "Connection: keep-alive\r\n\r\n"
                    : "Connection: close\r\n\r\n";
  if (!head_only) out.append(body.data(), body.size());
}

// Answers one parsed request; returns whether the connection stays open.
bool respond(const Parsed& parsed, bool shutting_down, std::string& out) {
  if (parsed.status != 0) {
    append_response(out, parsed.status,
                    absl::StrCat(reason(parsed.status), "\n"), false);
    return false;
  }
  const Request& request = parsed.request;
  // At shutdown, answer what was asked but tell the client to go away.
  const bool keep_alive = request.keep_alive && !shutting_down;
  const absl::string_view path =
      request.target.substr(0, request.target.find('?'));
  const bool head = request.method == "HEAD";
  if (path != "/") {
    append_response(out, 404, "Not Found\n", keep_alive, head);
  } else if (request.method == "GET" || head) {
    append_response(out, 200, kHello, keep_alive, head);
  } else {
    append_response(out, 405, "Method Not Allowed\n", keep_alive);
  }
  return keep_alive;
}

struct HttpStats {
  std::atomic<std::uint64_t> requests{0};  // statistics: relaxed
};

// Half-closes, then reads and discards for at most kLingerTime (see there).
magpie::Task<void> linger_close(TcpStream& stream) {
  (void)stream.shutdown(magpie::net::Shutdown::kWrite);
  const auto deadline = magpie::deadline_after(kLingerTime);
  std::byte sink[4096];
  for (;;) {
    absl::StatusOr<std::size_t> n =
        co_await magpie::timeout_at(deadline, stream.read(sink));
    if (!n.ok() || *n == 0) co_return;
  }
}

// Serves one connection (see the header comment for the buffer layout).
magpie::Task<void> http_connection(TcpStream stream,
                                   magpie::CancellationToken shutdown,
                                   std::shared_ptr<HttpStats> stats) {
  (void)stream.set_nodelay(true);
  std::vector<char> buffer(kBufferBytes);
  std::size_t begin = 0, end = 0;
  std::string out;
  std::uint64_t requests = 0;
  bool keep_open = true;
  bool answered_error = false;

  while (keep_open) {
    // 1. Answer every complete request head already buffered.
    while (keep_open) {
      const HeadFrame frame =
          find_head(absl::string_view(buffer.data() + begin, end - begin));
      begin += frame.skip;  // empty lines before a request: ignored
      if (frame.length == 0) break;
      Parsed parsed =
          frame.length > kMaxHeadBytes ? reject(431) : parse_head(frame.head);
      keep_open = respond(parsed, shutdown.is_cancelled(), out);
      answered_error |= parsed.status != 0;
      begin += frame.length;
      ++requests;
    }
    // A partial head that can no longer fit.
    if (keep_open && end - begin >= kMaxHeadBytes) {
      append_response(out, 431, "Request Header Fields Too Large\n", false);
      keep_open = false;
      answered_error = true;
    }
    // 2. Send the answers in one write (pipelined responses go together).
    if (!out.empty()) {
      if (!(co_await stream.write_all(std::as_bytes(std::span(out)))).ok()) {
        break;
      }
      out.clear();
    }
    if (!keep_open || shutdown.is_cancelled()) break;

    // 3. Move the partial head to the front and read more, unless shutdown
    //    comes first or the client stays silent for kIdleTimeout.
    std::memmove(buffer.data(), buffer.data() + begin, end - begin);
    end -= begin;
    begin = 0;
    auto next = co_await magpie::select(
        magpie::timeout(kIdleTimeout, stream.read(std::as_writable_bytes(
                                          std::span(buffer).subspan(end)))),
        shutdown.cancelled());
    if (next.index() == 1) break;  // Shutdown while idle: just close.
    absl::StatusOr<std::size_t> n = std::get<0>(std::move(next));
    if (!n.ok() || *n == 0) break;  // Error, idle timeout, or peer closed.
    end += *n;
  }
  // After an error the client may still be sending the rest of its request.
  if (answered_error) co_await linger_close(stream);
  stats->requests.fetch_add(requests, std::memory_order_relaxed);
}

}  // namespace

int main(int argc, char** argv) {
  auto stats = std::make_shared<HttpStats>();
  return examples::run_server(
      argc, argv,
      {.thread_name = "http",
       // Not a coroutine: it only creates each connection's Task (the
       // captures are copied into the Task's frame as arguments).
       .make_handler = [stats](const magpie::CancellationToken& shutdown)
           -> examples::ConnectionHandler {
         return [shutdown, stats](magpie::net::TcpStream stream) {
           return http_connection(std::move(stream), shutdown, stats);
         };
       },
       .summary =
           [stats] {
             return absl::StrCat(
                 stats->requests.load(std::memory_order_relaxed), " requests");
           }});
}
