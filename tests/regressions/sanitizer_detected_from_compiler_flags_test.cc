// Regression: magpie's sanitizer-aware code keyed on MAGPIE_TSAN /
// MAGPIE_ASAN, defines only .bazelrc's --config=tsan/asan set. A user who
// built magpie with -fsanitize=thread some other way (CMake, their own Bazel
// flags) got a TSan binary without the inject queue's moodycamel
// suppressions, with epoll_pwait2 (which TSan does not intercept, so every
// epoll_ctl -> epoll_wait edge looked like a race) and without the futex
// signal slice. Detection now lives in runtime/core/sanitizers.h and asks the
// compiler.
//
// This test is built with -UMAGPIE_TSAN -UMAGPIE_ASAN, as a user's build
// would be, and is told by the build system (not by the compiler) which
// sanitizer the configuration enables: MAGPIE_TEST_EXPECT_TSAN /
// MAGPIE_TEST_EXPECT_ASAN, from Bazel's --define=magpie_sanitizer=... in
// .bazelrc, or from CMAKE_CXX_FLAGS under CMake.

#include "gtest/gtest.h"
#include "runtime/core/sanitizers.h"
#include "runtime/core/tsan_mutex.h"

#if defined(MAGPIE_TSAN) || defined(MAGPIE_ASAN)
#error "this test must be built without the build system's sanitizer defines"
#endif

namespace magpie {
namespace {

#if defined(MAGPIE_TEST_EXPECT_TSAN)
constexpr bool kExpectTsan = true;
#else
constexpr bool kExpectTsan = false;
#endif
#if defined(MAGPIE_TEST_EXPECT_ASAN)
constexpr bool kExpectAsan = true;
#else
constexpr bool kExpectAsan = false;
#endif

TEST(SanitizerDetectedFromCompilerFlags, ThreadSanitizer) {
  EXPECT_EQ(core::kUnderTsan, kExpectTsan);
  // The WordMutex annotations follow the same answer.
  EXPECT_EQ(core::tsan_mutex::kEnabled, kExpectTsan);
}

TEST(SanitizerDetectedFromCompilerFlags, AddressSanitizer) {
  EXPECT_EQ(core::kUnderAsan, kExpectAsan);
}

TEST(SanitizerDetectedFromCompilerFlags, EitherScalesTestCounts) {
  EXPECT_EQ(core::kUnderSanitizer, kExpectTsan || kExpectAsan);
}

}  // namespace
}  // namespace magpie
