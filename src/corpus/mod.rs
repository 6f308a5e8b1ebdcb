/*!
The corpus: interview files in Markdown with a front matter, parsed into passages.

A passage is the unit the bot retrieves and cites: one interviewer question with every answer
paragraph after it (up to the next question or heading), or one narrative paragraph before
the dialogue. Passages keep their verbatim text, so every quote can be checked against the
file it came from. A malformed file is an error naming the file and line: the bot refuses to
start rather than serve part of a corpus.
*/

use std::path::{Path, PathBuf};

pub mod markdown;

pub use markdown::parse_document;

use crate::error::{Error, Result};

/// The metadata of one interview, from its front matter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Meta {
    /// Headline as published.
    pub title: String,
    /// Where it was published, e.g. 《智能湧現》.
    pub publication: String,
    /// Publication date, `YYYY-MM-DD`.
    pub date: String,
    /// Speaker label of the interviewer in the text.
    pub interviewer: String,
    /// Speaker label of the interviewee in the text.
    pub interviewee: String,
    /// BCP 47 language tag of the text, e.g. `zh-Hant`.
    pub language: String,
    /// Where the original can be read, if known.
    pub source_url: Option<String>,
}

/// One interview file.
#[derive(Debug, Clone)]
pub struct Document {
    /// Short id used in citations and passage look-ups (front matter `id`, else the file stem).
    pub id: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Front matter.
    pub meta: Meta,
    /// Section headings in order.
    pub sections: Vec<String>,
}

/// Whether a passage is the interviewer's question with its answer, or narrative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    /// An interviewer question with the interviewee's answer.
    Dialogue,
    /// A paragraph of the article's own narrative.
    Narrative,
}

/// The unit of retrieval and citation.
#[derive(Debug, Clone)]
pub struct Passage {
    /// Id a person can type: `Q1`… for the dialogue, `P1`… for narrative. Unique in its document.
    pub id: String,
    /// Index into [`Corpus::documents`].
    pub document: usize,
    /// Index into the document's `sections`, `None` before the first heading.
    pub section: Option<usize>,
    /// 1-based line where the passage starts in its file.
    pub line: usize,
    /// Dialogue or narrative.
    pub kind: PassageKind,
    /// The interviewer's question without the speaker label (dialogue only).
    pub question: Option<String>,
    /// The answer paragraphs without the speaker label, or the narrative paragraph.
    pub answer: String,
    /// The whole passage exactly as the file has it (labels included).
    pub text: String,
}

/// All documents and their passages, in file order.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// The interview files.
    pub documents: Vec<Document>,
    /// Every passage of every document.
    pub passages: Vec<Passage>,
}

impl Corpus {
    /// Parses one file's bytes and appends its document and passages.
    pub fn add_file(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            Error::corpus(path, line, "not valid UTF-8")
        })?;
        let (doc, passages) = parse_document(path, text)?;
        if let Some(other) = self.documents.iter().find(|d| d.id == doc.id) {
            return Err(Error::corpus(
                path,
                1,
                format!(
                    "duplicate document id `{}` (also used by {})",
                    doc.id,
                    other.path.display()
                ),
            ));
        }
        let index = self.documents.len();
        self.documents.push(doc);
        self.passages.extend(passages.into_iter().map(|p| Passage {
            document: index,
            ..p
        }));
        Ok(())
    }

    /// The id to show for a passage: `Q3` with one document, `doc/Q3` with several.
    pub fn display_id(&self, passage: &Passage) -> String {
        if self.documents.len() == 1 {
            passage.id.clone()
        } else {
            format!("{}/{}", self.documents[passage.document].id, passage.id)
        }
    }

    /// Finds a passage by id as a person types it: `Q3`, `q3`, ` Q3 ` or `doc/Q3`.
    /// A bare id shared by several documents matches none (it is ambiguous).
    pub fn find(&self, typed: &str) -> Option<usize> {
        let typed = typed.trim();
        let (doc, id) = match typed.rsplit_once('/') {
            Some((d, i)) => (Some(d.trim()), i.trim()),
            None => (None, typed),
        };
        let mut found = self.passages.iter().enumerate().filter(|(_, p)| {
            p.id.eq_ignore_ascii_case(id)
                && doc.is_none_or(|d| self.documents[p.document].id.eq_ignore_ascii_case(d))
        });
        let first = found.next()?;
        match found.next() {
            Some(_) => None,
            None => Some(first.0),
        }
    }

    /// The section heading of a passage, if it has one.
    pub fn section_of(&self, passage: &Passage) -> Option<&str> {
        passage
            .section
            .map(|s| self.documents[passage.document].sections[s].as_str())
    }

    /// The document of a passage.
    pub fn document_of(&self, passage: &Passage) -> &Document {
        &self.documents[passage.document]
    }
}
