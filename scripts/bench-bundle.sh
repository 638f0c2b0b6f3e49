#!/usr/bin/env bash
# Export and import time and peak memory of the Nachnutzung bundle for a
# mid-sized town: 5,000 staff, 10,000 survey answers, 60 offers, 100 use
# cases, 10 bench reports. Target: each under 10 s, memory bounded.
# Usage: scripts/bench-bundle.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d)}"
rm -rf "$work/a" "$work/b" "$work/paket.zip"
cargo build --release --locked -p bundle --example bench_bundle
bin="${CARGO_TARGET_DIR:-target}/release/examples/bench_bundle"

measure() { # label, command...
  local label="$1"; shift
  /usr/bin/time -f "$label: %e s, höchster Speicherbedarf %M KB" "$@"
}

"$bin" populate "$work/a"
measure "Export" "$bin" export "$work/a" "$work/paket.zip"
measure "Import" "$bin" import "$work/paket.zip" "$work/b"
ls -l "$work/paket.zip"
