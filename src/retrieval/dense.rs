/*!
The dense retriever: questions and passages as multilingual-e5-small sentence embeddings,
compared by cosine. It finds what shares no word with the question — a paraphrase ("公司靠什麼
養活自己" for 收入來自B端), English asked of Chinese text, colloquial or Cantonese wording —
where BM25 and coverage see nothing. Fused with them in `Engine::rank`, never alone: on
Traditional Chinese, words still rank the first place better.

Each passage has vectors for the whole passage, each paragraph and each sentence of its answer
(the sentences of [`super::quote::sentences`], so that a passage found only by meaning is
quoted by its best-matching sentences). A passage scores the mean of its whole-passage cosine
and its best paragraph's. Vectors are computed once per document and kept in
[`DocumentVectors`] files keyed by the model and the document's text (see `crate::load`), so
adding an interview embeds only its passages. A question's vector is cached (bounded), so a
repeated question costs a look-up.
*/

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use rustc_hash::FxHashMap;

use super::retriever::{Query, Retriever, Source};
use crate::corpus::{Corpus, Document, Passage};
use crate::encoder::{Encoder, InputKind};

/// Questions whose vectors are kept.
const QUERY_CACHE: usize = 1024;
/// Bump when what is embedded changes (texts, prefixes, splitting): stored vectors are then
/// recomputed.
pub const VECTORS_VERSION: u32 = 2;

/// The vectors of one passage.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageVectors {
    /// The whole passage (the interviewer's question and the answer).
    pub whole: Vec<f32>,
    /// Each paragraph of the answer.
    pub paragraphs: Vec<Vec<f32>>,
    /// Each sentence of the answer, as [`super::quote::sentences`] cuts it.
    pub sentences: Vec<Vec<f32>>,
    /// The interviewer's question embedded as a question (`query: `): people's questions
    /// resemble the interviewer's, and e5 compares two questions best as two queries. Empty
    /// for narrative.
    pub question: Vec<f32>,
}

/// The vectors of one document's passages, in corpus order.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentVectors {
    /// What they were computed from: the model and the document's text.
    pub fingerprint: u64,
    /// One entry per passage of the document.
    pub passages: Vec<PassageVectors>,
}

/// What is embedded for a passage: the whole text, its paragraphs and its sentences.
pub fn texts_of(passage: &Passage) -> (String, Vec<&str>, Vec<&str>) {
    let whole = match &passage.question {
        Some(q) => format!("{q}\n{}", passage.answer),
        None => passage.answer.clone(),
    };
    let paragraphs = passage
        .answer
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let sentences = super::quote::sentences(&passage.answer)
        .into_iter()
        .map(|r| &passage.answer[r])
        .collect();
    (whole, paragraphs, sentences)
}

/// Embeds every passage of `document` (its passages are `passages`), calling `progress` after
/// each one.
pub fn embed_document(
    encoder: &Encoder,
    fingerprint: u64,
    passages: &[&Passage],
    progress: &mut dyn FnMut(),
) -> DocumentVectors {
    let passages = passages
        .iter()
        .map(|p| {
            let (whole, paragraphs, sentences) = texts_of(p);
            let v = PassageVectors {
                whole: encoder.encode_windowed(InputKind::Passage, &whole),
                paragraphs: encoder.encode_batch(InputKind::Passage, &paragraphs),
                sentences: encoder.encode_batch(InputKind::Passage, &sentences),
                question: p
                    .question
                    .as_deref()
                    .map(|q| encoder.encode(InputKind::Query, q))
                    .unwrap_or_default(),
            };
            progress();
            v
        })
        .collect();
    DocumentVectors {
        fingerprint,
        passages,
    }
}

/// The fingerprint of a document's vectors: the encoder's identity, the version of what is
/// embedded, and the document's passages.
pub fn fingerprint(model: u64, document: &Document, passages: &[&Passage]) -> u64 {
    let mut h = super::store::Fnv::new();
    h.add(&model.to_le_bytes());
    h.add(&VECTORS_VERSION.to_le_bytes());
    h.add(document.id.as_bytes());
    for p in passages {
        h.add(p.text.as_bytes());
    }
    h.0
}

/// Vectors of every passage of the library, flat for fast scans.
#[derive(Debug, Default)]
pub struct Vectors {
    dim: usize,
    /// Whole-passage vectors, passage after passage.
    whole: Vec<f32>,
    /// Paragraph vectors and the passage each belongs to.
    paragraphs: Vec<f32>,
    paragraph_of: Vec<u32>,
    /// Sentence vectors, the passage each belongs to, and where each passage's start.
    sentences: Vec<f32>,
    sentence_of: Vec<u32>,
    first_sentence: Vec<usize>,
    /// Interviewer's-question vectors and the passage each belongs to.
    questions: Vec<f32>,
    question_of: Vec<u32>,
}

/// How a passage's dense score is made from its vectors' cosines with the question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    /// Weight of the whole passage's cosine.
    pub whole: f32,
    /// Weight of its best paragraph's.
    pub paragraph: f32,
    /// Weight of its best sentence's.
    pub sentence: f32,
    /// Weight of the interviewer's question's (as a query).
    pub question: f32,
}

impl Vectors {
    /// Joins the documents' vectors in corpus order.
    pub fn join(dim: usize, documents: Vec<DocumentVectors>) -> Vectors {
        let mut v = Vectors {
            dim,
            ..Vectors::default()
        };
        for d in documents {
            for p in d.passages {
                let at = v.first_sentence.len() as u32;
                v.whole.extend_from_slice(&p.whole);
                for para in &p.paragraphs {
                    v.paragraphs.extend_from_slice(para);
                    v.paragraph_of.push(at);
                }
                if !p.question.is_empty() {
                    v.questions.extend_from_slice(&p.question);
                    v.question_of.push(at);
                }
                v.first_sentence.push(v.sentence_of.len());
                for sentence in &p.sentences {
                    v.sentences.extend_from_slice(sentence);
                    v.sentence_of.push(at);
                }
            }
            v.first_sentence.push(v.sentence_of.len());
        }
        v
    }

    /// Passages with vectors.
    pub fn len(&self) -> usize {
        self.first_sentence.len().saturating_sub(1)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the vectors take.
    pub fn heap_bytes(&self) -> usize {
        4 * (self.whole.len() + self.paragraphs.len() + self.sentences.len() + self.questions.len())
    }

    /// Each passage's score for the question vector `q`: its whole-passage cosine, its best
    /// paragraph's and its best sentence's, mixed by `mix` (a part it lacks counts as the
    /// whole passage).
    pub fn scores(&self, q: &[f32], mix: Mix) -> Vec<f32> {
        let n = self.len();
        let mut whole = vec![0f32; n];
        for (i, w) in self.whole.chunks_exact(self.dim).enumerate() {
            whole[i] = dot(q, w);
        }
        let best_of = |vectors: &[f32], owner: &[u32], weight: f32| {
            let mut best = vec![f32::NEG_INFINITY; n];
            if weight > 0.0 {
                for (v, &p) in vectors.chunks_exact(self.dim).zip(owner) {
                    let s = dot(q, v);
                    let b = &mut best[p as usize];
                    *b = b.max(s);
                }
            }
            best
        };
        let paragraphs = best_of(&self.paragraphs, &self.paragraph_of, mix.paragraph);
        let sentences = best_of(&self.sentences, &self.sentence_of, mix.sentence);
        let questions = best_of(&self.questions, &self.question_of, mix.question);
        let total =
            (mix.whole + mix.paragraph + mix.sentence + mix.question).max(f32::MIN_POSITIVE);
        (0..n)
            .map(|i| {
                let w = whole[i];
                let or_whole = |x: f32| if x.is_finite() { x } else { w };
                (mix.whole * w
                    + mix.paragraph * or_whole(paragraphs[i])
                    + mix.sentence * or_whole(sentences[i])
                    + mix.question * or_whole(questions[i]))
                    / total
            })
            .collect()
    }

    /// The cosine of each sentence of `passage` with `q`.
    pub fn sentence_scores(&self, passage: usize, q: &[f32]) -> Vec<f32> {
        let (Some(&start), Some(&end)) = (
            self.first_sentence.get(passage),
            self.first_sentence.get(passage + 1),
        ) else {
            return Vec::new();
        };
        self.sentences[start * self.dim..end * self.dim]
            .chunks_exact(self.dim)
            .map(|v| dot(q, v))
            .collect()
    }
}

/// The dot product (the cosine, for unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight lanes the compiler can keep in registers and vectorize.
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// A bounded cache of question vectors, oldest out first.
#[derive(Debug, Default)]
struct QueryCache {
    map: FxHashMap<String, Arc<Vec<f32>>>,
    order: VecDeque<String>,
}

/// The encoder and the library's vectors: the dense retriever.
pub struct Dense {
    encoder: Arc<Encoder>,
    /// Set once every document's vectors are read or computed (until then the retriever
    /// returns nothing and answers are lexical).
    vectors: Arc<OnceLock<Vectors>>,
    cache: Mutex<QueryCache>,
}

impl std::fmt::Debug for Dense {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dense")
            .field("ready", &self.is_ready())
            .finish()
    }
}

impl Dense {
    /// The retriever over `vectors`, which may still be being computed by whoever holds the
    /// other handle.
    pub fn new(encoder: Arc<Encoder>, vectors: Arc<OnceLock<Vectors>>) -> Dense {
        Dense {
            encoder,
            vectors,
            cache: Mutex::new(QueryCache::default()),
        }
    }

    /// Whether semantic matching is ready.
    pub fn is_ready(&self) -> bool {
        self.vectors.get().is_some()
    }

    /// The library's vectors, once ready.
    pub fn vectors(&self) -> Option<&Vectors> {
        self.vectors.get()
    }

    /// The encoder.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// The vector of a question, from the cache when it was asked before.
    pub fn query_vector(&self, text: &str) -> Arc<Vec<f32>> {
        if let Some(v) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.map.get(text).cloned())
        {
            return v;
        }
        let v = Arc::new(self.encoder.encode(InputKind::Query, text));
        if let Ok(mut c) = self.cache.lock() {
            if c.map.len() >= QUERY_CACHE {
                if let Some(old) = c.order.pop_front() {
                    c.map.remove(&old);
                }
            }
            if c.map.insert(text.to_string(), Arc::clone(&v)).is_none() {
                c.order.push_back(text.to_string());
            }
        }
        v
    }

    /// Forgets every cached question vector (for benchmarks of first-time questions).
    pub fn forget_questions(&self) {
        if let Ok(mut c) = self.cache.lock() {
            c.map.clear();
            c.order.clear();
        }
    }

    /// Every passage's dense score for `text`, or `None` before the vectors are ready.
    pub fn scores(&self, text: &str, mix: Mix) -> Option<Vec<f32>> {
        let vectors = self.vectors.get()?;
        Some(vectors.scores(&self.query_vector(text), mix))
    }
}

impl Retriever for Dense {
    fn source(&self) -> Source {
        Source::Dense
    }

    fn retrieve(&self, query: &Query<'_>, k: usize) -> Vec<(usize, f32)> {
        let Some(scores) = self.scores(query.text, query.policy.dense_mix()) else {
            return Vec::new();
        };
        top_k(&scores, k)
    }
}

/// The `k` best (index, score) pairs, best first (ties: lower index first).
pub fn top_k(scores: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut all: Vec<(usize, f32)> = scores.iter().copied().enumerate().collect();
    let k = k.min(all.len());
    if k == 0 {
        return Vec::new();
    }
    all.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all
}

/// The passages of each document of `corpus`, in corpus order.
pub fn passages_by_document(corpus: &Corpus) -> Vec<Vec<&Passage>> {
    let mut out: Vec<Vec<&Passage>> = vec![Vec::new(); corpus.documents.len()];
    for p in &corpus.passages {
        out[p.document].push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_table() {
        let scores = [0.1, 0.9, 0.5, 0.9, -0.2];
        let cases: &[(usize, &[usize])] =
            &[(0, &[]), (1, &[1]), (3, &[1, 3, 2]), (9, &[1, 3, 2, 0, 4])];
        for (k, want) in cases {
            let got: Vec<usize> = top_k(&scores, *k).into_iter().map(|(i, _)| i).collect();
            assert_eq!(&got, want, "k={k}");
        }
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..389).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..389).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
    }

    #[test]
    fn passage_score_is_the_mean_of_whole_and_best_paragraph() {
        let unit = |x: f32, y: f32| vec![x, y];
        let docs = vec![DocumentVectors {
            fingerprint: 0,
            passages: vec![
                PassageVectors {
                    whole: unit(1.0, 0.0),
                    paragraphs: vec![unit(0.0, 1.0), unit(0.6, 0.8)],
                    sentences: vec![unit(0.0, 1.0)],
                    question: Vec::new(),
                },
                PassageVectors {
                    whole: unit(0.0, 1.0),
                    paragraphs: Vec::new(),
                    sentences: Vec::new(),
                    question: Vec::new(),
                },
            ],
        }];
        let v = Vectors::join(2, docs);
        let mix = Mix {
            whole: 1.0,
            paragraph: 1.0,
            sentence: 0.0,
            question: 0.0,
        };
        let s = v.scores(&[1.0, 0.0], mix);
        assert!((s[0] - 0.8).abs() < 1e-6, "{s:?}");
        assert!(s[1].abs() < 1e-6, "no paragraph: the whole passage alone");
        assert_eq!(v.sentence_scores(0, &[0.0, 1.0]), [1.0]);
        assert!(v.sentence_scores(7, &[0.0, 1.0]).is_empty());
    }
}
