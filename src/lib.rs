/*!
interview-bot answers questions about a published interview by quoting it.

The library is the pure core — corpus → passages → analysis → index → ranked hits →
[`answer::Answer`] — plus renderers and the front ends' shared pieces; the binary in
`main.rs` is thin glue. See ARCHITECTURE.md for the codemap and invariants.
*/

pub mod allocator;
pub mod analysis;
pub mod answer;
pub mod bench;
pub mod config;
pub mod console;
pub mod corpus;
pub mod discord;
pub mod engine;
pub mod error;
pub mod eval;
pub mod expand;
pub mod figure;
pub mod glossary;
pub mod index;
pub mod library;
pub mod quote;
pub mod render;
pub mod store;

pub use answer::Answer;
pub use engine::Engine;
pub use error::{Error, Result};
