//! Speculative decoding by prompt lookup on SmolLM2 is lossless: guessed
//! tokens checked in one forward pass give the logits of decoding them one
//! by one, bit for bit, and greedy answers on the llama.cpp fixtures are the
//! same token for token with and without drafting.

mod common;

use engine::draft::PromptLookup;
use engine::session::GenerateOptions;
use engine::{BatchItem, DraftItem, Engine, EngineOptions, Model, TokenId};

fn ids(v: &serde_json::Value) -> Vec<TokenId> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as TokenId)
        .collect()
}

fn engine(model: &std::sync::Arc<Model>) -> Engine {
    Engine::new(
        model.clone(),
        EngineOptions {
            threads: 2,
            n_ctx: 512,
            max_batch_tokens: 128,
            prefix_cache_bytes: 0,
            ..Default::default()
        },
    )
}

#[test]
fn checking_guesses_in_one_pass_gives_the_logits_of_decoding_them_one_by_one() {
    let Some(path) = common::test_model() else {
        return;
    };
    let model = Model::load(&path).unwrap().shared();
    let prompt = model.tokenizer.encode(
        "Die Stadt Halle liegt an der Saale. Die Stadt",
        false,
        false,
    );
    let next: Vec<TokenId> = model.tokenizer.encode(" Halle liegt an der", false, false);
    let mut e = engine(&model);
    let prefill = |e: &mut Engine| {
        let seq = e.new_sequence();
        e.step(&[BatchItem {
            seq,
            tokens: &prompt,
            logits: false,
        }])
        .unwrap();
        seq
    };
    let one = prefill(&mut e);
    let mut alone = Vec::new();
    for &t in &next {
        let l = e
            .step(&[BatchItem {
                seq: one,
                tokens: &[t],
                logits: true,
            }])
            .unwrap();
        alone.push(l[0].clone().unwrap());
    }
    let many = prefill(&mut e);
    // Another sequence's prompt chunk in the same step changes nothing.
    let other = e.new_sequence();
    let (plain, checked) = e
        .step_drafts(
            &[BatchItem {
                seq: other,
                tokens: &prompt,
                logits: true,
            }],
            &[DraftItem {
                seq: many,
                tokens: &next,
            }],
        )
        .unwrap();
    assert!(plain[0].is_some());
    assert_eq!(checked.len(), 1);
    assert_eq!(checked[0], alone);
    assert_eq!(e.sequence_len(many), Some(prompt.len() + next.len()));
    let stats = e.stats();
    assert_eq!(stats.decode_tokens as usize, 2 * next.len());
}

#[test]
fn greedy_answers_on_the_fixtures_are_the_same_with_and_without_drafting() {
    if !common::fixtures_isa_here() {
        eprintln!("skipped: fixtures need AVX-512 VNNI (see llama_cpp_agreement.rs)");
        return;
    }
    let Some(path) = common::test_model() else {
        return;
    };
    let model = Model::load(&path).unwrap().shared();
    let fx: serde_json::Value = serde_json::from_str(include_str!("fixtures/greedy.json")).unwrap();
    let mut e = engine(&model);
    let mut drafted = 0;
    let mut accepted = 0;
    for c in fx["cases"].as_array().unwrap() {
        let prompt = ids(&c["prompt_ids"]);
        // llama.cpp's continuation ignored end-of-text; ours stops there.
        let want = ids(&c["generated_ids"]);
        let run = |e: &mut Engine, draft: Option<PromptLookup>| {
            e.generate(
                &prompt,
                &GenerateOptions {
                    max_tokens: 40,
                    draft,
                    ..Default::default()
                },
                &mut |_| true,
            )
            .unwrap()
        };
        let plain = run(&mut e, None);
        let fast = run(&mut e, Some(PromptLookup::default()));
        assert!(want.starts_with(&plain.tokens), "{}", c["prompt"]);
        assert_eq!(plain.tokens, fast.tokens, "{}", c["prompt"]);
        assert_eq!(plain.text, fast.text);
        assert_eq!(plain.drafts.drafted, 0);
        drafted += fast.drafts.drafted;
        accepted += fast.drafts.accepted;
    }
    // The fixtures repeat themselves ("la Femme, la Femme, …"): guesses
    // are made, and many are right.
    assert!(
        drafted > 0 && accepted * 3 > drafted,
        "{accepted}/{drafted}"
    );
}
