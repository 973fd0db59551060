// magpie's version: the one place it is written down.
//
//   #include "runtime/version.h"   // runtime/magpie.h includes it
//
// Both builds read it from here: Bazel compiles this header into //:magpie,
// and CMake parses the three numbers below (CMakeLists.txt) for
// project(VERSION), magpieConfigVersion.cmake and magpie.pc. A release bumps
// the numbers and the string, and adds its section to CHANGELOG.md;
// tools/check_build_drift.py fails CI when the numbers, the string and
// CHANGELOG.md's newest release disagree.
//
// Versioning: semantic versioning of the API that runtime/magpie.h exposes
// (README.md, "What is stable"). Before 1.0 a MINOR bump may break that API;
// a PATCH bump never does.
//
// Compare releases with MAGPIE_VERSION (e.g. `#if MAGPIE_VERSION >= 200`):
// MAJOR * 10000 + MINOR * 100 + PATCH, so 0.2.0 is 200.

#ifndef MAGPIE_RUNTIME_VERSION_H_
#define MAGPIE_RUNTIME_VERSION_H_

#define MAGPIE_VERSION_MAJOR 0
#define MAGPIE_VERSION_MINOR 2
#define MAGPIE_VERSION_PATCH 0

// Spelled out so that grep finds it; tests/runtime/version_test.cc and the
// drift check keep it equal to the numbers.
#define MAGPIE_VERSION_STRING "0.2.0"

#define MAGPIE_VERSION                                         \
  (MAGPIE_VERSION_MAJOR * 10000 + MAGPIE_VERSION_MINOR * 100 + \
   MAGPIE_VERSION_PATCH)

#endif  // MAGPIE_RUNTIME_VERSION_H_
