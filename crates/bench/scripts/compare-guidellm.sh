#!/usr/bin/env bash
# Runs GuideLLM (an established benchmark, from PyPI) and `ki-reise bench`
# against the same OpenAI-compatible endpoint with the same synthetic
# workload, and prints how far their TTFT, ITL and throughput agree.
#
# Usage: compare-guidellm.sh BASE_URL MODEL [CONCURRENCY] [REQUESTS]
#   BASE_URL   e.g. http://127.0.0.1:8080   (without /v1)
#   MODEL      the model name the server expects
# Needs: python3 with venv, network access to PyPI once, ki-reise on PATH
# (or KI_REISE=/path/to/ki-reise). Not run in CI: it needs a real server.
set -euo pipefail

BASE_URL=${1:?BASE_URL fehlt}
MODEL=${2:?MODEL fehlt}
CONCURRENCY=${3:-4}
REQUESTS=${4:-64}
PROMPT_TOKENS=${PROMPT_TOKENS:-256}
OUTPUT_TOKENS=${OUTPUT_TOKENS:-128}
GUIDELLM_VERSION=${GUIDELLM_VERSION:-0.7.3}
KI_REISE=${KI_REISE:-ki-reise}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet "guidellm==$GUIDELLM_VERSION"

"$WORK/venv/bin/guidellm" benchmark \
  --target "$BASE_URL" \
  --model "$MODEL" \
  --data "prompt_tokens=$PROMPT_TOKENS,output_tokens=$OUTPUT_TOKENS" \
  --rate-type concurrent --rate "$CONCURRENCY" \
  --max-requests "$REQUESTS" \
  --output-path "$WORK/guidellm.json"

# ignore_eos makes vLLM-style servers produce exactly OUTPUT_TOKENS tokens,
# as GuideLLM asks them to; servers without it may stop earlier.
cat > "$WORK/spec.yaml" <<SPEC
name: "Abgleich mit GuideLLM"
targets:
  - name: "Endpunkt"
    base_url: "$BASE_URL/v1"
    model: "$MODEL"
    cost: { monthly: { eur_per_month: 0 } }
workloads:
  - name: "Synthetisch"
    synthetic:
      input_tokens: { fixed: $PROMPT_TOKENS }
      output_tokens: { fixed: $OUTPUT_TOKENS }
      ignore_eos: true
load_profiles:
  - name: "Gleichzeitig"
    concurrency: [$CONCURRENCY]
    requests: $REQUESTS
SPEC
"$KI_REISE" bench run "$WORK/spec.yaml" --out "$WORK/ki-reise"

python3 - "$WORK/guidellm.json" "$WORK/ki-reise/report.json" <<'PY'
import json, sys

def find(node, key):
    """First value under `key` anywhere in a JSON tree (GuideLLM's layout
    moves between versions; the metric names have stayed)."""
    if isinstance(node, dict):
        if key in node:
            return node[key]
        for v in node.values():
            r = find(v, key)
            if r is not None:
                return r
    elif isinstance(node, list):
        for v in node:
            r = find(v, key)
            if r is not None:
                return r
    return None

def stat(node, key, which):
    m = find(node, key)
    if isinstance(m, dict):
        m = m.get("successful", m)
        return m.get(which, (m.get("percentiles") or {}).get(which))
    return None

g = json.load(open(sys.argv[1]))
k = json.load(open(sys.argv[2]))["levels"][0]
rows = [
    ("TTFT Median (ms)", stat(g, "time_to_first_token_ms", "median"), k["ttft_ms"]["p50"]),
    ("TTFT p99 (ms)", stat(g, "time_to_first_token_ms", "p99"), k["ttft_ms"]["p99"]),
    # GuideLLM's ITL is (end-to-end − TTFT) / (tokens − 1): our TPOT.
    ("ITL Median (ms)", stat(g, "inter_token_latency_ms", "median"), k["tpot_ms"]["p50"]),
    ("Ausgabe-Tokens/s", stat(g, "output_tokens_per_second", "mean"), k["output_tokens_per_s"]),
    ("Anfragen/s", stat(g, "requests_per_second", "mean"), k["requests_per_s"]),
]
print(f"{'Kennzahl':<20} {'GuideLLM':>10} {'ki-reise':>10} {'Abw.':>8}")
for name, a, b in rows:
    if a is None or b is None:
        print(f"{name:<20} {str(a):>10} {str(b):>10} {'–':>8}")
    else:
        dev = (b - a) / a * 100 if a else float("nan")
        print(f"{name:<20} {a:>10.2f} {b:>10.2f} {dev:>7.1f}%")
PY
