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
(see [`crate::retrieval::figure`]).
*/

pub mod alias;
pub mod bm25;
pub mod coverage;
pub mod decide;
pub mod dense;
pub mod evidence;
pub mod expand;
pub mod figure;
pub mod followup;
pub mod plan;
pub mod policy;
pub mod quote;
pub mod request;
pub mod retriever;
pub mod stats;
pub mod store;

use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use jieba_rs::Jieba;

use crate::analysis::{normalize, ChineseAnalyzer};
use crate::answer::{Abstention, Answer, Hit, Quoting};
use crate::config::AnswerConfig;
use crate::corpus::{Corpus, PassageKind};
use crate::error::Result;
use crate::lexicon::glossary::Glossary;
use crate::lexicon::Lexicon;
use crate::retrieval::bm25::SearchIndex;
use crate::retrieval::expand::Expander;
use crate::retrieval::plan::QueryPlan;
use crate::retrieval::quote::Needles;
use crate::retrieval::stats::{PassageTerms, Statistics};
use alias::AliasRetriever;
use coverage::Resolved;
use decide::{decide, CandidateEvidence, Decision, Evidence};
use followup::Reading;
use policy::Policy;
pub use request::{Alias, Asking, Context, Request};
use retriever::{Query, Retriever, Source};

/// A word frequency not yet estimated (see `Engine::word_frequency`).
const NOT_YET: u32 = u32::MAX;

/// A ranked candidate before it becomes a [`Hit`], with the evidence it was ranked on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// Passage index.
    pub passage: usize,
    /// The fused score it is ranked by.
    pub score: f32,
    /// Share of the question's informative content it holds (0..=1).
    pub coverage: f32,
    /// Share of the question's bigrams it holds (0..=1).
    pub bigram_coverage: f32,
    /// BM25 over the best BM25 of the candidates (0..=1; 0 when BM25 did not find it).
    pub lexical: f32,
    /// Cosine of the question's and the passage's embeddings (0 without the encoder).
    pub dense: f32,
    /// Closeness to a taught phrasing (0 when none).
    pub taught: f32,
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
    policy: Policy,
    /// The dense retriever, when the encoder is loaded.
    dense: Option<dense::Dense>,
    /// Corpus words by their sound, for words typed by sound.
    homophones: crate::analysis::homophone::Homophones,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("passages", &self.corpus.passages.len())
            .finish()
    }
}

impl Engine {
    /// Builds the engine from loaded parts.
    pub fn new(
        corpus: Corpus,
        lexicon: &Lexicon,
        glossary: Glossary,
        jieba: Jieba,
        settings: AnswerConfig,
        policy: Policy,
    ) -> Result<Engine> {
        Engine::with_store(corpus, lexicon, glossary, jieba, settings, policy, None)
    }

    /// Like [`Engine::new`]; with a store, the index and the passage statistics are read from
    /// it when its fingerprint matches, and otherwise built and saved there.
    pub fn with_store(
        corpus: Corpus,
        lexicon: &Lexicon,
        glossary: Glossary,
        jieba: Jieba,
        settings: AnswerConfig,
        policy: Policy,
        store: Option<&crate::retrieval::store::Store>,
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
        let homophones =
            crate::analysis::homophone::Homophones::new(vocabulary.keys().map(String::as_str));
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
            names: crate::retrieval::figure::names_with_numerals(&lexicon_words).into(),
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
            policy,
            dense: None,
            homophones,
        })
    }

    /// The engine with the dense retriever added.
    pub fn with_dense(self, dense: dense::Dense) -> Engine {
        Engine {
            dense: Some(dense),
            ..self
        }
    }

    /// The dense retriever, when the encoder is loaded.
    pub fn dense(&self) -> Option<&dense::Dense> {
        self.dense.as_ref()
    }

    /// The policy answers are decided by.
    pub fn policy(&self) -> &Policy {
        &self.policy
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

    /// What the index is asked for `question`.
    pub fn plan(&self, question: &str) -> QueryPlan {
        let known = |t: &str| self.df(t) > 0;
        let occurs = |t: &str| self.may_occur(t);
        let frequency = |t: &str| self.word_frequency(t);
        let homophones = |t: &str| self.homophones.of(t).to_vec();
        let lookups = expand::Lookups {
            known: &known,
            occurs: &occurs,
            frequency: &frequency,
            homophones: &homophones,
        };
        self.expander
            .plan(&self.analyzer, &lookups, &self.policy, question)
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

    /// Answers a question asked on its own: the best passage and further ones, or an
    /// abstention with suggestions, every hit quoted. Never fails: any text gets an
    /// [`Answer`].
    pub fn ask(&self, question: &str) -> Answer {
        self.answer(&Request::new(question))
    }

    /// Like [`Engine::ask`], quoting the hits `quoting` says; the same passages either way.
    pub fn ask_quoting(&self, question: &str, quoting: Quoting) -> Answer {
        self.answer(&Request::new(question).quoting(quoting))
    }

    /// Answers a request: a question with what the front end knows of it (the previous
    /// answer for a follow-up, taught phrasings, who asked; see [`Request`]).
    pub fn answer(&self, request: &Request<'_>) -> Answer {
        let (question, shown) = self.reading(request);
        self.answer_reading(request, &question, shown)
    }

    /// The ranked candidates for a request, before the decision (for evaluation and
    /// calibration: what the decision chooses from).
    pub fn ranking(&self, request: &Request<'_>) -> Vec<Ranked> {
        let (question, shown) = self.reading(request);
        let plan = self.plan(&question);
        let resolved = self.resolve(&plan);
        self.ranked_for(request, &question, &plan, &resolved, shown)
    }

    /// How a request's question is read: its own text or joined with the previous question,
    /// and the passage already shown when it only asks for more.
    fn reading(&self, request: &Request<'_>) -> (String, Option<usize>) {
        let previous = request.context.map(|c| self.previous_question(c));
        match followup::read(request.question, previous.as_deref()) {
            Reading::Alone => (request.question.to_string(), None),
            Reading::Joined(text) => (text, None),
            Reading::More => match previous.zip(request.context) {
                Some((previous, context)) => (previous, Some(context.passage)),
                None => (request.question.to_string(), None),
            },
        }
    }

    /// The ranking of a question as read, without the passage already shown.
    fn ranked_for(
        &self,
        request: &Request<'_>,
        question: &str,
        plan: &QueryPlan,
        resolved: &Resolved,
        shown: Option<usize>,
    ) -> Vec<Ranked> {
        let mut ranked = self.rank(question, plan, resolved, request.aliases);
        if let Some(shown) = shown {
            ranked.retain(|r| r.passage != shown);
        }
        ranked
    }

    /// What the decision is made from: each ranked candidate's evidence.
    fn evidence(
        &self,
        request: &Request<'_>,
        question: &str,
        plan: &QueryPlan,
        resolved: &Resolved,
        ranked: &[Ranked],
    ) -> Evidence {
        let policy = &self.policy;
        // A question asking for a figure is answered only by a passage that states one, as
        // shown: the interviewer's question ("七成的收入來自B端?") above the quote, and the
        // quote. Only the passages that could answer are looked at.
        let states_figure = |i: usize, r: &Ranked| {
            plan.asks_figure && i < policy.covering_candidates && {
                let q = self.corpus.passages[r.passage].question.as_deref();
                let quote = self.quote(
                    r.passage,
                    &resolved.needles,
                    self.settings.quote_sentences,
                    question,
                );
                let shown = format!("{}\n{}", q.unwrap_or(""), quote.plain());
                figure::states_figure(&normalize(&shown).text, &self.names)
            }
        };
        let latin = {
            let letters: Vec<char> = question.chars().filter(|c| c.is_alphabetic()).collect();
            let ascii = letters.iter().filter(|c| c.is_ascii()).count();
            ascii as f32 / letters.len().max(1) as f32
        };
        let question_facts = decide::QuestionFacts {
            known_share: resolved.known_share,
            absent_topic: resolved.absent_topic,
            latin,
            asks_figure: plan.asks_figure,
        };
        let candidates: Vec<CandidateEvidence> = ranked
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let figure = states_figure(i, r);
                CandidateEvidence {
                    coverage: r.coverage,
                    states_figure: figure,
                    features: decide::features(ranked, i, &question_facts, figure),
                }
            })
            .collect();
        Evidence {
            asks_figure: plan.asks_figure,
            asking: request.asking,
            candidates,
            max_further: self.settings.further,
        }
    }

    /// The evidence of a request and the ranked passages it is about (for calibration).
    pub fn gather(&self, request: &Request<'_>) -> (Evidence, Vec<Ranked>) {
        let (question, shown) = self.reading(request);
        let plan = self.plan(&question);
        let resolved = self.resolve(&plan);
        let ranked = self.ranked_for(request, &question, &plan, &resolved, shown);
        let evidence = self.evidence(request, &question, &plan, &resolved, &ranked);
        (evidence, ranked)
    }

    /// The previous question of a context, or when the front end does not know it, the
    /// question of the passage that answered (the interviewer's, else its opening words).
    fn previous_question(&self, context: &Context) -> String {
        if !context.question.trim().is_empty() {
            return context.question.clone();
        }
        match self.corpus.passages.get(context.passage) {
            Some(p) => match &p.question {
                Some(q) => q.clone(),
                None => p.answer.chars().take(60).collect(),
            },
            None => String::new(),
        }
    }

    /// Answers `request` reading its question as `question` (itself, or joined with the
    /// previous one), leaving out the passage `shown` already (for "anything else?").
    fn answer_reading(
        &self,
        request: &Request<'_>,
        question: &str,
        shown: Option<usize>,
    ) -> Answer {
        let quoting = request.quoting;
        let plan = self.plan(question);
        let query = request.question.to_string();
        let nothing_to_search = if plan.follow_up_only {
            Some(Abstention::NeedsContext)
        } else if plan.concepts.is_empty() {
            Some(Abstention::EmptyQuestion)
        } else {
            None
        };
        if let Some(reason) = nothing_to_search {
            return Answer::Abstained {
                query,
                reason,
                suggestions: Vec::new(),
            };
        }
        let resolved = self.resolve(&plan);
        let ranked = self.ranked_for(request, question, &plan, &resolved, shown);
        let needles = &resolved.needles;
        let policy = &self.policy;
        let evidence = self.evidence(request, question, &plan, &resolved, &ranked);
        // A hit quoted in at most `sentences` sentences, or not at all.
        let hit = |r: &Ranked, sentences: Option<usize>| Hit {
            passage: r.passage,
            score: r.score,
            coverage: r.coverage,
            quote: sentences
                .map(|n| self.quote(r.passage, needles, n, question))
                .unwrap_or_default(),
        };
        // Further passages and suggestions: one sentence each, when they are quoted at all.
        let other = (quoting == Quoting::All).then_some(1);
        match decide(policy, &evidence) {
            Decision::Answer { best, further } => Answer::Found {
                query,
                best: hit(&ranked[best], Some(self.settings.quote_sentences)),
                further: further.iter().map(|&i| hit(&ranked[i], other)).collect(),
            },
            Decision::Abstain(reason) => Answer::Abstained {
                query,
                reason,
                // Suggested: dialogue that BM25 found (or a taught phrasing). A passage
                // found by meaning alone is no suggestion for a question off the topic
                // (every question is somewhat like some passage).
                suggestions: ranked
                    .iter()
                    .filter(|r| self.corpus.passages[r.passage].kind == PassageKind::Dialogue)
                    .filter(|r| r.lexical > 0.0 || r.taught > 0.0)
                    .take(self.settings.suggestions)
                    .map(|r| hit(r, other))
                    .collect(),
            },
        }
    }

    /// Every retriever's candidates, pooled, scored by their signals and coverage, best first.
    ///
    /// The lexical score blends normalized BM25, coverage and bigram coverage; the dense
    /// cosine (scaled 0..=1 over the library) joins it with a weight that grows with the share
    /// of the question the corpus has no word for (English, colloquial or misspelt words),
    /// where words say least.
    fn rank(
        &self,
        question: &str,
        plan: &QueryPlan,
        resolved: &Resolved,
        aliases: &[Alias],
    ) -> Vec<Ranked> {
        let policy = &self.policy;
        let query = Query {
            text: question,
            plan,
            policy,
        };
        let mut lists = vec![(
            Source::Lexical,
            self.index.retrieve(&query, policy.candidates),
        )];
        let dense_scores = self
            .dense
            .as_ref()
            .and_then(|d| d.scores(question, policy.dense_mix()));
        if let Some(scores) = &dense_scores {
            lists.push((Source::Dense, dense::top_k(scores, policy.dense_candidates)));
        }
        if !aliases.is_empty() {
            let taught = AliasRetriever { aliases };
            lists.push((Source::Alias, taught.retrieve(&query, policy.candidates)));
        }
        let pooled = retriever::pool(&lists);
        let max = pooled
            .iter()
            .filter_map(|c| c.signal(Source::Lexical))
            .fold(0.0f32, f32::max);
        let (lo, hi) = dense_scores.as_deref().map_or((0.0, 0.0), |s| {
            s.iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                })
        });
        let dense_weight = if dense_scores.is_some() {
            (policy.dense_weight + policy.dense_weight_unknown * (1.0 - resolved.known_share))
                .clamp(0.0, 1.0)
        } else {
            0.0
        };
        let lexical_weight = 1.0 - policy.coverage_weight - policy.bigram_coverage_weight;
        let mut ranked: Vec<Ranked> = pooled
            .into_iter()
            .filter_map(|c| {
                let bm25 = c.signal(Source::Lexical).filter(|_| max > 0.0);
                let taught = c.signal(Source::Alias);
                let cosine = dense_scores.as_ref().map(|s| s[c.passage]);
                if bm25.is_none() && taught.is_none() && c.signal(Source::Dense).is_none() {
                    return None;
                }
                let covered = self.covered(resolved, c.passage);
                // A taught phrasing says the passage answers the question: it covers it as
                // much as the phrasing is close.
                let coverage = covered.words.max(taught.unwrap_or(0.0));
                let lexical = bm25.unwrap_or(0.0) / max.max(f32::MIN_POSITIVE);
                let words = lexical_weight * lexical
                    + policy.coverage_weight * coverage
                    + policy.bigram_coverage_weight * covered.bigrams;
                let meaning =
                    cosine.map_or(0.0, |x| if hi > lo { (x - lo) / (hi - lo) } else { 0.0 });
                Some(Ranked {
                    passage: c.passage,
                    score: (1.0 - dense_weight) * words
                        + dense_weight * meaning
                        + policy.alias_weight * taught.unwrap_or(0.0),
                    coverage,
                    bigram_coverage: covered.bigrams,
                    lexical,
                    dense: cosine.unwrap_or(0.0),
                    taught: taught.unwrap_or(0.0),
                })
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.passage.cmp(&b.passage)));
        ranked
    }

    /// The passage `text` names when it is nothing but a passage id (`Q16`, ` q3 `, `doc/P2`),
    /// as people type one to see that passage.
    pub fn passage_named(&self, text: &str) -> Option<usize> {
        let t = text.trim();
        let id = t.rsplit('/').next().unwrap_or(t);
        let looks_like_id = id.len() <= 8
            && id.starts_with(|c: char| c.is_ascii_alphabetic())
            && id.ends_with(|c: char| c.is_ascii_digit())
            && id.chars().all(|c| c.is_ascii_alphanumeric());
        if looks_like_id {
            self.corpus.find(t)
        } else {
            None
        }
    }

    /// The best `limit` passages for keywords, without abstaining (for `/search`).
    pub fn search(&self, keywords: &str, limit: usize) -> Vec<Hit> {
        let plan = self.plan(keywords);
        let resolved = self.resolve(&plan);
        self.rank(keywords, &plan, &resolved, &[])
            .into_iter()
            .filter(|r| r.coverage > 0.0)
            .take(limit)
            .map(|r| Hit {
                passage: r.passage,
                score: r.score,
                coverage: r.coverage,
                quote: self.quote(r.passage, &resolved.needles, 1, keywords),
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
        if plan.follow_up_only {
            let _ = writeln!(s, "a follow-up with no topic of its own: not searched");
        }
        let _ = writeln!(s, "bigrams: {}", plan.bigrams.join(" "));
        if !plan.alternative_bigrams.is_empty() {
            let _ = writeln!(
                s,
                "bigrams of alternatives: {}",
                plan.alternative_bigrams.join(" ")
            );
        }
        for r in self.rank(question, &plan, &resolved, &[]).iter().take(6) {
            let p = &self.corpus.passages[r.passage];
            let _ = writeln!(
                s,
                "{:<4} score {:.3} coverage {:.2} bm25 {:.2} dense {:.3}  {}",
                self.corpus.display_id(p),
                r.score,
                r.coverage,
                r.lexical,
                r.dense,
                crate::render::label(p, 40)
            );
        }
        s
    }

    /// The quote of a passage's answer for `needles`.
    fn quote(
        &self,
        passage: usize,
        needles: &Needles,
        sentences: usize,
        question: &str,
    ) -> crate::answer::Quote {
        let answer = &self.corpus.passages[passage].answer;
        let prepared = self.prepared[passage].get_or_init(|| quote::prepare(answer, &self.policy));
        // Closeness in meaning of each sentence, when the encoder is there.
        let meaning = self.dense.as_ref().and_then(|d| {
            let v = d.vectors()?;
            Some(v.sentence_scores(passage, &d.query_vector(question)))
        });
        quote::choose_prepared(
            answer,
            prepared,
            needles,
            sentences,
            &self.policy,
            meaning.as_deref(),
        )
    }
}
