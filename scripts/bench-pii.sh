#!/usr/bin/env bash
# Added latency of the personal-data check before routing (issue 24.2):
# journey::pii::scan over a 2,000-character letter, pinned to one core
# (taskset, where available), p50/p99/max in microseconds, with the load
# average before and after. Goal: p99 < 5 ms.
#   bash scripts/bench-pii.sh [ITERATIONS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
iterations="${1:-5000}"
cargo build --release -p journey --example pii_latency --locked >&2
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/pii_latency"
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"${pin[@]}" "$bin" "$iterations"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
