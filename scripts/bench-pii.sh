#!/usr/bin/env bash
# Added latency of the personal-data check before routing (issue 24.2):
# journey::pii::scan over a 2,000-character letter, pinned to one core
# (taskset, where available) and at a higher priority (nice -n -5, where
# allowed), p50/p99/max in microseconds, with the load average before and
# after. Goal: p99 < 5 ms. A second line gives the slowest 2,000-character
# piece of the test set's texts, where a slow path on other text shows.
#   bash scripts/bench-pii.sh [ITERATIONS]
# To compare with another build of the example (e.g. one from an older
# commit, copied aside), name it in PII_BENCH_BASELINE; the two then run
# alternately, ROUNDS (default 3) times each, in the same run:
#   PII_BENCH_BASELINE=/tmp/pii_latency_old bash scripts/bench-pii.sh 5000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
iterations="${1:-5000}"
cargo build --release -p journey --example pii_latency --locked >&2
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/pii_latency"
run=()
if nice -n -5 true 2>/dev/null; then run=(nice -n -5); fi
if command -v taskset >/dev/null; then run+=(taskset -c 0); fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n "${PII_BENCH_BASELINE:-}" ]]; then
  for _ in $(seq "${ROUNDS:-3}"); do
    echo -n "baseline: "; "${run[@]}" "$PII_BENCH_BASELINE" "$iterations"
    echo -n "this build: "; "${run[@]}" "$bin" "$iterations"
  done
else
  "${run[@]}" "$bin" "$iterations"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
