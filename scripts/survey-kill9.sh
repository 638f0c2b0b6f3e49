#!/usr/bin/env bash
# Durability of survey answers: runs `ki-reise bench survey` against a real
# `ki-reise serve` process, kills that server with SIGKILL in the middle of
# the run, restarts it, and checks that every answer the server acknowledged
# (HTTP 201) is stored. SQLite by default; set DATABASE_URL=postgres://… for
# PostgreSQL.
#
#   scripts/survey-kill9.sh [path/to/ki-reise]
set -euo pipefail

BIN=${1:-${KI_REISE_BIN:-target/release/ki-reise}}
PORT=${PORT:-18477}
KILL_AFTER=${KILL_AFTER:-2}
DIR=$(mktemp -d)
trap 'kill -9 "${PID:-0}" 2>/dev/null || true; rm -rf "$DIR"' EXIT
URL=${DATABASE_URL:-sqlite://$DIR/ki-reise.db}

serve() {
  "$BIN" serve --data "$DIR" --database-url "$URL" --bind "127.0.0.1:$PORT" >>"$DIR/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start:" >&2
  cat "$DIR/serve.log" >&2
  exit 1
}

serve
( sleep "$KILL_AFTER"; kill -9 "$PID" ) &
"$BIN" bench survey --url "http://127.0.0.1:$PORT" --database-url "$URL" \
  --clients 200 --submissions 10000 | tee "$DIR/bench.txt"
wait
echo "server killed with SIGKILL; restarting"
serve
# A single further answer proves the restarted server works on the same data.
"$BIN" bench survey --url "http://127.0.0.1:$PORT" --database-url "$URL" \
  --clients 1 --submissions 1 | tee -a "$DIR/bench.txt"
line=$(grep -m1 '^acknowledged ' "$DIR/bench.txt")
lost=${line##* }
if [ "$lost" != "0" ]; then
  echo "FAILED: $line" >&2
  exit 1
fi
echo "OK: $line"
