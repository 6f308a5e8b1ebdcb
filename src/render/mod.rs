/*!
Renderers: one [`Answer`](crate::answer::Answer), several surfaces.

Rendering is separate from search: each renderer takes the same `Answer` and the corpus
(for citations) and returns text. None of them changes a quoted word; they only choose how
to show emphasis, citations and cuts.
*/

pub mod discord;
pub mod json;
pub mod terminal;

use crate::corpus::{Corpus, Passage, PassageKind};

/// Fixed wording shared by every front end.
pub mod text {
    use crate::answer::Abstention;

    /// What the bot says when it does not answer, for each reason.
    pub fn abstention(reason: Abstention) -> &'static str {
        match reason {
            Abstention::EmptyQuestion => EMPTY,
            Abstention::NeedsContext => NEEDS_CONTEXT,
            Abstention::NotCovered => NOT_COVERED,
            Abstention::NoFigure => NO_FIGURE,
        }
    }

    /// Said when the interview does not answer the question.
    pub const NOT_COVERED: &str = "這次訪談沒有談到這一點。The interview doesn't cover that.";
    /// Said when a question asks for a figure that the passages covering it do not give.
    pub const NO_FIGURE: &str =
        "訪談談到了這件事,但沒有給出這個數字。The interview touches on this but gives no such figure.";
    /// Said when the question holds nothing to search for.
    pub const EMPTY: &str = "請提出一個關於這次訪談的問題。Ask a question about the interview.";
    /// Said when a follow-up (還有呢?, what else?) has no previous answer to follow.
    pub const NEEDS_CONTEXT: &str = "追問需要先有上一個回答;請說出想問的話題。A follow-up needs a previous answer: say what you want to know about.";
    /// Heading of the "did you mean" list.
    pub const DID_YOU_MEAN: &str = "您是不是想問 · Did you mean";
    /// Name of the part before the first section heading.
    pub const INTRODUCTION: &str = "導語 · Introduction";
    /// Said by `/search` when nothing matches.
    pub const NO_MATCH: &str = "沒有找到相關段落。No passage matches.";
    /// How the bot answers, for `/about` and `/help`.
    pub const HOW_IT_ANSWERS: &str = "Answers only with the interviewee's exact words, quoted from the published interview and cited (who, where, when, section, passage). It never invents or paraphrases; when the interview does not cover a question, it says so and suggests the closest questions it does cover.\n只引用受訪者的原話並註明出處,從不編造;訪談沒有談到的問題會直接說明。";
    /// Footer of `/about`.
    pub const ABOUT_FOOTER: &str = "Quotes only · 只引原文";
    /// Heading of further passages.
    pub const SEE_ALSO: &str = "另見 · See also";
}

/// A citation: who said it, where, when, which section and passage.
pub fn citation(corpus: &Corpus, p: &Passage) -> String {
    let doc = corpus.document_of(p);
    let who = match p.kind {
        PassageKind::Dialogue => format!("{}, {}", doc.meta.interviewee, doc.meta.publication),
        PassageKind::Narrative => format!("{} (報導 · narrative)", doc.meta.publication),
    };
    let mut s = format!("{who}, {}", doc.meta.date);
    if let Some(section) = corpus.section_of(p) {
        s.push_str(" · ");
        s.push_str(section);
    }
    s.push_str(" · ");
    s.push_str(&corpus.display_id(p));
    s
}

/// A one-line label of a passage: its question, or the start of its text.
pub fn label(p: &Passage, max_chars: usize) -> String {
    let text = p.question.as_deref().unwrap_or(&p.answer);
    let first_line = text.lines().next().unwrap_or("");
    shorten(first_line, max_chars)
}

/// `s` cut to at most `max_chars` characters, with `…` when cut.
pub fn shorten(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max_chars.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}
