#!/usr/bin/env bash
# Runs the cargo-fuzz targets under fuzz/ for a given time each and prints
# one summary line per target (runs, coverage, crash or not).
#
#   bash scripts/fuzz.sh 600                  # every target, 10 minutes each
#   bash scripts/fuzz.sh 600 tokenizer gguf_header
#
# cargo-fuzz needs nightly compiler flags; the machine has one stable
# toolchain, so RUSTC_BOOTSTRAP lets it accept them. Corpora and crash
# artifacts stay under fuzz/corpus and fuzz/artifacts (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs="${1:-600}"
shift || true
cd "$root/fuzz"

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo fuzz list)
fi

status=0
for t in "${targets[@]}"; do
    log="$(mktemp)"
    if cargo fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 >"$log" 2>&1; then
        result="no crash"
    else
        result="FAILED (see fuzz/artifacts/$t)"
        status=1
    fi
    last="$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)"
    runs="$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n1 || true)"
    echo "$t: $result; ${runs:-$last}; $(echo "$last" | grep -oE 'cov: [0-9]+' || true)"
    [[ $result == "no crash" ]] || tail -n 40 "$log"
    rm -f "$log"
done
exit $status
