//! The prefix cache on SmolLM2: greedy answers are the same token for token
//! with and without it — whole-prompt hits, hits that end inside a block,
//! sequences sharing cached blocks in one batch, eviction under a tiny
//! budget — and a chat's n-th turn computes only its new tokens.

mod common;

use std::sync::Arc;

use common::generate;
use engine::sampler::argmax;
use engine::session::GenerateOptions;
use engine::{BatchItem, Engine, EngineOptions, KvType, Message, Model, TokenId};

/// SmolLM2's KV cache per 32-token block: 30 layers × 192 × K and V × f16.
const BLOCK_BYTES: usize = 30 * 32 * 192 * 2 * 2;

fn engine(model: &Arc<Model>, prefix_cache_bytes: usize) -> Engine {
    Engine::new(
        model.clone(),
        EngineOptions {
            threads: 2,
            n_ctx: 1024,
            max_batch_tokens: 64,
            prefix_cache_bytes,
            // BLOCK_BYTES counts f16 blocks.
            kv_type: KvType::F16,
        },
    )
}

fn chat_prompt(model: &Model, messages: &[Message]) -> Vec<TokenId> {
    let text = model.template().unwrap().render(messages, true).unwrap();
    model.tokenizer.encode(&text, true, true)
}

/// A system prompt of a few hundred tokens, as an assistant's instructions.
fn instructions() -> String {
    let mut s = String::from("Du bist der KI-Assistent der Stadtverwaltung. ");
    for i in 1..=8 {
        s.push_str(&format!(
            "Regel {i}: Antworte knapp, sachlich und nenne die zuständige Stelle, wenn eine Frage das Amt {i} betrifft. "
        ));
    }
    s
}

fn prompts(model: &Model) -> Vec<Vec<TokenId>> {
    let sys = instructions();
    let fixtures: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/greedy.json")).unwrap();
    let mut out: Vec<Vec<TokenId>> = fixtures["cases"]
        .as_array()
        .unwrap()
        .iter()
        // A third of them keeps the test short: chat prompts and a plain one.
        .step_by(3)
        .map(|c| {
            c["prompt_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as TokenId)
                .collect()
        })
        .collect();
    for q in [
        "Wo beantrage ich einen Anwohnerparkausweis?",
        "Wie melde ich einen Umzug?",
    ] {
        out.push(chat_prompt(
            model,
            &[Message::new("system", &sys), Message::new("user", q)],
        ));
    }
    out
}

#[test]
fn greedy_answers_are_the_same_with_and_without_the_prefix_cache() {
    let Some(path) = common::test_model() else {
        return;
    };
    let model = Model::load(&path).unwrap().shared();
    let prompts = prompts(&model);
    let mut cold = engine(&model, 0);
    let expected: Vec<_> = prompts.iter().map(|p| generate(&mut cold, p, 12)).collect();
    assert_eq!(cold.stats().prefix_cache.hits, 0);

    let mut warm = engine(&model, 64 << 20);
    // Twice over: the first round hits shared beginnings (the fixtures'
    // system prompt ends inside the first block, the long instructions
    // span several), the second whole prompts.
    for round in 0..2 {
        for (p, want) in prompts.iter().zip(&expected) {
            let before = warm.stats();
            let got = generate(&mut warm, p, 12);
            assert_eq!(&got, want, "round {round}, prompt of {} tokens", p.len());
            let hit = warm.stats().prefix_cache.hit_tokens - before.prefix_cache.hit_tokens;
            if round == 1 {
                assert_eq!(hit as usize, p.len() - 2);
            }
        }
    }
    // In the first round a prompt misses only when no earlier one began
    // with the same token (the chat prompts all begin alike).
    let firsts: Vec<TokenId> = prompts.iter().map(|p| p[0]).collect();
    let misses = (0..firsts.len())
        .filter(|&i| !firsts[..i].contains(&firsts[i]))
        .count();
    assert!(misses < prompts.len() / 2);
    let stats = warm.stats().prefix_cache;
    assert_eq!(stats.misses as usize, misses, "{stats:?}");
    assert_eq!(stats.hits as usize, 2 * prompts.len() - misses);
}

/// Greedy decoding of several sequences in shared steps, as the gateway's
/// scheduler runs them; each starts from whatever the cache holds.
fn decode_together(engine: &mut Engine, prompts: &[Vec<TokenId>], n: usize) -> Vec<Vec<TokenId>> {
    let seqs: Vec<_> = prompts.iter().map(|p| engine.new_sequence_for(p)).collect();
    let items: Vec<_> = seqs
        .iter()
        .zip(prompts)
        .map(|(&(seq, cached), p)| BatchItem {
            seq,
            tokens: &p[cached..],
            logits: true,
        })
        .collect();
    let mut last: Vec<TokenId> = engine
        .step(&items)
        .unwrap()
        .into_iter()
        .map(|l| argmax(&l.unwrap()))
        .collect();
    let mut out: Vec<Vec<TokenId>> = last.iter().map(|&t| vec![t]).collect();
    for _ in 1..n {
        let feed: Vec<[TokenId; 1]> = last.iter().map(|&t| [t]).collect();
        let items: Vec<_> = seqs
            .iter()
            .zip(&feed)
            .map(|(&(seq, _), t)| BatchItem {
                seq,
                tokens: t,
                logits: true,
            })
            .collect();
        last = engine
            .step(&items)
            .unwrap()
            .into_iter()
            .map(|l| argmax(&l.unwrap()))
            .collect();
        for (o, &t) in out.iter_mut().zip(&last) {
            o.push(t);
        }
    }
    for (seq, _) in seqs {
        engine.remove_sequence(seq);
    }
    out
}

#[test]
fn sequences_sharing_cached_blocks_in_one_batch_answer_as_without_the_cache() {
    let Some(path) = common::test_model() else {
        return;
    };
    let model = Model::load(&path).unwrap().shared();
    let sys = instructions();
    let ask = |q: &str| {
        chat_prompt(
            &model,
            &[Message::new("system", &sys), Message::new("user", q)],
        )
    };
    let prompts = vec![
        ask("Was kostet ein neuer Personalausweis?"),
        ask("Wann hat das Bürgerbüro geöffnet?"),
        ask("Was kostet ein neuer Personalausweis?"),
    ];
    let mut cold = engine(&model, 0);
    let expected: Vec<_> = prompts
        .iter()
        .map(|p| decode_together(&mut cold, std::slice::from_ref(p), 16).remove(0))
        .collect();

    let mut warm = engine(&model, 64 << 20);
    // The first request's whole blocks are published while it still runs:
    // the other two, admitted while it decodes, start from them.
    let (first, cached) = warm.new_sequence_for(&prompts[0]);
    assert_eq!(cached, 0);
    warm.step(&[BatchItem {
        seq: first,
        tokens: &prompts[0],
        logits: false,
    }])
    .unwrap();
    let got = decode_together(&mut warm, &prompts[1..], 16);
    let stats = warm.stats().prefix_cache;
    assert_eq!(stats.hits, 2, "{stats:?}");
    assert!(
        stats.hit_tokens as usize >= 2 * (sys.len() / 8),
        "{stats:?}"
    );
    assert_eq!(got, expected[1..]);
    warm.remove_sequence(first);
    // And all three at once, now from the cache.
    assert_eq!(decode_together(&mut warm, &prompts, 16), expected);
}

#[test]
fn a_tiny_budget_evicts_the_least_recently_used_blocks_and_answers_stay_the_same() {
    let Some(path) = common::test_model() else {
        return;
    };
    let model = Model::load(&path).unwrap().shared();
    let prompts = prompts(&model);
    let mut cold = engine(&model, 0);
    let expected: Vec<_> = prompts.iter().map(|p| generate(&mut cold, p, 12)).collect();

    let budget = 3 * BLOCK_BYTES;
    let mut warm = engine(&model, budget);
    for _ in 0..2 {
        for (p, want) in prompts.iter().zip(&expected) {
            assert_eq!(&generate(&mut warm, p, 12), want);
            let stats = warm.stats().prefix_cache;
            assert!(stats.bytes <= budget, "{stats:?}");
            assert!(stats.blocks <= 3, "{stats:?}");
        }
    }
    let stats = warm.stats().prefix_cache;
    assert!(stats.evicted_blocks > 0, "{stats:?}");
    // The most recent prompt's first blocks are still there.
    let last = prompts.last().unwrap();
    let (seq, cached) = warm.new_sequence_for(last);
    assert!(cached >= 64, "{cached}");
    warm.remove_sequence(seq);
}

#[test]
fn the_nth_turn_of_a_chat_computes_only_its_new_tokens() {
    let Some(path) = common::test_model() else {
        return;
    };
    let model = Model::load(&path).unwrap().shared();
    let questions = [
        "Wie melde ich einen Umzug?",
        "Und welche Unterlagen brauche ich dafür?",
        "Kann ich das auch online erledigen?",
        "Danke. Wie lange dauert es?",
    ];
    let run = |cache: usize| {
        let mut e = engine(&model, cache);
        let mut messages = vec![Message::new("system", instructions())];
        let mut previous: Vec<TokenId> = Vec::new();
        let mut turns = Vec::new();
        for q in questions {
            messages.push(Message::new("user", q));
            let prompt = chat_prompt(&model, &messages);
            let before = e.stats();
            let g = e
                .generate(
                    &prompt,
                    &GenerateOptions {
                        max_tokens: 12,
                        ..Default::default()
                    },
                    &mut |_| true,
                )
                .unwrap();
            let computed = e.stats().prefill_tokens - before.prefill_tokens;
            let new = if previous.is_empty() {
                prompt.len()
            } else {
                // The history renders the same way each turn.
                assert_eq!(prompt[..previous.len()], previous[..]);
                prompt.len() - previous.len()
            };
            turns.push((g.tokens, computed as usize, new));
            messages.push(Message::new("assistant", &g.text));
            previous = prompt;
        }
        turns
    };
    let cold = run(0);
    let warm = run(64 << 20);
    for (i, (c, w)) in cold.iter().zip(&warm).enumerate() {
        assert_eq!(c.0, w.0, "turn {}", i + 1);
        // Without the cache every turn computes its whole, growing prompt …
        assert!(c.1 >= c.2, "turn {}", i + 1);
        // … with it only what the previous turn did not have.
        assert_eq!(w.1, w.2, "turn {}: computed {} of {} new", i + 1, w.1, w.2);
    }
    assert!(cold[3].1 > 3 * warm[3].1, "{cold:?} {warm:?}");
}
