// echo_server — a TCP echo server on magpie: every connection is a spawned
// task that reads a chunk and writes it back, until the client closes.
//
//   bazel run --config=opt //examples/echo_server -- --port=7878
//   nc 127.0.0.1 7878                       # type; lines come back
//   bazel run --config=opt //bench:echo_load -- --address=127.0.0.1:7878
//
// Once bound it prints one line, `listening on <addr>`, to stdout (with
// --port=0 the kernel picks the port; scripts read it from that line).
// Diagnostics go to stderr.
//
// How it is put together (a template for your own server):
//  1. examples::run_server (examples/common/server_main.h) parses the
//     flags, turns SIGINT/SIGTERM into a magpie::CancellationToken, starts
//     the Runtime and binds the listener.
//  2. Its accept loop (examples/common/server.h) does select(accept,
//     cancelled), spawns one task per connection, caps open connections,
//     and backs off when the process runs out of file descriptors.
//  3. Each connection (examples/echo_server/echo.cc) waits with
//     select(read, cancelled): at shutdown idle connections close at once,
//     while a chunk already read is still echoed in full.
//  4. After the token fires: stop accepting, wait for the open connections
//     to finish, print "served N connections (R rejected), echoed B bytes",
//     exit 0.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "examples/common/server_main.h"
#include "examples/echo_server/echo.h"

int main(int argc, char** argv) {
  auto stats = std::make_shared<examples::EchoStats>();
  return examples::run_server(
      argc, argv,
      {.thread_name = "echo",
       .make_handler =
           [stats](const magpie::CancellationToken& shutdown) {
             return examples::echo_handler(shutdown, stats);
           },
       .summary =
           [stats] {
             return absl::StrCat(
                 "echoed ", stats->bytes_echoed.load(std::memory_order_relaxed),
                 " bytes");
           }});
}
