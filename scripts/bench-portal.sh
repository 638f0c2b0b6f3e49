#!/usr/bin/env bash
# Portal benchmark: 100 logged-in sessions on the dashboard and the user list,
# on SQLite and on PostgreSQL, on this machine. Prints requests/s, p50/p99,
# the server's peak RSS, the release binary's size and the time from start to
# the first successful /healthz. Only 127.0.0.1 is contacted.
#   bash scripts/bench-portal.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-20}"
pg_admin="${KI_REISE_TEST_PG:-postgres://root@127.0.0.1:5432/test}"
cargo build --release -p ki-reise --locked >&2
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ki-reise"
echo "binary size (release, stripped): $(stat -c %s "$bin") bytes"
export KI_REISE_PASSWORD="bench-passwort-123"

run_one() {
    local label="$1" port="$2"; shift 2
    local data; data="$(mktemp -d)"
    "$bin" user add --email bench@example.org --name Bench --role admin --data "$data" "$@" >/dev/null
    local t0; t0=$(date +%s%N)
    "$bin" serve --bind "127.0.0.1:$port" --data "$data" "$@" >/dev/null 2>&1 &
    local pid=$!
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.005; done
    local t1; t1=$(date +%s%N)
    echo
    echo "== $label: start to first /healthz: $(( (t1 - t0) / 1000000 )) ms"
    "$bin" bench portal --url "http://127.0.0.1:$port" --email bench@example.org --sessions 100 --seconds "$seconds"
    echo "peak RSS of the server: $(grep VmHWM /proc/$pid/status | awk '{print $2}') kB"
    kill -TERM "$pid"; wait "$pid" || true
    rm -rf "$data"
}

run_one SQLite 18181
db="kireise_bench_$$"
psql "$pg_admin" -qc "CREATE DATABASE $db"
run_one PostgreSQL 18182 --database-url "${pg_admin%/*}/$db"
psql "$pg_admin" -qc "DROP DATABASE $db"
