// The reactor's public API in one include: the Reactor itself (for the
// Runtime that owns it), timers (sleep, sleep_until, timeout, Interval) and
// networking (SocketAddr, lookup_host, TcpSocket, TcpListener, TcpStream and
// its halves, UdpSocket, Unix sockets, and ErrorKind to classify their
// errors), I/O (AsyncRead/AsyncWrite, BufReader, BufWriter, copy,
// copy_bidirectional) and signals.
//
// runtime/magpie.h includes this; applications include that.

#ifndef MAGPIE_REACTOR_MAGPIE_REACTOR_H_
#define MAGPIE_REACTOR_MAGPIE_REACTOR_H_

#include "reactor/enter_guard.h"            // IWYU pragma: export
#include "reactor/handle.h"                 // IWYU pragma: export
#include "reactor/io/async_read.h"          // IWYU pragma: export
#include "reactor/io/async_write.h"         // IWYU pragma: export
#include "reactor/io/buf_reader.h"          // IWYU pragma: export
#include "reactor/io/buf_writer.h"          // IWYU pragma: export
#include "reactor/io/copy.h"                // IWYU pragma: export
#include "reactor/io/copy_bidirectional.h"  // IWYU pragma: export
#include "reactor/io/read_to_end.h"         // IWYU pragma: export
#include "reactor/net/error_kind.h"         // IWYU pragma: export
#include "reactor/net/lookup_host.h"        // IWYU pragma: export
#include "reactor/net/readiness.h"          // IWYU pragma: export
#include "reactor/net/socket_addr.h"        // IWYU pragma: export
#include "reactor/net/split.h"              // IWYU pragma: export
#include "reactor/net/tcp_listener.h"       // IWYU pragma: export
#include "reactor/net/tcp_socket.h"         // IWYU pragma: export
#include "reactor/net/tcp_stream.h"         // IWYU pragma: export
#include "reactor/net/udp_socket.h"         // IWYU pragma: export
#include "reactor/net/unix_datagram.h"      // IWYU pragma: export
#include "reactor/net/unix_listener.h"      // IWYU pragma: export
#include "reactor/net/unix_socket_addr.h"   // IWYU pragma: export
#include "reactor/net/unix_stream.h"        // IWYU pragma: export
#include "reactor/reactor.h"                // IWYU pragma: export
#include "reactor/reactor_error.h"          // IWYU pragma: export
#include "reactor/signal/signal.h"          // IWYU pragma: export
#include "reactor/sys/error.h"              // IWYU pragma: export
#include "reactor/time/interval.h"          // IWYU pragma: export
#include "reactor/time/sleep.h"             // IWYU pragma: export
#include "reactor/time/timeout.h"           // IWYU pragma: export

#endif  // MAGPIE_REACTOR_MAGPIE_REACTOR_H_
