#!/usr/bin/env bash
# Regression: g++ 12 destroys braced and lambda temporaries of a co_await
# operand twice; tools/coawait_lint.py must report exactly the lines of the
# fixture marked FLAG (and nothing on the others).
set -euo pipefail
lint=tools/coawait_lint.py
fixture=tests/regressions/coawait_lint_fixture.cc.txt
[ -f "$lint" ] || lint="$TEST_SRCDIR/magpie/tools/coawait_lint.py"
[ -f "$fixture" ] || fixture="$TEST_SRCDIR/magpie/$fixture"

expected=$(grep -n '// FLAG$' "$fixture" | cut -d: -f1 | tr '\n' ' ')
set +e
out=$(python3 "$lint" "$fixture" 2>/dev/null)
rc=$?
set -e
actual=$(printf '%s\n' "$out" | sed -n 's/^[^:]*:\([0-9]*\): .*/\1/p' | sort -n | uniq | tr '\n' ' ')
echo "expected lines: $expected"
echo "reported lines: $actual"
printf '%s\n' "$out"
if [ "$rc" -ne 1 ]; then echo "FAIL: exit status $rc, want 1"; exit 1; fi
if [ "$expected" != "$actual" ]; then echo "FAIL: reported lines differ"; exit 1; fi
echo "PASS"
