#!/bin/bash
# Regression: bench/compare/run.py --no-build took magpie's binaries from
# bazel-bin, which follows the last Bazel command's compilation mode, so a
# run after a plain `bazel test` measured an -O1 build with asserts (a
# false 1.3x chained_spawn regression was reported from it). run.py now
# takes them from bazel-out/k8-opt/bin and refuses any magpie peer that
# does not answer "optimized=1 ndebug=1" to `PEER build`.
set -euo pipefail
run_py="$TEST_SRCDIR/magpie/bench/compare/run.py"
tmp="$TEST_TMPDIR"
printf '#!/bin/sh\necho "build optimized=1 ndebug=0"\n' >"$tmp/debug_peer"
printf '#!/bin/sh\necho "build optimized=1 ndebug=1"\n' >"$tmp/opt_peer"
printf '#!/bin/sh\nexit 0\n' >"$tmp/mute_peer"
chmod +x "$tmp"/*_peer
python3 - "$run_py" "$tmp" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("run", sys.argv[1])
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)
tmp = sys.argv[2]
problem = run.check_magpie_build([f"{tmp}/debug_peer"])
assert problem and "not an optimized NDEBUG build" in problem, problem
problem = run.check_magpie_build([f"{tmp}/mute_peer"])
assert problem and "no answer" in problem, problem
assert run.check_magpie_build([f"{tmp}/opt_peer"]) is None
for peer in ("magpie", "magpie-workers"):
    path = run.peer_command(peer)[-1]
    assert "/bazel-out/k8-opt/bin/" in path and "bazel-bin" not in path, path
assert "/bazel-out/k8-opt/bin/" in run.echo_load_binary()
print("ok")
PY
