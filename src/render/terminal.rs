/*!
The console rendering: plain text, with matched terms in bold yellow on a colour terminal.
*/

use std::fmt::Write;

use super::{citation, label, text};
use crate::answer::{Answer, Hit, Quote};
use crate::corpus::Corpus;

const BOLD: &str = "\x1b[1;33m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Renders an answer for a terminal; `colour` adds ANSI emphasis.
pub fn render(answer: &Answer, corpus: &Corpus, colour: bool) -> String {
    let mut out = String::new();
    match answer {
        Answer::Found { best, further, .. } => {
            let p = &corpus.passages[best.passage];
            if let Some(q) = &p.question {
                let _ = writeln!(out, "{}: {q}", corpus.document_of(p).meta.interviewer);
            }
            let _ = writeln!(out, "「{}」", quote(&best.quote, colour));
            let c = citation(corpus, p);
            let _ = writeln!(out, "— {}", dim(&c, colour));
            if !further.is_empty() {
                let _ = writeln!(out, "\n{}:", text::SEE_ALSO);
                list(&mut out, further, corpus, colour);
            }
        }
        Answer::Abstained {
            reason,
            suggestions,
            ..
        } => {
            let _ = writeln!(out, "{}", text::abstention(*reason));
            if !suggestions.is_empty() {
                let _ = writeln!(out, "\n{}:", text::DID_YOU_MEAN);
                list(&mut out, suggestions, corpus, colour);
            }
        }
    }
    out
}

fn list(out: &mut String, hits: &[Hit], corpus: &Corpus, colour: bool) {
    for h in hits {
        let p = &corpus.passages[h.passage];
        let id = corpus.display_id(p);
        let _ = writeln!(
            out,
            "  {} {}",
            if colour {
                format!("{BOLD}{id}{RESET}")
            } else {
                id
            },
            label(p, 60)
        );
    }
}

fn dim(s: &str, colour: bool) -> String {
    if colour {
        format!("{DIM}{s}{RESET}")
    } else {
        s.to_string()
    }
}

/// The quote with `…` at cuts, emphasis only when `colour`.
pub fn quote(q: &Quote, colour: bool) -> String {
    if colour {
        q.render(str::to_string, |m| format!("{BOLD}{m}{RESET}"))
    } else {
        q.plain()
    }
}

/// Text the user typed, as the terminal is to show it: control characters (an escape
/// sequence could recolour or clear the screen) and bidirectional controls (they reorder
/// what follows) written out as `\u{…}`, everything else as typed.
pub fn shown(typed: &str) -> String {
    let mut out = String::with_capacity(typed.len());
    for c in typed.chars() {
        let bidi = matches!(c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The reply to an id that names no passage, with the id as typed ([`shown`]).
pub fn no_passage(id: &str) -> String {
    format!("No passage `{}`. /topics lists them.\n", shown(id))
}

/// A whole passage with its citation (`quote ID`).
pub fn passage(corpus: &Corpus, index: usize) -> String {
    let p = &corpus.passages[index];
    format!("{}\n— {}\n", p.text, citation(corpus, p))
}

/// Sections and their questions with ids (`topics`).
pub fn topics(corpus: &Corpus) -> String {
    let mut out = String::new();
    for (d, doc) in corpus.documents.iter().enumerate() {
        let _ = writeln!(
            out,
            "{} — {}, {}",
            doc.meta.title, doc.meta.publication, doc.meta.date
        );
        let mut current: Option<Option<usize>> = None;
        for p in corpus.passages.iter().filter(|p| p.document == d) {
            if current != Some(p.section) {
                current = Some(p.section);
                let name = corpus.section_of(p).unwrap_or(text::INTRODUCTION);
                let _ = writeln!(out, "\n  {name}");
            }
            let _ = writeln!(out, "    {:<4} {}", corpus.display_id(p), label(p, 50));
        }
    }
    out
}
