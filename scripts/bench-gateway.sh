#!/usr/bin/env bash
# Gateway benchmarks on this machine, loopback only:
#  1. overhead: a mock OpenAI backend directly and through the gateway at
#     RATE requests/s (p50/p99 and what the gateway adds);
#  2. throughput: SmolLM2 Q4_1 on the built-in engine (2 threads) at 1, 2, 4,
#     8 and 16 concurrent streams; with LLAMA_SERVER=/path/to/llama-server
#     also llama.cpp's server with --parallel N on the same file and threads.
# Every line carries the load average: other work on the machine skews it.
#   bash scripts/bench-gateway.sh [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rate="${1:-1000}"
seconds="${2:-10}"
model="${KI_REISE_TEST_MODEL:-$PWD/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
levels="${LEVELS:-1,2,4,8,16}"
requests="${REQUESTS:-2}"
max_tokens="${MAX_TOKENS:-64}"
cargo build --release -p gateway --examples --locked >&2
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/examples"

echo "== gateway overhead"
"$bin/bench_overhead" "$rate" "$seconds"

[ -f "$model" ] || { echo "model missing: run scripts/fetch-test-model.sh" >&2; exit 1; }
echo
echo "== throughput, ki-reise engine"
"$bin/bench_throughput" --model-file "$model" --threads 2 \
    --levels "$levels" --requests "$requests" --max-tokens "$max_tokens"

if [ -n "${LLAMA_SERVER:-}" ]; then
    echo
    echo "== throughput, llama-server ($LLAMA_SERVER)"
    IFS=',' read -ra ns <<<"$levels"
    for n in "${ns[@]}"; do
        port=$((18800 + n))
        # One slot per stream with the same context per slot as ours (1024).
        "$LLAMA_SERVER" -m "$model" -t 2 -tb 2 --parallel "$n" -c $((1024 * n)) \
            --host 127.0.0.1 --port "$port" >/dev/null 2>&1 &
        pid=$!
        until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.2; done
        "$bin/bench_throughput" --url "http://127.0.0.1:$port/v1" --model local \
            --levels "$n" --requests "$requests" --max-tokens "$max_tokens" | tail -n 1
        kill -TERM "$pid"; wait "$pid" || true
    done
else
    echo
    echo "(LLAMA_SERVER not set: no llama-server comparison)"
fi
