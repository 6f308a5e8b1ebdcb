/*!
Reading the program's files from disk: the corpus directory, the lexicon's word lists and the
glossary (and, with semantic matching, the encoder). This is the I/O shell around the pure
core: every other module parses text or bytes it is handed, so that each can be tested on
data made in memory, and every read failure names its file here, in one place.
*/

use std::path::Path;

use crate::config::Config;
use crate::corpus::Corpus;
use crate::error::{Error, Result};
use crate::retrieval::store::Store;
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
    let mut files: Vec<std::path::PathBuf> = entries
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

/// Loads corpus, lexicon and glossary named by `config`, parsing jieba's dictionary on a
/// second thread meanwhile (it is the slowest part of start-up), and builds the engine (or
/// opens its index from the store).
pub fn engine(config: &Config) -> Result<Engine> {
    assemble(config, || corpus(&config.corpus_dir))
}

/// Like [`engine`], with a corpus given instead of read from `config.corpus_dir`
/// (benchmarks build synthetic libraries this way).
pub fn engine_with_corpus(config: &Config, corpus: Corpus) -> Result<Engine> {
    assemble(config, move || Ok(corpus))
}

fn assemble(config: &Config, corpus: impl FnOnce() -> Result<Corpus>) -> Result<Engine> {
    std::thread::scope(|s| {
        let jieba = s.spawn(jieba_rs::Jieba::new);
        let corpus = corpus();
        let lexicon = lexicon(&config.lexicon_dir);
        let glossary = glossary(&config.glossary);
        let jieba = jieba.join().expect("jieba dictionary parse panicked");
        let corpus = corpus?;
        let store = Store::for_corpus(config, &corpus);
        Engine::with_store(
            corpus,
            &lexicon?,
            glossary?,
            jieba,
            config.answer.clone(),
            config.policy.clone(),
            store.as_ref(),
        )
    })
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
