/*!
Reading the program's files from disk: the corpus directory, the lexicon's word lists and the
glossary (and, with semantic matching, the encoder). This is the I/O shell around the pure
core: every other module parses text or bytes it is handed, so that each can be tested on
data made in memory, and every read failure names its file here, in one place.
*/

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::config::Config;
use crate::corpus::Corpus;
use crate::encoder::Encoder;
use crate::error::{Error, Result};
use crate::retrieval::dense::{
    embed_document, fingerprint, passages_by_document, Dense, DocumentVectors, Vectors,
};
use crate::retrieval::store::{read_vectors, write_vectors, Fnv, Store};
use crate::retrieval::Engine;

/// Reads a whole file as UTF-8 text; a failure names the file.
pub fn text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::io(path, source))
}

/// Reads a whole file as bytes; a failure names the file.
pub fn bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::io(path, source))
}

/// Loads every `*.md` interview file of `dir`, sorted by name, into a corpus. A directory
/// with none is an error saying so.
pub fn corpus(dir: &Path) -> Result<Corpus> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::io(dir, source))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::NoInterviews {
            dir: dir.to_path_buf(),
        });
    }
    let mut corpus = Corpus::default();
    for path in files {
        corpus.add_file(&path, &bytes(&path)?)?;
    }
    Ok(corpus)
}

/// Reads the lexicon's four word lists from `dir`.
pub fn lexicon(dir: &Path) -> Result<crate::lexicon::Lexicon> {
    crate::lexicon::Lexicon::parse_dir(dir, text)
}

/// Reads the English → Chinese glossary file.
pub fn glossary(path: &Path) -> Result<crate::lexicon::glossary::Glossary> {
    let text = text(path)?;
    Ok(crate::lexicon::glossary::Glossary::from_tsv(
        &text,
        &path.display().to_string(),
    )?)
}

/// When passage vectors that are missing get computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// Before the engine is returned: what `ask`, `eval` and `bench` measure is then the
    /// full engine.
    Wait,
    /// On a background thread: the engine answers by words until semantic matching is
    /// ready, and the log says when it is (a front end that serves people).
    Background,
}

/// Loads corpus, lexicon, glossary and encoder named by `config`, parsing jieba's dictionary
/// on a second thread meanwhile (it is the slowest part of start-up), and builds the engine
/// (or opens its index from the store), with every passage vector ready.
pub fn engine(config: &Config) -> Result<Engine> {
    engine_with(config, Embedding::Wait)
}

/// Like [`engine`], computing missing passage vectors as `vectors` says.
pub fn engine_with(config: &Config, vectors: Embedding) -> Result<Engine> {
    assemble(config, || corpus(&config.corpus_dir), vectors)
}

/// Like [`engine`], with a corpus given instead of read from `config.corpus_dir`
/// (benchmarks build synthetic libraries this way).
pub fn engine_with_corpus(config: &Config, corpus: Corpus) -> Result<Engine> {
    assemble(config, move || Ok(corpus), Embedding::Wait)
}

fn assemble(
    config: &Config,
    corpus: impl FnOnce() -> Result<Corpus>,
    vectors: Embedding,
) -> Result<Engine> {
    let (engine, encoder) = std::thread::scope(|s| {
        let jieba = s.spawn(jieba_rs::Jieba::new);
        let encoder = config.model.as_ref().map(|m| (m, s.spawn(|| encoder(m))));
        let corpus = corpus();
        let lexicon = lexicon(&config.lexicon_dir);
        let glossary = glossary(&config.glossary);
        let jieba = jieba.join().expect("jieba dictionary parse panicked");
        let corpus = corpus?;
        let store = Store::for_corpus(config, &corpus);
        let engine = Engine::with_store(
            corpus,
            &lexicon?,
            glossary?,
            jieba,
            config.answer.clone(),
            config.policy.clone(),
            store.as_ref(),
        )?;
        let encoder = match encoder {
            Some((_, handle)) => Some(handle.join().expect("model load panicked")?),
            None => None,
        };
        Ok::<_, Error>((engine, encoder))
    })?;
    let Some((encoder, identity)) = encoder else {
        return Ok(engine);
    };
    let encoder = Arc::new(encoder);
    let ready = Arc::new(OnceLock::new());
    let dense = Dense::new(Arc::clone(&encoder), Arc::clone(&ready));
    let dir = config.vectors_dir.clone();
    let plan = plan_vectors(engine.corpus(), identity, dir.as_deref(), encoder.dim());
    match plan {
        VectorPlan::Ready(v) => {
            let _ = ready.set(Vectors::join(encoder.dim(), v));
        }
        VectorPlan::Missing(job) => match vectors {
            Embedding::Wait => {
                let _ = ready.set(job.run(engine.corpus(), &encoder, dir.as_deref()));
            }
            Embedding::Background => {
                let corpus = engine.corpus().clone();
                std::thread::spawn(move || {
                    let v = job.run(&corpus, &encoder, dir.as_deref());
                    let _ = ready.set(v);
                    tracing::info!("semantic matching ready");
                    eprintln!("interview-bot: semantic matching ready");
                });
            }
        },
    }
    Ok(engine.with_dense(dense))
}

/// Reads the encoder's model file, with the identity its vectors are keyed by.
pub fn encoder(path: &Path) -> Result<(Encoder, u64)> {
    let bytes = bytes(path)?;
    let encoder = Encoder::from_bytes_named(&bytes, &path.display().to_string())?;
    Ok((encoder, model_identity(&bytes)))
}

/// A cheap identity of a model file: its length, its first MiB (header, vocabulary, tensor
/// directory) and every 4096th byte after it. Another model, or another cut of this one,
/// changes it; hashing all 38 MB would cost start-up time for nothing.
pub fn model_identity(bytes: &[u8]) -> u64 {
    let mut h = Fnv::new();
    h.add(&(bytes.len() as u64).to_le_bytes());
    let head = bytes.len().min(1 << 20);
    h.add(&bytes[..head]);
    let sampled: Vec<u8> = bytes[head..].iter().step_by(4096).copied().collect();
    h.add(&sampled);
    h.0
}

/// What the library's vectors need: all read, or some documents still to embed.
enum VectorPlan {
    Ready(Vec<DocumentVectors>),
    Missing(VectorJob),
}

/// The documents to embed, with those already read.
struct VectorJob {
    /// Per document: its vectors when read, else the fingerprint they must get.
    documents: Vec<std::result::Result<DocumentVectors, u64>>,
}

/// The file of a document's vectors.
fn vectors_file(dir: &Path, document: &crate::corpus::Document) -> PathBuf {
    dir.join(format!("{}.vec", document.id))
}

fn plan_vectors(corpus: &Corpus, model: u64, dir: Option<&Path>, dim: usize) -> VectorPlan {
    let by_document = passages_by_document(corpus);
    let documents: Vec<std::result::Result<DocumentVectors, u64>> = corpus
        .documents
        .iter()
        .zip(&by_document)
        .map(|(d, passages)| {
            let want = fingerprint(model, d, passages);
            let Some(dir) = dir else {
                return Err(want);
            };
            let path = vectors_file(dir, d);
            match read_vectors(&path, dim) {
                Ok(v) if v.fingerprint == want && v.passages.len() == passages.len() => Ok(v),
                Ok(_) => {
                    tracing::info!(file = %path.display(), "vectors are of another text or model: recomputing");
                    Err(want)
                }
                Err(e) => {
                    if path.exists() {
                        tracing::warn!(error = %e, "recomputing vectors");
                    }
                    Err(want)
                }
            }
        })
        .collect();
    if documents.iter().all(|d| d.is_ok()) {
        VectorPlan::Ready(documents.into_iter().flatten().collect())
    } else {
        VectorPlan::Missing(VectorJob { documents })
    }
}

impl VectorJob {
    /// Embeds the missing documents, showing progress (a bar on a terminal, log lines
    /// otherwise), saves each to `dir` and returns the library's vectors.
    fn run(self, corpus: &Corpus, encoder: &Encoder, dir: Option<&Path>) -> Vectors {
        let by_document = passages_by_document(corpus);
        let todo: usize = self
            .documents
            .iter()
            .zip(&by_document)
            .filter(|(d, _)| d.is_err())
            .map(|(_, p)| p.len())
            .sum();
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(todo as u64)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_message("embedding passages");
        tracing::info!(passages = todo, "embedding passages for semantic matching");
        if let Some(dir) = dir {
            if let Err(e) = std::fs::create_dir_all(dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot keep vectors");
            }
        }
        let started = std::time::Instant::now();
        let mut done = 0usize;
        let documents = self
            .documents
            .into_iter()
            .zip(&corpus.documents)
            .zip(&by_document)
            .map(|((d, document), passages)| match d {
                Ok(v) => v,
                Err(fingerprint) => {
                    let v = embed_document(encoder, fingerprint, passages, &mut || {
                        done += 1;
                        bar.inc(1);
                        if done.is_multiple_of(100) {
                            tracing::info!(done, of = todo, "embedding passages");
                        }
                    });
                    if let Some(dir) = dir {
                        let path = vectors_file(dir, document);
                        if let Err(e) = write_vectors(&path, encoder.dim(), &v) {
                            tracing::warn!(error = %e, "cannot keep vectors");
                        }
                    }
                    v
                }
            })
            .collect();
        bar.finish_and_clear();
        tracing::info!(
            passages = todo,
            seconds = started.elapsed().as_secs_f64(),
            "passage vectors ready"
        );
        Vectors::join(encoder.dim(), documents)
    }
}

/// Derives the glossary from the CC-CEDICT file at `cedict` (`.txt` or `.txt.gz`), keeping
/// the words of the corpus and of the synonym lists named by `config`.
pub fn cedict_glossary(
    config: &Config,
    cedict: &Path,
) -> Result<crate::lexicon::glossary::Glossary> {
    use std::io::BufRead;
    let corpus = corpus(&config.corpus_dir)?;
    let lexicon = lexicon(&config.lexicon_dir)?;
    // The corpus, and the synonyms' members on lines of their own: a translation to 消費者
    // reaches the passages through its group (To C, C端).
    let folded: String = corpus
        .passages
        .iter()
        .map(|p| &p.text)
        .chain(lexicon.synonyms.iter().flatten())
        .map(|t| crate::analysis::fold(t) + "\n")
        .collect();
    let file = std::fs::File::open(cedict).map_err(|source| Error::io(cedict, source))?;
    let reader: Box<dyn BufRead> = if cedict.extension().is_some_and(|e| e == "gz") {
        Box::new(std::io::BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let entries = crate::lexicon::cedict::parse_cedict(reader)?;
    Ok(crate::lexicon::cedict::build(&entries, &folded))
}
