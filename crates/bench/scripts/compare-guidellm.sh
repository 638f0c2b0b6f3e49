#!/usr/bin/env bash
# Runs GuideLLM (an established benchmark, from PyPI) and `ki-reise bench`
# against the same OpenAI-compatible endpoint with the same synthetic
# workload, and prints how far their TTFT, ITL and throughput agree.
#
# Usage: compare-guidellm.sh BASE_URL MODEL [CONCURRENCY] [REQUESTS]
#   BASE_URL   e.g. http://127.0.0.1:8080   (without /v1)
#   MODEL      the model name the server expects (GET /v1/models)
# Environment:
#   PROMPT_TOKENS, OUTPUT_TOKENS  tokens per request (default 256, 64); both
#                  tools ask for exactly OUTPUT_TOKENS (ignore_eos, max tokens)
#   BENCH_API_KEY  Bearer key for the endpoint (ki-reise serve needs one:
#                  `ki-reise apikey create --email …`)
#   TOKENIZER_GGUF GGUF whose tokenizer GuideLLM counts prompt tokens with
#                  (default: the test model in .cache/models); exported once
#                  into .cache/guidellm-tokenizer/, no Hugging Face access
#   TOKENIZER      a Hugging Face tokenizer directory instead of TOKENIZER_GGUF
#   GUIDELLM_VENV  venv with guidellm (default: .cache/guidellm-venv, created
#                  once from PyPI with guidellm==GUIDELLM_VERSION, gguf,
#                  sentencepiece)
#   ORDER          guidellm-first (default) or ki-reise-first
#   OUT_DIR        keep all results there (default: a temporary folder)
#   KI_REISE       the ki-reise binary (default: ki-reise on PATH)
# Not run in CI: it needs a real server and PyPI once.
#
# Reading the result: the left half shows each tool's own figures, the right
# half the same formulas applied to both tools' per-request records, so a
# gap that is left on the right is a difference in what was measured, not
# in how it was summarised. Measured with SmolLM2 on 2 cores: with a core
# free for the clients (`threads = 1` in [gateway.local]) everything agrees
# within about 3 %. With the engine on every core, end-to-end time and
# throughput still agree within 5 %, but TTFT and ITL split the waiting
# differently from run to run: with fixed lengths the requests run in
# waves, and small disturbances (other load, GuideLLM's Python client with
# tens of times the CPU time of ki-reise bench) decide whether prefills
# overlap. Compare the means and the end-to-end time first.
set -euo pipefail

BASE_URL=${1:?BASE_URL fehlt}
BASE_URL=${BASE_URL%/}
BASE_URL=${BASE_URL%/v1}
MODEL=${2:?MODEL fehlt}
CONCURRENCY=${3:-4}
REQUESTS=${4:-32}
PROMPT_TOKENS=${PROMPT_TOKENS:-256}
OUTPUT_TOKENS=${OUTPUT_TOKENS:-64}
GUIDELLM_VERSION=${GUIDELLM_VERSION:-0.7.3}
ORDER=${ORDER:-guidellm-first}
KI_REISE=${KI_REISE:-ki-reise}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../../.." && pwd)
CACHE=${CACHE_DIR:-$ROOT/.cache}
GUIDELLM_VENV=${GUIDELLM_VENV:-$CACHE/guidellm-venv}
TOKENIZER_GGUF=${TOKENIZER_GGUF:-$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf}

if [ -n "${OUT_DIR:-}" ]; then
  WORK=$OUT_DIR
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

# The tokenizer is local; nothing may reach out to huggingface.co.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1

if [ ! -x "$GUIDELLM_VENV/bin/guidellm" ]; then
  echo "Richte GuideLLM $GUIDELLM_VERSION in $GUIDELLM_VENV ein (einmalig) …" >&2
  python3 -m venv "$GUIDELLM_VENV"
  "$GUIDELLM_VENV/bin/pip" install --quiet "guidellm==$GUIDELLM_VERSION" gguf sentencepiece
fi
PY="$GUIDELLM_VENV/bin/python"

# GuideLLM sizes its synthetic prompts with a Hugging Face tokenizer; take
# the one inside the GGUF file the server runs.
if [ -z "${TOKENIZER:-}" ]; then
  [ -f "$TOKENIZER_GGUF" ] || { echo "Tokenizer-Quelle fehlt: $TOKENIZER_GGUF (TOKENIZER_GGUF setzen)" >&2; exit 1; }
  TOKENIZER="$CACHE/guidellm-tokenizer/$(basename "$TOKENIZER_GGUF" .gguf)"
  if [ ! -f "$TOKENIZER/tokenizer_config.json" ]; then
    echo "Lese den Tokenizer aus $TOKENIZER_GGUF (einmalig) …" >&2
    "$PY" - "$TOKENIZER_GGUF" "$TOKENIZER" <<'PY' >&2
import os, sys
from transformers import AutoTokenizer
gguf, out = sys.argv[1:3]
tok = AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(gguf)),
                                    gguf_file=os.path.basename(gguf))
tok.save_pretrained(out)
PY
  fi
fi

# ki-reise bench sizes its synthetic prompts in the target's own tokens:
# it asks the server how many tokens its filler words take (three short
# calibration requests) before the first level, so PROMPT_TOKENS means the
# same for both tools.
echo "Eingabe: $PROMPT_TOKENS Tokens, Ausgabe: $OUTPUT_TOKENS Tokens," \
  "$CONCURRENCY gleichzeitig, $REQUESTS Anfragen je Werkzeug" >&2

# The key goes into a file only we can read, never onto a command line.
umask 077
"$PY" - "$WORK/guidellm-scenario.json" "$BASE_URL" "$MODEL" "$CONCURRENCY" "$REQUESTS" \
  "$TOKENIZER" "$PROMPT_TOKENS" "$OUTPUT_TOKENS" "$WORK/guidellm.json" <<'PY'
import json, os, sys
out, base_url, model, streams, requests, tokenizer, prompt, output, result = sys.argv[1:]
backend = {
    "kind": "openai_http",
    "target": base_url,
    "model": model,
    # GuideLLM checks GET /health before it starts; not every server has it.
    "api_routes": {"/health": "v1/models"},
    # Greedy decoding, as ki-reise bench asks for.
    "extras": {"body": {"temperature": 0}},
}
if os.environ.get("BENCH_API_KEY"):
    backend["api_key"] = os.environ["BENCH_API_KEY"]
scenario = {"spec": {
    "backend": backend,
    "profile": {"kind": "concurrent", "streams": [int(streams)]},
    "constraints": [{"kind": "max_requests", "count": int(requests)}],
    "tokenizer": {"kind": "huggingface_auto", "model": tokenizer},
    # A fixed output length makes GuideLLM send max_completion_tokens and
    # ignore_eos, so the server generates exactly that many tokens.
    "data": [{"kind": "synthetic_text", "prompt_tokens": int(prompt),
              "output_tokens": int(output)}],
    "outputs": [{"kind": "json", "path": result}],
}}
with open(out, "w") as f:
    json.dump(scenario, f, indent=2)
PY

key_line=""
[ -n "${BENCH_API_KEY:-}" ] && key_line='api_key_env: "BENCH_API_KEY"'
cat > "$WORK/spec.yaml" <<SPEC
name: "Abgleich mit GuideLLM"
targets:
  - name: "Endpunkt"
    base_url: "$BASE_URL/v1"
    model: "$MODEL"
    $key_line
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
    warmup_requests: 0
SPEC

# fd 3: the terminal's stderr, for messages from inside timed blocks.
exec 3>&2
run_logged() {
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&3
    echo "Fehlgeschlagen: $1 (mit OUT_DIR bleibt das Protokoll $log erhalten)" >&3
    exit 1
  fi
}
# Each tool's CPU seconds (user + system, start-up included) go to a file:
# a client that needs much CPU slows a server on the same cores.
TIMEFORMAT='%U %S'
run_guidellm() {
  echo "GuideLLM misst … (Last: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  { time run_logged "$WORK/guidellm.log" "$GUIDELLM_VENV/bin/guidellm" run \
      --scenario "$WORK/guidellm-scenario.json" --disable-console-interactive; } 2>"$WORK/guidellm.cpu"
}
run_ki_reise() {
  echo "ki-reise bench misst … (Last: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  { time run_logged "$WORK/ki-reise.log" "$KI_REISE" bench run "$WORK/spec.yaml" \
      --out "$WORK/ki-reise"; } 2>"$WORK/ki-reise.cpu"
}
case "$ORDER" in
  guidellm-first) run_guidellm; run_ki_reise ;;
  ki-reise-first) run_ki_reise; run_guidellm ;;
  *) echo "ORDER muss guidellm-first oder ki-reise-first sein" >&2; exit 1 ;;
esac

"$PY" - "$WORK/guidellm.json" "$WORK/ki-reise/report.json" "$WORK/ki-reise/requests.csv" \
  "$WORK/guidellm.cpu" "$WORK/ki-reise.cpu" <<'PY' | tee "$WORK/vergleich.txt"
import csv, json, math, sys

g = json.load(open(sys.argv[1]))["benchmarks"][0]
gm = g["metrics"]
k = json.load(open(sys.argv[2]))["levels"][0]

def gs(metric, which):
    """A statistic of GuideLLM 0.7.3's report, successful requests only."""
    s = gm[metric]["successful"]
    return s[which] if which in s else s["percentiles"][which]

# Raw per-request values of both tools, for one common set of formulas.
g_req = g["requests"]["successful"]
k_req = [r for r in csv.DictReader(open(sys.argv[3], newline="")) if not r["error_kind"]]

def pct(values, p):
    """Linear interpolation between closest ranks (ki-reise, numpy)."""
    v = sorted(values)
    r = p / 100 * (len(v) - 1)
    lo, hi = math.floor(r), math.ceil(r)
    return v[lo] + (v[hi] - v[lo]) * (r - lo)

def mean(values):
    return sum(values) / len(values)

def f(rows, key):
    return [float(r[key]) for r in rows if r.get(key) not in (None, "")]

g_wall = g["duration"]
k_wall = k["duration_s"]
rows = [
    # (label, GuideLLM as it reports, ki-reise as it reports,
    #  GuideLLM raw → common formula, ki-reise raw → common formula)
    ("Eingabe-Tokens/Anfr.", gs("prompt_token_count", "mean"), k["input_tokens_mean"],
     mean(f(g_req, "prompt_tokens")), mean(f(k_req, "input_tokens"))),
    ("Ausgabe-Tokens/Anfr.", gs("output_token_count", "mean"), k["output_tokens_mean"],
     mean(f(g_req, "output_tokens")), mean(f(k_req, "output_tokens"))),
    # With fixed lengths the closed loop runs in waves: requests that start
    # together queue for prefill, so TTFT falls into clusters and a median
    # of few requests can jump between two of them; the mean is steadier.
    ("TTFT Mittel (ms)", gs("time_to_first_token_ms", "mean"), k["ttft_ms"]["mean"],
     mean(f(g_req, "time_to_first_token_ms")), mean(f(k_req, "ttft_ms"))),
    ("TTFT Median (ms)", gs("time_to_first_token_ms", "median"), k["ttft_ms"]["p50"],
     pct(f(g_req, "time_to_first_token_ms"), 50), pct(f(k_req, "ttft_ms"), 50)),
    ("TTFT p99 (ms)", gs("time_to_first_token_ms", "p99"), k["ttft_ms"]["p99"],
     pct(f(g_req, "time_to_first_token_ms"), 99), pct(f(k_req, "ttft_ms"), 99)),
    # GuideLLM's ITL is (end-to-end − TTFT) / (tokens − 1) per request:
    # our TPOT. Our own ITL is the gap between stream chunks.
    ("ITL Mittel (ms)", gs("inter_token_latency_ms", "mean"), k["tpot_ms"]["mean"],
     mean(f(g_req, "inter_token_latency_ms")), mean(f(k_req, "tpot_ms"))),
    ("ITL Median (ms)", gs("inter_token_latency_ms", "median"), k["tpot_ms"]["p50"],
     pct(f(g_req, "inter_token_latency_ms"), 50), pct(f(k_req, "tpot_ms"), 50)),
    ("Ende-zu-Ende Mit. (ms)", gs("request_latency", "mean") * 1000, k["e2e_ms"]["mean"],
     mean([x * 1000 for x in f(g_req, "request_latency")]), mean(f(k_req, "e2e_ms"))),
    # GuideLLM divides by first to last token, we by the whole level.
    ("Ausgabe-Tokens/s", gs("output_tokens_per_second", "mean"), k["output_tokens_per_s"],
     sum(f(g_req, "output_tokens")) / g_wall, sum(f(k_req, "output_tokens")) / k_wall),
    ("Anfragen/s", gs("requests_per_second", "mean"), k["requests_per_s"],
     len(g_req) / g_wall, len(k_req) / k_wall),
]

def dev(a, b):
    return f"{(b - a) / a * 100:+7.1f}%" if a and b is not None else f"{'–':>8}"

def num(x):
    return f"{x:>9.1f}" if x is not None else f"{'–':>9}"

print()
print(f"{'':<22} {'wie berichtet':^29} {'gleiche Formeln':^29}")
print(f"{'Kennzahl':<22} {'GuideLLM':>9} {'ki-reise':>9} {'Abw.':>8}  "
      f"{'GuideLLM':>9} {'ki-reise':>9} {'Abw.':>8}")
for name, a, b, c, d in rows:
    print(f"{name:<22} {num(a)} {num(b)} {dev(a, b)}  {num(c)} {num(d)} {dev(c, d)}")
print(f"\nAnfragen ok: GuideLLM {len(g_req)}, ki-reise {len(k_req)}; "
      f"Messdauer: GuideLLM {g_wall:.1f} s, ki-reise {k_wall:.1f} s")
cpu = [sum(map(float, open(p).read().split())) for p in sys.argv[4:6]]
print(f"CPU-Zeit der Werkzeuge (mit Start): GuideLLM {cpu[0]:.1f} s, ki-reise {cpu[1]:.1f} s")
print("Gleiche Formeln: Perzentile linear interpoliert, ITL = (E2E − TTFT)/(Tokens − 1) je Anfrage,"
      "\nDurchsatz = Summe / Messdauer vom ersten Start bis zum letzten Ende.")
PY
[ -n "${OUT_DIR:-}" ] && echo "Ergebnisse: $WORK" >&2
exit 0
