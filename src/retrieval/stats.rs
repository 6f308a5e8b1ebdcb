/*!
What the engine knows about each passage and the corpus beyond the index: every passage's
words (as ids) and normalized text for coverage, and document frequencies of words, bigrams
and characters. Computed once at start-up, or read from the store for a large library.
*/

use rustc_hash::FxHashMap as HashMap;

use crate::analysis::han::is_han;
use crate::analysis::{normalize, ChineseAnalyzer, Term};
use crate::corpus::{Corpus, PassageKind};

/// What the engine keeps per passage for coverage checks: its words as sorted ids into
/// [`Engine::vocabulary`] (4 bytes a word, so a large library stays small) and its
/// normalized text for substring checks.
#[derive(Debug, PartialEq)]
pub(crate) struct PassageTerms {
    pub(crate) words: Vec<u32>,
    /// Normalized question and answer.
    pub(crate) text: String,
}

/// Per-passage words and corpus statistics, computed once (or read from a store).
#[derive(Debug, PartialEq)]
pub(crate) struct Statistics {
    pub(crate) terms: Vec<PassageTerms>,
    pub(crate) vocabulary: HashMap<String, u32>,
    pub(crate) word_df: Vec<u32>,
    pub(crate) bigram_df: HashMap<String, u32>,
    /// Passages holding each Chinese character.
    pub(crate) char_df: HashMap<char, u32>,
}

impl Statistics {
    /// Analyzes every passage.
    pub(crate) fn compute(corpus: &Corpus, analyzer: &ChineseAnalyzer) -> Statistics {
        let mut vocabulary: HashMap<String, u32> = HashMap::default();
        let mut bigram_df: HashMap<String, u32> = HashMap::default();
        let mut char_df: HashMap<char, u32> = HashMap::default();
        let mut terms = Vec::with_capacity(corpus.passages.len());
        for p in &corpus.passages {
            let full = match &p.question {
                Some(q) => format!("{q}\n{}", p.answer),
                None => p.answer.clone(),
            };
            let n = normalize(&full);
            let mut words: Vec<Term> = analyzer.words_of(&n);
            // The interviewee speaks every dialogue passage: asking what 李開複 thinks is
            // covered by any of his answers.
            if p.kind == PassageKind::Dialogue {
                words.extend(analyzer.words(&corpus.documents[p.document].meta.interviewee));
            }
            let mut ids: Vec<u32> = words
                .into_iter()
                .map(|t| {
                    let next = vocabulary.len() as u32;
                    *vocabulary.entry(t.text).or_insert(next)
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let mut bigrams: Vec<String> = analyzer
                .bigrams_of(&n)
                .into_iter()
                .map(|t| t.text)
                .collect();
            bigrams.sort_unstable();
            bigrams.dedup();
            for b in bigrams {
                *bigram_df.entry(b).or_insert(0) += 1;
            }
            let mut chars: Vec<char> = n.text.chars().filter(|&c| is_han(c)).collect();
            chars.sort_unstable();
            chars.dedup();
            for c in chars {
                *char_df.entry(c).or_insert(0) += 1;
            }
            terms.push(PassageTerms {
                words: ids,
                text: n.text,
            });
        }
        let mut word_df = vec![0u32; vocabulary.len()];
        for t in &terms {
            for &id in &t.words {
                word_df[id as usize] += 1;
            }
        }
        Statistics {
            terms,
            vocabulary,
            word_df,
            bigram_df,
            char_df,
        }
    }
}
