fn main() {
    let path = std::env::args().nth(1).unwrap();
    let ids: Vec<u32> = std::env::args()
        .nth(2)
        .unwrap()
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let model = engine::Model::load(path.as_ref()).unwrap().shared();
    let mut e = engine::Engine::new(
        model,
        engine::EngineOptions {
            threads: 2,
            n_ctx: 512,
            max_batch_tokens: std::env::var("MB").map_or(512, |v| v.parse().unwrap()),
            ..Default::default()
        },
    );
    for n in [3, 4, 5] {
        let seq = e.new_sequence();
        let l = e
            .step(&[engine::BatchItem {
                seq,
                tokens: &ids[..n],
                logits: true,
            }])
            .unwrap()
            .pop()
            .flatten()
            .unwrap();
        e.remove_sequence(seq);
        let mut idx: Vec<usize> = (0..l.len()).collect();
        idx.sort_by(|&a, &b| l[b].total_cmp(&l[a]));
        println!(
            "{n} {:?}",
            idx[..5]
                .iter()
                .map(|&i| (i, (l[i] * 1000.0).round() / 1000.0))
                .collect::<Vec<_>>()
        );
    }
}
