// Not every test file uses everything here.
#![allow(unused_imports, dead_code)]

pub use engine::test_support::test_model;

/// Whether this machine runs the instruction set the llama.cpp fixtures
/// were made on (AVX-512 VNNI); elsewhere float sums run in another order
/// and near-ties among greedy choices may flip.
pub fn fixtures_isa_here() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        engine::kernels::Isa::detect() == engine::kernels::Isa::Avx512Vnni
            && is_x86_feature_detected!("avx512dq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Greedy answer of at most `max_tokens` to `prompt`.
pub fn generate(
    engine: &mut engine::Engine,
    prompt: &[engine::TokenId],
    max_tokens: usize,
) -> Vec<engine::TokenId> {
    engine
        .generate(
            prompt,
            &engine::session::GenerateOptions {
                max_tokens,
                ..Default::default()
            },
            &mut |_| true,
        )
        .unwrap()
        .tokens
}
