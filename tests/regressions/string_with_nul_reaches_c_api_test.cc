// Regression: SocketAddr::parse accepted "1.2.3.4\0evil:80" as 1.2.3.4:80,
// because the host went to inet_pton through c_str(), which stops at the
// NUL. Every place a user's string reaches a C API as a C string now
// refuses an embedded NUL: SocketAddr::parse (inet_pton),
// Runtime::Builder::thread_name and Reactor::Options::thread_name
// (pthread_setname_np).

#include <stdexcept>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "reactor/net/socket_addr.h"
#include "reactor/reactor.h"
#include "runtime/runtime.h"

namespace magpie {
namespace {

using namespace std::string_view_literals;

TEST(StringWithNulReachesCApiTest, SocketAddrParseRejectsANulAnywhere) {
  for (std::string_view text : {"1.2.3.4\0evil:80"sv, "1.2.3.4:80\0"sv,
                                "\0"
                                "1.2.3.4:80"sv,
                                "1.2.3.4:8\0"
                                "0"sv,
                                "[::1\0junk]:80"sv, "[::1]:80\0"sv}) {
    absl::StatusOr<net::SocketAddr> parsed = net::SocketAddr::parse(text);
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status()))
        << "accepted " << parsed.value_or(net::SocketAddr());
    // The message shows the NUL escaped, not cut off.
    EXPECT_NE(parsed.status().message().find("\\x00"), std::string_view::npos)
        << parsed.status();
  }
  // The same text without the NUL part still parses.
  absl::StatusOr<net::SocketAddr> good = net::SocketAddr::parse("1.2.3.4:80");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->to_string(), "1.2.3.4:80");
}

TEST(StringWithNulReachesCApiTest, BuilderThreadNameRejectsANul) {
  Runtime::Builder builder;
  EXPECT_THROW(builder.thread_name(std::string("work\0er", 7)),
               std::invalid_argument);
  EXPECT_NO_THROW(builder.thread_name("worker"));
}

TEST(StringWithNulReachesCApiTest, ReactorThreadNameRejectsANul) {
  reactor::Reactor::Options options;
  options.thread_name = std::string("io\0x", 4);
  absl::StatusOr<reactor::Reactor> started = reactor::Reactor::start(options);
  EXPECT_TRUE(absl::IsInvalidArgument(started.status())) << started.status();
}

}  // namespace
}  // namespace magpie
