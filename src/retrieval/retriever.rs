/*!
The retriever seam: each way of finding passages for a question implements [`Retriever`], and
[`pool`] unites what they return. BM25 over words and bigrams is the only one so far; a
semantic retriever is the next.

A candidate keeps every retriever's own signal, so a passage that only one retriever found
survives to ranking and to the decision, which weigh the signals (see `Engine::rank` and
[`super::decide`]).
*/

use super::plan::QueryPlan;
use super::policy::Policy;

/// Which retriever a signal comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// BM25 over words and character bigrams ([`super::bm25::SearchIndex`]).
    Lexical = 0,
    /// Cosine similarity of sentence embeddings (the dense encoder).
    Dense = 1,
    /// Closeness to a phrasing a community taught ([`super::alias`]).
    Alias = 2,
}

/// How many sources there are (the length of [`Candidate::signals`]).
pub const SOURCES: usize = 3;

/// What a retriever is given: the question as typed and as the plan reads it.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// The question as the user wrote it.
    pub text: &'a str,
    /// The question as analysis and expansion read it.
    pub plan: &'a QueryPlan,
    /// The numbers retrieval is tuned with.
    pub policy: &'a Policy,
}

/// A way of finding passages for a question.
pub trait Retriever {
    /// Which signal this retriever's scores are.
    fn source(&self) -> Source;

    /// At most `k` passages for `query`, each with this retriever's score, best first. A
    /// failure is logged and returns nothing: the other retrievers still answer.
    fn retrieve(&self, query: &Query<'_>, k: usize) -> Vec<(usize, f32)>;
}

/// A passage some retriever found, with every retriever's score for it (`None` where that
/// retriever did not return it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Passage index.
    pub passage: usize,
    /// Each source's score, by [`Source`] index.
    pub signals: [Option<f32>; SOURCES],
}

impl Candidate {
    /// The score of `source`, if it found this passage.
    pub fn signal(&self, source: Source) -> Option<f32> {
        self.signals[source as usize]
    }
}

/// The union of what the retrievers returned, each passage once with all its signals, in the
/// order first seen (the lists in the order given, each best first).
pub fn pool(lists: &[(Source, Vec<(usize, f32)>)]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for (source, found) in lists {
        for &(passage, score) in found {
            match out.iter_mut().find(|c| c.passage == passage) {
                Some(c) => c.signals[*source as usize] = Some(score),
                None => {
                    let mut signals = [None; SOURCES];
                    signals[*source as usize] = Some(score);
                    out.push(Candidate { passage, signals });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_keeps_every_signal_and_every_passage() {
        let lists = [
            (Source::Lexical, vec![(3, 9.0), (1, 4.0)]),
            (Source::Dense, vec![(1, 0.8), (7, 0.7)]),
        ];
        let got = pool(&lists);
        let want = [
            (3, [Some(9.0), None, None]),
            (1, [Some(4.0), Some(0.8), None]),
            (7, [None, Some(0.7), None]),
        ];
        assert_eq!(got.len(), want.len());
        for (c, (passage, signals)) in got.iter().zip(want) {
            assert_eq!(c.passage, passage);
            assert_eq!(c.signals, signals);
        }
        assert_eq!(got[2].signal(Source::Dense), Some(0.7));
        assert!(pool(&[]).is_empty());
    }
}
