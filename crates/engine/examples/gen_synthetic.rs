//! `cargo run --release -p engine --example gen_synthetic -- OUT.gguf 1b|7b|tiny TYPE`
//! writes a random-weight llama for speed measurements; TYPE as llama.cpp
//! names it (q4_0, q5_1, q4_k, iq4_nl, …).

use engine::gguf::GgmlType;
use engine::synthetic::{write_model, Shape};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(shape), Some(quant)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: gen_synthetic OUT.gguf 1b|7b|tiny q4_0|q5_0|q4_k|iq4_nl|…");
        std::process::exit(2);
    };
    let Some(shape) = Shape::by_name(shape) else {
        eprintln!("unknown shape {shape}");
        std::process::exit(2);
    };
    let Some(ty) = GgmlType::from_name(quant) else {
        eprintln!("unknown quantisation {quant}");
        std::process::exit(2);
    };
    let t = std::time::Instant::now();
    match write_model(out.as_ref(), shape, ty) {
        Ok(bytes) => eprintln!(
            "wrote {out}: {:.2} GiB in {:.1} s",
            bytes as f64 / (1u64 << 30) as f64,
            t.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
