/*!
Coverage: how much of what a question asks a passage holds. Each concept of the plan weighs
its corpus IDF times its general-language informativeness; a passage covers a concept when it
holds the user's word, a synonym, a translation, or (for Chinese) the word as a substring of
its text; a word the corpus never uses earns part of its weight from its characters. Coverage
is the main evidence of the decision, and a signal of ranking.

The plan is resolved against the corpus once per question ([`Resolved`]): weights, word ids,
and one set of substring searchers shared by coverage and quoting.
*/

use memchr::memmem::Finder;

use super::plan::{Concept, QueryPlan};
use super::quote::Needles;
use super::Engine;
use crate::analysis::han::is_han;

/// A concept's alternative, resolved once per question.
pub(crate) struct Alternative {
    /// Its word id, when the corpus has the word.
    id: Option<u32>,
    /// Chinese of two characters or more also matches as a substring of a passage: its
    /// place among the question's word needles.
    substring: Option<usize>,
    weight: f32,
}

/// A plan resolved against the corpus once per question: everything ranking, coverage and
/// quoting look up, with each substring searcher built once and shared by all three.
pub(crate) struct Resolved {
    /// Each concept's weight: how much of the question it is.
    pub(crate) weights: Vec<f32>,
    /// Each concept's alternatives.
    pub(crate) alternatives: Vec<Vec<Alternative>>,
    /// For a concept whose word the corpus never uses: its characters with their IDF.
    pub(crate) chars: Vec<Vec<(Finder<'static>, f32)>>,
    /// The question's bigrams the corpus has: their place among the bigram needles, and IDF.
    pub(crate) bigrams: Vec<(usize, f32)>,
    /// IDF of all the question's bigrams, found in the corpus or not.
    pub(crate) bigram_total: f32,
    /// Share of the question's weight in concepts the corpus has a word for (0..=1): low
    /// for English without translations, colloquial words, typos.
    pub(crate) known_share: f32,
    /// Share of the question's weight in its heaviest Chinese concept that the corpus has no
    /// word for at all (估值, 家鄉): the topic the interview may lack.
    pub(crate) absent_topic: f32,
    /// What quoting looks for: every alternative that can occur in some passage, and the
    /// question's bigrams that do.
    pub(crate) needles: Needles,
}

/// What a passage covers of a question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Covered {
    /// Share of the question's informative content the passage holds (0..=1).
    pub(crate) words: f32,
    /// Share of the question's bigrams (IDF-weighted) the passage holds: its words standing
    /// together.
    pub(crate) bigrams: f32,
}

impl Engine {
    /// What ranking, coverage and quoting look up for `plan`, looked up once.
    pub(crate) fn resolve(&self, plan: &QueryPlan) -> Resolved {
        let mut needles = Needles::default();
        let mut weights = Vec::with_capacity(plan.concepts.len());
        let mut known = 0.0f32;
        let mut absent_han = 0.0f32;
        let mut alternatives = Vec::with_capacity(plan.concepts.len());
        let mut chars = Vec::with_capacity(plan.concepts.len());
        for c in &plan.concepts {
            // Each alternative's word id, passages holding the word, and whether it can occur.
            let looked: Vec<(Option<u32>, u32, bool)> = c
                .alternatives
                .iter()
                .map(|(t, _)| {
                    let id = self.vocabulary.get(t.as_str()).copied();
                    let df = id.map_or(0, |id| self.word_df[id as usize]);
                    (id, df, df > 0 || self.bigrams_occur(t))
                })
                .collect();
            let nowhere = looked.iter().all(|&(_, _, occurs)| !occurs);
            let weight = self.concept_weight(c, &looked, nowhere);
            let mut alts = Vec::with_capacity(c.alternatives.len());
            for ((t, w), &(id, _, occurs)) in c.alternatives.iter().zip(&looked) {
                let needle = if occurs {
                    needles.add_word(t, weight * w)
                } else {
                    None
                };
                alts.push(Alternative {
                    id,
                    substring: needle.filter(|_| t.chars().count() >= 2 && t.chars().any(is_han)),
                    weight: w.min(1.0),
                });
            }
            if nowhere && c.surface.chars().any(is_han) {
                absent_han = absent_han.max(weight);
            }
            if !nowhere {
                known += weight;
            }
            weights.push(weight);
            alternatives.push(alts);
            // The characters of a concept, with their IDF: a passage that lacks the word but
            // holds its characters (花錢 / 每一塊錢) covers part of it. Only for words the
            // corpus never uses: where it has the word, a passage without it does not say it.
            let own = &c.alternatives[0].0;
            chars.push(
                if own.chars().count() < 2 || !own.chars().all(is_han) || !nowhere {
                    Vec::new()
                } else {
                    own.char_indices()
                        .map(|(at, ch)| {
                            let df = self.char_df.get(&ch).copied().unwrap_or(0);
                            let bytes = &own.as_bytes()[at..at + ch.len_utf8()];
                            (Finder::new(bytes).into_owned(), self.idf_of_df(df.max(1)))
                        })
                        .collect()
                },
            );
        }
        let mut bigrams = Vec::with_capacity(plan.bigrams.len());
        let (mut found, mut missing) = (0.0, 0);
        for b in &plan.bigrams {
            match self.bigram_df.get(b.as_str()) {
                Some(&df) => {
                    let idf = self.idf_of_df(df);
                    found += idf;
                    if let Some(i) = needles.add_bigram(b) {
                        bigrams.push((i, idf));
                    }
                }
                None => missing += 1,
            }
        }
        // Bigrams found nowhere count against every passage alike.
        let bigram_total = found + missing as f32 * self.idf_of_df(1);
        let total: f32 = weights.iter().sum();
        Resolved {
            known_share: if total > 0.0 { known / total } else { 0.0 },
            absent_topic: if total > 0.0 { absent_han / total } else { 0.0 },
            weights,
            alternatives,
            chars,
            bigrams,
            bigram_total,
            needles: if plan.asks_figure {
                needles.asking_figure(std::sync::Arc::clone(&self.names))
            } else {
                needles
            },
        }
    }

    /// What `passage` covers of the question `resolved` describes.
    pub(crate) fn covered(&self, resolved: &Resolved, passage: usize) -> Covered {
        let Resolved {
            weights,
            alternatives,
            chars: concept_chars,
            bigrams,
            bigram_total,
            needles,
            ..
        } = resolved;
        let policy = &self.policy;
        let total: f32 = weights.iter().sum();
        let text = &self.terms[passage].text;
        let got: f32 = alternatives
            .iter()
            .zip(weights)
            .zip(concept_chars)
            .map(|((alts, w), chars)| {
                let m = self.concept_match(alts, passage, needles);
                if m > 0.0 || chars.is_empty() {
                    return w * m;
                }
                let all: f32 = chars.iter().map(|(_, i)| i).sum();
                let present: f32 = chars
                    .iter()
                    .filter(|(ch, _)| ch.find(text.as_bytes()).is_some())
                    .map(|(_, i)| i)
                    .sum();
                w * policy.character_credit * present / all
            })
            .sum();
        let words = if total > 0.0 { got / total } else { 0.0 };
        let bigram_got: f32 = bigrams
            .iter()
            .filter(|&&(b, _)| needles.bigram_in(b, text))
            .map(|(_, w)| w)
            .sum();
        let bigrams = if *bigram_total > 0.0 {
            bigram_got / bigram_total
        } else {
            0.0
        };
        Covered { words, bigrams }
    }

    /// Passages holding a word.
    pub(crate) fn df(&self, word: &str) -> u32 {
        self.vocabulary
            .get(word)
            .map_or(0, |&id| self.word_df[id as usize])
    }

    /// BM25's inverse document frequency over passages.
    fn idf_of_df(&self, df: u32) -> f32 {
        let n = self.terms.len() as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// How much a concept says: IDF over passages (of its most common present alternative,
    /// or as if it occurred nowhere) times its general-language informativeness. `looked` is
    /// each alternative's (word id, passages holding it, whether it can occur); `nowhere`,
    /// whether none can.
    fn concept_weight(
        &self,
        c: &Concept,
        looked: &[(Option<u32>, u32, bool)],
        nowhere: bool,
    ) -> f32 {
        let idf = looked
            .iter()
            .map(|&(_, df, _)| df)
            .filter(|&df| df > 0)
            .max()
            // A small corpus says little by not containing a word: an absent concept weighs
            // as much as one found in a single passage, not more.
            .map_or_else(|| self.idf_of_df(1), |df| self.idf_of_df(df));
        // A Chinese word the corpus never uses is either the topic the interview lacks (a
        // name, a rare word: informativeness near 1) or a paraphrase's everyday word (外面,
        // 整個: 0.6–0.8). A power (cubing, by default) tells them apart. English without a translation keeps its
        // fixed prior.
        if c.surface.chars().any(is_han) && nowhere {
            idf * c.informativeness.powi(self.policy.absent_word_power)
        } else {
            idf * c.informativeness
        }
    }

    /// 1 when the passage holds the concept (a word or, for Chinese, a substring of its
    /// text), weighted by the alternative that matched; 0 otherwise.
    fn concept_match(
        &self,
        alternatives: &[Alternative],
        passage: usize,
        needles: &Needles,
    ) -> f32 {
        let t = &self.terms[passage];
        let mut best = 0.0f32;
        for a in alternatives {
            // Only an alternative that weighs more can change the answer.
            if a.weight <= best {
                continue;
            }
            if a.id.is_some_and(|id| t.words.binary_search(&id).is_ok())
                || a.substring.is_some_and(|i| needles.word_in(i, &t.text))
            {
                best = a.weight;
                if best >= 1.0 {
                    break;
                }
            }
        }
        best
    }

    /// Which alternative of concept `concept` the passage holds (the weightiest one, as
    /// [`Engine::covered`] counts it), for explanations; `None` when it holds none.
    pub(crate) fn matched_alternative(
        &self,
        resolved: &Resolved,
        concept: usize,
        passage: usize,
    ) -> Option<usize> {
        let t = &self.terms[passage];
        let needles = &resolved.needles;
        let mut best: Option<(usize, f32)> = None;
        for (i, a) in resolved.alternatives.get(concept)?.iter().enumerate() {
            if best.is_some_and(|(_, w)| a.weight <= w) {
                continue;
            }
            if a.id.is_some_and(|id| t.words.binary_search(&id).is_ok())
                || a.substring.is_some_and(|n| needles.word_in(n, &t.text))
            {
                best = Some((i, a.weight));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Whether a term can occur in some passage: it is a word of the corpus, or Chinese whose
    /// every bigram occurs somewhere (a cheap test that saves scanning texts for terms that
    /// cannot be there, such as unused synonyms).
    pub(crate) fn may_occur(&self, term: &str) -> bool {
        self.df(term) > 0 || self.bigrams_occur(term)
    }

    /// Whether `term` is Chinese of two characters or more whose every bigram occurs in some
    /// passage.
    fn bigrams_occur(&self, term: &str) -> bool {
        crate::analysis::han::bigrams(term)
            .is_some_and(|bs| bs.iter().all(|b| self.bigram_df.contains_key(*b)))
    }
}
