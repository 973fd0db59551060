#!/bin/bash
# CI hook for the runtime comparison (bench/compare/): installs the peers
# from Debian's packages if missing (librust-tokio-dev cargo golang-go
# libasio-dev), builds magpie's peer, Tokio's, Go's and Asio's, and runs
# every workload and every echo server once at a tiny size. Proves that
# bench/compare/run.py works on a fresh machine; the numbers mean nothing.
# 50 s on the 2-core build machine with Bazel's outputs cached and cold
# cargo, Go and g++ builds (Tokio's crate graph: ~40 s); a cold Bazel build
# of magpie adds 2-3 min, most of it shared with CI's own build. Output goes
# to a temporary directory.
#
#   tools/ci_compare_smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
timeout 900 bench/compare/run.py --smoke --out "$out"
for f in results.md results.csv ratios.svg; do
  test -s "$out/$f" || { echo "ci_compare_smoke: $f missing" >&2; exit 1; }
done
echo "ci_compare_smoke: ok"
