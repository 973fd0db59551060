// docs/io.md's line-protocol server, kept compiling here so the page cannot
// drift. Commands, one per line: "upper <text>" answers the text in upper
// case, "count" answers how many lines this connection sent, "quit" closes.
// Ctrl-C (or SIGTERM) stops it.

#include <cctype>
#include <csignal>
#include <string>

#include "runtime/magpie.h"

using magpie::io::BufReader;
using magpie::io::BufWriter;
using magpie::net::OwnedReadHalf;
using magpie::net::OwnedWriteHalf;

magpie::Task<void> session(magpie::net::TcpStream stream) {
  auto [read_half, write_half] = std::move(stream).into_split();
  BufReader<OwnedReadHalf> in(std::move(read_half));
  BufWriter<OwnedWriteHalf> out(std::move(write_half));
  std::string line;
  for (int count = 1;; ++count) {
    line.clear();
    // At most 4 KiB per line: a client cannot make us buffer without end.
    auto n = co_await in.read_line(line, 4096);
    if (!n.ok() || *n == 0) break;  // error, over-long line, or end of stream
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
      line.pop_back();
    }
    std::string reply;
    if (line == "quit") break;
    if (line == "count") {
      reply = std::to_string(count) + "\n";
    } else if (line.rfind("upper ", 0) == 0) {
      for (char c : line.substr(6)) reply += static_cast<char>(std::toupper(c));
      reply += "\n";
    } else {
      reply = "unknown command\n";
    }
    auto bytes = std::as_bytes(std::span(reply.data(), reply.size()));
    if (!(co_await out.write_all(bytes)).ok()) co_return;
    // Answer now unless the client already sent more (pipelining).
    if (in.buffer().empty() && !(co_await out.flush()).ok()) co_return;
  }
  (void)co_await out.shutdown();  // flush, then half-close
}

magpie::Task<int> serve() {
  auto ctrl_c = magpie::signal::signal(SIGINT);
  auto term = magpie::signal::signal(SIGTERM);
  auto listener = co_await magpie::net::TcpListener::bind("localhost:7879");
  if (!ctrl_c.ok() || !term.ok() || !listener.ok()) co_return 1;
  while (true) {
    auto stop = magpie::select(ctrl_c->recv(), term->recv());
    auto next = co_await magpie::select(listener->accept(), std::move(stop));
    if (next.index() == 1) co_return 0;  // a signal: stop accepting
    auto& accepted = std::get<0>(next);
    if (accepted.ok()) magpie::spawn(session(std::move(accepted->first)));
  }
}

int main() { return magpie::Runtime().block_on(serve()); }
