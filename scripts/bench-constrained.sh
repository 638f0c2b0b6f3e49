#!/usr/bin/env bash
# What constrained decoding costs on the built-in engine: decode tokens/s
# with a JSON Schema and with a forced tool call, each against
# unconstrained decoding of the same prompt, alternated in one run (goal:
# at most 10 % slower). The load average is printed with the figures:
# other work on the machine skews them.
#   bash scripts/bench-constrained.sh [ROUNDS] [MAX_TOKENS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-5}"
max_tokens="${2:-128}"
model="${KI_REISE_TEST_MODEL:-$PWD/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
[ -f "$model" ] || { echo "model missing: run scripts/fetch-test-model.sh" >&2; exit 1; }
cargo build --release -p gateway --example bench_constrained --locked >&2
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"${CARGO_TARGET_DIR:-$PWD/target}/release/examples/bench_constrained" \
    --model-file "$model" --threads 2 --rounds "$rounds" --max-tokens "$max_tokens"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
