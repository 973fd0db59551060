#!/usr/bin/env bash
# Smoke test for examples/tcp_proxy as a real process: echo_server as the
# upstream, the proxy in front of it forwarding to "localhost:<port>" (a
# name, looked up), lines echoed through the proxy over 127.0.0.1; then
# SIGTERM stops the proxy gracefully (exit 0, summary with the byte counts)
# even with an idle connection open. Every wait is bounded.

set -euo pipefail

RUNFILES="${TEST_SRCDIR:-$0.runfiles}/magpie"
ECHO_SERVER="$RUNFILES/examples/echo_server/echo_server"
TCP_PROXY="$RUNFILES/examples/tcp_proxy/tcp_proxy"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$TMP"/*.out "$TMP"/*.err; do
    [[ -f "$f" ]] && { echo "--- $f"; cat "$f"; } >&2
  done
  exit 1
}

# start NAME BINARY ARGS...: sets PID and PORT from "listening on" line.
start() {
  local name=$1 binary=$2
  shift 2
  : >"$TMP/$name.out"
  "$binary" --port=0 --workers=2 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PID=$!
  PIDS+=("$PID")
  PORT=""
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
      "$TMP/$name.out")
    [[ -n "$PORT" ]] && return 0
    kill -0 "$PID" 2>/dev/null || fail "$name exited before listening"
    sleep 0.1
  done
  fail "$name printed no 'listening on' line"
}

start echo "$ECHO_SERVER"
ECHO_PID=$PID
ECHO_PORT=$PORT
start proxy "$TCP_PROXY" --upstream="localhost:$ECHO_PORT" --drain_ms=500
PROXY_PID=$PID

exec 3<>"/dev/tcp/127.0.0.1/$PORT"
sent=0
for line in hello "through the proxy" "$(printf 'y%.0s' $(seq 3000))"; do
  printf '%s\n' "$line" >&3
  read -r -t 5 got <&3 || fail "proxy: no reply to '${line:0:20}'"
  [[ "$got" == "$line" ]] || fail "proxy: sent '${line:0:20}', got '${got:0:20}'"
  sent=$((sent + ${#line} + 1))
done
exec 3>&-
exec 4<>"/dev/tcp/127.0.0.1/$PORT"  # Idle: cut after --drain_ms.
sleep 0.2  # Let the first connection's close reach the proxy's counters.

kill -TERM "$PROXY_PID"
for _ in $(seq 100); do
  kill -0 "$PROXY_PID" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$PROXY_PID" 2>/dev/null && fail "proxy still running 10 s after SIGTERM"
status=0
wait "$PROXY_PID" || status=$?
[[ $status -eq 0 ]] || fail "proxy exited with status $status"
grep -Eq "^served 2 connections \(0 rejected\), proxied $sent bytes up, $sent bytes down, 0 upstream failures$" \
  "$TMP/proxy.out" || fail "proxy: no summary line with $sent bytes each way"
exec 4>&-
kill -TERM "$ECHO_PID"
wait "$ECHO_PID" || true
echo PASS
