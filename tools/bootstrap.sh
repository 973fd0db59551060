#!/usr/bin/env bash
# Installs everything magpie needs to build, test and benchmark on Debian 12,
# from Debian's own packages (the only source this needs). Idempotent: a
# second run installs nothing and says so.
#
#   tools/bootstrap.sh          # as root, or with sudo available
set -euo pipefail

PACKAGES=(
  bazel-bootstrap        # Bazel 4.2.3 (WORKSPACE mode)
  default-jdk-headless   # Bazel's server runs on it
  g++                    # g++ 12, the default toolchain
  clang-19               # the second compiler (--config=clang): CI runs the
  libclang-rt-19-dev     #   suite with it and its thread-safety analysis
  libabsl-dev            # Abseil 20220623
  libconcurrentqueue-dev # moodycamel::ConcurrentQueue
  googletest             # GoogleTest/GoogleMock sources, built by Bazel
  libgtest-dev
  libgmock-dev
  libbenchmark-dev       # Google Benchmark
  python3                # the CI summary, tools/check_build_drift.py
  cmake                  # the CMake build (3.25; needs 3.23)
  ninja-build            # its generator (tools/ci_cmake.sh)
  pkg-config             # checks the installed magpie.pc
)

say() { printf 'bootstrap: %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    say "must run as root (or with sudo) to install packages" >&2
    exit 1
  fi
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  say "all ${#PACKAGES[@]} packages already installed; nothing to do"
else
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  say "installed ${#missing[@]} package(s)"
fi

# Check the versions the build files assume.
fail=0
gxx_major=$(g++ -dumpversion | cut -d. -f1)
if [ "$gxx_major" -lt 12 ]; then
  say "g++ $gxx_major found; magpie needs g++ 12 or newer (C++20 coroutines)" >&2
  fail=1
fi
absl_version=$(dpkg-query -W -f='${Version}' libabsl-dev)
case "$absl_version" in
  20220623*) ;;
  *) say "warning: libabsl-dev $absl_version; third_party/absl lists 20220623's libraries" ;;
esac
bazel_version=$(dpkg-query -W -f='${Version}' bazel-bootstrap)
case "$bazel_version" in
  4.*) ;;
  *) say "warning: bazel-bootstrap $bazel_version; the workspace targets Bazel 4.2.3" ;;
esac
cmake_version=$(cmake --version | head -1 | awk '{print $3}')
if ! printf '3.23\n%s\n' "$cmake_version" | sort -V -C; then
  say "cmake $cmake_version found; the CMake build needs 3.23 or newer" >&2
  fail=1
fi
for header in /usr/include/concurrentqueue/concurrentqueue.h \
              /usr/src/googletest/googletest/src/gtest-all.cc \
              /usr/include/benchmark/benchmark.h; do
  if [ ! -e "$header" ]; then
    say "missing $header" >&2
    fail=1
  fi
done
[ "$fail" -eq 0 ] || exit 1
say "ready: g++ $(g++ -dumpversion), clang $(clang-19 -dumpversion), bazel-bootstrap $bazel_version, abseil $absl_version, cmake $cmake_version"
