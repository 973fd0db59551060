// magpie — the umbrella header: the whole public API.
//
//   #include "runtime/magpie.h"      // and depend on //:magpie
//
// The async model (see docs/model.md):
//   Future, Poll, Context, Waker, RawWaker, Arc, waker_from, AtomicWaker
//                         runtime/core   what a future is and how it is woken
//   Task<T>               runtime/coro   coroutines: co_await any Future
//   JoinHandle<T>, AbortHandle, JoinResult<T>
//                         runtime/task   a spawned task's output; cancelling it
//   JoinSet<T>            runtime        many tasks, results in completion order
//   block_on              runtime        run one future on this thread
//   LocalExecutor         runtime        a single-threaded executor
//   Runtime, Handle, spawn, spawn_blocking, yield_now
//                         runtime        the work-stealing runtime
//   join, join_all        runtime/core   all of several futures, in one task
//   select, select_all    runtime/core   the first of several futures
//   oneshot, CancellationToken
//                         runtime/sync   one-value channels, shutdown signals
//   sync::Semaphore, Notify, Mutex, RwLock, Barrier
//                         runtime/sync   async locks and signals (FIFO, fair)
//   mpsc, watch, broadcast
//                         runtime/sync   channels (see docs/cancellation.md)
//   sleep, sleep_until, timeout, Interval
//                         reactor/time   timers (the Runtime's reactor thread)
//   net::SocketAddr, net::TcpListener, net::TcpStream, net::UdpSocket
//                         reactor/net    sockets driven by the reactor
//   MAGPIE_VERSION_MAJOR/_MINOR/_PATCH, MAGPIE_VERSION_STRING
//                         runtime        this release (runtime/version.h)
//   net::ErrorKind, net::error_kind, net::is_disconnect
//                         reactor/net    what kind of I/O error a status is

#ifndef MAGPIE_RUNTIME_MAGPIE_H_
#define MAGPIE_RUNTIME_MAGPIE_H_

#include "reactor/magpie_reactor.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/future.h"
#include "runtime/core/join.h"
#include "runtime/core/poll.h"
#include "runtime/core/poll_fn.h"
#include "runtime/core/select.h"
#include "runtime/core/waker.h"
#include "runtime/coro/task.h"
#include "runtime/join_set.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/sync/barrier.h"
#include "runtime/sync/broadcast.h"
#include "runtime/sync/cancellation_token.h"
#include "runtime/sync/mpsc.h"
#include "runtime/sync/mutex.h"
#include "runtime/sync/notify.h"
#include "runtime/sync/oneshot.h"
#include "runtime/sync/rwlock.h"
#include "runtime/sync/semaphore.h"
#include "runtime/sync/watch.h"
#include "runtime/task/abort_handle.h"
#include "runtime/task/errors.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/join_result.h"
#include "runtime/task/task_dump.h"
#include "runtime/version.h"
#include "runtime/yield_now.h"

#endif  // MAGPIE_RUNTIME_MAGPIE_H_
