// Regression: examples/http_hello answered 400 to a request preceded by an
// empty line ("\r\nGET / HTTP/1.1\r\n...") and to an extra CRLF between
// pipelined requests. RFC 9112 §2.2: a server SHOULD ignore at least one
// empty line (CRLF) received prior to the request-line. Both now frame and
// parse as valid requests.

#include <string>

#include "examples/http_hello/http_parser.h"
#include "gtest/gtest.h"

namespace examples::http {
namespace {

TEST(HttpEmptyLineBeforeRequestTest, LeadingCrlfIsIgnored) {
  const std::string text = "\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const HeadFrame frame = find_head(text);
  EXPECT_EQ(frame.skip, 2u);
  EXPECT_EQ(frame.skip + frame.length, text.size());
  const Parsed parsed = parse_head(frame.head);
  EXPECT_EQ(parsed.status, 0);
  EXPECT_EQ(parsed.request.method, "GET");
  EXPECT_EQ(parsed.request.target, "/");
}

TEST(HttpEmptyLineBeforeRequestTest, ExtraCrlfBetweenPipelinedRequests) {
  const std::string text =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "\r\n"
      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  absl::string_view pending = text;
  std::string targets;
  while (true) {
    const HeadFrame frame = find_head(pending);
    pending.remove_prefix(frame.skip);
    if (frame.length == 0) break;
    const Parsed parsed = parse_head(frame.head);
    EXPECT_EQ(parsed.status, 0);
    targets += std::string(parsed.request.target);
    pending.remove_prefix(frame.length);
  }
  EXPECT_EQ(targets, "/a/b");
  EXPECT_TRUE(pending.empty());
}

}  // namespace
}  // namespace examples::http
