/*!
The platform-neutral answer: what every front end renders and what `eval` measures.

An [`Answer`] is data. Abstaining ("the interview does not cover that") is one of its
variants, never an error. Quotes are verbatim slices of the corpus; highlights are byte
ranges into them, so renderers decide how to show emphasis without touching the words.
*/

use std::ops::Range;

/// One verbatim piece of a quote, with the byte ranges of matched terms inside it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fragment {
    /// Verbatim text from the corpus.
    pub text: String,
    /// Byte ranges of `text` to emphasise, sorted and not overlapping.
    pub highlights: Vec<Range<usize>>,
}

/// The excerpt of a passage shown to the user: fragments in corpus order; an ellipsis
/// belongs between two fragments and wherever `cut_before`/`cut_after` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Quote {
    /// The quoted pieces.
    pub fragments: Vec<Fragment>,
    /// Text of the answer precedes the first fragment.
    pub cut_before: bool,
    /// Text of the answer follows the last fragment.
    pub cut_after: bool,
}

impl Quote {
    /// The quote as plain text with `…` where text was cut.
    pub fn plain(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, |s, t| s.push_str(t), |s, m| s.push_str(m));
        s
    }

    /// The quote with `…` at cuts, verbatim text passed through `text` and matched terms
    /// through `matched` (escaping, bold, colour: each renderer decides).
    pub fn render(
        &self,
        text: impl Fn(&str) -> String,
        matched: impl Fn(&str) -> String,
    ) -> String {
        let mut s = String::new();
        self.write(
            &mut s,
            |s, t| s.push_str(&text(t)),
            |s, m| s.push_str(&matched(m)),
        );
        s
    }

    /// Like [`Quote::render`], writing into `out`: `text` and `matched` append a piece of
    /// verbatim text, plain or matched, as the renderer shows it.
    pub fn write(
        &self,
        out: &mut String,
        mut text: impl FnMut(&mut String, &str),
        mut matched: impl FnMut(&mut String, &str),
    ) {
        if self.cut_before {
            out.push('…');
        }
        for (i, f) in self.fragments.iter().enumerate() {
            if i > 0 {
                out.push('…');
            }
            let mut at = 0;
            for r in &f.highlights {
                text(out, &f.text[at..r.start]);
                matched(out, &f.text[r.clone()]);
                at = r.end;
            }
            text(out, &f.text[at..]);
        }
        if self.cut_after {
            out.push('…');
        }
    }
}

/// A retrieved passage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// Index into the corpus's passages.
    pub passage: usize,
    /// Ranking score (higher is better; comparable within one answer only).
    pub score: f32,
    /// Share of the question's informative content that the passage covers, 0..=1.
    pub coverage: f32,
    /// The excerpt to show. Empty for further passages and suggestions when the answer was
    /// made with [`Quoting::Best`].
    pub quote: Quote,
}

/// Which hits of an answer are quoted. Each quote searches a passage for every term of the
/// question; a front end that lists further passages and suggestions by label only need not
/// pay for theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// Every hit: the best passage, further passages, suggestions (the JSON contract).
    All,
    /// The best passage only; further passages and suggestions get an empty quote (Discord
    /// and the terminal list them by id and label).
    Best,
}

/// Why the bot did not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Abstention {
    /// The question holds nothing to search for (empty, only punctuation or stop words).
    EmptyQuestion,
    /// The question only asks for more of something said before (還有呢?, what else?) and
    /// has no topic of its own; with no previous answer to go on, any passage would be a
    /// guess.
    NeedsContext,
    /// No passage covers enough of what was asked.
    NotCovered,
    /// The question asks how many or how much, and the passages that cover it state no figure.
    NoFigure,
}

/// The reply to a question.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// The interview answers it.
    Found {
        /// The question as asked.
        query: String,
        /// The best passage.
        best: Hit,
        /// Further relevant passages, best first.
        further: Vec<Hit>,
    },
    /// The interview does not answer it.
    Abstained {
        /// The question as asked.
        query: String,
        /// Why.
        reason: Abstention,
        /// The closest passages, as "did you mean" suggestions.
        suggestions: Vec<Hit>,
    },
}

impl Answer {
    /// The question as asked.
    pub fn query(&self) -> &str {
        match self {
            Answer::Found { query, .. } | Answer::Abstained { query, .. } => query,
        }
    }

    /// Whether the interview answers the question.
    pub fn is_found(&self) -> bool {
        matches!(self, Answer::Found { .. })
    }

    /// Every hit in order: the best then the further ones, or the suggestions.
    pub fn hits(&self) -> Vec<&Hit> {
        match self {
            Answer::Found { best, further, .. } => std::iter::once(best).chain(further).collect(),
            Answer::Abstained { suggestions, .. } => suggestions.iter().collect(),
        }
    }
}
