#!/usr/bin/env bash
# Schemathesis (from PyPI, into a venv under .cache/) against a fresh
# `ki-reise serve`: every operation of /api/v1/openapi.json with generated
# valid and invalid requests and all of its checks (no 5xx, status codes,
# content types and bodies as documented, invalid input refused, valid
# input accepted), once with an administrator's key and once with a staff
# member's key. A failure prints schemathesis' report and fails the run.
#   bash scripts/test-api-contract.sh        (after cargo build -p ki-reise)
#   ST_MAX_EXAMPLES=50 bash scripts/test-api-contract.sh   (a longer run)
# The failures not yet mended are listed, each with its reason, in
# tests/api-contract/baseline.json: they do not fail the run, every new one
# does. ST_BASELINE_UPDATE=1 adds this run's failures to it (then write the
# reason of each new entry into its "reason" field).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${KI_REISE_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/ki-reise}"
venv=.cache/venv-schemathesis
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi

data="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
# A model catalogue of the data folder's own whose one address is a closed
# local port: generated requests for POST /api/v1/gateway/model-downloads
# may name a real entry, and must not start a download from the internet.
mkdir -p "$data/content"
cat >"$data/content/models.yaml" <<'YAML'
- id: vertrag
  name: Vertragstest
  architecture: llama
  licence: Apache-2.0
  languages: [de]
  context_length: 512
  shape: { layers: 2, kv_heads: 2, head_dim: 16 }
  recommended_use: Nur für den Vertragstest.
  quality_note: Keine Datei dahinter.
  sampling: { temperature: 0.2 }
  quants:
    - { quant: Q8_0, file: Vertrag-Q8_0.gguf, size_bytes: 1000, url: "http://127.0.0.1:9/vertrag.gguf" }
YAML
for who in admin staff; do
    KI_REISE_PASSWORD="ein-langes-testpasswort-1" "$bin" user add --data "$data" \
        --email "$who@stadt.example" --name "Vertrag $who" --role "$who" >/dev/null
done
admin_key="$("$bin" apikey create --data "$data" --email admin@stadt.example 2>/dev/null)"
staff_key="$("$bin" apikey create --data "$data" --email staff@stadt.example 2>/dev/null)"
port=$((20000 + RANDOM % 20000))
"$bin" serve --data "$data" --bind "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.5
done

status=0
for who in admin staff; do
    key_var="${who}_key"
    echo "== schemathesis as $who"
    "$venv/bin/schemathesis" --config-file tests/api-contract/schemathesis.toml run \
        "http://127.0.0.1:$port/api/v1/openapi.json" \
        -H "Authorization: Bearer ${!key_var}" \
        --checks all --max-examples "${ST_MAX_EXAMPLES:-10}" \
        --seed 1 --workers 1 --no-color --generation-allow-x00 false --generation-database none \
        --baseline tests/api-contract/baseline.json ${ST_BASELINE_UPDATE:+--baseline-update} || status=1
done
if ((status != 0)); then
    echo "server log (last 50 lines):" >&2
    tail -n 50 "$data/serve.log" >&2
fi
exit "$status"
