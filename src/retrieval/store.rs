/*!
The index on disk, for libraries too large to index at every start.

When `index_dir` is set and the corpus has at least `persist_above` passages, the tantivy
index and the passage statistics are kept in `index_dir/<fingerprint>/`. The fingerprint
covers everything they depend on — the corpus text, the lexicon, and the analysis version —
so an unchanged library opens in a blink and a changed one is rebuilt. A rebuild goes to a
fresh `.building-…` directory that is renamed into place only when complete (a rename is
atomic), so a crash mid-build never leaves a broken index in use; older fingerprints are
removed afterwards.
*/

use rustc_hash::FxHashMap as HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::analysis::ChineseAnalyzer;
use crate::config::Config;
use crate::corpus::Corpus;
use crate::error::{Error, Result};
use crate::lexicon::Lexicon;
use crate::retrieval::bm25::SearchIndex;
use crate::retrieval::dense::{DocumentVectors, PassageVectors};
use crate::retrieval::stats::{PassageTerms, Statistics};

/// Bump when analysis or the stored format changes: old stores are then rebuilt.
pub const ANALYSIS_VERSION: &str = "interview-bot analysis 2";
const STATS_FILE: &str = "stats.bin";
const READY_FILE: &str = "READY";
const MAGIC: &[u8; 8] = b"IBSTATS2";

/// Where and under which fingerprint the index of one library is kept.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store for `corpus` under `config`, if it should be persisted.
    pub fn for_corpus(config: &Config, corpus: &Corpus) -> Option<Store> {
        let dir = config.index_dir.as_ref()?;
        (corpus.passages.len() >= config.persist_above).then(|| Store { dir: dir.clone() })
    }

    /// A store in `dir` regardless of size.
    #[cfg(test)]
    pub fn at(dir: &Path) -> Store {
        Store {
            dir: dir.to_path_buf(),
        }
    }

    /// Opens the stored index of this library, or builds and stores it.
    pub(crate) fn open_or_build(
        &self,
        corpus: &Corpus,
        analyzer: &ChineseAnalyzer,
        lexicon: &Lexicon,
    ) -> Result<(SearchIndex, Statistics)> {
        let name = format!("{:016x}", fingerprint(corpus, lexicon));
        let home = self.dir.join(&name);
        if home.join(READY_FILE).exists() {
            match open(&home, corpus, analyzer) {
                Ok(found) => return Ok(found),
                Err(e) => {
                    tracing::warn!(dir = %home.display(), error = %e, "stored index unusable; rebuilding")
                }
            }
        }
        let write = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::write(path, source)
        };
        std::fs::create_dir_all(&self.dir).map_err(write(&self.dir))?;
        let building = self
            .dir
            .join(format!(".building-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        std::fs::create_dir_all(&building).map_err(write(&building))?;
        let index = SearchIndex::build(corpus, analyzer, Some(&building))?;
        let stats = Statistics::compute(corpus, analyzer);
        write_stats(&building.join(STATS_FILE), &stats)?;
        std::fs::write(building.join(READY_FILE), ANALYSIS_VERSION).map_err(write(&building))?;
        drop(index);
        if home.exists() {
            // An unusable or concurrent copy: replace it.
            let _ = std::fs::remove_dir_all(&home);
        }
        std::fs::rename(&building, &home).map_err(write(&home))?;
        // Older libraries are no longer needed.
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n != name && n.len() == 16 && n.chars().all(|c| c.is_ascii_hexdigit()) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        open(&home, corpus, analyzer)
    }
}

fn open(
    home: &Path,
    corpus: &Corpus,
    analyzer: &ChineseAnalyzer,
) -> Result<(SearchIndex, Statistics)> {
    let index = SearchIndex::open(home, analyzer, corpus.passages.len())?;
    let stats = read_stats(&home.join(STATS_FILE))?;
    if stats.terms.len() != corpus.passages.len() {
        return Err(Error::Store {
            path: home.join(STATS_FILE),
            message: "the statistics do not match the corpus".into(),
        });
    }
    Ok((index, stats))
}

/// FNV-1a over everything the index and statistics depend on (stable across Rust releases,
/// unlike the standard hasher).
pub fn fingerprint(corpus: &Corpus, lexicon: &Lexicon) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.add(ANALYSIS_VERSION.as_bytes());
    for d in &corpus.documents {
        h.add(d.id.as_bytes());
        h.add(d.meta.interviewer.as_bytes());
        h.add(d.meta.interviewee.as_bytes());
    }
    for p in &corpus.passages {
        h.add(p.id.as_bytes());
        h.add(&(p.document as u64).to_le_bytes());
        h.add(p.text.as_bytes());
    }
    let mut stop: Vec<&String> = lexicon.stopwords.iter().collect();
    stop.sort();
    for w in lexicon
        .words
        .iter()
        .chain(&lexicon.phrases)
        .chain(stop)
        .chain(lexicon.synonyms.iter().flatten())
    {
        h.add(w.as_bytes());
    }
    h.0
}

/// 64-bit FNV-1a over fields, each ended by 0xff: a stable hash for fingerprints (not for
/// security).
pub(crate) struct Fnv(pub(crate) u64);

impl Fnv {
    /// A fresh hash.
    pub(crate) fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Feeds one field.
    pub(crate) fn add(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(&[0xff]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn write_stats(path: &Path, s: &Statistics) -> Result<()> {
    let io = |source| Error::write(path, source);
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = BufWriter::new(file);
    let mut vocab: Vec<(&String, &u32)> = s.vocabulary.iter().collect();
    vocab.sort_by_key(|(_, id)| **id);
    let mut out = || -> std::io::Result<()> {
        w.write_all(MAGIC)?;
        put_u32(&mut w, vocab.len())?;
        for (word, _) in &vocab {
            put_bytes(&mut w, word.as_bytes())?;
        }
        put_u32(&mut w, s.word_df.len())?;
        for &df in &s.word_df {
            put_u32(&mut w, df as usize)?;
        }
        put_u32(&mut w, s.terms.len())?;
        for t in &s.terms {
            put_u32(&mut w, t.words.len())?;
            for &id in &t.words {
                put_u32(&mut w, id as usize)?;
            }
            put_bytes(&mut w, t.text.as_bytes())?;
        }
        put_u32(&mut w, s.bigram_df.len())?;
        for (b, &df) in &s.bigram_df {
            put_bytes(&mut w, b.as_bytes())?;
            put_u32(&mut w, df as usize)?;
        }
        put_u32(&mut w, s.char_df.len())?;
        for (&c, &df) in &s.char_df {
            put_u32(&mut w, c as usize)?;
            put_u32(&mut w, df as usize)?;
        }
        w.flush()
    };
    out().map_err(io)
}

fn read_stats(path: &Path) -> Result<Statistics> {
    let bad = |why: &str| Error::Store {
        path: path.to_path_buf(),
        message: why.to_string(),
    };
    let file = std::fs::File::open(path).map_err(|source| Error::io(path, source))?;
    let mut r = BufReader::new(file);
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).map_err(|_| bad("too short"))?;
    if &magic != MAGIC {
        return Err(bad("not a statistics file"));
    }
    let mut get = || -> std::io::Result<Statistics> {
        let n = get_u32(&mut r)?;
        let mut vocabulary = HashMap::with_capacity_and_hasher(n, Default::default());
        for id in 0..n {
            vocabulary.insert(get_string(&mut r)?, id as u32);
        }
        let n = get_u32(&mut r)?;
        let word_df = (0..n)
            .map(|_| get_u32(&mut r).map(|v| v as u32))
            .collect::<std::io::Result<_>>()?;
        let n = get_u32(&mut r)?;
        let mut terms = Vec::with_capacity(n);
        for _ in 0..n {
            let k = get_u32(&mut r)?;
            let words = (0..k)
                .map(|_| get_u32(&mut r).map(|v| v as u32))
                .collect::<std::io::Result<_>>()?;
            terms.push(PassageTerms {
                words,
                text: get_string(&mut r)?,
            });
        }
        let n = get_u32(&mut r)?;
        let mut bigram_df = HashMap::with_capacity_and_hasher(n, Default::default());
        for _ in 0..n {
            let b = get_string(&mut r)?;
            bigram_df.insert(b, get_u32(&mut r)? as u32);
        }
        let n = get_u32(&mut r)?;
        let mut char_df = HashMap::with_capacity_and_hasher(n, Default::default());
        for _ in 0..n {
            let c = char::from_u32(get_u32(&mut r)? as u32)
                .ok_or_else(|| std::io::Error::other("not a character"))?;
            char_df.insert(c, get_u32(&mut r)? as u32);
        }
        Ok(Statistics {
            terms,
            vocabulary,
            word_df,
            bigram_df,
            char_df,
        })
    };
    get().map_err(|e| bad(&e.to_string()))
}

fn put_u32(w: &mut impl Write, v: usize) -> std::io::Result<()> {
    let v = u32::try_from(v).map_err(|_| std::io::Error::other("value too large"))?;
    w.write_all(&v.to_le_bytes())
}

fn put_bytes(w: &mut impl Write, b: &[u8]) -> std::io::Result<()> {
    put_u32(w, b.len())?;
    w.write_all(b)
}

fn get_u32(r: &mut impl Read) -> std::io::Result<usize> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b) as usize)
}

fn get_string(r: &mut impl Read) -> std::io::Result<String> {
    let n = get_u32(r)?;
    if n > 1 << 30 {
        return Err(std::io::Error::other("string too long"));
    }
    let mut b = vec![0u8; n];
    r.read_exact(&mut b)?;
    String::from_utf8(b).map_err(|_| std::io::Error::other("not UTF-8"))
}

/// The magic of a vectors file.
const VECTORS_MAGIC: &[u8; 8] = b"IBVEC2\0\0";

/// Writes one document's vectors to `path` (through a temporary file renamed into place, so
/// a crash never leaves half a file): the magic, the fingerprint, the dimension and the
/// number of passages, each passage's paragraph and sentence counts and whether it has a
/// question vector, then every vector as little-endian f32 (whole, paragraphs, sentences,
/// question; passage after passage).
pub fn write_vectors(path: &Path, dim: usize, v: &DocumentVectors) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let io = |source| Error::io(&tmp, source);
    let mut w = BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    let mut out = || -> std::io::Result<()> {
        w.write_all(VECTORS_MAGIC)?;
        w.write_all(&v.fingerprint.to_le_bytes())?;
        put_u32(&mut w, dim)?;
        put_u32(&mut w, v.passages.len())?;
        for p in &v.passages {
            put_u32(&mut w, p.paragraphs.len())?;
            put_u32(&mut w, p.sentences.len())?;
            put_u32(&mut w, usize::from(!p.question.is_empty()))?;
        }
        for p in &v.passages {
            for x in p
                .whole
                .iter()
                .chain(p.paragraphs.iter().flatten())
                .chain(p.sentences.iter().flatten())
                .chain(&p.question)
            {
                w.write_all(&x.to_le_bytes())?;
            }
        }
        w.flush()
    };
    out().map_err(io)?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(|source| Error::io(path, source))
}

/// Reads a vectors file written by [`write_vectors`]; a damaged file is an error naming it
/// and the byte offset.
pub fn read_vectors(path: &Path, dim: usize) -> Result<DocumentVectors> {
    let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
    parse_vectors(&bytes, dim).map_err(|(offset, why)| Error::Store {
        path: path.to_path_buf(),
        message: format!("at byte {offset}: {why}"),
    })
}

/// Parses a vectors file; an error gives the offset and what is wrong.
fn parse_vectors(b: &[u8], dim: usize) -> std::result::Result<DocumentVectors, (usize, String)> {
    let mut at = 0usize;
    let mut take = |n: usize, what: &str| -> std::result::Result<&[u8], (usize, String)> {
        let s = b
            .get(at..at + n)
            .ok_or_else(|| (at, format!("file ends before {what}")))?;
        at += n;
        Ok(s)
    };
    if take(8, "the magic")? != VECTORS_MAGIC {
        return Err((0, "not a vectors file".into()));
    }
    let fingerprint =
        u64::from_le_bytes(take(8, "the fingerprint")?.try_into().unwrap_or_default());
    let u32_of = |s: &[u8]| u32::from_le_bytes(s.try_into().unwrap_or_default()) as usize;
    let file_dim = u32_of(take(4, "the dimension")?);
    if file_dim != dim {
        return Err((16, format!("dimension {file_dim}, the model has {dim}")));
    }
    let n = u32_of(take(4, "the passage count")?);
    let mut counts = Vec::with_capacity(n.min(1 << 20));
    for _ in 0..n {
        let paragraphs = u32_of(take(4, "a paragraph count")?);
        let sentences = u32_of(take(4, "a sentence count")?);
        let question = u32_of(take(4, "a question count")?);
        counts.push((paragraphs, sentences, question));
    }
    let mut vector = |what: &str| -> std::result::Result<Vec<f32>, (usize, String)> {
        Ok(take(4 * dim, what)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    };
    let mut passages = Vec::with_capacity(counts.len());
    for (paragraphs, sentences, question) in counts {
        let whole = vector("a passage vector")?;
        let paragraphs = (0..paragraphs)
            .map(|_| vector("a paragraph vector"))
            .collect::<std::result::Result<_, _>>()?;
        let sentences = (0..sentences)
            .map(|_| vector("a sentence vector"))
            .collect::<std::result::Result<_, _>>()?;
        let question = if question > 0 {
            vector("a question vector")?
        } else {
            Vec::new()
        };
        passages.push(PassageVectors {
            whole,
            paragraphs,
            sentences,
            question,
        });
    }
    if at != b.len() {
        return Err((at, "bytes after the last vector".into()));
    }
    Ok(DocumentVectors {
        fingerprint,
        passages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_support::analyzer;

    fn setup() -> (Corpus, Lexicon, PathBuf) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = crate::load::corpus(&root.join("corpus")).unwrap();
        let lexicon = crate::load::lexicon(&root.join("config")).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "ib-store-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        (corpus, lexicon, dir)
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn builds_once_then_opens_and_rebuilds_on_change() {
        let (corpus, lexicon, dir) = setup();
        let a = analyzer();
        let store = Store::at(&dir);
        let (_, built) = store.open_or_build(&corpus, &a, &lexicon).unwrap();
        let first = entries(&dir);
        assert_eq!(first.len(), 1, "{first:?}");
        let (index, opened) = store.open_or_build(&corpus, &a, &lexicon).unwrap();
        assert_eq!(built, opened, "statistics survive the round trip");
        assert_eq!(index.len(), corpus.passages.len());
        assert_eq!(entries(&dir), first, "opened, not rebuilt");

        // A changed corpus gets a new fingerprint; the old directory goes.
        let mut changed = corpus.clone();
        changed.passages[0].text.push('。');
        let (_, _) = store.open_or_build(&changed, &a, &lexicon).unwrap();
        let second = entries(&dir);
        assert_eq!(second.len(), 1);
        assert_ne!(second, first);

        // A damaged statistics file is rebuilt, not trusted.
        let home = dir.join(&second[0]);
        std::fs::write(home.join(STATS_FILE), b"IBSTATS1\xff\xff").unwrap();
        let (_, rebuilt) = store.open_or_build(&changed, &a, &lexicon).unwrap();
        assert_eq!(rebuilt.terms.len(), changed.passages.len());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unfinished_build_is_never_used() {
        let (corpus, lexicon, dir) = setup();
        let a = analyzer();
        // What a crash mid-build leaves: a directory without READY under the right name.
        let name = format!("{:016x}", fingerprint(&corpus, &lexicon));
        std::fs::create_dir_all(dir.join(&name)).unwrap();
        std::fs::write(dir.join(&name).join(STATS_FILE), b"partial").unwrap();
        let (index, stats) = Store::at(&dir)
            .open_or_build(&corpus, &a, &lexicon)
            .unwrap();
        assert_eq!(index.len(), corpus.passages.len());
        assert_eq!(stats.terms.len(), corpus.passages.len());
        assert!(dir.join(&name).join(READY_FILE).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
