/*!
The one error type of the library.

Every failure a user can cause (a broken corpus file, a bad config) names the file and line,
so the fix is obvious; the program refuses to start rather than serve part of a corpus.
"No answer" is not an error: it is [`crate::answer::Answer::Abstained`].
*/

use std::path::PathBuf;

/// Everything that can go wrong while loading and serving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read from disk.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file or directory could not be written (the index store, the glossary file).
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A corpus directory holds no interview file.
    #[error("no interview files (*.md) in {dir}")]
    NoInterviews {
        /// The corpus directory.
        dir: PathBuf,
    },
    /// A corpus file is malformed, at a 1-based line.
    #[error("{path}:{line}: {message}")]
    Corpus {
        /// The corpus file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong, in words.
        message: String,
    },
    /// A configuration file (bot.toml, synonyms, names, phrases, stop words) is malformed.
    #[error("{path}:{line}: {message}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// 1-based line, 0 for the file as a whole.
        line: usize,
        /// What is wrong, in words.
        message: String,
    },
    /// An environment variable holds a value that does not fit its setting.
    #[error("${name}={value:?}: {message}")]
    Env {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What is wrong, in words.
        message: String,
    },
    /// A question set for `eval` has a malformed line.
    #[error("{path}:{line}: {message}")]
    QuestionSet {
        /// The question file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong, in words.
        message: String,
    },
    /// The index store on disk is damaged or belongs to another library; it is rebuilt.
    #[error("{path}: the stored index is damaged: {message}")]
    Store {
        /// The stored file or directory.
        path: PathBuf,
        /// What is wrong, in words.
        message: String,
    },
    /// The encoder's model file is missing pieces or is not a model file.
    #[error(transparent)]
    Model(#[from] crate::encoder::Error),
    /// A policy override (`--set policy.FIELD=VALUE`) does not fit.
    #[error(transparent)]
    Policy(#[from] crate::retrieval::policy::SetError),
    /// The search index could not be built or queried.
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A glossary file or the dictionary it is built from is malformed.
    #[error(transparent)]
    Glossary(#[from] crate::lexicon::glossary::GlossaryError),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A file or directory that could not be read.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A file or directory that could not be written.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    /// A corpus error at `path:line`.
    pub fn corpus(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        Error::Corpus {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    /// A config error at `path:line`.
    pub fn config(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        Error::Config {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}
