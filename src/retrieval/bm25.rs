/*!
The tantivy index of passages, built in RAM at start-up.

Four fields per passage: the interviewer's question and the answer (or narrative), each cut
into words and into character bigrams. Queries are built in code from a [`QueryPlan`] —
never from user text through tantivy's `QueryParser`, which turns unspaced Chinese into exact
phrases and reads `To B:` as a field name.
*/

use rustc_hash::FxHashMap as HashMap;
use tantivy::collector::TopDocs;
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::tokenizer::{self, BIGRAMS, WORDS};
use crate::analysis::ChineseAnalyzer;
use crate::corpus::Corpus;
use crate::error::Result;
use crate::retrieval::plan::{Concept, QueryPlan, LEAST_INFORMATIVENESS};
use crate::retrieval::policy::Policy;
use crate::retrieval::retriever::{self, Retriever, Source};

/// The fields of the index.
#[derive(Debug, Clone, Copy)]
struct Fields {
    passage: Field,
    q_words: Field,
    a_words: Field,
    q_bigrams: Field,
    a_bigrams: Field,
}

/// The passage index and a reader on it.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    passages: usize,
    /// Passage index of each document, by segment and document id (read once at build).
    doc_to_passage: Vec<Vec<u32>>,
    /// BM25 statistics of every term, read once from the term dictionaries.
    stats: TermStatistics,
}

/// What BM25 needs to know about the index, read once when it is opened: documents, tokens
/// per field and each term's document frequency per field.
///
/// tantivy asks its searcher for these on every term of every query, walking the term
/// dictionary each time; from this table the same figures cost a hash look-up, and a clause
/// for a term its field lacks (most answer words never occur in a question) is not built at
/// all. Scores are the same as with the searcher's own statistics.
#[derive(Debug, Default)]
struct TermStatistics {
    docs: u64,
    /// Tokens, by field id.
    tokens: [u64; FIELD_SLOTS],
    /// Term → its document frequency in each field, by field id: one look-up for a term's
    /// question and answer fields, and one key for a term that is a word and a bigram.
    df: HashMap<Box<str>, [u32; FIELD_SLOTS]>,
}

/// Fields of the schema, at most (their ids index [`TermStatistics`]).
const FIELD_SLOTS: usize = 5;

impl TermStatistics {
    fn read(searcher: &tantivy::Searcher, fields: &[Field]) -> Result<TermStatistics> {
        let mut stats = TermStatistics {
            // As tantivy counts them: deleted documents too, like the frequencies.
            docs: searcher
                .segment_readers()
                .iter()
                .map(|s| u64::from(s.max_doc()))
                .sum(),
            ..TermStatistics::default()
        };
        for &field in fields {
            let at = field.field_id() as usize;
            if at >= FIELD_SLOTS {
                return Err(tantivy::TantivyError::InvalidArgument(format!(
                    "field {at} beyond the statistics table"
                ))
                .into());
            }
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                stats.tokens[at] += inverted.total_num_tokens();
                let mut terms = inverted
                    .terms()
                    .stream()
                    .map_err(tantivy::TantivyError::from)?;
                while terms.advance() {
                    let text = String::from_utf8_lossy(terms.key());
                    stats.df.entry(text.into()).or_default()[at] += terms.value().doc_freq;
                }
            }
        }
        Ok(stats)
    }

    /// Documents holding `text`, in each field by id (none if no field holds it).
    fn dfs(&self, text: &str) -> Option<&[u32; FIELD_SLOTS]> {
        self.df.get(text)
    }

    /// Documents whose `field` holds `text`.
    fn df(&self, field: Field, text: &str) -> u32 {
        self.dfs(text)
            .and_then(|d| d.get(field.field_id() as usize).copied())
            .unwrap_or(0)
    }
}

impl Bm25StatisticsProvider for TermStatistics {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Ok(self
            .tokens
            .get(field.field_id() as usize)
            .copied()
            .unwrap_or(0))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        Ok(term
            .value()
            .as_str()
            .map_or(0, |text| u64::from(self.df(term.field(), text))))
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("passages", &self.passages)
            .finish()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tok: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tok)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let passage = b.add_u64_field("passage", NumericOptions::default().set_fast());
    let fields = Fields {
        passage,
        q_words: b.add_text_field("q_words", text(WORDS)),
        a_words: b.add_text_field("a_words", text(WORDS)),
        q_bigrams: b.add_text_field("q_bigrams", text(BIGRAMS)),
        a_bigrams: b.add_text_field("a_bigrams", text(BIGRAMS)),
    };
    (b.build(), fields)
}

impl SearchIndex {
    /// Indexes every passage of `corpus` in RAM, in one segment, in corpus order.
    /// With `dir`, the index is written there (it must exist and be empty) instead of RAM.
    pub fn build(
        corpus: &Corpus,
        analyzer: &ChineseAnalyzer,
        dir: Option<&std::path::Path>,
    ) -> Result<SearchIndex> {
        let (schema, f) = schema();
        let index = match dir {
            Some(d) => Index::create_in_dir(d, schema)?,
            None => Index::create_in_ram(schema),
        };
        tokenizer::register(&index, analyzer);
        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        for (i, p) in corpus.passages.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_u64(f.passage, i as u64);
            if let Some(q) = &p.question {
                doc.add_text(f.q_words, q);
                doc.add_text(f.q_bigrams, q);
            }
            doc.add_text(f.a_words, &p.answer);
            doc.add_text(f.a_bigrams, &p.answer);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        SearchIndex::ready(index, f, corpus.passages.len())
    }

    /// Opens an index written by [`SearchIndex::build`] in `dir`, for a corpus of `passages`.
    pub fn open(
        dir: &std::path::Path,
        analyzer: &ChineseAnalyzer,
        passages: usize,
    ) -> Result<SearchIndex> {
        let index = Index::open_in_dir(dir)?;
        tokenizer::register(&index, analyzer);
        let (_, f) = schema();
        let s = SearchIndex::ready(index, f, passages)?;
        let indexed: usize = s.doc_to_passage.iter().map(Vec::len).sum();
        if indexed != passages {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "{}: {indexed} documents for {passages} passages",
                dir.display()
            ))
            .into());
        }
        Ok(s)
    }

    fn ready(index: Index, f: Fields, passages: usize) -> Result<SearchIndex> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        reader.reload()?;
        let searcher = reader.searcher();
        let stats =
            TermStatistics::read(&searcher, &[f.q_words, f.a_words, f.q_bigrams, f.a_bigrams])?;
        let mut doc_to_passage = Vec::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("passage")?;
            doc_to_passage.push(
                (0..segment.max_doc())
                    .map(|d| column.first(d).unwrap_or(0) as u32)
                    .collect(),
            );
        }
        Ok(SearchIndex {
            stats,
            doc_to_passage,
            reader,
            fields: f,
            passages,
        })
    }

    /// Number of indexed passages.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.passages
    }

    /// Whether no passage is indexed.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.passages == 0
    }

    /// The best `limit` passages for `plan`: (passage index, BM25 score), best first.
    /// A term is asked only of the fields that hold it: the others cannot match, and leaving
    /// them out saves their weight computations.
    pub fn search(
        &self,
        plan: &QueryPlan,
        limit: usize,
        policy: &Policy,
    ) -> Result<Vec<(usize, f32)>> {
        if plan.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Adds a clause when `field` holds the term (`dfs`: its frequencies by field); says
        // whether it did.
        let mut term = |dfs: Option<&[u32; FIELD_SLOTS]>, field: Field, text: &str, boost| {
            let held = dfs
                .and_then(|d| d.get(field.field_id() as usize))
                .is_some_and(|&n| n > 0);
            if held {
                let query = TermQuery::new(
                    Term::from_field_text(field, text),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost)),
                ));
            }
            held
        };
        // One flat disjunction: every nested union would cost tantivy a 4096-document
        // buffer per query, which dominated the latency. Alternatives of one concept then
        // add up rather than take the maximum; the coverage re-ranking counts each concept
        // once.
        // Words asked for, and words left out: bigrams inside either are not asked.
        let mut covered: Vec<&str> = Vec::new();
        // The most common words of Chinese (去, 年, 中國; an English word whose translations
        // are all such words) would match much of the corpus: they are asked only when the
        // question has nothing else (coverage counts them anyway).
        let telling = |c: &Concept| c.informativeness > LEAST_INFORMATIVENESS;
        let only_common = !plan.concepts.iter().any(telling);
        for c in &plan.concepts {
            if !only_common && !telling(c) {
                covered.extend(c.alternatives.iter().map(|(t, _)| t.as_str()));
                continue;
            }
            for (t, w) in &c.alternatives {
                let floor = policy.common_term_floor;
                let w = w * (floor + (1.0 - floor) * c.informativeness);
                let dfs = self.stats.dfs(t);
                let q = term(dfs, f.q_words, t, w * policy.question_boost);
                let a = term(dfs, f.a_words, t, w);
                if q || a {
                    covered.push(t);
                }
            }
        }
        // A bigram inside a word already asked for adds nothing but cost, nor does one inside
        // a word left out; the others find what segmentation missed (a word the corpus splits
        // differently, or does not have).
        for b in plan
            .bigrams
            .iter()
            .chain(&plan.alternative_bigrams)
            .filter(|b| !covered.iter().any(|w| w.contains(b.as_str())))
        {
            let dfs = self.stats.dfs(b);
            term(
                dfs,
                f.q_bigrams,
                b,
                policy.bigram_weight * policy.question_boost,
            );
            term(dfs, f.a_bigrams, b, policy.bigram_weight);
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search_with_statistics_provider(
            &query,
            &TopDocs::with_limit(limit).order_by_score(),
            &self.stats,
        )?;
        let out = top
            .into_iter()
            .map(|(score, addr)| {
                let p = self.doc_to_passage[addr.segment_ord as usize][addr.doc_id as usize];
                (p as usize, score)
            })
            .collect();
        Ok(out)
    }

    /// Bytes the index takes (all segments, all files).
    pub fn size_bytes(&self) -> u64 {
        self.reader
            .searcher()
            .space_usage()
            .map_or(0, |u| u.total().get_bytes())
    }
}

impl Retriever for SearchIndex {
    fn source(&self) -> Source {
        Source::Lexical
    }

    fn retrieve(&self, query: &retriever::Query<'_>, k: usize) -> Vec<(usize, f32)> {
        match self.search(query.plan, k, query.policy) {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "index search failed");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_support::analyzer;

    /// The index of the real corpus, in RAM.
    fn index() -> SearchIndex {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = crate::load::corpus(&root.join("corpus")).unwrap();
        SearchIndex::build(&corpus, &analyzer(), None).unwrap()
    }

    /// The table gives BM25 the figures tantivy's searcher would, for terms of every field,
    /// and nothing for a term or field that lacks them.
    #[test]
    fn statistics_match_the_searchers() {
        let index = index();
        let searcher = index.reader.searcher();
        let f = index.fields;
        let cases = [
            (f.a_words, "阿里"),
            (f.q_words, "零一万物"),
            (f.a_words, "scaling law"),
            (f.q_bigrams, "万物"),
            (f.a_bigrams, "六小"),
            (f.q_words, "六小虎"),
            (f.a_words, "不存在的词"),
        ];
        let mut held = 0;
        for (field, text) in cases {
            let term = Term::from_field_text(field, text);
            let want = searcher.doc_freq(&term).unwrap();
            assert_eq!(index.stats.doc_freq(&term).unwrap(), want, "{text}");
            held += usize::from(want > 0);
        }
        assert_eq!(held, 5, "the table holds terms that occur");
        for field in [f.q_words, f.a_words, f.q_bigrams, f.a_bigrams] {
            assert_eq!(
                index.stats.total_num_tokens(field).unwrap(),
                searcher.total_num_tokens(field).unwrap()
            );
        }
        assert_eq!(
            index.stats.total_num_docs().unwrap(),
            searcher.total_num_docs().unwrap()
        );
    }

    /// One of the most common words finds passages only when the question has nothing else.
    #[test]
    fn the_most_common_words_are_asked_only_alone() {
        let index = index();
        let concept = |word: &str, informativeness: f32| Concept {
            surface: word.to_string(),
            alternatives: vec![(word.to_string(), 1.0)],
            informativeness,
        };
        let plan = |concepts: Vec<Concept>| QueryPlan {
            concepts,
            ..QueryPlan::default()
        };
        let found = |p: &QueryPlan| -> Vec<usize> {
            let mut ids: Vec<usize> = index
                .search(p, 100, &Policy::default())
                .unwrap()
                .into_iter()
                .map(|h| h.0)
                .collect();
            ids.sort_unstable();
            ids
        };
        let common = concept("去", LEAST_INFORMATIVENESS);
        let alone = found(&plan(vec![common.clone()]));
        let telling = found(&plan(vec![concept("今年", 1.0)]));
        let both = found(&plan(vec![common, concept("今年", 1.0)]));
        assert!(!alone.is_empty() && !telling.is_empty());
        assert!(
            alone.iter().any(|p| !telling.contains(p)),
            "{alone:?} {telling:?}"
        );
        assert_eq!(both, telling);
        // Nor are the bigrams of a word left out.
        let china = found(&plan(vec![concept("中国", LEAST_INFORMATIVENESS)]));
        assert!(china.iter().any(|p| !telling.contains(p)), "{china:?}");
        let mut with_bigram = plan(vec![
            concept("中国", LEAST_INFORMATIVENESS),
            concept("今年", 1.0),
        ]);
        with_bigram.bigrams = vec!["中国".to_string()];
        assert_eq!(found(&with_bigram), telling);
    }
}
