#!/bin/bash
# Regression: `magpie bench` took a flag's value only after '='
# (--samples=2); `magpie bench --samples 2`, the form `magpie stress`, run.py
# and the README use, failed with "bad flag '--samples'" although 2 is in
# range. Found by a new user. Both forms now parse the same, and a value
# out of range is still an error (status 2) in either form.
set -uo pipefail
magpie="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/magpie"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$magpie" bench --workers 1 --samples 2 --scale 0.01 \
      --workloads ping_pong 2>/dev/null) || fail "space form: bench failed"
grep -q "^ping_pong " <<<"$out" || fail "space form: no ping_pong row: $out"
grep -q "^chained_spawn " <<<"$out" && fail "space form: --workloads ignored"

# The same run with '=': the same rows (the values differ run to run).
out_eq=$("$magpie" bench --workers=1 --samples=2 --scale=0.01 \
         --workloads=ping_pong 2>/dev/null) || fail "= form: bench failed"
[[ $(grep -c "^ping_pong " <<<"$out_eq") -eq 1 ]] || fail "= form: $out_eq"

for bad in "--samples 0" "--workers 0" "--scale 0" "--workloads nope" \
           "--samples"; do
  # shellcheck disable=SC2086  # split "--flag value" into two arguments
  err=$("$magpie" bench $bad 2>&1 >/dev/null)
  [[ $? -eq 2 ]] || fail "bench $bad: want status 2"
  grep -q "magpie bench:" <<<"$err" || fail "bench $bad: no error: $err"
done
echo PASS
