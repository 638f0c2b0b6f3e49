//! Prints how long loading a model and its first token take.
fn main() {
    let path = std::env::args().nth(1).expect("usage: load_time MODEL");
    let t = std::time::Instant::now();
    let model = engine::Model::load(path.as_ref())
        .expect("model loads")
        .shared();
    let load = t.elapsed();
    let mut e = engine::Engine::new(
        model,
        engine::EngineOptions {
            threads: 2,
            n_ctx: 64,
            max_batch_tokens: 64,
            ..Default::default()
        },
    );
    let seq = e.new_sequence();
    e.step(&[engine::BatchItem {
        seq,
        tokens: &[1, 2, 3, 4, 5, 6, 7, 8],
        logits: true,
    }])
    .expect("step");
    println!(
        "load {load:?}, load + first token (8-token prompt) {:?}",
        t.elapsed()
    );
}
