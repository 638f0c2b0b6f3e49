#!/usr/bin/env bash
# Prefix cache (issue 26) through `ki-reise serve --model`, SmolLM2 Q4_1 on
# 2 threads, time to first text (TTFT) measured by a small streaming client:
#  1. a ~4,000-token system prompt, cold (never seen: a fresh number in its
#     first line) against warm (the same prompt with another question),
#     alternating, REPS pairs;
#  2. turns 1..TURNS of a chat, on a server with the prefix cache and on one
#     without (prefix_cache_mb = 0), turn by turn alternating; the answers
#     of both must be the same.
# With LLAMA_SERVER=/path/to/llama-server (llama.cpp built outside this
# repository) the same requests also go to llama.cpp's server, one slot,
# same file, threads and context (its slot cache reuses a common prefix).
# Only 127.0.0.1 is contacted. Every line carries the load average.
#   LLAMA_SERVER=... bash scripts/bench-prefix.sh [REPS] [TURNS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reps="${1:-3}"
turns="${2:-6}"
model="${KI_REISE_TEST_MODEL:-$PWD/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
[ -f "$model" ] || { echo "model missing: run scripts/fetch-test-model.sh" >&2; exit 1; }
cargo build --release -p ki-reise --locked >&2
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ki-reise"
work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
export KI_REISE_PASSWORD="bench-passwort-123"
load() { cut -d' ' -f1-3 /proc/loadavg; }

# The client: one streamed chat completion; prints TTFT, total seconds,
# prompt tokens and the answer as one JSON line. Messages come on stdin.
cat >"$work/ttft.py" <<'EOF'
import json, sys, time, urllib.request
url, key, model, max_tokens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
body = {"model": model, "messages": json.load(sys.stdin), "stream": True,
        "temperature": 0, "max_tokens": max_tokens,
        "stream_options": {"include_usage": True}}
req = urllib.request.Request(url + "/chat/completions", json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": "Bearer " + key})
t0 = time.monotonic(); ttft = None; text = ""; usage = {}
with urllib.request.urlopen(req, timeout=600) as r:
    for line in r:
        line = line.strip()
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        usage = chunk.get("usage") or usage
        for c in chunk.get("choices", []):
            piece = (c.get("delta") or {}).get("content") or ""
            if piece and ttft is None:
                ttft = time.monotonic() - t0
            text += piece
print(json.dumps({"ttft": ttft, "total": time.monotonic() - t0,
                  "prompt_tokens": usage.get("prompt_tokens"), "text": text}))
EOF

# A ki-reise server with `prefix_cache_mb = $2` on port $1; sets $url, $key.
start_ki() {
    local port="$1" cache="$2" data="$work/data-$1"
    mkdir -p "$data"
    printf '[gateway.local]\ncontext = 8192\nmax_kv_tokens = 16384\nthreads = 2\nprefix_cache_mb = %s\n' \
        "$cache" >"$data/ki-reise.toml"
    "$bin" user add --email bench@example.org --name Bench --role admin --data "$data" >/dev/null
    key="$("$bin" apikey create --email bench@example.org --data "$data" 2>/dev/null | head -n1)"
    "$bin" serve --bind "127.0.0.1:$port" --data "$data" --config "$data/ki-reise.toml" \
        --model "$model" >"$work/serve-$port.log" 2>&1 &
    pids+=($!)
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
    url="http://127.0.0.1:$port/v1"
}
start_llama() {
    local port="$1"
    "$LLAMA_SERVER" -m "$model" -t 2 -tb 2 -c 8192 --parallel 1 \
        --host 127.0.0.1 --port "$port" >"$work/llama-$port.log" 2>&1 &
    pids+=($!)
    until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.2; done
    url="http://127.0.0.1:$port/v1"
}
model_id="$(basename "$model" .gguf | tr '[:upper:]' '[:lower:]')"
# ask URL KEY MODEL MAX_TOKENS < messages.json
ask() { python3 "$work/ttft.py" "$@"; }
field() { python3 -c "import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(f'{v:.3f}' if isinstance(v,float) else v)" "$1" "$2"; }

start_ki 18301 512
ki_cache=("$url" "$key" "$model_id")
start_ki 18302 0
ki_cold=("$url" "$key" "$model_id")
servers=(ki_cache)
if [ -n "${LLAMA_SERVER:-}" ]; then
    start_llama 18303
    llama=("$url" "-" "local")
    servers+=(llama)
fi

# About 4,000 tokens of German administrative text from the bench tasks.
long_text="$(grep -hv '^\s*#' content/de/bench/zusammenfassung.yaml content/de/bench/auskunft.yaml | tr -s ' ' | head -c 11500)"
system_json() { python3 -c "import json,sys; print(json.dumps([{'role':'system','content':sys.argv[1]},{'role':'user','content':sys.argv[2]}]))" "$1" "$2"; }

echo "== 1. repeated ~4,000-token system prompt: TTFT cold / warm (load $(load))"
for r in $(seq "$reps"); do
    sys="Vorgang $RANDOM-$r. Beantworte Fragen nur aus diesen Unterlagen.
$long_text"
    for s in "${servers[@]}"; do
        declare -n srv="$s"
        cold="$(system_json "$sys" "Worum geht es in den Unterlagen?" | ask "${srv[@]}" 16)"
        warm="$(system_json "$sys" "Welche Fristen werden genannt?" | ask "${srv[@]}" 16)"
        c="$(field "$cold" ttft)"; w="$(field "$warm" ttft)"
        echo "rep $r $s: prompt $(field "$cold" prompt_tokens) tokens, cold ${c} s, warm ${w} s, cold/warm $(python3 -c "print(f'{$c/$w:.1f}')")x (load $(load))"
        unset -n srv
    done
done

echo
echo "== 2. chat turns 1..$turns: TTFT with / without the prefix cache (load $(load))"
questions=(
    "Wie melde ich einen Umzug in der Stadt an?"
    "Welche Unterlagen brauche ich dafür?"
    "Kann ich das auch online erledigen?"
    "Was kostet eine Meldebescheinigung?"
    "Wie lange dauert die Bearbeitung?"
    "Wen kann ich bei Fragen anrufen?"
    "Gilt das auch für einen Zweitwohnsitz?"
    "Danke. Fasse bitte alles kurz zusammen."
)
chat_sys="Du bist der KI-Assistent der Stadtverwaltung. Antworte sachlich und knapp auf Deutsch. $(head -c 2000 <<<"$long_text")"
names=(ki_cache ki_cold)
[ -n "${LLAMA_SERVER:-}" ] && names+=(llama)
declare -A hist
for n in "${names[@]}"; do
    hist[$n]="$(python3 -c "import json,sys; print(json.dumps([{'role':'system','content':sys.argv[1]}]))" "$chat_sys")"
done
for t in $(seq "$turns"); do
    q="${questions[$(((t - 1) % ${#questions[@]}))]}"
    line="turn $t:"
    declare -A answer
    for n in "${names[@]}"; do
        declare -n srv="$n"
        msgs="$(python3 -c "import json,sys; m=json.loads(sys.argv[1]); m.append({'role':'user','content':sys.argv[2]}); print(json.dumps(m))" "${hist[$n]}" "$q")"
        out="$(ask "${srv[@]}" 96 <<<"$msgs")"
        answer[$n]="$(field "$out" text)"
        hist[$n]="$(python3 -c "import json,sys; m=json.loads(sys.argv[1]); m.append({'role':'assistant','content':sys.argv[2]}); print(json.dumps(m))" "$msgs" "${answer[$n]}")"
        line="$line $n $(field "$out" ttft) s ($(field "$out" prompt_tokens) tok),"
        unset -n srv
    done
    same="same answers"
    [ "${answer[ki_cache]}" = "${answer[ki_cold]}" ] || same="ANSWERS DIFFER"
    echo "$line $same (load $(load))"
done
curl -s "http://127.0.0.1:18301/metrics/gateway" | grep -E '^kireise_engine_prefix' || true
