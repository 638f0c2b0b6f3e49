#!/usr/bin/env python3
"""Generates the quantisation fixtures of crates/engine/tests/quant_reference.rs
from gguf-py (the `gguf` package on PyPI, made by llama.cpp), whose numpy
(de)quantisers are the outside reference for the engine's block formats.

One JSON file per type under crates/engine/tests/fixtures/quant/:

    type         the GGML name (Q5_0, IQ4_XS, ...)
    gguf         the gguf-py version that wrote it
    source       f32 bit patterns of weights that gguf-py quantised to
                 `blocks` (only for types gguf-py can quantise: Q5_0, Q5_1)
    blocks       the quantised blocks, hex
    dequantized  f32 bit patterns of gguf-py's dequantisation of `blocks`

For the types without a gguf-py quantiser the blocks are random bytes
with the f16 scales set to ordinary values (one block with zero scales),
so that every bit of the layout is exercised. Re-running with the same
gguf-py gives the same files:

    python3 -m venv /tmp/gguf-venv && /tmp/gguf-venv/bin/pip install gguf numpy
    /tmp/gguf-venv/bin/python scripts/gen-quant-fixtures.py

The venv is not part of the repository.
"""
import json
import pathlib
import sys
from importlib.metadata import version

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/engine/tests/fixtures/quant"

# Type, number of blocks, byte offsets of the f16 scales in a block (for
# random blocks), whether gguf-py quantises it.
TYPES = [
    (T.Q5_0, 8, [0], True),
    (T.Q5_1, 8, [0, 2], True),
    (T.IQ4_NL, 8, [0], False),
    (T.Q2_K, 2, [80, 82], False),
    (T.Q3_K, 2, [108], False),
    (T.IQ4_XS, 2, [0], False),
]


def weights(rng: np.random.Generator, n: int, block: int) -> np.ndarray:
    """Blocks of differing magnitude and sign balance, one all zero, one
    constant, one with a single spike."""
    x = rng.standard_normal(n).astype(np.float32)
    blocks = x.reshape(-1, block)
    for i, b in enumerate(blocks):
        b *= np.float32(10.0 ** rng.uniform(-3, 1))
        if i % 3 == 1:
            b += np.float32(abs(b).max())
    blocks[0] = 0
    if len(blocks) > 2:
        blocks[2] = np.float32(0.25)
        blocks[3, 5] = np.float32(-7.5)
    return blocks.reshape(-1)


def random_blocks(rng: np.random.Generator, qtype, n_blocks: int, scales: list[int]) -> np.ndarray:
    _, type_size = quants.GGML_QUANT_SIZES[qtype]
    b = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for i in range(n_blocks):
        for at in scales:
            v = 0.0 if i == 0 and n_blocks > 2 else rng.uniform(-0.1, 0.1)
            b[i, at:at + 2] = np.array([v], dtype=np.float16).view(np.uint8)
    return b.reshape(-1)


def bits(x: np.ndarray) -> list[int]:
    return [int(v) for v in np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for qtype, n_blocks, scales, can_quantize in TYPES:
        rng = np.random.default_rng(27 + int(qtype))
        block, _ = quants.GGML_QUANT_SIZES[qtype]
        n = n_blocks * block
        entry = {"type": qtype.name, "gguf": version("gguf")}
        if can_quantize:
            src = weights(rng, n, block)
            q = quants.quantize(src.reshape(1, n), qtype).reshape(-1)
            entry["source"] = bits(src)
        else:
            q = random_blocks(rng, qtype, n_blocks, scales)
        deq = quants.dequantize(q.reshape(1, -1), qtype).reshape(-1)
        assert deq.shape == (n,), (qtype.name, deq.shape)
        entry["blocks"] = bytes(q).hex()
        entry["dequantized"] = bits(deq)
        path = OUT / f"{qtype.name.lower()}.json"
        path.write_text(json.dumps(entry) + "\n")
        print(f"{path}: {n_blocks} blocks, {len(q)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
