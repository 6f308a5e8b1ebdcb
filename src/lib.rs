/*!
interview-bot answers questions about a published interview by quoting it.

The library is the pure core — corpus → analysis → retrieval → [`answer::Answer`] — plus the
renderers, the tools (`bench`, `eval`) and the front ends, each behind a cargo feature
(`console`, `discord`); the binary in `main.rs` is thin glue. The core never imports a front
end, and only [`load`] reads files. See ARCHITECTURE.md for the codemap and invariants.
*/

pub mod allocator;
pub mod analysis;
pub mod answer;
pub mod config;
pub mod corpus;
/// The multilingual sentence encoder (the `e5` crate of this workspace).
pub use e5 as encoder;
pub mod error;
pub mod lexicon;
pub mod load;
pub mod render;
pub mod retrieval;
pub mod serve;
pub mod tools;

pub use answer::Answer;
pub use error::{Error, Result};
pub use retrieval::Engine;
