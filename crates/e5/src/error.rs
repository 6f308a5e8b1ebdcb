//! The crate's one error type.
//!
//! Everything that can go wrong happens while loading: reading the model file
//! and checking it. Each variant names the file (its path, or the label given
//! to [`Encoder::from_bytes_named`](super::encoder::Encoder::from_bytes_named)) and, where a byte of the file is to
//! blame, its offset, so that a damaged or foreign file is easy to diagnose.
//! Encoding text cannot fail once a model is loaded.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What can go wrong while loading an encoder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model file could not be read from disk.
    #[error("cannot read model file {}: {source}", path.display())]
    Io {
        /// The path that was opened.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The file does not start with the `E5S1` magic, so it is not a model file.
    #[error("{file}: not an E5S1 model file (bytes 0..4 are {found:02x?})")]
    BadMagic {
        /// The file's path or label.
        file: String,
        /// The first four bytes that were found.
        found: [u8; 4],
    },

    /// The file ends before a field or tensor the format requires.
    #[error("{file}: truncated at byte {offset}: {what} needs {needed} bytes, {available} left")]
    Truncated {
        /// The file's path or label.
        file: String,
        /// Byte offset where the missing data should start.
        offset: u64,
        /// What was being read.
        what: String,
        /// Bytes needed there.
        needed: u64,
        /// Bytes the file still has from `offset`.
        available: u64,
    },

    /// A field holds a value that the format, or this encoder, does not accept.
    #[error("{file}: bad {what} at byte {offset}: {detail}")]
    Invalid {
        /// The file's path or label.
        file: String,
        /// Byte offset of the offending field.
        offset: u64,
        /// The field's name.
        what: String,
        /// What is wrong with it.
        detail: String,
    },

    /// A tensor this encoder needs is not in the file's tensor directory.
    #[error("{file}: tensor {name:?} is missing from the tensor directory at byte {dir_offset}")]
    MissingTensor {
        /// The file's path or label.
        file: String,
        /// The tensor's name.
        name: String,
        /// Byte offset of the tensor directory.
        dir_offset: u64,
    },

    /// The requested compute kernel needs CPU features this machine lacks.
    #[error("kernel {kernel} is not supported on this CPU")]
    UnsupportedKernel {
        /// The kernel's name.
        kernel: &'static str,
    },
}
