#!/bin/bash
# The `magpie` tool (tools/magpie.cc): dispatches to its subcommands, rejects
# unknown commands and bad flags with exit status 2, and `magpie bench`
# prints a table row per chosen workload.
set -uo pipefail
magpie="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/magpie"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$magpie" >/dev/null || fail "no arguments: want the command list, status 0"
"$magpie" help | grep -q "bench" || fail "help does not list bench"
"$magpie" help bench | grep -q -- "--workers" || fail "help bench: no flags"

"$magpie" frob >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "unknown command: want 2"
for bad in --workers=0 --workers=x --samples=0 --scale=0 --scale=-1 \
           --workloads=nope --frob; do
  "$magpie" bench "$bad" >/dev/null 2>&1
  [[ $? -eq 2 ]] || fail "bench $bad: want status 2"
done

[[ $("$magpie" bench --list | wc -l) -eq 7 ]] || fail "--list: want 7 workloads"

out=$("$magpie" bench --workers=1 --samples=1 --scale=0.01 \
      --workloads=ping_pong,chained_spawn 2>/dev/null) || fail "bench failed"
grep -q "^ping_pong " <<<"$out" || fail "no ping_pong row: $out"
grep -q "^chained_spawn " <<<"$out" || fail "no chained_spawn row: $out"
grep -q "^spawn_many " <<<"$out" && fail "spawn_many was not asked for"
echo PASS
