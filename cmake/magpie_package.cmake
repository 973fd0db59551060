# How to add a file to both builds. A library file: list it in the
# BUILD.bazel's srcs/hdrs and, under the same name, in the magpie_package()
# SRCS/HDRS of the CMakeLists.txt beside it (a new package under runtime/ or
# reactor/ gets its own CMakeLists.txt and an add_subdirectory() in the
# top-level CMakeLists.txt, in layering order). A test: a cc_test in
# tests/<dir>/BUILD.bazel gets `magpie_test(<name> SIZE <its size> SRCS
# <name>.cc)` in tests/<dir>/CMakeLists.txt (a new tests/ directory gets a
# CMakeLists.txt and an add_subdirectory() in tests/CMakeLists.txt); magpie,
# runtime/testing and gtest_main are linked for you, so Bazel deps on
# //runtime/..., //reactor/..., //runtime/testing:... and tests/*:test_support
# headers need nothing. A test that needs something the CMake build lacks
# either gets that library added (DEPS, e.g. magpie_http_parser from
# examples/http_hello) or, for shell tests and bench/ code, a line in
# tools/build_drift_allowlist.txt saying why it is Bazel-only.
# `python3 tools/check_build_drift.py` says what is missing where; it reads
# BUILD files as Starlark (literal lists, named lists, `+`, and
# `[cc_test(name = n, srcs = [n + ".cc"], ...) for n in [...]]`) and fails
# with the file and line on anything else (glob(), select(), macros' **kwargs).

# magpie_package(): one Bazel package's files, added to a CMake target.
#
#   magpie_package(
#     SRCS block_on.cc runtime.cc          # the package's cc_library srcs
#     HDRS block_on.h runtime.h)           # and hdrs
#
# Called from the CMakeLists.txt beside each BUILD.bazel; file names are
# relative to that directory, exactly as Bazel lists them, so that
# tools/check_build_drift.py can compare the two lists. Sources are compiled
# into TARGET (default: magpie); headers join TARGET's HEADERS file set, which
# `cmake --install` copies under include/magpie/ with their paths kept
# (runtime/core/waker.h -> include/magpie/runtime/core/waker.h).

function(magpie_package)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "TARGET" "SRCS;HDRS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "magpie_package: unexpected ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET magpie)
  endif()
  if(ARG_SRCS)
    target_sources(${ARG_TARGET} PRIVATE ${ARG_SRCS})
  endif()
  if(ARG_HDRS)
    target_sources(${ARG_TARGET} PUBLIC
      FILE_SET HEADERS
      BASE_DIRS "${PROJECT_SOURCE_DIR}"
      FILES ${ARG_HDRS})
  endif()
endfunction()

# magpie_test(): one cc_test of a tests/ BUILD.bazel, registered with ctest.
#
#   magpie_test(waker_test SIZE small SRCS waker_test.cc)
#
# SIZE is the Bazel size (small, medium, large); it becomes a ctest label, so
# `ctest -LE large` skips the long suites. Tests link magpie, the testing
# helpers (runtime/testing) and GoogleTest's main.
function(magpie_test name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "SIZE" "SRCS;DEPS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "magpie_test: unexpected ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SIZE MATCHES "^(small|medium|large)$")
    message(FATAL_ERROR "magpie_test(${name}): SIZE small, medium or large")
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}")
  target_compile_options(${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  target_link_libraries(${name} PRIVATE
    magpie::magpie magpie_testing GTest::gtest_main ${ARG_DEPS})
  add_test(NAME ${name} COMMAND ${name})
  # Bazel's default timeouts by size (short, moderate, long).
  set(_timeout_small 60)
  set(_timeout_medium 300)
  set(_timeout_large 900)
  set_tests_properties(${name} PROPERTIES
    LABELS ${ARG_SIZE}
    TIMEOUT ${_timeout_${ARG_SIZE}})
endfunction()
