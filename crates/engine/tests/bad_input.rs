//! Broken or hostile model files give a clear error, never a panic.

use std::path::{Path, PathBuf};

use engine::gguf::write::{self, TensorSpec};
use engine::gguf::{GgmlType, Header, Value};
use engine::synthetic::{write_model, Shape};
use engine::{Error, Model};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("engine-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn tiny() -> PathBuf {
    // Tests run in parallel: write the shared file once.
    static TINY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    TINY.get_or_init(|| {
        let p = temp("tiny.gguf");
        write_model(&p, Shape::TINY, GgmlType::Q8_0).unwrap();
        p
    })
    .clone()
}

/// Rewrites `src` with its metadata changed by `edit`, keeping the tensors.
fn rewrite(src: &Path, name: &str, edit: impl Fn(&mut Vec<(String, Value)>)) -> PathBuf {
    let bytes = std::fs::read(src).unwrap();
    let h = Header::parse(&bytes).unwrap();
    let mut meta = h.metadata.clone();
    edit(&mut meta);
    let specs: Vec<TensorSpec> = h
        .tensors
        .iter()
        .map(|t| TensorSpec {
            name: t.name.clone(),
            dims: t.dims.clone(),
            ty: t.ty,
        })
        .collect();
    let mut out = Vec::new();
    write::header(&mut out, &meta, &specs).unwrap();
    for t in &h.tensors {
        out.extend_from_slice(&bytes[t.offset..t.offset + t.size]);
        write::pad(&mut out, t.size).unwrap();
    }
    let p = temp(name);
    std::fs::write(&p, out).unwrap();
    p
}

fn set(meta: &mut [(String, Value)], key: &str, v: Value) {
    meta.iter_mut().find(|(k, _)| k == key).unwrap().1 = v;
}

#[test]
fn a_truncated_model_file_is_an_error_naming_the_problem() {
    let bytes = std::fs::read(tiny()).unwrap();
    for cut in [0, 3, 20, bytes.len() / 3, bytes.len() - 1] {
        let p = temp(&format!("cut-{cut}.gguf"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let err = Model::load(&p).unwrap_err();
        assert!(matches!(err, Error::Gguf(_)), "cut {cut}: {err}");
    }
}

#[test]
fn an_unknown_architecture_is_named_in_the_error() {
    let p = rewrite(&tiny(), "arch.gguf", |m| {
        set(m, "general.architecture", Value::String("mamba".into()))
    });
    let err = Model::load(&p).unwrap_err().to_string();
    assert!(err.contains("mamba") && err.contains("llama"), "{err}");
}

#[test]
fn a_vocabulary_that_does_not_match_the_embedding_is_rejected() {
    let p = rewrite(&tiny(), "vocab.gguf", |m| {
        let Value::Array(toks) = &mut m
            .iter_mut()
            .find(|(k, _)| k == "tokenizer.ggml.tokens")
            .unwrap()
            .1
        else {
            panic!()
        };
        toks.truncate(300);
    });
    let err = Model::load(&p).unwrap_err().to_string();
    assert!(err.contains("vocabulary"), "{err}");
}

#[test]
fn absurd_hyper_parameters_are_rejected_before_allocating() {
    let p = rewrite(&tiny(), "layers.gguf", |m| {
        set(m, "llama.block_count", Value::U64(u64::MAX))
    });
    let err = Model::load(&p).unwrap_err().to_string();
    assert!(err.contains("block_count"), "{err}");
    let p = rewrite(&tiny(), "heads.gguf", |m| {
        set(m, "llama.attention.head_count_kv", Value::U32(3))
    });
    assert!(Model::load(&p).is_err());
}

#[test]
fn a_missing_file_is_an_io_error_with_its_path() {
    let err = Model::load(Path::new("/nonexistent/model.gguf"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/model.gguf"), "{err}");
}

#[test]
fn corrupted_bytes_anywhere_in_the_header_never_panic() {
    let bytes = std::fs::read(tiny()).unwrap();
    let h = Header::parse(&bytes).unwrap();
    let mut state = 12345u64;
    for _ in 0..2000 {
        let mut b = bytes[..h.data_offset].to_vec();
        for _ in 0..4 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            let i = (state >> 33) as usize % b.len();
            b[i] = (state >> 17) as u8;
        }
        if let Ok(h) = Header::parse(&b) {
            let _ = engine::Tokenizer::from_gguf(&h);
        }
    }
}
