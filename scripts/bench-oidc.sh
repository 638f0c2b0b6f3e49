#!/usr/bin/env bash
# OpenID Connect sign-in benchmark: N (default 200) concurrent sign-ins
# through a running `ki-reise serve` (SQLite, or PostgreSQL with
# --postgres) and the real oidc-provider (tests/oidc/server.mjs), each
# through the provider's login and consent forms, twice: first sign-ins
# (accounts created) and sign-ins again (accounts updated).
#
# Reported: p50/p99 of the time ki-reise adds per sign-in = its two
# requests (/anmelden/dienstkonto, the return /anmelden/dienstkonto/zurueck)
# as the client measures them, minus the time the return waited for the
# provider (token exchange, key set, userinfo), which ki-reise reports in
# its Server-Timing header. The provider's own pages are not counted.
# Goal: p99 < 200 ms. Only 127.0.0.1 is contacted.
#
#   bash scripts/bench-oidc.sh [N] [--postgres]
# Uses target/release/ki-reise if it exists, else target/debug/ki-reise
# (KI_REISE_BIN overrides). Needs `npm ci` in tests/oidc.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
count="${1:-200}"
backend="${2:-}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
bin="${KI_REISE_BIN:-}"
if [ -z "$bin" ]; then
    if [ -x "$target/release/ki-reise" ]; then bin="$target/release/ki-reise"; else bin="$target/debug/ki-reise"; fi
fi
[ -x "$bin" ] || { echo "no ki-reise binary at $bin (cargo build -p ki-reise)" >&2; exit 1; }
[ -d tests/oidc/node_modules/oidc-provider ] || { echo "cd tests/oidc && npm ci" >&2; exit 1; }
echo "binary: $bin"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
portal_port=$(free_port)
idp_port=$(free_port)
portal="http://127.0.0.1:$portal_port"
issuer="http://127.0.0.1:$idp_port"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${db:-}" ]; then psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

db_args=(--data "$work/data")
if [ "$backend" = "--postgres" ]; then
    pg_admin="${KI_REISE_TEST_PG:-postgres://root@127.0.0.1:5432/test}"
    db="kireise_bench_oidc_$$"
    psql "$pg_admin" -qc "CREATE DATABASE $db"
    db_args+=(--database-url "${pg_admin%/*}/$db")
fi

cat >"$work/ki-reise.toml" <<EOF
[oidc]
enabled = true
issuer = "$issuer"
client_id = "ki-reise-bench"
client_secret = "bench-geheimnis-0123456789"
scopes = ["email", "profile", "dienst"]
timeout_secs = 30
[oidc.mapping]
default_role = "staff"
roles = [{ group = "Alle-Beschaeftigten", role = "staff" }]
EOF

(cd tests/oidc && OIDC_PORT="$idp_port" OIDC_CLIENT_ID=ki-reise-bench \
    OIDC_CLIENT_SECRET=bench-geheimnis-0123456789 \
    OIDC_REDIRECT_URIS="$portal/anmelden/dienstkonto/zurueck" \
    OIDC_POST_LOGOUT_URIS="$portal/anmelden" \
    OIDC_BACKCHANNEL_URI="$portal/anmelden/dienstkonto/abmelden" \
    OIDC_BENCH_USERS=1 exec node server.mjs >"$work/idp.log" 2>&1) &
pids+=($!)
"$bin" serve --bind "127.0.0.1:$portal_port" --public-url "$portal" \
    --config "$work/ki-reise.toml" "${db_args[@]}" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
    curl -sf "$portal/healthz" >/dev/null && curl -sf "$issuer/.well-known/openid-configuration" >/dev/null && break
    sleep 0.1
done
curl -sf "$portal/healthz" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
node scripts/bench-oidc.mjs "$portal" "$count" "erste Anmeldung (Konten werden angelegt)" 1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
node scripts/bench-oidc.mjs "$portal" "$count" "erneute Anmeldung" 1
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
