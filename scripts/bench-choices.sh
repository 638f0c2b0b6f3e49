#!/usr/bin/env bash
# n > 1 on the local engine (issue 21.4): the same chat request with n=1 and
# with n=4, through `ki-reise serve --model` (SmolLM2 Q4_1), each choice
# generating TOKENS tokens (ignore_eos), alternating REPS times. Reports
# generated tokens per second of each and the ratio n=4 / n=1, with the load
# average, in one run on one machine. The n choices run as n sequences of
# the engine's continuous-batching scheduler, so they share its decode steps.
# Uses the release binary if built, else the debug one (the engine itself is
# built with opt-level 3 in both, see Cargo.toml).
#   bash scripts/bench-choices.sh [REPS] [TOKENS] [THREADS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reps="${1:-3}"
tokens="${2:-128}"
threads="${3:-2}"
model="${KI_REISE_TEST_MODEL:-$PWD/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
[ -f "$model" ] || { echo "model missing: run scripts/fetch-test-model.sh" >&2; exit 1; }
target="${CARGO_TARGET_DIR:-$PWD/target}"
bin="$target/release/ki-reise"
[ -x "$bin" ] || { cargo build -p ki-reise >&2; bin="$target/debug/ki-reise"; }
work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }

data="$work/data"
mkdir -p "$data"
printf '[gateway.local]\nthreads = %s\nprefix_cache_mb = 0\n' "$threads" >"$data/ki-reise.toml"
KI_REISE_PASSWORD="bench-passwort-123" "$bin" user add --email bench@example.org \
    --name Bench --role admin --data "$data" >/dev/null
key="$("$bin" apikey create --email bench@example.org --data "$data" 2>/dev/null | head -n1)"
port=18321
"$bin" serve --bind "127.0.0.1:$port" --data "$data" --config "$data/ki-reise.toml" \
    --model "$model" >"$work/serve.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
model_id="$(basename "$model" .gguf | tr "[:upper:]" "[:lower:]")"

# One request with n choices: prints generated tokens, seconds, tokens/s.
run() {
    python3 - "http://127.0.0.1:$port/v1" "$key" "$model_id" "$1" "$tokens" <<'EOF'
import json, sys, time, urllib.request
url, key, model, n, tokens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
body = {"model": model, "n": n, "max_tokens": tokens, "ignore_eos": True, "temperature": 0.8,
        "messages": [{"role": "user", "content": "Erzähle eine Geschichte über ein Rathaus."}]}
req = urllib.request.Request(url + "/chat/completions", json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": "Bearer " + key})
t0 = time.monotonic()
with urllib.request.urlopen(req, timeout=900) as r:
    answer = json.load(r)
dt = time.monotonic() - t0
assert len(answer["choices"]) == n, answer
out = answer["usage"]["completion_tokens"]
print(f"{out} {dt:.2f} {out / dt:.1f}")
EOF
}

run 1 >/dev/null # warm-up
echo "n=1 against n=4, $tokens tokens per choice, $threads threads (load $(load))"
sum1=0; sum4=0
for r in $(seq "$reps"); do
    read -r t1 s1 r1 <<<"$(run 1)"
    read -r t4 s4 r4 <<<"$(run 4)"
    echo "rep $r: n=1 $t1 tokens in $s1 s = $r1 tok/s; n=4 $t4 tokens in $s4 s = $r4 tok/s; ratio $(python3 -c "print(f'{$r4/$r1:.2f}')") (load $(load))"
    sum1="$(python3 -c "print($sum1+$r1)")"; sum4="$(python3 -c "print($sum4+$r4)")"
done
echo "mean: n=1 $(python3 -c "print(f'{$sum1/$reps:.1f}')") tok/s, n=4 $(python3 -c "print(f'{$sum4/$reps:.1f}')") tok/s, ratio $(python3 -c "print(f'{$sum4/$sum1:.2f}')") (load $(load))"
