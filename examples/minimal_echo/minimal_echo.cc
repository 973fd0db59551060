// The README's ten-line echo server: magpie embedded in server code. Kept
// compiling here so the README cannot drift; examples/echo_server is the
// full version (flags, connection limit, EMFILE back-off, graceful shutdown).

#include <array>
#include <cstdio>
#include <span>

#include "runtime/magpie.h"

magpie::Task<void> echo(magpie::net::TcpStream stream) {
  std::array<std::byte, 4096> buf;
  while (true) {
    auto n = co_await stream.read(buf);
    if (!n.ok() || *n == 0) co_return;  // error or end of stream
    if (!(co_await stream.write_all(std::span(buf.data(), *n))).ok()) co_return;
  }
}

magpie::Task<absl::Status> serve() {
  auto addr = magpie::net::SocketAddr::parse("127.0.0.1:7878");
  auto listener = magpie::net::TcpListener::bind(*addr);
  if (!listener.ok()) co_return listener.status();  // e.g. port in use
  while (true) {
    auto accepted = co_await listener->accept();
    if (accepted.ok()) magpie::spawn(echo(std::move(accepted->first)));
  }
}

int main() {
  absl::Status status = magpie::Runtime().block_on(serve());
  std::fprintf(stderr, "minimal_echo: %s\n", status.ToString().c_str());
  return 1;
}
