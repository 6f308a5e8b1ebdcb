/*!
The answering engine: corpus → analysis → index → ranked hits → [`Answer`].

Pure: no Discord, no terminal, no environment. Every front end (console, JSON, Discord, eval)
calls [`Engine::ask`] or [`Engine::ask_quoting`] and renders what it returns; the two differ
only in which further hits get a quote, so what `eval` measures is exactly what users get.

Ranking is two-stage. tantivy's BM25 over words and bigrams (question field boosted) finds
candidates; each candidate then gets a *coverage*: the share of the question's informative
content — concepts weighted by corpus IDF times general-language informativeness — that the
passage contains (as a word, a synonym, a translation, or a substring of its text; a word the
corpus never uses earns part of its weight from its characters). The final order blends
both. The answer comes from the top three passages: the best-ranked one that covers enough
of what was asked, unless another of them covers clearly more; the bot abstains when none
covers enough: a decision from evidence, not from a raw score cut. A
question asking for a figure is answered only by a passage that states one
(see [`crate::figure`]).
*/

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use memchr::memmem::Finder;

use jieba_rs::Jieba;

use crate::analysis::bigram::is_han;
use crate::analysis::{normalize, ChineseAnalyzer, Lexicon, Term};
use crate::answer::{Abstention, Answer, Hit, Quoting};
use crate::config::{AnswerConfig, Config};
use crate::corpus::{Corpus, PassageKind};
use crate::error::{Error, Result};
use crate::expand::Expander;
use crate::glossary::Glossary;
use crate::index::{Concept, QueryPlan, SearchIndex};
use crate::quote::{self, Needles};

/// A word frequency not yet estimated (see `Engine::word_frequency`).
const NOT_YET: u32 = u32::MAX;

/// Candidates fetched from the index before re-ranking.
const CANDIDATES: usize = 16;
/// Weight of coverage in the final score.
const COVERAGE_WEIGHT: f32 = 0.5;
/// Weight of bigram coverage (a proxy for the question's words standing together) in the
/// final score; the rest is normalized BM25.
const BIGRAM_COVERAGE_WEIGHT: f32 = 0.3;
/// The best passage must cover at least this share of the question's informative content.
pub const MIN_COVERAGE: f32 = 0.4;
/// Credit for a concept whose word a passage lacks but whose characters it holds, at most
/// (all characters present, weighted by their IDF).
const CHARACTER_CREDIT: f32 = 0.3;
/// A further passage ("see also") must cover at least this share of the question…
const MIN_FURTHER_COVERAGE: f32 = 0.2;
/// …and at least this share of what the best passage covers.
const FURTHER_SHARE_OF_BEST: f32 = 0.4;
/// How many of the best-ranked passages the answer is chosen from.
const COVERING_CANDIDATES: usize = 3;
/// Among those, a passage whose coverage exceeds the best-ranked one's by this much answers
/// instead; smaller differences are ties that the ranking decides.
const CLEARLY_MORE_COVERAGE: f32 = 0.05;

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

/// A concept's alternative, resolved once per question.
struct Alternative {
    /// Its word id, when the corpus has the word.
    id: Option<u32>,
    /// Chinese of two characters or more also matches as a substring of a passage: its
    /// place among the question's word needles.
    substring: Option<usize>,
    weight: f32,
}

/// A plan resolved against the corpus once per question: everything ranking, coverage and
/// quoting look up, with each substring searcher built once and shared by all three.
struct Resolved {
    /// Each concept's weight: how much of the question it is.
    weights: Vec<f32>,
    /// Each concept's alternatives.
    alternatives: Vec<Vec<Alternative>>,
    /// For a concept whose word the corpus never uses: its characters with their IDF.
    chars: Vec<Vec<(Finder<'static>, f32)>>,
    /// The question's bigrams the corpus has: their place among the bigram needles, and IDF.
    bigrams: Vec<(usize, f32)>,
    /// IDF of all the question's bigrams, found in the corpus or not.
    bigram_total: f32,
    /// What quoting looks for: every alternative that can occur in some passage, and the
    /// question's bigrams that do.
    needles: Needles,
}

/// A ranked candidate before it becomes a [`Hit`].
#[derive(Debug, Clone, Copy)]
struct Ranked {
    passage: usize,
    score: f32,
    coverage: f32,
}

/// Everything needed to answer, built once at start-up.
pub struct Engine {
    corpus: Corpus,
    analyzer: ChineseAnalyzer,
    expander: Expander,
    index: SearchIndex,
    terms: Vec<PassageTerms>,
    /// Every word of the corpus → its id in [`PassageTerms::words`].
    vocabulary: HashMap<String, u32>,
    /// Passages holding each word, by word id.
    word_df: Vec<u32>,
    /// How common each word is in general Chinese, by word id, kept the first time a
    /// question needs it ([`NOT_YET`] until then): jieba estimates it by segmenting the word,
    /// which questions would otherwise repeat, and a large library's vocabulary is too big
    /// to estimate at start-up.
    word_frequency: Vec<AtomicU32>,
    /// Passages holding each bigram.
    bigram_df: HashMap<String, u32>,
    /// Passages holding each Chinese character.
    char_df: HashMap<char, u32>,
    /// Names of the lexicon that hold numerals (零一萬物), which are no figures.
    names: std::sync::Arc<[String]>,
    /// Each passage's answer made ready for quoting, the first time it is quoted.
    prepared: Vec<std::sync::OnceLock<quote::Prepared>>,
    settings: AnswerConfig,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("passages", &self.corpus.passages.len())
            .finish()
    }
}

impl Engine {
    /// Loads corpus, lexicon and glossary named by `config`, parsing jieba's dictionary on a
    /// second thread meanwhile (it is the slowest part of start-up), and builds the index.
    pub fn load(config: &Config) -> Result<Engine> {
        Engine::assemble(config, || Corpus::load_dir(&config.corpus_dir))
    }

    /// Like [`Engine::load`], with a corpus given instead of read from `config.corpus_dir`
    /// (benchmarks build synthetic libraries this way).
    pub fn with_corpus(config: &Config, corpus: Corpus) -> Result<Engine> {
        Engine::assemble(config, move || Ok(corpus))
    }

    /// Loads everything but the corpus from `config` while jieba parses its dictionary, then
    /// builds (or opens, from the store) the engine.
    fn assemble(config: &Config, corpus: impl FnOnce() -> Result<Corpus>) -> Result<Engine> {
        std::thread::scope(|s| {
            let jieba = s.spawn(Jieba::new);
            let corpus = corpus();
            let lexicon = Lexicon::load(&config.lexicon_dir);
            let glossary = load_glossary(&config.glossary);
            let jieba = jieba.join().expect("jieba dictionary parse panicked");
            let corpus = corpus?;
            let store = crate::store::Store::for_corpus(config, &corpus);
            Engine::with_store(
                corpus,
                &lexicon?,
                glossary?,
                jieba,
                config.answer.clone(),
                store.as_ref(),
            )
        })
    }

    /// Builds the engine from loaded parts.
    pub fn new(
        corpus: Corpus,
        lexicon: &Lexicon,
        glossary: Glossary,
        jieba: Jieba,
        settings: AnswerConfig,
    ) -> Result<Engine> {
        Engine::with_store(corpus, lexicon, glossary, jieba, settings, None)
    }

    /// Like [`Engine::new`]; with a store, the index and the passage statistics are read from
    /// it when its fingerprint matches, and otherwise built and saved there.
    pub fn with_store(
        corpus: Corpus,
        lexicon: &Lexicon,
        glossary: Glossary,
        jieba: Jieba,
        settings: AnswerConfig,
        store: Option<&crate::store::Store>,
    ) -> Result<Engine> {
        let analyzer = ChineseAnalyzer::new(jieba, lexicon);
        let expander = Expander::new(&analyzer, lexicon, glossary);
        let (index, stats) = match store {
            Some(store) => store.open_or_build(&corpus, &analyzer, lexicon)?,
            None => (
                SearchIndex::build(&corpus, &analyzer, None)?,
                Statistics::compute(&corpus, &analyzer),
            ),
        };
        let Statistics {
            terms,
            vocabulary,
            word_df,
            bigram_df,
            char_df,
        } = stats;
        let word_frequency = (0..vocabulary.len())
            .map(|_| AtomicU32::new(NOT_YET))
            .collect();
        let lexicon_words: Vec<String> = lexicon
            .words
            .iter()
            .chain(&lexicon.phrases)
            .map(|w| normalize(w).text)
            .collect();
        Ok(Engine {
            names: crate::figure::names_with_numerals(&lexicon_words).into(),
            char_df,
            prepared: (0..corpus.passages.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            corpus,
            analyzer,
            expander,
            index,
            terms,
            vocabulary,
            word_df,
            word_frequency,
            bigram_df,
            settings,
        })
    }

    /// The corpus served.
    pub fn corpus(&self) -> &Corpus {
        &self.corpus
    }

    /// The analyzer (shared with the index).
    pub fn analyzer(&self) -> &ChineseAnalyzer {
        &self.analyzer
    }

    /// Bytes the search index takes.
    pub fn index_bytes(&self) -> u64 {
        self.index.size_bytes()
    }

    /// The answer settings.
    pub fn settings(&self) -> &AnswerConfig {
        &self.settings
    }

    /// What the index is asked for `question`.
    pub fn plan(&self, question: &str) -> QueryPlan {
        let known = |t: &str| self.df(t) > 0;
        let occurs = |t: &str| self.may_occur(t);
        let frequency = |t: &str| self.word_frequency(t);
        self.expander
            .plan(&self.analyzer, &known, &occurs, &frequency, question)
    }

    /// How common a word is in general Chinese ([`ChineseAnalyzer::word_frequency`]), kept
    /// for a word of the corpus once estimated.
    fn word_frequency(&self, word: &str) -> usize {
        let Some(&id) = self.vocabulary.get(word) else {
            return self.analyzer.word_frequency(word);
        };
        let kept = &self.word_frequency[id as usize];
        match kept.load(Ordering::Relaxed) {
            NOT_YET => {
                // Two questions may estimate it at once: they store the same figure.
                let f = u32::try_from(self.analyzer.word_frequency(word))
                    .map_or(NOT_YET - 1, |f| f.min(NOT_YET - 1));
                kept.store(f, Ordering::Relaxed);
                f as usize
            }
            f => f as usize,
        }
    }

    /// Answers a question: the best passage and further ones, or an abstention with
    /// suggestions, every hit quoted. Never fails: any text gets an [`Answer`].
    pub fn ask(&self, question: &str) -> Answer {
        self.ask_quoting(question, Quoting::All)
    }

    /// Like [`Engine::ask`], quoting the hits `quoting` says; the same passages either way.
    pub fn ask_quoting(&self, question: &str, quoting: Quoting) -> Answer {
        let plan = self.plan(question);
        let query = question.to_string();
        if plan.concepts.is_empty() {
            return Answer::Abstained {
                query,
                reason: Abstention::EmptyQuestion,
                suggestions: Vec::new(),
            };
        }
        let resolved = self.resolve(&plan);
        let ranked = self.rank(&plan, &resolved);
        let needles = &resolved.needles;
        // A hit quoted in at most `sentences` sentences, or not at all.
        let hit = |r: &Ranked, sentences: Option<usize>| Hit {
            passage: r.passage,
            score: r.score,
            coverage: r.coverage,
            quote: sentences
                .map(|n| self.quote(r.passage, needles, n))
                .unwrap_or_default(),
        };
        // Further passages and suggestions: one sentence each, when they are quoted at all.
        let other = (quoting == Quoting::All).then_some(1);
        let covering: Vec<&Ranked> = ranked
            .iter()
            .take(COVERING_CANDIDATES)
            .filter(|r| r.coverage >= MIN_COVERAGE)
            .collect();
        // Coverage is the evidence: a passage among them that covers clearly more of the
        // question than the best-ranked one answers it instead (the better ranked of equals).
        let chosen = covering.first().map(|first| {
            covering
                .iter()
                .copied()
                .filter(|r| r.coverage >= first.coverage + CLEARLY_MORE_COVERAGE)
                .min_by(|a, b| b.coverage.total_cmp(&a.coverage))
                .unwrap_or(first)
        });
        // A question asking for a figure is answered by the chosen passage only if it states
        // one. (Looking elsewhere for any passage with a number answers questions the
        // interview does not: 幾個人 with 兩個團隊.)
        let best = chosen
            .map(|r| hit(r, Some(self.settings.quote_sentences)))
            .filter(|h| {
                // The figure may be in the interviewer's question ("七成的收入來自B端?"),
                // shown above the quote.
                let question = self.corpus.passages[h.passage].question.as_deref();
                let shown = || format!("{}\n{}", question.unwrap_or(""), h.quote.plain());
                !plan.asks_figure
                    || crate::figure::states_figure(&normalize(&shown()).text, &self.names)
            });
        match best {
            Some(best) => Answer::Found {
                query,
                further: ranked
                    .iter()
                    .filter(|r| {
                        r.passage != best.passage
                            && r.coverage
                                >= MIN_FURTHER_COVERAGE.max(FURTHER_SHARE_OF_BEST * best.coverage)
                    })
                    .take(self.settings.further)
                    .map(|r| hit(r, other))
                    .collect(),
                best,
            },
            None => Answer::Abstained {
                query,
                reason: if plan.asks_figure && !covering.is_empty() {
                    Abstention::NoFigure
                } else {
                    Abstention::NotCovered
                },
                suggestions: ranked
                    .iter()
                    .filter(|r| self.corpus.passages[r.passage].kind == PassageKind::Dialogue)
                    .take(self.settings.suggestions)
                    .map(|r| hit(r, other))
                    .collect(),
            },
        }
    }

    /// The best `limit` passages for keywords, without abstaining (for `/search`).
    pub fn search(&self, keywords: &str, limit: usize) -> Vec<Hit> {
        let plan = self.plan(keywords);
        let resolved = self.resolve(&plan);
        self.rank(&plan, &resolved)
            .into_iter()
            .filter(|r| r.coverage > 0.0)
            .take(limit)
            .map(|r| Hit {
                passage: r.passage,
                score: r.score,
                coverage: r.coverage,
                quote: self.quote(r.passage, &resolved.needles, 1),
            })
            .collect()
    }

    /// Passages whose id starts with, or whose question contains, what was typed (either
    /// script): for autocomplete. Dialogue first, in corpus order; at most `limit`.
    pub fn complete(&self, typed: &str, limit: usize) -> Vec<usize> {
        let typed = typed.trim();
        let folded = normalize(typed).text;
        let mut out: Vec<usize> = (0..self.corpus.passages.len())
            .filter(|&i| {
                let p = &self.corpus.passages[i];
                let id = self.corpus.display_id(p).to_lowercase();
                typed.is_empty()
                    || id.starts_with(&folded)
                    || p.id.to_lowercase().starts_with(&folded)
                    || self.terms[i].text.contains(&folded)
            })
            .collect();
        out.sort_by_key(|&i| (self.corpus.passages[i].kind != PassageKind::Dialogue, i));
        out.truncate(limit);
        out
    }

    /// How a question is read and ranked, for people tuning the lexicon: the concepts with
    /// their weights and alternatives, then the top candidates with score and coverage.
    pub fn explain(&self, question: &str) -> String {
        use std::fmt::Write;
        let plan = self.plan(question);
        let resolved = self.resolve(&plan);
        let mut s = String::new();
        for (c, weight) in plan.concepts.iter().zip(&resolved.weights) {
            let alts: Vec<String> = c
                .alternatives
                .iter()
                .map(|(t, w)| format!("{t}({w:.2},df={})", self.df(t)))
                .collect();
            let _ = writeln!(
                s,
                "concept {:<14} weight {:.2} (informativeness {:.2}): {}",
                c.surface,
                weight,
                c.informativeness,
                alts.join(" ")
            );
        }
        let _ = writeln!(s, "bigrams: {}", plan.bigrams.join(" "));
        if !plan.alternative_bigrams.is_empty() {
            let _ = writeln!(
                s,
                "bigrams of alternatives: {}",
                plan.alternative_bigrams.join(" ")
            );
        }
        for r in self.rank(&plan, &resolved).iter().take(6) {
            let p = &self.corpus.passages[r.passage];
            let _ = writeln!(
                s,
                "{:<4} score {:.3} coverage {:.2}  {}",
                self.corpus.display_id(p),
                r.score,
                r.coverage,
                crate::render::label(p, 40)
            );
        }
        s
    }

    /// The quote of a passage's answer for `needles`.
    fn quote(&self, passage: usize, needles: &Needles, sentences: usize) -> crate::answer::Quote {
        let answer = &self.corpus.passages[passage].answer;
        let prepared = self.prepared[passage].get_or_init(|| quote::prepare(answer));
        quote::choose_prepared(answer, prepared, needles, sentences)
    }

    /// What ranking, coverage and quoting look up for `plan`, looked up once.
    fn resolve(&self, plan: &QueryPlan) -> Resolved {
        let mut needles = Needles::default();
        let mut weights = Vec::with_capacity(plan.concepts.len());
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
        Resolved {
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

    /// Candidates from the index, re-ranked by BM25 and coverage, best first.
    fn rank(&self, plan: &QueryPlan, resolved: &Resolved) -> Vec<Ranked> {
        let Resolved {
            weights,
            alternatives,
            chars: concept_chars,
            bigrams,
            bigram_total,
            needles,
        } = resolved;
        let searched = self.index.search(plan, CANDIDATES);
        let found = match searched {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "index search failed");
                return Vec::new();
            }
        };
        let max = found.iter().map(|(_, s)| *s).fold(0.0f32, f32::max);
        if max <= 0.0 {
            return Vec::new();
        }
        let total: f32 = weights.iter().sum();
        let mut ranked: Vec<Ranked> = found
            .into_iter()
            .map(|(passage, bm25)| {
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
                        w * CHARACTER_CREDIT * present / all
                    })
                    .sum();
                let coverage = if total > 0.0 { got / total } else { 0.0 };
                let bigram_got: f32 = bigrams
                    .iter()
                    .filter(|&&(b, _)| needles.bigram_in(b, text))
                    .map(|(_, w)| w)
                    .sum();
                let bigram_coverage = if *bigram_total > 0.0 {
                    bigram_got / bigram_total
                } else {
                    0.0
                };
                Ranked {
                    passage,
                    score: (1.0 - COVERAGE_WEIGHT - BIGRAM_COVERAGE_WEIGHT) * bm25 / max
                        + COVERAGE_WEIGHT * coverage
                        + BIGRAM_COVERAGE_WEIGHT * bigram_coverage,
                    coverage,
                }
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.passage.cmp(&b.passage)));
        ranked
    }

    /// Passages holding a word.
    fn df(&self, word: &str) -> u32 {
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
        // 整個: 0.6–0.8). Cubing tells them apart. English without a translation keeps its
        // fixed prior.
        if c.surface.chars().any(is_han) && nowhere {
            idf * c.informativeness.powi(3)
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

    /// Whether a term can occur in some passage: it is a word of the corpus, or Chinese whose
    /// every bigram occurs somewhere (a cheap test that saves scanning texts for terms that
    /// cannot be there, such as unused synonyms).
    fn may_occur(&self, term: &str) -> bool {
        self.df(term) > 0 || self.bigrams_occur(term)
    }

    /// Whether `term` is Chinese of two characters or more whose every bigram occurs in some
    /// passage.
    fn bigrams_occur(&self, term: &str) -> bool {
        let mut chars = term.char_indices().peekable();
        let mut bigrams = 0;
        while let Some((at, c)) = chars.next() {
            if !is_han(c) {
                return false;
            }
            if let Some(&(next, n)) = chars.peek() {
                let bigram = &term[at..next + n.len_utf8()];
                if !self.bigram_df.contains_key(bigram) {
                    return false;
                }
                bigrams += 1;
            }
        }
        bigrams > 0
    }
}

/// Reads the glossary file; a missing file is an error naming it.
fn load_glossary(path: &Path) -> Result<Glossary> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Glossary::from_tsv(&text, &path.display().to_string())?)
}
