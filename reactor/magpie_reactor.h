// The reactor's public API in one include: the Reactor itself (for the
// Runtime that owns it), timers (sleep, sleep_until, timeout, Interval) and
// networking (SocketAddr, TcpListener, TcpStream, UdpSocket, and ErrorKind
// to classify their errors).
//
// runtime/magpie.h includes this; applications include that.

#ifndef MAGPIE_REACTOR_MAGPIE_REACTOR_H_
#define MAGPIE_REACTOR_MAGPIE_REACTOR_H_

#include "reactor/enter_guard.h"       // IWYU pragma: export
#include "reactor/handle.h"            // IWYU pragma: export
#include "reactor/net/error_kind.h"    // IWYU pragma: export
#include "reactor/net/socket_addr.h"   // IWYU pragma: export
#include "reactor/net/tcp_listener.h"  // IWYU pragma: export
#include "reactor/net/tcp_stream.h"    // IWYU pragma: export
#include "reactor/net/udp_socket.h"    // IWYU pragma: export
#include "reactor/reactor.h"           // IWYU pragma: export
#include "reactor/reactor_error.h"     // IWYU pragma: export
#include "reactor/sys/error.h"         // IWYU pragma: export
#include "reactor/time/interval.h"     // IWYU pragma: export
#include "reactor/time/sleep.h"        // IWYU pragma: export
#include "reactor/time/timeout.h"      // IWYU pragma: export

#endif  // MAGPIE_REACTOR_MAGPIE_REACTOR_H_
