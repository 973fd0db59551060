// magpie::signal — Unix signals as futures, delivered through the reactor.
//
//   // Wait for Ctrl-C once:
//   absl::Status s = co_await magpie::signal::ctrl_c();
//
//   // A listener that can be awaited again and again:
//   absl::StatusOr<magpie::signal::Signal> term = magpie::signal::signal(SIGTERM);
//   while ((co_await term->recv()).ok()) { reload(); }
//
// How it works (registry.h has the rules): the first listener for a signal
// installs a process-wide sigaction handler that bumps a per-signal
// generation counter and writes a byte to a self-pipe. Each Signal watches
// its own dup of the pipe's read end through its reactor (registered like
// any socket), and is ready when the generation moved past the value it
// last saw. So:
//   - several listeners per signal each see every delivery (one Signal per
//     task that cares; ctrl_c() makes a fresh one each time);
//   - a signal delivered after signal() returned and before the first
//     recv() poll is not lost: recv() answers at once;
//   - deliveries between two recv()s coalesce into one (as with the kernel's
//     own pending-signal bit): recv() means "at least once since last time".
//
// Signal masks and other threads: none are needed. The handler runs on
// whichever thread the kernel picks among those that do not block the
// signal (a worker, a blocking-pool thread, the reactor thread if there is
// one, main inside block_on, any thread of yours); it is async-signal-safe
// and only rings the pipe, which the runtime's driver watches like a socket,
// so the listeners wake the same way whether a reactor thread or the
// workers turn the driver (runtime.h, IoDriver). It is installed with
// SA_RESTART, and every blocking call magpie makes either restarts or
// treats EINTR as "look again" (epoll_wait returns no events, a futex wait
// re-checks its word, socket calls retry, connect goes on asynchronously),
// so a signal landing on a runtime thread costs nothing but the handler.
// Two don'ts: do not block a listened-for signal in every thread (it then
// stays pending and is never seen: with IoDriver::kWorkers there is no
// reactor thread to leave unblocked), and do not also sigwait() for it on a
// thread of your own (sigwait would steal deliveries). A signal raise()d on
// a thread that blocks it waits until that thread unblocks it. Under
// ThreadSanitizer, which runs a handler only once its thread enters an
// intercepted call, parked runtime threads wake in bounded slices to let it
// run (runtime/park/futex.h). Once a handler is installed it stays for the
// life of the process: the default action (SIGINT, SIGTERM terminate) no
// longer happens, as in Tokio (signal rule 4).
//
// Errors: signal() answers InvalidArgument for SIGKILL, SIGSTOP, SIGSEGV,
// SIGBUS, SIGILL, SIGFPE and numbers out of range; FailedPrecondition with
// no current reactor. recv() answers Cancelled once the reactor shut down.
//
// Threads: a Signal is move-only; one recv() pending at a time, polled from
// any thread with any waker; every Pending poll stores this poll's waker
// (in the ScheduledIo read slot of its pipe dup) and re-checks. recv() is a
// leaf: it spends a coop unit only when it answers Ready.

#ifndef MAGPIE_REACTOR_SIGNAL_SIGNAL_H_
#define MAGPIE_REACTOR_SIGNAL_SIGNAL_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/io_source.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::signal {

class Signal {
 public:
  class RecvFuture {
   public:
    using Output = absl::Status;
    explicit RecvFuture(Signal& signal) : signal_(&signal) {}
    Poll<Output> poll(Context& cx) { return signal_->poll_recv(cx); }

   private:
    Signal* signal_;
  };

  Signal(Signal&&) noexcept = default;
  Signal& operator=(Signal&&) noexcept = default;

  // Ok once the signal was delivered since the previous recv() (or since
  // this listener was made).
  RecvFuture recv() { return RecvFuture(*this); }
  Poll<absl::Status> poll_recv(Context& cx);

  int number() const { return signum_; }

 private:
  friend absl::StatusOr<Signal> signal(int signum);
  Signal(int signum, std::uint64_t seen, reactor::IoSource source)
      : signum_(signum), seen_(seen), source_(std::move(source)) {}

  int signum_;
  std::uint64_t seen_;        // The generation this listener last reported.
  reactor::IoSource source_;  // A dup of the signal pipe's read end.
};

// A listener for `signum`, registered with the current reactor.
absl::StatusOr<Signal> signal(int signum);

// Waits for the next SIGINT: a listener made now (so a SIGINT between this
// call and the first poll counts), awaited once.
class CtrlCFuture {
 public:
  using Output = absl::Status;
  CtrlCFuture();
  Poll<Output> poll(Context& cx);

 private:
  absl::StatusOr<Signal> listener_;
};

inline CtrlCFuture ctrl_c() { return CtrlCFuture(); }

}  // namespace magpie::signal

#endif  // MAGPIE_REACTOR_SIGNAL_SIGNAL_H_
