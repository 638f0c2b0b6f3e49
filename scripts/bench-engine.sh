#!/usr/bin/env bash
# The engine's speed table (issue 8) on this machine: SmolLM2 Q4_1 and
# synthetic 1B-shaped Q4_0/Q4_K and 7B-shaped Q4_K files, `ki-reise bench
# engine` beside llama.cpp's llama-bench (LLAMA_BENCH=/path/to/llama-bench,
# built from source outside this repository) on the same file and threads,
# in the same run. Peak RSS of ours via /usr/bin/time when present.
#   LLAMA_BENCH=... bash scripts/bench-engine.sh [THREADS] [MODELS_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
threads="${1:-2}"
dir="${2:-$PWD/.cache/models/synthetic}"
cargo build --release --locked -p ki-reise -p engine --example gen_synthetic >&2
ki="${CARGO_TARGET_DIR:-$PWD/target}/release/ki-reise"
gen="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/gen_synthetic"
bash scripts/fetch-test-model.sh >&2
mkdir -p "$dir"
for m in "1b q4_0" "1b q4_k" "7b q4_k"; do
    set -- $m
    [ -f "$dir/$1-$2.gguf" ] || "$gen" "$dir/$1-$2.gguf" "$1" "$2" >&2
done
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f "ki-reise peak RSS %M KB")
for model in .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf "$dir/1b-q4_0.gguf" "$dir/1b-q4_k.gguf" "$dir/7b-q4_k.gguf"; do
    reps=3
    case "$model" in *7b*) reps=1 ;; esac
    echo "== $model (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "${timer[@]}" "$ki" bench engine "$model" -p 512 -n 128 -t "$threads" -r "$reps" 2>&1 | grep -E 'pp|tg|RSS'
    if [ -n "${LLAMA_BENCH:-}" ]; then
        "$LLAMA_BENCH" -m "$model" -p 512 -n 128 -t "$threads" -r "$reps" 2>&1 | grep -E 'pp512|tg128'
    fi
done
