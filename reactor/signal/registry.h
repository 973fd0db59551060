// magpie::signal::internal — the process-wide part of signal handling: one
// sigaction handler per signal, a generation counter per signal, and one
// self-pipe that tells listeners "some signal arrived". Private to
// reactor/signal; Signal (signal.h) is the public face.
//
// The handler (async-signal-safe: a lock-free atomic add, one write(2), and
// errno saved and restored):
//   1. generation[signum] += 1        (release)
//   2. write one byte to the pipe     (non-blocking; a full pipe already
//                                      means "wake up", so EAGAIN is fine)
//
// Rules (cited as "signal rule N"):
//  1. The generation is the truth; the pipe is only a doorbell. A listener
//     is ready when generation[signum] differs from the value it last saw,
//     whatever the pipe holds.
//  2. The pipe is created once and never closed (the handler may write to
//     it at any moment, from any thread). Listeners watch dup()s of its
//     read end, each registered with the listener's reactor, and close only
//     their dup.
//  3. Whoever finds the pipe readable drains it to EAGAIN before checking
//     the generations, so the pipe is empty again and the next write wakes
//     every listener (a write to an empty pipe wakes all its watchers).
//  4. A handler, once installed for a signal, stays for the life of the
//     process (as in Tokio): the default action (terminate on SIGINT or
//     SIGTERM) no longer happens.
//
// Memory ordering: the handler's fetch_add is release; listeners load with
// acquire. Installation is under `install_mutex`; the handler reads only
// the atomics and the write fd, which is published (release) before any
// handler is installed.

#ifndef MAGPIE_REACTOR_SIGNAL_REGISTRY_H_
#define MAGPIE_REACTOR_SIGNAL_REGISTRY_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace magpie::signal::internal {

// Installs the handler for `signum` (once; later calls are no-ops) and
// creates the pipe if needed. InvalidArgument for signals that cannot or
// must not be handled (SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE,
// out of range).
absl::Status install(int signum);

// The number of deliveries of `signum` so far (signal rule 1).
std::uint64_t generation(int signum);

// A new dup of the pipe's read end, owned by the caller (signal rule 2).
absl::StatusOr<int> dup_read_end();

// Reads `fd` (a dup of the read end) until EAGAIN (signal rule 3).
void drain(int fd);

}  // namespace magpie::signal::internal

#endif  // MAGPIE_REACTOR_SIGNAL_REGISTRY_H_
