/*!
The stdin batch protocol of `interview-bot ask` without a question: one question per line,
one answer per line (JSON) or block (text), in order, flushed after each so that a program
on the other end of a pipe can talk to the bot line by line. A line that is not UTF-8 gets an
answer saying so rather than ending the batch.
*/

use std::io::{BufRead, Write};

use crate::answer::Quoting;
use crate::render::{json, terminal};
use crate::retrieval::Engine;

/// How answers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line, every hit quoted, at most this many hits.
    Json {
        /// Hits listed.
        top: usize,
    },
    /// The terminal rendering, with or without colour.
    Text {
        /// ANSI colour.
        colour: bool,
    },
}

/// Answers every line of `input` on `out`, in order. Fails only when reading or writing does.
pub fn run(
    engine: &Engine,
    input: impl BufRead,
    out: &mut impl Write,
    format: Format,
) -> std::io::Result<()> {
    for line in input.split(b'\n') {
        let bytes = line?;
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(&bytes);
        match std::str::from_utf8(bytes) {
            Ok(text) => writeln!(out, "{}", answer(engine, text, format).0)?,
            Err(_) => {
                let lossy = String::from_utf8_lossy(bytes);
                match format {
                    Format::Json { .. } => {
                        let v = serde_json::json!({"query": lossy, "answered": false, "hits": [], "error": "not valid UTF-8"});
                        writeln!(out, "{v}")?;
                    }
                    Format::Text { .. } => writeln!(out, "(not valid UTF-8)\n")?,
                }
            }
        }
        out.flush()?;
    }
    Ok(())
}

/// One question's answer as `format` writes it (without the final newline of a JSON line),
/// and whether it was answered.
pub fn answer(engine: &Engine, question: &str, format: Format) -> (String, bool) {
    let corpus = engine.corpus();
    let quoting = match format {
        Format::Json { .. } => Quoting::All,
        Format::Text { .. } => Quoting::Best,
    };
    let answer = engine.ask_quoting(question, quoting);
    let text = match format {
        Format::Json { top } => json::render(&answer, corpus, top),
        Format::Text { colour } => terminal::render(&answer, corpus, colour),
    };
    (text, answer.is_found())
}
