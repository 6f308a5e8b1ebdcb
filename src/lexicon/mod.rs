/*!
The word lists that shape analysis and query expansion, read from `config/`.

They are data, not code, so a community can add a name or a synonym without a rebuild. Each
file is UTF-8 text, one entry per line, `#` starts a comment. Entries are written in either
script and folded (see [`super::normalize`]) when loaded. A malformed line is an error naming
the file and line.
*/

pub mod cedict;
pub mod glossary;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::analysis::fold;
use crate::error::{Error, Result};

/// The file names inside the config directory.
pub const WORDS_FILE: &str = "words.txt";
/// Multi-word terms kept as one term.
pub const PHRASES_FILE: &str = "phrases.txt";
/// Words dropped from queries and passages.
pub const STOPWORDS_FILE: &str = "stopwords.txt";
/// Synonym groups used to expand queries.
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// All word lists, folded.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Words the segmenter must keep whole (names, product names, terms).
    pub words: Vec<String>,
    /// Multi-word terms that whitespace would otherwise split (`scaling law`, `to b`).
    pub phrases: Vec<String>,
    /// Function and question words that carry no topic.
    pub stopwords: HashSet<String>,
    /// Groups of interchangeable terms; each group has at least two members.
    pub synonyms: Vec<Vec<String>>,
}

impl Lexicon {
    /// Parses the four files of `dir`, each read by `read` (see [`crate::load::lexicon`]).
    /// A missing file is an error: the defaults are committed.
    pub fn parse_dir(dir: &Path, read: impl Fn(&Path) -> Result<String>) -> Result<Lexicon> {
        let read = |name: &str| -> Result<(PathBuf, String)> {
            let path = dir.join(name);
            let text = read(&path)?;
            Ok((path, text))
        };
        let (p, t) = read(WORDS_FILE)?;
        let words = parse_words(&p, &t)?;
        let (p, t) = read(PHRASES_FILE)?;
        let phrases = parse_phrases(&p, &t)?;
        let (_, t) = read(STOPWORDS_FILE)?;
        let stopwords = parse_stopwords(&t);
        let (p, t) = read(SYNONYMS_FILE)?;
        let synonyms = parse_synonyms(&p, &t)?;
        Ok(Lexicon {
            words,
            phrases,
            stopwords,
            synonyms,
        })
    }
}

/// Non-comment, non-blank lines with their 1-based numbers, comments cut off.
fn entries(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.split_once('#').map_or(l, |(a, _)| a).trim();
        (!l.is_empty()).then_some((i + 1, l))
    })
}

/// `word` per line; whitespace inside a word is refused (that is what phrases are for).
pub fn parse_words(path: &Path, text: &str) -> Result<Vec<String>> {
    entries(text)
        .map(|(n, l)| {
            if l.split_whitespace().count() > 1 {
                return Err(Error::config(
                    path,
                    n,
                    format!("`{l}` holds a space: put multi-word terms in {PHRASES_FILE}"),
                ));
            }
            Ok(fold(l))
        })
        .collect()
}

/// A multi-word term per line, words separated by single spaces after folding.
pub fn parse_phrases(path: &Path, text: &str) -> Result<Vec<String>> {
    entries(text)
        .map(|(n, l)| {
            let folded = fold(l).split_whitespace().collect::<Vec<_>>().join(" ");
            if folded.chars().count() < 2 {
                return Err(Error::config(
                    path,
                    n,
                    "a phrase needs at least two characters",
                ));
            }
            Ok(folded)
        })
        .collect()
}

/// Words separated by whitespace, any number per line.
pub fn parse_stopwords(text: &str) -> HashSet<String> {
    entries(text)
        .flat_map(|(_, l)| l.split_whitespace())
        .map(fold)
        .collect()
}

/// A group per line, members separated by `,` or `，`.
pub fn parse_synonyms(path: &Path, text: &str) -> Result<Vec<Vec<String>>> {
    entries(text)
        .map(|(n, l)| {
            let mut group: Vec<String> = Vec::new();
            for member in l.split([',', '，']) {
                let m = fold(member)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if m.is_empty() {
                    return Err(Error::config(path, n, "empty member in a synonym group"));
                }
                if !group.contains(&m) {
                    group.push(m);
                }
            }
            if group.len() < 2 {
                return Err(Error::config(
                    path,
                    n,
                    "a synonym group needs at least two members separated by commas",
                ));
            }
            Ok(group)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_fold() {
        let p = Path::new("x.txt");
        assert_eq!(
            parse_words(p, "# c\n零一萬物\n\n李開複 # name\n").unwrap(),
            ["零一万物", "李开复"]
        );
        assert_eq!(
            parse_phrases(p, "Scaling  Law\nTo B\n").unwrap(),
            ["scaling law", "to b"]
        );
        assert!(parse_stopwords("的 了\n什麼\n").contains("什么"));
        assert_eq!(
            parse_synonyms(p, "卡, GPU，顯卡\n").unwrap(),
            [vec!["卡".to_string(), "gpu".into(), "显卡".into()]]
        );
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let p = Path::new("config/x.txt");
        let cases = [
            parse_words(p, "ok\nnot ok\n").unwrap_err(),
            parse_phrases(p, "ok ok\nx\n").unwrap_err(),
            parse_synonyms(p, "a, b\nlonely\n").unwrap_err(),
            parse_synonyms(p, "a, b\na,,b\n").unwrap_err(),
        ];
        for e in cases {
            assert!(e.to_string().starts_with("config/x.txt:2: "), "{e}");
        }
    }
}
