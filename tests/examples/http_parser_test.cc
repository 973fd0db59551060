// Tests for the http_hello request parser (examples/http_hello/http_parser.h):
// framing (empty lines, CRLF and bare LF, partial heads) and parsing (each
// RFC 9112 / 9110 rule the header lists).

#include "examples/http_hello/http_parser.h"

#include <string>

#include "gtest/gtest.h"

namespace examples::http {
namespace {

using namespace std::string_literals;

// Frames then parses one head; -1 when no head is complete.
int status_of(absl::string_view text) {
  const HeadFrame frame = find_head(text);
  if (frame.length == 0) return -1;
  return parse_head(frame.head).status;
}

TEST(HttpParserTest, FramesACrlfHead) {
  const std::string text = "GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
  const HeadFrame frame = find_head(text);
  EXPECT_EQ(frame.skip, 0u);
  EXPECT_EQ(frame.length, text.size() - 4);
  EXPECT_EQ(frame.head, "GET / HTTP/1.1\r\nHost: a\r");
  const Parsed parsed = parse_head(frame.head);
  EXPECT_EQ(parsed.status, 0);
  EXPECT_EQ(parsed.request.method, "GET");
  EXPECT_EQ(parsed.request.target, "/");
  EXPECT_TRUE(parsed.request.keep_alive);
}

TEST(HttpParserTest, PartialHeadsWait) {
  for (const char* partial :
       {"", "GET", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r", "\r", "\r\nGET / HTTP/1.1\r\n"}) {
    EXPECT_EQ(find_head(partial).length, 0u) << partial;
  }
}

TEST(HttpParserTest, EmptyLinesBeforeTheRequestAreSkipped) {
  const std::string text = "\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const HeadFrame frame = find_head(text);
  EXPECT_EQ(frame.skip, 5u);
  EXPECT_EQ(frame.skip + frame.length, text.size());
  EXPECT_EQ(parse_head(frame.head).status, 0);
  // Counted even while the head is incomplete: they never fill the buffer.
  EXPECT_EQ(find_head("\r\n\r\n\r\n").skip, 6u);
  EXPECT_EQ(find_head("\r\n\r\nGE").skip, 4u);
}

TEST(HttpParserTest, BareLfEndsLines) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\nHost: a\n\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\n\r\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.1\nHost: a\r\n\n"), 0);
  const HeadFrame frame = find_head("GET / HTTP/1.1\nHost: a\n\nnext");
  EXPECT_EQ(frame.length, 24u);
  EXPECT_EQ(parse_head(frame.head).request.target, "/");
}

TEST(HttpParserTest, BareCrNulAndControlsAreRejected) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"s), 400);
  EXPECT_EQ(status_of("GET /\0x HTTP/1.1\r\nHost: a\r\n\r\n"s), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"), 400);
  EXPECT_EQ(status_of("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  // HTAB is allowed in a field value.
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost:\ta\t\r\n\r\n"), 0);
}

TEST(HttpParserTest, FoldingAndLeadingWhitespaceAreRejected) {
  // obs-fold (RFC 9112 §5.2).
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n"),
            400);
  // Whitespace between the request line and the first header (§2.2).
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);
  // Whitespace before the colon (§5.1).
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
}

TEST(HttpParserTest, RequestLine) {
  EXPECT_EQ(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET / FTP/1.0\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.0\r\n\r\n"), 0);  // 1.0 needs no Host
}

TEST(HttpParserTest, HostCount) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

TEST(HttpParserTest, ContentLengthIsDigitsOnly) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
            0);
  EXPECT_EQ(
      status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 00\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"),
            413);
  for (const char* bad : {"+0", "-0", "0x0", "0, 0", "", "1 2"}) {
    EXPECT_EQ(status_of(std::string("GET / HTTP/1.1\r\nHost: a\r\n"
                                    "Content-Length: ") +
                        bad + "\r\n\r\n"),
              400)
        << bad;
  }
  EXPECT_EQ(
      status_of(
          "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
      413);
}

TEST(HttpParserTest, KeepAlive) {
  auto keep = [](absl::string_view text) {
    return parse_head(find_head(text).head).request.keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

}  // namespace
}  // namespace examples::http
