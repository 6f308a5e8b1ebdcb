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
use crate::answer::{Answer, Hit, Quote};
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
    escape_into(&mut out, s);
    out
}

/// [`escape`], appending to `out`. Every character it changes is ASCII, so runs of bytes
/// between them are copied whole.
fn escape_into(out: &mut String, s: &str) {
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let replacement = match b {
            b'\\' | b'*' | b'_' | b'~' | b'`' | b'|' | b'>' | b'#' | b'[' | b']' | b'<' => None,
            b'@' => Some("@\u{200b}"),
            _ => continue,
        };
        out.push_str(&s[run..i]);
        match replacement {
            Some(r) => out.push_str(r),
            None => {
                out.push('\\');
                out.push(char::from(b));
            }
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
}

/// The quote in Discord markdown: escaped, matched terms in bold, `…` at cuts.
pub fn quote(q: &Quote) -> String {
    let mut s = String::new();
    write_quote(&mut s, q);
    s
}

fn write_quote(out: &mut String, q: &Quote) {
    q.write(out, escape_into, |out, m| {
        out.push_str("**");
        escape_into(out, m);
        out.push_str("**");
    });
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
        self.parts().map(|s| s.chars().count()).sum()
    }

    /// Every text that counts against the total.
    fn parts(&self) -> impl Iterator<Item = &str> {
        [&self.title, &self.description, &self.footer]
            .into_iter()
            .chain(self.fields.iter().flat_map(|(a, b)| [a, b]))
            .map(String::as_str)
    }

    /// Cuts every part to its limit (markdown-safe: cuts never split an escape or bold pair
    /// in a way Discord rejects; at worst a bold run loses its closing marker).
    pub fn fit(mut self) -> Embed {
        fit_in_place(&mut self.title, MAX_TITLE);
        fit_in_place(&mut self.description, MAX_DESCRIPTION);
        fit_in_place(&mut self.footer, MAX_FOOTER);
        self.fields.truncate(25);
        for (a, b) in &mut self.fields {
            fit_in_place(a, MAX_FIELD_NAME);
            fit_in_place(b, MAX_FIELD_VALUE);
        }
        // No more bytes than the total allows characters: it fits, uncounted.
        if self.parts().map(str::len).sum::<usize>() <= MAX_EMBED_TOTAL {
            return self;
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
                description: {
                    let mut d = String::from("「");
                    write_quote(&mut d, &best.quote);
                    d.push('」');
                    d
                },
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
                title: text::abstention(*reason).to_string(),
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

/// [`shorten`] without copying text that fits.
fn fit_in_place(s: &mut String, max_chars: usize) {
    // No more bytes than the limit allows characters: it fits, uncounted.
    if s.len() > max_chars && s.chars().count() > max_chars {
        *s = shorten(s, max_chars);
    }
}

fn list(hits: &[Hit], corpus: &Corpus) -> String {
    let mut s = String::new();
    for h in hits {
        let p = &corpus.passages[h.passage];
        s.push('`');
        s.push_str(&corpus.display_id(p));
        s.push_str("` ");
        escape_into(&mut s, &label(p, 60));
        s.push('\n');
    }
    s.truncate(s.trim_end().len());
    s
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

/// A passage in full, as embeds of at most [`PAGE_CHARS`] characters of text each (a long
/// passage takes several pages); the citation is the footer of each.
pub fn passage_pages(corpus: &Corpus, index: usize) -> Vec<Embed> {
    let p = &corpus.passages[index];
    let title = match &p.question {
        Some(q) => format!("{} · {}", corpus.display_id(p), q),
        None => format!("{} · {}", corpus.display_id(p), label(p, 60)),
    };
    let footer = citation(corpus, p);
    let chunks = page_chunks(&p.text);
    let pages = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            Embed {
                title: if pages > 1 {
                    format!("{title} ({}/{pages})", i + 1)
                } else {
                    title.clone()
                },
                description: escape(&chunk),
                fields: Vec::new(),
                footer: footer.clone(),
            }
            .fit()
        })
        .collect()
}

/// Characters of passage text per page of `/quote` (escaping may add a little).
pub const PAGE_CHARS: usize = 3000;

/// The passage text cut into pages whose escaped form fits an embed description: pages of
/// [`PAGE_CHARS`], and a page full of markdown characters (escaping doubles each) cut again.
fn page_chunks(text: &str) -> Vec<String> {
    fn push_fitting(out: &mut Vec<String>, chunk: String, max: usize) {
        if max < 2 || escape(&chunk).chars().count() <= MAX_DESCRIPTION {
            out.push(chunk);
        } else {
            for part in split_text(&chunk, max / 2) {
                push_fitting(out, part, max / 2);
            }
        }
    }
    let mut out = Vec::new();
    for chunk in split_text(text, PAGE_CHARS) {
        push_fitting(&mut out, chunk, PAGE_CHARS);
    }
    out
}

/// Splits text into chunks of at most `max` characters, at paragraph or sentence ends where
/// possible. Every chunk is a verbatim slice; together they are the whole text.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    // At least one character per chunk, so the loop always moves on.
    let max = max.max(1);
    let mut out = Vec::new();
    let mut rest = text;
    while rest.chars().count() > max {
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(b, _)| b);
        let head = &rest[..limit];
        let cut = head
            .rfind("\n\n")
            .map(|i| i + 2)
            .or_else(|| head.rfind('。').map(|i| i + '。'.len_utf8()))
            .filter(|&i| i > 0)
            .unwrap_or(limit);
        out.push(rest[..cut].to_string());
        rest = &rest[cut..];
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// The sections and their questions, as embeds within Discord's limits.
pub fn topics(corpus: &Corpus) -> Vec<Embed> {
    let mut embeds = Vec::new();
    for (d, doc) in corpus.documents.iter().enumerate() {
        let mut e = Embed {
            title: doc.meta.title.clone(),
            footer: format!("{} · {}", doc.meta.publication, doc.meta.date),
            ..Embed::default()
        };
        let mut current: Option<Option<usize>> = None;
        for p in corpus.passages.iter().filter(|p| p.document == d) {
            if current != Some(p.section) {
                current = Some(p.section);
                let name = corpus.section_of(p).unwrap_or(text::INTRODUCTION);
                e.fields.push((name.to_string(), String::new()));
            }
            let line = format!("`{}` {}\n", corpus.display_id(p), escape(&label(p, 40)));
            let needs_new = e
                .fields
                .last()
                .is_none_or(|(_, v)| v.chars().count() + line.chars().count() > MAX_FIELD_VALUE);
            if needs_new {
                let name = e.fields.last().map_or_else(String::new, |(n, _)| n.clone());
                e.fields.push((name, String::new()));
            }
            if let Some((_, v)) = e.fields.last_mut() {
                v.push_str(&line);
            }
        }
        e.fields.retain(|(_, v)| !v.is_empty());
        // Keep each embed under the total limit: move overflowing fields to a new embed.
        let mut pending = std::mem::take(&mut e.fields);
        loop {
            let mut take = 0;
            let mut total = e.total_chars();
            while take < pending.len() && take < 25 {
                let (a, b) = &pending[take];
                let n = a.chars().count() + b.chars().count();
                if total + n > MAX_EMBED_TOTAL {
                    break;
                }
                total += n;
                take += 1;
            }
            let rest = pending.split_off(take.max(1).min(pending.len()));
            e.fields = pending;
            embeds.push(e.clone().fit());
            if rest.is_empty() {
                break;
            }
            pending = rest;
            e.title = format!("{} (…)", doc.meta.title);
        }
    }
    embeds
}

/// Search results: one line per passage with its id, section and first line.
pub fn search(keywords: &str, hits: &[Hit], corpus: &Corpus) -> Embed {
    let mut description = String::new();
    for h in hits {
        let p = &corpus.passages[h.passage];
        let section = corpus.section_of(p).unwrap_or(text::INTRODUCTION);
        let _ = writeln!(
            description,
            "`{}` · {} — {}",
            corpus.display_id(p),
            escape(section),
            escape(&label(p, 50))
        );
    }
    if hits.is_empty() {
        description = text::NO_MATCH.to_string();
    }
    Embed {
        title: format!("🔎 {}", shorten(&escape(keywords), 200)),
        description,
        ..Embed::default()
    }
    .fit()
}

/// What `/about` says: the source, the corpus size, the version, how answers are made.
pub fn about(corpus: &Corpus, version: &str) -> Embed {
    let mut fields = Vec::new();
    for doc in &corpus.documents {
        let m = &doc.meta;
        let mut v = format!("{} · {}", m.publication, m.date);
        if let Some(url) = &m.source_url {
            v.push_str(&format!("\n{url}"));
        }
        fields.push((escape(&m.title), v));
    }
    Embed {
        title: format!("interview-bot {version}"),
        description: format!(
            "{}\n\n{} passages in {} interview(s).",
            text::HOW_IT_ANSWERS,
            corpus.passages.len(),
            corpus.documents.len()
        ),
        fields,
        footer: text::ABOUT_FOOTER.to_string(),
    }
    .fit()
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

    fn within_limits(e: &Embed) -> bool {
        e.title.chars().count() <= MAX_TITLE
            && e.description.chars().count() <= MAX_DESCRIPTION
            && e.footer.chars().count() <= MAX_FOOTER
            && e.fields.len() <= 25
            && e.fields.iter().all(|(a, b)| {
                a.chars().count() <= MAX_FIELD_NAME && b.chars().count() <= MAX_FIELD_VALUE
            })
            && e.total_chars() <= MAX_EMBED_TOTAL
    }

    #[test]
    fn every_passage_topics_and_about_fit_discord() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let mut corpus = crate::load::corpus(&dir).unwrap();
        // A passage far longer than any real one, to force pages.
        let mut long = corpus.passages[0].clone();
        long.text = "很長的段落。".repeat(2000);
        long.answer = long.text.clone();
        corpus.passages.push(long);
        for i in 0..corpus.passages.len() {
            let pages = passage_pages(&corpus, i);
            assert!(pages.iter().all(within_limits), "{i}");
            let text: String = pages.iter().map(|p| p.description.clone()).collect();
            assert_eq!(
                text,
                escape(&corpus.passages[i].text),
                "pages keep the whole passage"
            );
        }
        assert!(passage_pages(&corpus, corpus.passages.len() - 1).len() > 1);
        // Text that escaping doubles still fits, and is still whole.
        for hostile in ["*", "@", "<@1>_"] {
            let mut p = corpus.passages[0].clone();
            p.text = hostile.repeat(9000 / hostile.len());
            corpus.passages.push(p);
            let i = corpus.passages.len() - 1;
            let pages = passage_pages(&corpus, i);
            assert!(pages.iter().all(within_limits), "{hostile}");
            let text: String = pages.iter().map(|p| p.description.clone()).collect();
            assert_eq!(text, escape(&corpus.passages[i].text), "{hostile}");
        }
        assert!(topics(&corpus).iter().all(within_limits));
        assert!(within_limits(&about(&corpus, "0.1.0")));
    }

    #[test]
    fn split_text_keeps_every_character() {
        let text = format!("{}。\n\n{}", "甲".repeat(50), "乙".repeat(120));
        for max in [10, 60, 100, 1000] {
            let parts = split_text(&text, max);
            assert_eq!(parts.concat(), text, "max {max}");
            assert!(
                parts.iter().all(|p| p.chars().count() <= max),
                "max {max}: {parts:?}"
            );
        }
        assert_eq!(split_text("", 5), [""]);
        assert_eq!(split_text("甲乙", 0), ["甲", "乙"]);
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
