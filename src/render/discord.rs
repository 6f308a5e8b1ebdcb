/*!
The Discord rendering: markdown within Discord's limits, corpus markdown escaped.

Two shapes of the same answer: [`message`], one markdown message (≤ 2000 characters) for
mentions and channel replies, and [`embed`], a platform-neutral embed (title ≤ 256,
description ≤ 4096, fields ≤ 1024, total ≤ 6000) for slash commands. Text from the corpus or
the user is escaped so it shows as written; mentions are defused here as a second line of
defence (the bot also sends every message with mentions disabled).
*/

use std::fmt::Write;

use super::{citation, label, shorten, text};
use crate::answer::{Abstention, Answer, Hit, Quote};
use crate::corpus::Corpus;

/// Discord's limit on a message's content.
pub const MAX_CONTENT: usize = 2000;
/// Discord's limit on an embed title.
pub const MAX_TITLE: usize = 256;
/// Discord's limit on an embed description.
pub const MAX_DESCRIPTION: usize = 4096;
/// Discord's limit on an embed field value.
pub const MAX_FIELD_VALUE: usize = 1024;
/// Discord's limit on an embed field name.
pub const MAX_FIELD_NAME: usize = 256;
/// Discord's limit on an embed footer.
pub const MAX_FOOTER: usize = 2048;
/// Discord's limit on all text of one embed together.
pub const MAX_EMBED_TOTAL: usize = 6000;

/// Escapes Discord markdown and defuses mentions in `s`, so it shows exactly as written.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '<' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200b}"),
            _ => out.push(c),
        }
    }
    out
}

/// The quote in Discord markdown: escaped, matched terms in bold, `…` at cuts.
pub fn quote(q: &Quote) -> String {
    let mut s = String::new();
    if q.cut_before {
        s.push('…');
    }
    for (i, f) in q.fragments.iter().enumerate() {
        if i > 0 {
            s.push('…');
        }
        let mut at = 0;
        for r in &f.highlights {
            s.push_str(&escape(&f.text[at..r.start]));
            s.push_str("**");
            s.push_str(&escape(&f.text[r.clone()]));
            s.push_str("**");
            at = r.end;
        }
        s.push_str(&escape(&f.text[at..]));
    }
    if q.cut_after {
        s.push('…');
    }
    s
}

/// A platform-neutral embed; the Discord front end maps it onto the library's builder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Embed {
    /// Title (≤ 256).
    pub title: String,
    /// Description (≤ 4096).
    pub description: String,
    /// Fields: name (≤ 256), value (≤ 1024).
    pub fields: Vec<(String, String)>,
    /// Footer (≤ 2048).
    pub footer: String,
}

impl Embed {
    /// Characters counted against Discord's 6000 total.
    pub fn total_chars(&self) -> usize {
        let n = |s: &str| s.chars().count();
        n(&self.title)
            + n(&self.description)
            + n(&self.footer)
            + self.fields.iter().map(|(a, b)| n(a) + n(b)).sum::<usize>()
    }

    /// Cuts every part to its limit (markdown-safe: cuts never split an escape or bold pair
    /// in a way Discord rejects; at worst a bold run loses its closing marker).
    pub fn fit(mut self) -> Embed {
        self.title = shorten(&self.title, MAX_TITLE);
        self.description = shorten(&self.description, MAX_DESCRIPTION);
        self.footer = shorten(&self.footer, MAX_FOOTER);
        self.fields.truncate(25);
        for (a, b) in &mut self.fields {
            *a = shorten(a, MAX_FIELD_NAME);
            *b = shorten(b, MAX_FIELD_VALUE);
        }
        while self.total_chars() > MAX_EMBED_TOTAL && !self.fields.is_empty() {
            self.fields.pop();
        }
        if self.total_chars() > MAX_EMBED_TOTAL {
            let room = MAX_EMBED_TOTAL - (self.total_chars() - self.description.chars().count());
            self.description = shorten(&self.description, room);
        }
        self
    }
}

/// The answer as one embed.
pub fn embed(answer: &Answer, corpus: &Corpus) -> Embed {
    match answer {
        Answer::Found { best, further, .. } => {
            let p = &corpus.passages[best.passage];
            let doc = corpus.document_of(p);
            let mut e = Embed {
                title: match &p.question {
                    Some(q) => format!("{}: {}", doc.meta.interviewer, q),
                    None => doc.meta.title.clone(),
                },
                description: format!("「{}」", quote(&best.quote)),
                fields: Vec::new(),
                footer: citation(corpus, p),
            };
            if !further.is_empty() {
                e.fields
                    .push((text::SEE_ALSO.to_string(), list(further, corpus)));
            }
            e.fit()
        }
        Answer::Abstained {
            reason,
            suggestions,
            ..
        } => {
            let mut e = Embed {
                title: match reason {
                    Abstention::EmptyQuestion => text::EMPTY,
                    Abstention::NotCovered => text::NOT_COVERED,
                }
                .to_string(),
                ..Embed::default()
            };
            if !suggestions.is_empty() {
                e.fields
                    .push((text::DID_YOU_MEAN.to_string(), list(suggestions, corpus)));
            }
            e.fit()
        }
    }
}

fn list(hits: &[Hit], corpus: &Corpus) -> String {
    let mut s = String::new();
    for h in hits {
        let p = &corpus.passages[h.passage];
        let _ = writeln!(s, "`{}` {}", corpus.display_id(p), escape(&label(p, 60)));
    }
    s.trim_end().to_string()
}

/// The answer as one markdown message of at most [`MAX_CONTENT`] characters.
pub fn message(answer: &Answer, corpus: &Corpus) -> String {
    let e = embed(answer, corpus);
    let mut s = String::new();
    match answer {
        Answer::Found { .. } => {
            let _ = writeln!(s, "> {}", escape(&e.title));
            let _ = writeln!(s, "{}", e.description);
            let _ = writeln!(s, "— *{}*", escape(&e.footer));
        }
        Answer::Abstained { .. } => {
            let _ = writeln!(s, "{}", e.title);
        }
    }
    for (name, value) in &e.fields {
        let _ = write!(s, "\n**{name}**\n{value}\n");
    }
    let s = s.trim_end().to_string();
    if s.chars().count() <= MAX_CONTENT {
        s
    } else {
        shorten(&s, MAX_CONTENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_table() {
        let cases = [
            ("**bold**", "\\*\\*bold\\*\\*"),
            ("@everyone", "@\u{200b}everyone"),
            ("<@123>", "\\<@\u{200b}123\\>"),
            ("李開複:", "李開複:"),
            ("[x](y)", "\\[x\\](y)"),
            ("普通文字。", "普通文字。"),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), want, "{input}");
        }
    }

    #[test]
    fn fit_respects_every_limit() {
        let long = "長".repeat(5000);
        let e = Embed {
            title: long.clone(),
            description: long.clone(),
            fields: vec![(long.clone(), long.clone()); 30],
            footer: long,
        }
        .fit();
        assert!(e.title.chars().count() <= MAX_TITLE);
        assert!(e.description.chars().count() <= MAX_DESCRIPTION);
        assert!(e
            .fields
            .iter()
            .all(|(a, b)| a.chars().count() <= MAX_FIELD_NAME
                && b.chars().count() <= MAX_FIELD_VALUE));
        assert!(e.total_chars() <= MAX_EMBED_TOTAL);
    }
}
