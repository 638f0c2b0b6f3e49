mod common;

use engine::session::GenerateOptions;
use engine::{Engine, EngineOptions, Message, Model};

#[test]
fn smollm2_answers_a_chat_prompt_greedily() {
    let Some(path) = common::test_model() else {
        return;
    };
    let model = Model::load(&path).unwrap().shared();
    let prompt = model
        .template()
        .unwrap()
        .render(
            &[Message::new("user", "What is the capital of France?")],
            true,
        )
        .unwrap();
    let toks = model.tokenizer.encode(&prompt, true, true);
    let mut engine = Engine::new(model, EngineOptions::default());
    let g = engine
        .generate(
            &toks,
            &GenerateOptions {
                max_tokens: 32,
                ..Default::default()
            },
            &mut |_| true,
        )
        .unwrap();
    eprintln!("{:?}\n{}", g.tokens, g.text);
    assert!(g.text.contains("Paris"), "{}", g.text);
}
