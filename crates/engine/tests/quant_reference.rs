//! The block formats against an outside reference: gguf-py, llama.cpp's
//! Python package, dequantised (and for Q5_0/Q5_1 quantised) the blocks in
//! `tests/fixtures/quant/` (rebuilt by `scripts/gen-quant-fixtures.py`).
//! Dequantisation must give its floats bit for bit, quantisation its bytes,
//! and the dot products against quantised activations the dot product of
//! its floats with the dequantised activations.

use engine::gguf::GgmlType;
use engine::kernels::{self, Isa};
use engine::quant::{self, ActType, QK, QK_K};

struct Fixture {
    ty: GgmlType,
    source: Option<Vec<f32>>,
    blocks: Vec<u8>,
    dequantized: Vec<f32>,
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .expect("an array of f32 bit patterns")
        .iter()
        .map(|b| f32::from_bits(b.as_u64().unwrap() as u32))
        .collect()
}

fn fixture(name: &str) -> Fixture {
    let path = format!(
        "{}/tests/fixtures/quant/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ty = GgmlType::from_name(v["type"].as_str().unwrap()).unwrap();
    let hex = v["blocks"].as_str().unwrap();
    let blocks = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    Fixture {
        ty,
        source: v.get("source").map(floats),
        blocks,
        dequantized: floats(&v["dequantized"]),
    }
}

const NAMES: [&str; 6] = ["q5_0", "q5_1", "iq4_nl", "q2_k", "q3_k", "iq4_xs"];

#[test]
fn dequantisation_equals_gguf_py_bit_for_bit() {
    for name in NAMES {
        let f = fixture(name);
        let n = f.dequantized.len();
        assert_eq!(f.ty.row_bytes(n), Some(f.blocks.len()), "{name}");
        let mut got = vec![f32::NAN; n];
        quant::dequantize_row(f.ty, &f.blocks, &mut got);
        for (i, (g, w)) in got.iter().zip(&f.dequantized).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "{name} element {i}: {g} vs {w}");
        }
    }
}

#[test]
fn quantisation_equals_gguf_py_where_it_has_a_quantiser() {
    let mut checked = 0;
    for name in NAMES {
        let f = fixture(name);
        let Some(src) = f.source else { continue };
        let mut got = vec![0u8; f.blocks.len()];
        quant::quantize_weights(f.ty, &src, &mut got);
        let bb = f.ty.block_bytes();
        for (b, (g, w)) in got.chunks(bb).zip(f.blocks.chunks(bb)).enumerate() {
            assert_eq!(g, w, "{name} block {b}");
        }
        checked += 1;
    }
    assert_eq!(checked, 2, "Q5_0 and Q5_1 carry gguf-py's quantisation");
}

/// The activations as the dot product sees them, and per block of the
/// weight type the constant a Q8_1 row adds (`s`, the f16 of d·Σq).
fn dequantized_activations(act: ActType, a: &[u8], n: usize) -> (Vec<f32>, Vec<f32>) {
    let f16 = |b: &[u8]| half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32();
    let (bytes, len, head) = match act {
        ActType::Q8_0 => (quant::Q8_0_BYTES, QK, 2),
        ActType::Q8_1 => (quant::Q8_1_BYTES, QK, 4),
        ActType::Q8K => (quant::Q8K_BYTES, QK_K, 4),
        ActType::F32 => unreachable!("quantised weights have quantised activations"),
    };
    let mut x = Vec::with_capacity(n);
    let mut s = Vec::new();
    for b in a.chunks_exact(bytes) {
        let d = if act == ActType::Q8K {
            f32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            f16(b)
        };
        x.extend(b[head..head + len].iter().map(|&q| d * f32::from(q as i8)));
        if act == ActType::Q8_1 {
            s.push(f16(&b[2..4]));
        }
    }
    (x, s)
}

#[test]
fn dot_products_equal_the_reference_floats_times_the_activations() {
    for name in NAMES {
        let f = fixture(name);
        let n = f.dequantized.len();
        let x: Vec<f32> = (0..n)
            .map(|i| (i as f32 * 0.61).sin() * 2.0 - (i as f32 * 0.05).cos())
            .collect();
        let act = ActType::for_weights(f.ty);
        let mut a = vec![0u8; act.row_bytes(n)];
        quant::quantize_row(act, &x, &mut a);
        let (xa, s) = dequantized_activations(act, &a, n);
        // Q5_1's minimum meets Q8_1's stored sum, as in llama.cpp: the
        // reference is (w − m)·x per block plus m·s.
        let mut terms: Vec<f64> = Vec::with_capacity(n + n / QK);
        if act == ActType::Q8_1 {
            let bb = f.ty.block_bytes();
            for (blk, (w, x)) in f.dequantized.chunks(QK).zip(xa.chunks(QK)).enumerate() {
                let at = blk * bb + 2;
                let m = half::f16::from_bits(u16::from_le_bytes([f.blocks[at], f.blocks[at + 1]]))
                    .to_f32();
                terms.extend(
                    w.iter()
                        .zip(x)
                        .map(|(w, x)| f64::from(w - m) * f64::from(*x)),
                );
                terms.push(f64::from(m) * f64::from(s[blk]));
            }
        } else {
            terms.extend(
                f.dequantized
                    .iter()
                    .zip(&xa)
                    .map(|(w, x)| f64::from(*w) * f64::from(*x)),
            );
        }
        let want: f64 = terms.iter().sum();
        let scale: f64 = terms.iter().map(|t| t.abs()).sum();
        let tol = 1e-5 * scale.max(1.0);
        let got = quant::vec_dot_ref(f.ty, &f.blocks, &a, n);
        assert!(
            (f64::from(got) - want).abs() <= tol,
            "{name}: {got} vs {want} (tolerance {tol})"
        );
        let fast = kernels::dot_fn(f.ty, Isa::detect())(&f.blocks, &a, n);
        assert!(
            (f64::from(fast) - want).abs() <= tol,
            "{name} {:?}: {fast} vs {want}",
            Isa::detect()
        );
    }
}

#[test]
fn every_new_type_id_reads_back_from_gguf() {
    for (name, id) in [
        ("Q5_0", 6),
        ("Q5_1", 7),
        ("Q2_K", 10),
        ("Q3_K", 11),
        ("IQ4_NL", 20),
        ("IQ4_XS", 23),
    ] {
        let ty = GgmlType::from_id(id).unwrap();
        assert_eq!(ty.name(), name);
        assert_eq!(ty.id(), id);
        assert_eq!(GgmlType::from_name(&name.to_lowercase()), Some(ty));
    }
}
