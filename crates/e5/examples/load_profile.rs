//! Times the steps of loading (file read, parse, tokenizer, whole load).
use std::time::Instant;

use e5::model_file::ModelFile;
use e5::{Encoder, Tokenizer};

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/e5-small-zh-en-q4.bin"
    );
    for _ in 0..3 {
        let t = Instant::now();
        let bytes = std::fs::read(path).expect("model file");
        let read = t.elapsed();
        let t = Instant::now();
        let f = ModelFile::parse(&bytes, path).expect("parse");
        let parse = t.elapsed();
        let t = Instant::now();
        let tok = Tokenizer::from_model_file(&f);
        let tokb = t.elapsed();
        let t = Instant::now();
        let e = Encoder::from_bytes(&bytes).expect("load");
        let all = t.elapsed();
        println!(
            "read {:?} parse {:?} tokenizer {:?} from_bytes(total) {:?} vocab {} dim {}",
            read,
            parse,
            tokb,
            all,
            tok.vocab_size(),
            e.dim()
        );
    }
}
