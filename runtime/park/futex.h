// magpie::park::futex_wait / futex_wake — the two Linux futex calls the
// parkers sleep on, in one place.
//
// Threads: any. The word is a 32-bit atomic shared by waiter and waker; the
// futex itself gives no memory ordering (the atomic operations around it do).
//
// Signals: a thread in futex_wait may take any process-directed signal
// (magpie needs no signal masks, reactor/signal/signal.h). The handler runs
// and the wait resumes (SA_RESTART) or returns EINTR, which callers treat
// like any spurious return: they re-check their word. Under ThreadSanitizer
// a handler is deferred until the thread enters an intercepted call, so
// there futex_wait sleeps in bounded slices and makes one such call after
// each (futex.cc): a parked thread never holds a signal back for longer
// than a slice.

#ifndef MAGPIE_RUNTIME_PARK_FUTEX_H_
#define MAGPIE_RUNTIME_PARK_FUTEX_H_

#include <chrono>
#include <cstdint>

#include "runtime/core/atomic.h"

namespace magpie::park {

// Sleeps while `*word == expected`, for at most `timeout` (negative: no
// limit). Returns at once if the word differs; may return spuriously.
void futex_wait(
    core::Atomic<std::uint32_t>* word, std::uint32_t expected,
    std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1));

// Wakes up to `count` threads sleeping on `word`.
void futex_wake(core::Atomic<std::uint32_t>* word, int count);

}  // namespace magpie::park

#endif  // MAGPIE_RUNTIME_PARK_FUTEX_H_
