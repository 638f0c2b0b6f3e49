#!/usr/bin/env bash
# The official OpenAI Python SDK and LangChain's ChatOpenAI, installed from
# PyPI into a venv under .cache/, run unchanged against `ki-reise serve
# --model` on the test model (tests/openai-clients/clients.py).
#   bash scripts/test-openai-clients.sh   (after cargo build -p ki-reise)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${KI_REISE_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/ki-reise}"
model="${KI_REISE_TEST_MODEL:-$PWD/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
[ -f "$model" ] || { echo "model missing: run scripts/fetch-test-model.sh" >&2; exit 1; }
venv=.cache/venv-openai-clients
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "openai>=1.40" "langchain-openai>=0.3" "pydantic>=2"

data="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
KI_REISE_PASSWORD="ein-langes-testpasswort-1" "$bin" user add --data "$data" \
    --email sdk@stadt.example --name SDK --role staff >/dev/null
key="$("$bin" apikey create --data "$data" --email sdk@stadt.example 2>/dev/null)"
port=$((20000 + RANDOM % 20000))
"$bin" serve --data "$data" --bind "127.0.0.1:$port" --model "$model" >"$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.5
done
model_id="$(basename "$model" .gguf | tr '[:upper:]' '[:lower:]')"
KI_REISE_BASE="http://127.0.0.1:$port/v1" KI_REISE_KEY="$key" KI_REISE_MODEL_ID="$model_id" \
    "$venv/bin/python" tests/openai-clients/clients.py
