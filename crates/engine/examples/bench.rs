//! `cargo run --release -p engine --example bench -- MODEL [-p 512] [-n 128] [-t 1,2] [-r 3]`
//! until the `ki-reise bench engine` subcommand is wired up.

fn list(v: &str) -> Vec<usize> {
    v.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(model) = args.next() else {
        eprintln!("usage: bench MODEL [-p 512] [-n 128] [-t 1,2] [-r 3]");
        std::process::exit(2);
    };
    let mut b = engine::cli::bench::BenchArgs::default();
    while let (Some(flag), Some(val)) = (args.next(), args.next()) {
        match flag.as_str() {
            "-p" => b.prompt = list(&val),
            "-n" => b.generate = list(&val),
            "-t" => b.threads = list(&val),
            "-r" => b.reps = val.parse().unwrap_or(3),
            _ => {}
        }
    }
    if let Err(e) = engine::cli::bench::bench_engine(model.as_ref(), &b, &mut std::io::stdout()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
