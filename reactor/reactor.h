// magpie::reactor::Reactor — the I/O and timer reactor: one thread that
// waits in epoll (edge-triggered) with the next timer deadline as its
// timeout, and wakes the futures whose sockets became ready or whose timers
// expired.
//
//   absl::StatusOr<reactor::Reactor> reactor = reactor::Reactor::start();
//   reactor::EnterGuard guard = reactor->enter();     // this thread
//   magpie::block_on(magpie::sleep(std::chrono::milliseconds(5)));
//   reactor->shutdown();                              // or let it go
//
// Layering: the reactor depends on runtime/core (Waker, Context, Poll) only.
// It never sees tasks or executors: whatever polls its futures hands it a
// Waker, and that is all it calls.
//
// Ownership and lifecycle (for the Runtime that owns one):
//   start()       creates the epoll instance and the eventfd and starts the
//                 reactor thread ("magpie-reactor"). With
//                 Options::own_thread off there is no thread yet: the
//                 owner's threads turn the driver through park_driver()
//                 (the Runtime's workers, IoDriver::kWorkers), and
//                 start_thread() hands it to a reactor thread later (the
//                 Runtime does, once its workers have stopped).
//   enter()       on every thread that creates or polls reactor futures
//                 (workers, block_on callers): sets the thread's current
//                 handle (enter_guard.h). handle() for anything else.
//   shutdown()    stops and joins the thread (if any; without one, no
//                 other thread may be turning the driver), then fails every pending
//                 future: I/O futures answer Cancelled, Sleep and tick()
//                 throw ReactorError(Cancelled); later futures fail the same
//                 way. The destructor shuts down if not done yet. Drop every
//                 socket and timer before or after, in any order.
//
// Rules (the ORDERING and SAFETY comments in this package cite them):
//  1. The turner alone waits in epoll, drains the eventfd, advances the
//     timer wheel (fires timers) and frees released ScheduledIo records. The
//     turner is the reactor thread, or without one whichever thread holds
//     the driver's turn lock (driver.h); one thread at a time.
//  2. A ScheduledIo's address is its epoll token. It is freed only by the
//     turner at the top of a turn, after deregistration, so no epoll batch
//     still being dispatched can name it (driver.h).
//  3. No waker is woken, and no waker dropped, while a reactor lock is held:
//     take them out, unlock, then wake.
//  4. The reactor never sleeps past the earliest timer: before epoll_wait it
//     records the tick it will wake at (under the timer lock), and an insert
//     of an earlier timer wakes it through the eventfd (timer_queue.h).
//  5. Every leaf future registers the waker of the current poll, then
//     re-checks its condition, on every Pending poll (DESIGN.md §1); an I/O
//     operation that hit EAGAIN first clears only the readiness it observed,
//     guarded by the generation tick (scheduled_io.h). A byte stream's
//     short recv/send clears it the same way (io_source.h, poll_stream_io).
//  6. Nothing the turner does blocks except epoll_wait: an idle reactor (no
//     ready source, no timer due) uses no CPU.
//
// Threads: start() and shutdown() from the owner; handle(), enter() from any
// thread. Not copyable; movable (a moved-from Reactor is shut down).

#ifndef MAGPIE_REACTOR_REACTOR_H_
#define MAGPIE_REACTOR_REACTOR_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "reactor/enter_guard.h"
#include "reactor/handle.h"
#include "runtime/park/park_driver.h"

namespace magpie::reactor {

class Reactor {
 public:
  struct Options {
    // Events one epoll_wait returns at most; more wait for the next turn.
    std::size_t event_capacity = 1024;
    // The reactor thread's name (truncated to 15 characters by Linux). It
    // goes to the kernel as a C string, so a NUL in it is InvalidArgument.
    std::string thread_name = "magpie-reactor";
    // Start the reactor thread at once (the default). Off: the owner's
    // threads turn the driver (park_driver()) until start_thread().
    bool own_thread = true;
  };

  static absl::StatusOr<Reactor> start(const Options& options);
  static absl::StatusOr<Reactor> start() { return start(Options()); }

  Reactor(Reactor&& other) noexcept
      : handle_(std::exchange(other.handle_, std::nullopt)),
        thread_(std::move(other.thread_)),
        thread_name_(std::move(other.thread_name_)) {}
  Reactor& operator=(Reactor&& other) noexcept;
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  ~Reactor();

  // Stops and joins the reactor thread and fails every pending future (see
  // above). Idempotent.
  void shutdown();

  bool is_running() const { return thread_.joinable(); }

  // Starts the reactor thread if it does not run (Options::own_thread off).
  // Precondition: no other thread turns the driver from now on. The owner's
  // thread only; not after shutdown().
  void start_thread();

  // The driver as a park::ParkDriver: lets worker threads wait in it (turn
  // it) instead of on their futexes. Only for a reactor without a thread.
  // Turning it changes nothing about the turning thread (a caller's own
  // thread keeps its timer slack, name and signal mask).
  // Precondition: not moved-from.
  std::shared_ptr<park::ParkDriver> park_driver() const;

  // For a thread magpie itself creates that may wait in the driver (a
  // Runtime worker; the reactor thread calls it itself): sets the calling
  // thread's per-thread settings for timed waits, today 1 us of timer slack
  // (sys/timer_slack.h). Never called on a thread the embedding program
  // owns: those keep their settings.
  static void set_up_own_thread();

  // Precondition: not moved-from.
  const Handle& handle() const { return *handle_; }
  EnterGuard enter() const { return EnterGuard(*handle_); }

 private:
  Reactor(Handle handle, std::thread thread, std::string thread_name)
      : handle_(std::move(handle)),
        thread_(std::move(thread)),
        thread_name_(std::move(thread_name)) {}

  std::optional<Handle> handle_;
  std::thread thread_;
  std::string thread_name_;  // at most 15 characters
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_REACTOR_H_
