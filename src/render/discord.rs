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
/// Discord's limit on an embed's author name.
pub const MAX_AUTHOR: usize = 256;
/// Discord's limit on all embeds of one message together.
pub const MAX_MESSAGE_EMBEDS_TOTAL: usize = 6000;

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
    /// The small line above the title (≤ 256, shown as written: no markdown there); answers
    /// carry the question as asked ([`asked`]).
    pub author: String,
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
        [&self.author, &self.title, &self.description, &self.footer]
            .into_iter()
            .chain(self.fields.iter().flat_map(|(a, b)| [a, b]))
            .map(String::as_str)
    }

    /// The embed with `f` applied to every text (e.g. a script conversion), cut to the limits.
    pub fn map(self, f: impl Fn(&str) -> String) -> Embed {
        Embed {
            author: f(&self.author),
            title: f(&self.title),
            description: f(&self.description),
            fields: self.fields.iter().map(|(a, b)| (f(a), f(b))).collect(),
            footer: f(&self.footer),
        }
        .fit()
    }

    /// Cuts every part to its limit (markdown-safe: cuts never split an escape or bold pair
    /// in a way Discord rejects; at worst a bold run loses its closing marker).
    pub fn fit(mut self) -> Embed {
        fit_in_place(&mut self.author, MAX_AUTHOR);
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
                author: String::new(),
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
                author: String::new(),
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
        author: String::new(),
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

/// What starts the line above an answer that shows the question as asked.
pub const ASKED: &str = "❓ ";

/// The line above an answer: the question as asked, on one line (author names show text as
/// written, so nothing is escaped; Discord parses no mentions there).
pub fn asked(question: &str) -> String {
    let one_line = question.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return String::new();
    }
    format!(
        "{ASKED}{}",
        shorten(&one_line, MAX_AUTHOR - ASKED.chars().count())
    )
}

/// The question an answer's [`asked`] line shows, read back from it.
pub fn question_asked(author: &str) -> Option<&str> {
    author.strip_prefix(ASKED).filter(|q| !q.trim().is_empty())
}

/// Text in Simplified script, character by character (what the "简体" button shows; the
/// public message keeps the verbatim original).
pub fn simplified(text: &str) -> String {
    fast2s::convert(text)
}

/// Said above a quote converted to Simplified script.
pub const CONVERTED: &str = "简体 · 由原文（繁体）逐字转换，仅供阅读；原话以公开消息为准。Converted to Simplified script by machine, character by character: the public message above is the verbatim quote.";

/// Why a passage was chosen: the terms of the question it holds and the evidence the decision
/// used.
pub fn why(
    corpus: &Corpus,
    passage: usize,
    question: &str,
    follow_up: bool,
    ev: &crate::retrieval::evidence::PassageEvidence,
) -> Embed {
    let p = &corpus.passages[passage];
    let id = corpus.display_id(p);
    let pct = |x: f32| format!("{:.0}%", 100.0 * x);
    let mut matched = Vec::new();
    let mut missing = Vec::new();
    for c in &ev.concepts {
        match &c.matched {
            Some(m) if *m == c.surface => {
                matched.push(format!("{} ({})", escape(&c.surface), pct(c.share)))
            }
            Some(m) => matched.push(format!(
                "{} → {} ({})",
                escape(&c.surface),
                escape(m),
                pct(c.share)
            )),
            None => missing.push(format!("{} ({})", escape(&c.surface), pct(c.share))),
        }
    }
    let none = "—".to_string();
    let list = |v: &[String]| {
        if v.is_empty() {
            none.clone()
        } else {
            v.join(" · ")
        }
    };
    let mut description = format!(
        "**問 · Asked:** {}\n**對上的詞 · Matched:** {}\n**沒對上 · Not in it:** {}",
        escape(&shorten(question, 300)),
        list(&matched),
        list(&missing)
    );
    if follow_up {
        description.push_str("\n*A follow-up: it was read together with the answer before it; the words above are its own. 這是追問,是接著上一個回答來理解的;上面列的是它本身的詞。*");
    } else if ev.concepts.is_empty() {
        description.push_str("\nThe question holds no word to look for. 問題裡沒有可以查找的詞。");
    }
    let rank = match ev.rank {
        Some(r) => format!(
            "#{} of {} candidates · 第 {} 名(共 {} 段)",
            r + 1,
            ev.candidates,
            r + 1,
            ev.candidates
        ),
        None => "not among the candidates · 不在候選段落中".to_string(),
    };
    let evidence = format!(
        "coverage 覆蓋 {} (an answer needs {} · 回答至少需要 {})\nwords together 詞語相連 {}\nscore 分數 {:.2} · {rank}",
        pct(ev.coverage),
        pct(ev.min_coverage),
        pct(ev.min_coverage),
        pct(ev.bigram_coverage),
        ev.score,
    );
    Embed {
        author: String::new(),
        title: format!("為什麼是 {id}? · Why this passage?"),
        description,
        fields: vec![("依據 · Evidence".to_string(), evidence)],
        footer: citation(corpus, p),
    }
    .fit()
}

/// Embeds grouped into messages: at most 10 embeds and [`MAX_MESSAGE_EMBEDS_TOTAL`] characters
/// each, in order (a long passage takes several messages).
pub fn group_for_messages(embeds: Vec<Embed>) -> Vec<Vec<Embed>> {
    let mut out: Vec<Vec<Embed>> = Vec::new();
    let mut total = 0;
    for e in embeds {
        let n = e.total_chars();
        match out.last_mut() {
            Some(g) if g.len() < 10 && total + n <= MAX_MESSAGE_EMBEDS_TOTAL => {
                total += n;
                g.push(e);
            }
            _ => {
                total = n;
                out.push(vec![e]);
            }
        }
    }
    out
}

/// Short texts of the Discord front end, in both languages.
pub mod notice {
    /// Said when a slash command comes too soon after the user's last ones.
    pub fn wait(secs: u64) -> String {
        format!("Please wait {secs} s before asking again. 請稍候 {secs} 秒再提問。")
    }

    /// Said when a user's waiting mentions fill the queue.
    pub fn queue_full(waiting: usize, secs: u64) -> String {
        format!(
            "⏳ {waiting} of your questions are waiting: ask again in {secs} s. 你已有 {waiting} 個問題在排隊,請 {secs} 秒後再問。"
        )
    }

    /// Said instead of quoting a passage again that was quoted in the channel moments ago.
    pub fn duplicate(passage_id: &str, link: &str, minutes_ago: u64) -> String {
        let when = if minutes_ago == 0 {
            "just now · 剛才".to_string()
        } else {
            format!("{minutes_ago} min ago · {minutes_ago} 分鐘前")
        };
        format!("↑ `{passage_id}` was quoted here {when}: {link}\n這段剛才已經在這裡引用過了。")
    }

    /// The bot's first message in a thread it opened.
    pub const THREAD_INTRO: &str = "💬 Ask follow-up questions here: end them with ? or mention me, and I read each one in the context of my last answer. 在這裡追問:以問號結尾或 @ 我,我會接著上一個回答來答。";

    /// Said when `/ask thread:true` cannot open a thread where it was used.
    pub const NO_THREAD_HERE: &str = "No thread here: threads open on public answers in server channels. 這裡不能開討論串:只有伺服器頻道裡的公開回答可以。";

    /// Said when a thread is already open on the answer.
    pub fn thread_exists(link: &str) -> String {
        format!("A thread is already open on this answer: {link} 這個回答已經有討論串了。")
    }

    /// Said to someone pressing a button the bot no longer knows.
    pub const UNKNOWN_BUTTON: &str =
        "This button no longer works; ask again. 這個按鈕已失效,請重新提問。";

    /// Said when a button names a passage the interview no longer has (after a reload).
    pub fn no_passage(id: &str) -> String {
        format!("Passage `{id}` is no longer in the interview. 訪談裡已經沒有這個段落。")
    }

    /// Said when there is no passage before or after.
    pub const NO_NEIGHBOUR: &str =
        "No passage there: this is the first or last one. 沒有更前或更後的段落了。";

    /// Said when the message command is used on a message without text.
    pub const NO_TEXT: &str = "That message has no text to ask about. 這則訊息沒有可以提問的文字。";
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
    fn asked_line_reads_back_and_fits() {
        assert_eq!(asked("  零一萬物\n賣卡了嗎? "), "❓ 零一萬物 賣卡了嗎?");
        assert_eq!(asked("   "), "");
        assert_eq!(question_asked(&asked("PopAi是什么?")), Some("PopAi是什么?"));
        assert_eq!(question_asked("someone else's author"), None);
        let long = asked(&"問".repeat(400));
        assert_eq!(long.chars().count(), MAX_AUTHOR);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn simplified_keeps_every_character_in_place() {
        let t = "「**卡**的事情」— *李開複, 《智能湧現》 · Q5*";
        let s = simplified(t);
        assert_eq!(s, "「**卡**的事情」— *李开复, 《智能涌现》 · Q5*");
        assert_eq!(s.chars().count(), t.chars().count());
        let e = Embed {
            title: "傳聞".into(),
            footer: "智能湧現".into(),
            ..Embed::default()
        }
        .map(simplified);
        assert_eq!((e.title.as_str(), e.footer.as_str()), ("传闻", "智能涌现"));
    }

    #[test]
    fn why_shows_matched_and_missing_terms_within_limits() {
        use crate::retrieval::evidence::{ConceptEvidence, PassageEvidence};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let corpus = crate::load::corpus(&dir).unwrap();
        let i = corpus.find("Q5").unwrap();
        let concept = |surface: &str, share: f32, matched: Option<&str>| ConceptEvidence {
            surface: surface.into(),
            share,
            matched: matched.map(str::to_string),
        };
        let ev = PassageEvidence {
            rank: Some(0),
            candidates: 16,
            score: 0.91,
            coverage: 0.75,
            bigram_coverage: 0.5,
            min_coverage: 0.4,
            concepts: vec![
                concept("gpu", 0.5, Some("卡")),
                concept("阿里", 0.25, Some("阿里")),
                concept("*估值*", 0.25, None),
            ],
        };
        let e = why(&corpus, i, "GPU 賣給阿里? @everyone", false, &ev);
        assert!(e.title.contains("Q5"), "{e:?}");
        assert!(
            e.description.contains("gpu → 卡 (50%) · 阿里 (25%)"),
            "{}",
            e.description
        );
        assert!(
            e.description.contains("\\*估值\\* (25%)"),
            "escaped: {}",
            e.description
        );
        assert!(
            e.description.contains("@\u{200b}everyone"),
            "{}",
            e.description
        );
        let evidence = &e.fields[0].1;
        assert!(
            evidence.contains("75%") && evidence.contains("40%") && evidence.contains("#1 of 16")
        );
        assert!(e.footer.ends_with("· Q5"));
        let follow = why(
            &corpus,
            i,
            "他還說了什麼?",
            true,
            &PassageEvidence {
                rank: None,
                concepts: vec![],
                ..ev
            },
        );
        assert!(
            follow.description.contains("A follow-up"),
            "{}",
            follow.description
        );
        assert!(follow.fields[0].1.contains("not among the candidates"));
    }

    #[test]
    fn embeds_are_grouped_within_a_messages_total() {
        let page = |n: usize| Embed {
            description: "字".repeat(n),
            ..Embed::default()
        };
        let groups = group_for_messages(vec![page(3000), page(2900), page(3000), page(10)]);
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2]);
        for g in &groups {
            let total: usize = g.iter().map(Embed::total_chars).sum();
            assert!(total <= MAX_MESSAGE_EMBEDS_TOTAL);
        }
        assert!(group_for_messages(Vec::new()).is_empty());
        assert_eq!(
            group_for_messages(vec![page(1); 11]).len(),
            2,
            "ten embeds at most"
        );
    }

    #[test]
    fn notices_name_the_numbers() {
        assert!(notice::wait(7).contains("7 s") && notice::wait(7).contains("7 秒"));
        let q = notice::queue_full(3, 25);
        assert!(q.starts_with('⏳') && q.contains("25 s") && q.contains('3'));
        let d = notice::duplicate("Q5", "https://discord.com/channels/1/2/3", 4);
        assert!(d.contains("`Q5`") && d.contains("4 min ago") && d.contains("/1/2/3"));
        assert!(notice::duplicate("Q5", "x", 0).contains("just now"));
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
            author: long.clone(),
            title: long.clone(),
            description: long.clone(),
            fields: vec![(long.clone(), long.clone()); 30],
            footer: long,
        }
        .fit();
        assert!(e.author.chars().count() <= MAX_AUTHOR);
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
