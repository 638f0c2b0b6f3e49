#!/usr/bin/env bash
# Inference on several servers, loopback only: 1, 2 and 3 `ki-reise serve
# --model` replicas (SmolLM2 Q4_1, THREADS threads each) behind a gateway
# (`ki-reise serve` with one remote backend whose urls are the replicas).
#  1. goodput and output tokens/s for each replica count, measured with
#     `ki-reise bench run` against the gateway (closed loop, CONCURRENCY
#     users, REQUESTS requests, MAX_TOKENS tokens each), and the scaling
#     ratio against one replica;
#  2. with 3 replicas: four clients send short requests, one replica is
#     killed with SIGKILL; prints the requests under way and after the
#     kill, how many failed, and the time to reroute (kill to the first
#     answer of a request sent after it).
# Every figure carries the load average: on a shared machine the replicas
# compete with everything else for the same cores, so the ratio says more
# about the machine than about the gateway once the cores are full.
#   bash scripts/bench-failover.sh
#   KI_REISE_BIN=target/debug/ki-reise bash scripts/bench-failover.sh  (no
#   release build; the engine is optimised in the dev profile too)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="${KI_REISE_TEST_MODEL:-$PWD/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
threads="${THREADS:-1}"
concurrency="${CONCURRENCY:-6}"
requests="${REQUESTS:-36}"
max_tokens="${MAX_TOKENS:-32}"
[ -f "$model" ] || { echo "model missing: run scripts/fetch-test-model.sh" >&2; exit 1; }
bin="${KI_REISE_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release -p ki-reise --locked >&2
    bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ki-reise"
fi
echo "binary: $bin"
export KI_REISE_PASSWORD="bench-passwort-123"
unset KI_REISE_CONFIG KI_REISE_DATABASE_URL KI_REISE_MODEL KI_REISE_BIND
work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
wait_up() { until curl -sf "http://127.0.0.1:$1/healthz" >/dev/null; do sleep 0.1; done; }

# One account for every replica: the gateway sends one key.
"$bin" user add --data "$work/r0" --email bench@example.org --name Bench --role staff >/dev/null
backend_key="$("$bin" apikey create --data "$work/r0" --email bench@example.org 2>/dev/null)"
for i in 1 2; do cp -r "$work/r0" "$work/r$i"; done
printf '[gateway.local]\nthreads = %s\ncontext = 1024\nmax_sequences = 8\nmax_kv_tokens = 8192\n' \
    "$threads" >"$work/replica.toml"
model_id="$(basename "$model" .gguf | tr '[:upper:]' '[:lower:]')"
base=$((20000 + RANDOM % 20000))

"$bin" user add --data "$work/gw" --email bench@example.org --name Bench --role staff >/dev/null
key="$("$bin" apikey create --data "$work/gw" --email bench@example.org 2>/dev/null)"
export KI_REISE_BENCH_KEY="$key"

# Starts replica $1 on port $base+1+$1; its pid lands in rpid[$1].
declare -A rpid
start_replica() {
    local port=$((base + 1 + $1))
    "$bin" serve --data "$work/r$1" --config "$work/replica.toml" --bind "127.0.0.1:$port" \
        --model "$model" >"$work/r$1.log" 2>&1 &
    rpid[$1]=$!
    pids+=("$!")
    wait_up "$port"
}

# Starts the gateway in front of replicas 0..$1-1 on port $base.
start_gateway() {
    local urls="" i
    for ((i = 0; i < $1; i++)); do urls+="\"http://127.0.0.1:$((base + 1 + i))/v1\", "; done
    cat >"$work/gw.toml" <<EOF
[gateway]
health_interval_secs = 1

[[gateway.backends]]
name = "verbund"
urls = [${urls%, }]
api_key = "$backend_key"
models = ["$model_id"]
timeout_secs = 30
reach = "local"
limits = { max_concurrent = 8, queue = 256, queue_wait_secs = 60, probe_max_secs = 2 }
EOF
    "$bin" serve --data "$work/gw" --config "$work/gw.toml" --bind "127.0.0.1:$base" \
        >"$work/gw.log" 2>&1 &
    gwpid=$!
    pids+=("$gwpid")
    wait_up "$base"
}

cat >"$work/spec.yaml" <<EOF
name: "Mehrere Inferenz-Server"
targets:
  - name: "gateway"
    base_url: "http://127.0.0.1:$base/v1"
    api_key_env: "KI_REISE_BENCH_KEY"
    model: "$model_id"
    cost: { monthly: { eur_per_month: 0 } }
    request_timeout_s: 120
workloads:
  - name: "kurz"
    synthetic:
      input_tokens: { fixed: 64 }
      output_tokens: { fixed: $max_tokens }
      seed: 1
    load: "last"
load_profiles:
  - name: "last"
    concurrency: [$concurrency]
    requests: $requests
    warmup_requests: 2
slo:
  ttft_p95_ms: 5000
  min_tokens_per_s: 2
  max_error_rate: 0.01
max_tokens: $max_tokens
temperature: 0
EOF

echo "== goodput with 1, 2 and 3 replicas ($threads thread(s) each, $concurrency users, $requests requests of $max_tokens tokens)"
one=""
for n in 1 2 3; do
    start_replica $((n - 1))
    start_gateway "$n"
    "$bin" bench run "$work/spec.yaml" --out "$work/report-$n" >"$work/bench-$n.log" 2>&1 \
        || { cat "$work/bench-$n.log" >&2; exit 1; }
    read -r good tps failed < <(python3 - "$work/report-$n/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def levels(v):
    if isinstance(v, dict):
        if "goodput_requests_per_s" in v:
            yield v
        for x in v.values():
            yield from levels(x)
    elif isinstance(v, list):
        for x in v:
            yield from levels(x)
m = next(levels(r))
print(f'{m["goodput_requests_per_s"]:.3f} {m["output_tokens_per_s"]:.1f} {m["requests_failed"]}')
PY
)
    [ -n "$one" ] || one="$good"
    ratio="$(python3 -c "print(f'{$good / $one:.2f}' if $one > 0 else 'n/a')")"
    echo "replicas=$n goodput=${good} req/s output=${tps} tok/s failed=$failed scaling=${ratio}x load=$(load)"
    kill -TERM "$gwpid"; wait "$gwpid" 2>/dev/null || true
done

echo
echo "== SIGKILL of one of 3 replicas under load"
start_gateway 3
python3 - "http://127.0.0.1:$base/v1/chat/completions" "$key" "$model_id" "${rpid[1]}" <<'PY'
import json, os, signal, sys, threading, time, urllib.request
url, key, model, victim = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
log, stop = [], threading.Event()
body = json.dumps({"model": model, "max_tokens": 8, "ignore_eos": True,
                   "messages": [{"role": "user", "content": "Nenne eine Farbe."}]}).encode()
def client():
    while not stop.is_set():
        req = urllib.request.Request(url, body, {"Authorization": f"Bearer {key}",
                                                 "Content-Type": "application/json"})
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                r.read(); status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception:
            status = 0
        log.append((t0, time.monotonic(), status))
ts = [threading.Thread(target=client) for _ in range(4)]
for t in ts: t.start()
time.sleep(3)
os.kill(victim, signal.SIGKILL)
killed = time.monotonic()
time.sleep(5)
stop.set()
for t in ts: t.join()
during = [x for x in log if x[0] <= killed < x[1]]
after = [x for x in log if x[0] > killed]
reroute = min((e - killed for s, e, st in after if st == 200), default=float("nan"))
print(f"requests={len(log)} under_way_at_kill={len(during)} failed_under_way={sum(st != 200 for *_, st in during)} "
      f"sent_after_kill={len(after)} failed_after_kill={sum(st != 200 for *_, st in after)} "
      f"reroute={reroute * 1000:.0f}ms load={' '.join(open('/proc/loadavg').read().split()[:3])}")
PY
