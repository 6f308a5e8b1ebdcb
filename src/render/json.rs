/*!
The JSON rendering: one object per answer, the contract of `ask --json`.

`{"query", "answered", "hits": [{"id", "document", "section", "question", "text", "quote",
"score"}]}`, best first. `text` is the whole passage as the corpus has it; `quote` is the
excerpt shown, with `…` where cut and no emphasis markers.
*/

use serde::Serialize;

use crate::answer::{Answer, Hit};
use crate::corpus::Corpus;

/// One hit in the JSON contract.
#[derive(Debug, Serialize)]
pub struct JsonHit<'a> {
    /// Passage id as typed by users (`Q3`, or `doc/Q3` with several documents).
    pub id: String,
    /// Document id.
    pub document: &'a str,
    /// Section heading, if any.
    pub section: Option<&'a str>,
    /// The interviewer's question (dialogue passages).
    pub question: Option<&'a str>,
    /// The whole passage, verbatim.
    pub text: &'a str,
    /// The excerpt shown.
    pub quote: String,
    /// Ranking score.
    pub score: f32,
    /// Share of the question's informative content the passage covers (0..=1).
    pub coverage: f32,
}

/// One answer in the JSON contract.
#[derive(Debug, Serialize)]
pub struct JsonAnswer<'a> {
    /// The question as asked.
    pub query: &'a str,
    /// Whether the interview answers it.
    pub answered: bool,
    /// Best first; when not answered, the suggestions.
    pub hits: Vec<JsonHit<'a>>,
}

/// The JSON value of an answer, with at most `top` hits.
pub fn to_json<'a>(answer: &'a Answer, corpus: &'a Corpus, top: usize) -> JsonAnswer<'a> {
    JsonAnswer {
        query: answer.query(),
        answered: answer.is_found(),
        hits: answer
            .hits()
            .into_iter()
            .take(top)
            .map(|h| hit(h, corpus))
            .collect(),
    }
}

fn hit<'a>(h: &'a Hit, corpus: &'a Corpus) -> JsonHit<'a> {
    let p = &corpus.passages[h.passage];
    JsonHit {
        id: corpus.display_id(p),
        document: &corpus.document_of(p).id,
        section: corpus.section_of(p),
        question: p.question.as_deref(),
        text: &p.text,
        quote: h.quote.plain(),
        score: h.score,
        coverage: h.coverage,
    }
}

/// One line of JSON for an answer.
pub fn render(answer: &Answer, corpus: &Corpus, top: usize) -> String {
    serde_json::to_string(&to_json(answer, corpus, top)).expect("JSON of plain data")
}
