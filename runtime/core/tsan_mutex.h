// magpie::core::tsan_mutex — tells ThreadSanitizer that a word is a mutex,
// for the locks magpie builds on atomics (WordMutex). Without it TSan sees
// only the atomics: the happens-before is right, but it cannot detect a
// lock-order inversion (a potential deadlock) and its race reports do not
// say which of these locks each side held.
//
// Each function is an inline no-op unless the build runs under TSan
// (core/sanitizers.h's MAGPIE_UNDER_TSAN);
// then it forwards to TSan's public annotation interface,
// <sanitizer/tsan_interface.h> (the same hooks libc++'s and Abseil's own
// mutexes use; the protocol is documented in that header):
//
//   lock:    pre_lock(m)   <acquire the word>   post_lock(m)
//   unlock:  pre_unlock(m) <release the word>   post_unlock(m)
//
// Between a pre and its post, TSan ignores the lock's own atomics and
// memory accesses, and takes the happens-before edge from the annotations.
// So the acquire and release must be entirely inside those brackets, and
// nothing the lock guards may be touched there.
//
// Threads: any; the calls are what the lock's own lock()/unlock() make.

#ifndef MAGPIE_RUNTIME_CORE_TSAN_MUTEX_H_
#define MAGPIE_RUNTIME_CORE_TSAN_MUTEX_H_

#include "runtime/core/sanitizers.h"

#if defined(MAGPIE_UNDER_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace magpie::core::tsan_mutex {

// True when the annotations below reach ThreadSanitizer.
#if defined(MAGPIE_UNDER_TSAN)
inline constexpr bool kEnabled = true;
#else
inline constexpr bool kEnabled = false;
#endif

// `m` is the lock's address; it names the mutex in TSan's reports.
inline void pre_lock([[maybe_unused]] const void* m) {
#if defined(MAGPIE_UNDER_TSAN)
  __tsan_mutex_pre_lock(const_cast<void*>(m), 0);
#endif
}
inline void post_lock([[maybe_unused]] const void* m) {
#if defined(MAGPIE_UNDER_TSAN)
  __tsan_mutex_post_lock(const_cast<void*>(m), 0, 0);
#endif
}
inline void pre_unlock([[maybe_unused]] const void* m) {
#if defined(MAGPIE_UNDER_TSAN)
  (void)__tsan_mutex_pre_unlock(const_cast<void*>(m), 0);
#endif
}
inline void post_unlock([[maybe_unused]] const void* m) {
#if defined(MAGPIE_UNDER_TSAN)
  __tsan_mutex_post_unlock(const_cast<void*>(m), 0);
#endif
}
// The mutex's memory is about to be reused for something else.
inline void destroy([[maybe_unused]] const void* m) {
#if defined(MAGPIE_UNDER_TSAN)
  __tsan_mutex_destroy(const_cast<void*>(m), 0);
#endif
}

}  // namespace magpie::core::tsan_mutex

#endif  // MAGPIE_RUNTIME_CORE_TSAN_MUTEX_H_
