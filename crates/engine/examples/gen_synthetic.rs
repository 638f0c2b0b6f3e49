//! `cargo run --release -p engine --example gen_synthetic -- OUT.gguf 1b|7b q4_0|q4_k|q8_0`
//! writes a random-weight llama for speed measurements.

use engine::gguf::GgmlType;
use engine::synthetic::{write_model, Shape};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(shape), Some(quant)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: gen_synthetic OUT.gguf 1b|7b|tiny q4_0|q4_k|q8_0");
        std::process::exit(2);
    };
    let Some(shape) = Shape::by_name(shape) else {
        eprintln!("unknown shape {shape}");
        std::process::exit(2);
    };
    let ty = match quant.to_ascii_lowercase().as_str() {
        "q4_0" => GgmlType::Q4_0,
        "q4_k" => GgmlType::Q4K,
        "q8_0" => GgmlType::Q8_0,
        "q6_k" => GgmlType::Q6K,
        "q4_1" => GgmlType::Q4_1,
        other => {
            eprintln!("unknown quantisation {other}");
            std::process::exit(2);
        }
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
