#!/usr/bin/env bash
# Smoke test for the example servers: echo_server echoes lines and http_hello
# answers GET / (also two pipelined requests, and requests after empty
# lines), both over 127.0.0.1 on
# ephemeral ports; then SIGTERM shuts each down with exit status 0 and its
# summary line, also with an idle connection still open. Every wait is
# bounded.

set -euo pipefail

RUNFILES="${TEST_SRCDIR:-$0.runfiles}/magpie"
ECHO_SERVER="$RUNFILES/examples/echo_server/echo_server"
HTTP_HELLO="$RUNFILES/examples/http_hello/http_hello"
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

# start NAME BINARY: runs BINARY on an ephemeral port; sets PID and PORT
# from its "listening on 127.0.0.1:<port>" line.
start() {
  local name=$1 binary=$2
  : >"$TMP/$name.out"  # Exists before the first poll below reads it.
  "$binary" --port=0 --workers=2 >"$TMP/$name.out" 2>"$TMP/$name.err" &
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

# stop NAME PID SUMMARY_REGEX: SIGTERM, then expect exit 0 within 10 s and
# a summary line matching the regex on stdout.
stop() {
  local name=$1 pid=$2 summary=$3 status=0
  kill -TERM "$pid"
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && fail "$name still running 10 s after SIGTERM"
  wait "$pid" || status=$?
  [[ $status -eq 0 ]] || fail "$name exited with status $status"
  grep -Eq "$summary" "$TMP/$name.out" || fail "$name: no summary line"
}

# --- echo_server
start echo "$ECHO_SERVER"
ECHO_PID=$PID
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
for line in hello "magpie echo" "$(printf 'x%.0s' $(seq 1000))"; do
  printf '%s\n' "$line" >&3
  read -r -t 5 got <&3 || fail "echo: no reply to '${line:0:20}'"
  [[ "$got" == "$line" ]] || fail "echo: sent '${line:0:20}', got '${got:0:20}'"
done
exec 4<>"/dev/tcp/127.0.0.1/$PORT"  # Left idle: must not delay shutdown.

# --- http_hello
start http "$HTTP_HELLO"
HTTP_PID=$PID
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&5
response=$(timeout 5 cat <&5) || fail "http: no complete response"
exec 5>&-
[[ "$response" == "HTTP/1.1 200 OK"$'\r'* ]] ||
  fail "http: status line: ${response%%$'\r'*}"
[[ "$response" == *$'\r\n\r\n'"Hello, world!" ]] || fail "http: body"
[[ "$response" == *"Content-Length: 14"$'\r'* ]] || fail "http: length"

exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >&5
response=$(timeout 5 cat <&5) || fail "http: no pipelined responses"
exec 5>&-
[[ $(grep -c '^HTTP/1.1 200 OK' <<<"$response") -eq 1 &&
  $(grep -c '^HTTP/1.1 404 Not Found' <<<"$response") -eq 1 ]] ||
  fail "http: pipelined: $response"

# RFC 9112 §2.2: an empty line before a request, and between pipelined
# ones, is ignored (it used to get 400).
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >&5
response=$(timeout 5 cat <&5) || fail "http: no responses after empty lines"
exec 5>&-
[[ $(grep -c '^HTTP/1.1 200 OK' <<<"$response") -eq 2 ]] ||
  fail "http: empty lines before requests: $response"

# --- shutdown
stop echo "$ECHO_PID" '^served 2 connections \(0 rejected\), echoed 1019 bytes$'
exec 3>&- 4>&-
stop http "$HTTP_PID" '^served 3 connections \(0 rejected\), 5 requests$'
echo PASS
