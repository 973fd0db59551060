// magpie::core sanitizer detection — the one place that decides whether this
// translation unit is built under ThreadSanitizer or AddressSanitizer.
//
// Code whose behaviour must change under a sanitizer (TSan's inject-queue
// suppressions, its deferred-signal slice in futex waits, epoll_wait instead
// of the un-intercepted epoll_pwait2, libc's socket wrappers so the
// interceptors see the buffers, ASan poisoning of recycled blocks, smaller
// test counts) includes this header and tests MAGPIE_UNDER_TSAN /
// MAGPIE_UNDER_ASAN, or the constants below. It never tests the build
// system's own defines.
//
// Why: the compiler is the authority. g++ defines __SANITIZE_THREAD__ /
// __SANITIZE_ADDRESS__ under -fsanitize=thread / -fsanitize=address; clang
// answers __has_feature(thread_sanitizer) / __has_feature(address_sanitizer)
// (clang 14+ also defines the g++ macros). A user who builds magpie with
// CMake, or with their own Bazel flags, and adds -fsanitize=thread gets the
// same sanitizer-aware code as our --config=tsan. MAGPIE_TSAN / MAGPIE_ASAN
// (set by .bazelrc's configs) are still honoured, as an explicit opt-in for a
// build whose sanitizer flags the compiler cannot see (none known today).
//
// Threads: compile-time only.

#ifndef MAGPIE_RUNTIME_CORE_SANITIZERS_H_
#define MAGPIE_RUNTIME_CORE_SANITIZERS_H_

#if defined(__SANITIZE_THREAD__) || defined(MAGPIE_TSAN)
#define MAGPIE_UNDER_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(MAGPIE_ASAN)
#define MAGPIE_UNDER_ASAN 1
#endif
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && !defined(MAGPIE_UNDER_TSAN)
#define MAGPIE_UNDER_TSAN 1
#endif
#if __has_feature(address_sanitizer) && !defined(MAGPIE_UNDER_ASAN)
#define MAGPIE_UNDER_ASAN 1
#endif
#endif

namespace magpie::core {

#if defined(MAGPIE_UNDER_TSAN)
inline constexpr bool kUnderTsan = true;
#else
inline constexpr bool kUnderTsan = false;
#endif
#if defined(MAGPIE_UNDER_ASAN)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif
// Either: code that runs 5-20x slower and wants smaller counts.
inline constexpr bool kUnderSanitizer = kUnderTsan || kUnderAsan;

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_SANITIZERS_H_
