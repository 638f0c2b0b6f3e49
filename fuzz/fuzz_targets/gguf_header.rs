//! Any byte string: parsing never panics, and what parses is usable by the
//! tokenizer and model configuration without panicking either; the first
//! row of each tensor, of whatever type the header names, expands and
//! multiplies with its activations without panicking.
#![no_main]

use engine::gguf::Header;
use engine::kernels::{self, Isa};
use engine::quant::{self, ActType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Header::parse(data) {
        let _ = engine::Tokenizer::from_gguf(&h);
        for arch in engine::model::ARCHITECTURES {
            let _ = arch.config(&h);
        }
        for t in h.tensors.iter().take(8) {
            let n = t.dims.first().map_or(1, |&d| d as usize);
            let Some(rb) = t.ty.row_bytes(n).filter(|&rb| rb <= t.size) else {
                continue;
            };
            let row = &data[t.offset..t.offset + rb];
            let mut x = vec![0f32; n];
            quant::dequantize_row(t.ty, row, &mut x);
            let act = ActType::for_weights(t.ty);
            let mut a = vec![0u8; act.row_bytes(n)];
            quant::quantize_row(act, &x, &mut a);
            let _ = kernels::dot_fn(t.ty, Isa::detect())(row, &a, n);
        }
    }
});
