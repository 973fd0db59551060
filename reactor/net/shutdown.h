// magpie::net::Shutdown — which direction of a connection shutdown()
// closes (shutdown(2)'s SHUT_RD / SHUT_WR / SHUT_RDWR); shared by TcpStream,
// UnixStream and the split halves.

#ifndef MAGPIE_REACTOR_NET_SHUTDOWN_H_
#define MAGPIE_REACTOR_NET_SHUTDOWN_H_

namespace magpie::net {

enum class Shutdown { kRead, kWrite, kBoth };

}  // namespace magpie::net

#endif  // MAGPIE_REACTOR_NET_SHUTDOWN_H_
