// runtime/version.h: the three numbers, the string and the comparable
// number say the same release.

#include "runtime/version.h"

#include <string>

#include "gtest/gtest.h"

namespace {

TEST(VersionTest, StringSpellsTheNumbers) {
  const std::string spelled = std::to_string(MAGPIE_VERSION_MAJOR) + "." +
                              std::to_string(MAGPIE_VERSION_MINOR) + "." +
                              std::to_string(MAGPIE_VERSION_PATCH);
  EXPECT_EQ(spelled, MAGPIE_VERSION_STRING);
}

TEST(VersionTest, ComparableNumberOrdersReleases) {
  static_assert(MAGPIE_VERSION_MINOR < 100 && MAGPIE_VERSION_PATCH < 100,
                "MAGPIE_VERSION packs MINOR and PATCH into two digits each");
  EXPECT_EQ(MAGPIE_VERSION, MAGPIE_VERSION_MAJOR * 10000 +
                                MAGPIE_VERSION_MINOR * 100 +
                                MAGPIE_VERSION_PATCH);
  EXPECT_GE(MAGPIE_VERSION, 200);  // 0.2.0, the first numbered release
}

}  // namespace
