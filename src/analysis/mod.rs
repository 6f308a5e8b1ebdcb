/*!
Chinese analysis: the one place where text becomes terms, used alike when indexing passages
and when reading questions, so both sides always agree.

Text is first normalized ([`normalize`]: invisible characters, width, case,
Traditional → Simplified), then cut two ways:
- words ([`ChineseAnalyzer::words`]): phrases from the lexicon are kept whole
  (`scaling law`, `to b`), the rest is segmented by jieba in its default mode (offsets only
  increase, which search mode does not guarantee) with the user dictionary loaded, English
  words are stemmed, stop words dropped;
- character bigrams ([`ChineseAnalyzer::bigrams`]): steady where segmentation is not.

Every term keeps the byte range of the original text it came from.
*/

pub mod bigram;
pub mod han;
pub mod homophone;
pub mod normalize;
pub mod segment;
pub mod stem;
pub mod tokenizer;

use rustc_hash::FxHashSet;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use jieba_rs::Jieba;

use crate::lexicon::Lexicon;
pub use normalize::{fold, normalize, Normalized};

/// A term with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The folded term as indexed.
    pub text: String,
    /// Character range in the normalized text.
    pub chars: Range<usize>,
    /// Byte range in the original text.
    pub original: Range<usize>,
}

/// The analyzer shared by the index and the query side. Cloning is cheap (one `Arc`):
/// tantivy clones analyzers on every use, and jieba's dictionary must never be copied.
#[derive(Clone)]
pub struct ChineseAnalyzer {
    inner: Arc<Inner>,
}

struct Inner {
    jieba: Jieba,
    /// Phrases with their spaces removed, longest first, for matching.
    phrases: Vec<(Vec<char>, String)>,
    stopwords: FxHashSet<String>,
    /// Bigrams that only ever come from stop words (什么 → 什么; 为什么 → 为什, 什么).
    stop_bigrams: FxHashSet<String>,
}

impl std::fmt::Debug for ChineseAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChineseAnalyzer")
            .field("phrases", &self.inner.phrases.len())
            .field("stopwords", &self.inner.stopwords.len())
            .finish()
    }
}

impl ChineseAnalyzer {
    /// Builds the analyzer from a loaded jieba (its dictionary parse is the costly part of
    /// start-up) and the lexicon. Lexicon words, and the CJK members of synonym groups, are
    /// added to jieba so they are never split.
    pub fn new(mut jieba: Jieba, lexicon: &Lexicon) -> ChineseAnalyzer {
        let cjk_words = lexicon
            .words
            .iter()
            .chain(lexicon.synonyms.iter().flatten())
            .filter(|w| !w.contains(' ') && w.chars().any(han::is_han));
        for w in cjk_words {
            jieba.add_word(w, Some(jieba_weight(w)), None);
        }
        let mut phrases: Vec<(Vec<char>, String)> = lexicon
            .phrases
            .iter()
            .chain(lexicon.synonyms.iter().flatten())
            .chain(lexicon.words.iter())
            .filter(|p| p.chars().all(|c| !han::is_han(c)) && needs_protection(p))
            .map(|p| {
                (
                    p.chars().filter(|c| !c.is_whitespace()).collect(),
                    p.clone(),
                )
            })
            .collect();
        phrases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        phrases.dedup_by(|a, b| a.1 == b.1);
        let stop_bigrams = lexicon
            .stopwords
            .iter()
            // Every pair, Latin ones too: `said` gives `ai`, so the bigram field has no `ai`
            // (the word field has). Left so: changing it would move the scores of every
            // question that says AI.
            .flat_map(|w| han::pairs(w).map(str::to_string))
            .chain(
                lexicon
                    .stopwords
                    .iter()
                    .filter(|w| w.chars().count() == 1)
                    .cloned(),
            )
            .collect();
        ChineseAnalyzer {
            inner: Arc::new(Inner {
                jieba,
                phrases,
                stopwords: lexicon.stopwords.iter().cloned().collect(),
                stop_bigrams,
            }),
        }
    }

    /// Word terms of `text` (see the module note).
    pub fn words(&self, text: &str) -> Vec<Term> {
        let n = normalize(text);
        self.words_of(&n)
    }

    /// Word terms of already normalized text.
    pub fn words_of(&self, n: &Normalized) -> Vec<Term> {
        self.segments_of(n)
            .into_iter()
            .filter_map(|mut t| {
                if self.inner.stopwords.contains(&t.text) {
                    return None;
                }
                if let Cow::Owned(stemmed) = stem::index_form(&t.text) {
                    t.text = stemmed;
                }
                Some(t)
            })
            .collect()
    }

    /// The words of already normalized text as segmented: stop words kept, nothing stemmed.
    pub fn segments_of(&self, n: &Normalized) -> Vec<Term> {
        segment::words(&self.inner.jieba, &self.inner.phrases, n)
    }

    /// Character bigrams of `text` (see [`bigram`]).
    pub fn bigrams(&self, text: &str) -> Vec<Term> {
        let n = normalize(text);
        self.bigrams_of(&n)
    }

    /// Character bigrams of already normalized text.
    pub fn bigrams_of(&self, n: &Normalized) -> Vec<Term> {
        bigram::bigrams(n)
            .into_iter()
            .filter(|t| {
                !self.inner.stop_bigrams.contains(&t.text)
                    && !self.inner.stopwords.contains(&t.text)
            })
            .collect()
    }

    /// How often jieba's dictionary has seen a folded word (estimated from its parts when it
    /// is not a dictionary word): the general-language commonness used for informativeness.
    pub fn word_frequency(&self, folded: &str) -> usize {
        self.inner.jieba.suggest_freq(folded)
    }

    /// Whether a folded word is a stop word.
    pub fn is_stopword(&self, folded: &str) -> bool {
        self.inner.stopwords.contains(folded)
    }
}

/// Whether a non-CJK lexicon entry must be matched before segmentation: it holds a space or
/// punctuation that would otherwise split it (`scaling law`, `01.ai`, `kai-fu lee`).
fn needs_protection(p: &str) -> bool {
    p.chars().any(|c| !c.is_alphanumeric())
}

/// A frequency high enough that jieba keeps a user word whole against its own dictionary.
fn jieba_weight(word: &str) -> usize {
    2000 * word.chars().count()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use std::path::Path;
    use std::sync::OnceLock;

    /// One analyzer for all unit tests, built from the committed `config/`.
    pub fn analyzer() -> ChineseAnalyzer {
        static A: OnceLock<ChineseAnalyzer> = OnceLock::new();
        A.get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
            ChineseAnalyzer::new(
                Jieba::new(),
                &crate::load::lexicon(&dir).expect("config lexicon"),
            )
        })
        .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::analyzer;

    fn texts(terms: Vec<super::Term>) -> Vec<String> {
        terms.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn traditional_and_simplified_give_the_same_terms() {
        let a = analyzer();
        let pairs = [
            (
                "零一萬物是不是把GPU賣給了阿里?",
                "零一万物是不是把GPU卖给了阿里?",
            ),
            ("李開複怎麼看Scaling Law?", "李开复怎么看Scaling Law?"),
            ("後發劣勢怎麼彌補?", "后发劣势怎么弥补?"),
            ("創新工場孵化的公司", "创新工场孵化的公司"),
        ];
        for (hant, hans) in pairs {
            assert_eq!(texts(a.words(hant)), texts(a.words(hans)), "{hant}");
            assert_eq!(texts(a.bigrams(hant)), texts(a.bigrams(hans)), "{hant}");
        }
    }

    #[test]
    fn word_table() {
        let a = analyzer();
        let cases: &[(&str, &[&str])] = &[
            ("李開複怎麼看Scaling Law?", &["李开复", "scaling law"]),
            ("To B業務", &["to b", "业务"]),
            ("零一萬物的Yi-Lightning", &["零一万物", "yi-lightning"]),
            ("teacher models", &["teacher model"]),
            ("創新工場", &["创新工场"]),
            ("什麼是", &[]),
        ];
        for (input, want) in cases {
            assert_eq!(texts(a.words(input)), *want, "{input}");
        }
    }

    #[test]
    fn offsets_point_into_the_original() {
        let a = analyzer();
        let text = "《智能湧現》:李開複談 Scaling Law 與 To B。";
        for t in a.words(text).into_iter().chain(a.bigrams(text)) {
            let orig = &text[t.original.clone()];
            assert_eq!(
                super::fold(orig).replace(' ', ""),
                t.text.replace(' ', ""),
                "{t:?}"
            );
        }
    }
}
