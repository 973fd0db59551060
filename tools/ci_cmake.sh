#!/usr/bin/env bash
# CI for embedding magpie in other builds. On a fresh clone, after
# tools/bootstrap.sh:
#
#   1. the drift check: Bazel and CMake list the same files (and the check
#      itself fails on a planted difference);
#   2. CMake: configure and build magpie and its GoogleTest suite, run all of
#      it with ctest;
#   3. install into a temporary prefix and check what landed there;
#   4. the CMake consumer (examples/consumer_cmake) against that prefix, with
#      g++ and with clang++-19: find_package(magpie 0.2), the -Werror
#      public-header check, and its self_echo server run to exit 0; plus
#      find_package version refusal and a pkg-config build of the same
#      program;
#   5. the Bazel consumer (examples/consumer_bazel): @magpie//:magpie from a
#      separate workspace, self_echo built and run; an internal target must
#      be refused by visibility.
#
# Prints a header per section; stops at the first failure and exits 1.
# About 5 minutes on 2 cores from cold (most of it compiling magpie twice:
# once with CMake, once in the consumer's Bazel workspace).
#
#   tools/ci_cmake.sh            # from anywhere in the checkout
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d)
consumer_bazel_started=0
cleanup() {
  if [ "$consumer_bazel_started" -eq 1 ]; then
    (cd "$root/examples/consumer_bazel" && bazel shutdown >/dev/null 2>&1) || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

section() { printf '\n=== ci_cmake: %s  [at %ds] ===\n' "$*" "$SECONDS"; }
fail() {
  printf '\nci_cmake: FAILED: %s\n' "$*"
  exit 1
}
jobs=$(nproc)
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

# -----------------------------------------------------------------------------
section "drift check: Bazel and CMake build the same files"
python3 tools/check_build_drift.py || fail "tools/check_build_drift.py"

section "drift check catches a planted difference"
probe="$work/drift_probe"
mkdir -p "$probe"
git ls-files -z -- CMakeLists.txt CHANGELOG.md runtime/version.h \
  tools/build_drift_allowlist.txt examples/http_hello \
  'runtime/**' 'reactor/**' 'tests/**' | xargs -0 cp --parents -t "$probe"
sed -i 's/"coop.cc",/"coop.cc",\n        "planted.cc",/' "$probe/runtime/core/BUILD.bazel"
touch "$probe/runtime/core/planted.cc"
if out=$(python3 tools/check_build_drift.py --root "$probe"); then
  fail "the drift check passed a BUILD.bazel with a file CMake lacks"
fi
# Exactly one problem, the planted file: the copy is otherwise faithful.
[ "$(grep -c '^  ' <<<"$out")" -eq 1 ] &&
  grep -q '^  runtime/core/planted.cc: in runtime/core/BUILD.bazel, not in' <<<"$out" ||
  fail "the drift check did not name exactly the planted file: $out"
echo "ok: refused, naming runtime/core/planted.cc"

# -----------------------------------------------------------------------------
section "cmake: configure and build magpie + tests ($jobs jobs)"
build="$work/build"
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo ||
  fail "cmake configure"
cmake --build "$build" -j "$jobs" || fail "cmake build"

section "ctest: the whole GoogleTest suite"
ctest --test-dir "$build" -j "$jobs" --output-on-failure ||
  fail "ctest"

# -----------------------------------------------------------------------------
section "cmake --install into a temporary prefix"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log"; fail "cmake --install"; }
libdir=$(cd "$prefix" && dirname "$(find . -name 'libmagpie.*' | head -1)")
for f in include/magpie/runtime/magpie.h include/magpie/runtime/version.h \
         "$libdir/cmake/magpie/magpieConfig.cmake" \
         "$libdir/cmake/magpie/magpieConfigVersion.cmake" \
         "$libdir/pkgconfig/magpie.pc"; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
  echo "installed: $f"
done
[ ! -e "$prefix/include/magpie/runtime/testing" ] ||
  fail "runtime/testing (test helpers) was installed"
echo "installed: $(find "$prefix/include" -name '*.h' | wc -l) headers, $libdir/$(cd "$prefix/$libdir" && ls libmagpie.*)"

# -----------------------------------------------------------------------------
for cxx in g++ clang++-19; do
  section "cmake consumer ($cxx): find_package(magpie 0.2), -Werror headers, run"
  out="$work/consumer-$cxx"
  cmake -S examples/consumer_cmake -B "$out" "${generator[@]}" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" ||
    fail "consumer configure ($cxx)"
  cmake --build "$out" -j "$jobs" || fail "consumer build ($cxx)"
  timeout 60 "$out/self_echo" || fail "consumer self_echo ($cxx)"
done

section "find_package refuses a version this is not"
for wanted in 0.1 0.3 1.0; do
  vdir="$work/version-$wanted"
  mkdir -p "$vdir"
  printf 'cmake_minimum_required(VERSION 3.23)\nproject(v LANGUAGES CXX)\nfind_package(magpie %s REQUIRED)\n' \
    "$wanted" >"$vdir/CMakeLists.txt"
  if cmake -S "$vdir" -B "$vdir/build" -DCMAKE_PREFIX_PATH="$prefix" \
       >"$vdir/log" 2>&1; then
    fail "find_package(magpie $wanted) accepted magpie $(cat "$vdir/log" | grep -o 'magpie [0-9.]*' | head -1)"
  fi
  echo "ok: find_package(magpie $wanted) refused"
done

section "pkg-config: magpie.pc builds and links the same program"
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
echo "magpie $(pkg-config --modversion magpie): $(pkg-config --cflags magpie)"
# shellcheck disable=SC2046  # pkg-config output is meant to be split
g++ -std=c++20 examples/consumer_cmake/self_echo.cc \
  $(pkg-config --cflags --libs magpie) -o "$work/self_echo_pc" ||
  fail "pkg-config build"
timeout 60 "$work/self_echo_pc" || fail "pkg-config self_echo"

# -----------------------------------------------------------------------------
section "bazel consumer: @magpie//:magpie from a separate workspace"
consumer_bazel_started=1
(cd examples/consumer_bazel && bazel build //:self_echo) ||
  fail "bazel consumer build"
timeout 60 examples/consumer_bazel/bazel-bin/self_echo ||
  fail "bazel consumer self_echo"

section "bazel consumer: internal targets are not visible"
if (cd examples/consumer_bazel &&
    bazel build //visibility_probe:uses_internal >"$work/probe.log" 2>&1); then
  fail "@magpie//runtime/core was visible to another workspace"
fi
grep -q 'is not visible' "$work/probe.log" ||
  { cat "$work/probe.log"; fail "the probe failed, but not on visibility"; }
echo "ok: $(grep -o "target '@magpie//runtime/core[^']*' is not visible" "$work/probe.log" | head -1)"

section "done"
echo "ci_cmake: ok in ${SECONDS}s"
