/*!
The corpus file format: Markdown with a front matter, parsed into a [`Document`] and its
[`Passage`]s. Kept apart from the model in `corpus/mod.rs` so that the format can change (or a
second one be added) without touching what the rest of the program sees.
*/

use std::collections::HashMap;
use std::path::Path;

use super::{Document, Meta, Passage, PassageKind};
use crate::error::{Error, Result};

/// The front matter keys a corpus file must or may have.
const REQUIRED_KEYS: [&str; 6] = [
    "title",
    "publication",
    "date",
    "interviewer",
    "interviewee",
    "language",
];
const OPTIONAL_KEYS: [&str; 2] = ["source_url", "id"];

/// Parses one file: front matter, then headings, questions, answers and narrative.
pub fn parse_document(path: &Path, text: &str) -> Result<(Document, Vec<Passage>)> {
    let err = |line: usize, msg: &str| Error::corpus(path, line, msg);
    if text.trim().is_empty() {
        return Err(err(1, "empty file"));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if lines[0].trim_end() != "---" {
        return Err(err(
            1,
            "no front matter: the file must begin with a `---` line",
        ));
    }
    let mut fields: HashMap<&str, String> = HashMap::new();
    let mut close = None;
    for (i, line) in lines.iter().enumerate().skip(1) {
        let n = i + 1;
        if line.trim_end() == "---" {
            close = Some(i);
            break;
        }
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(err(n, "front matter line is not `key: value`"));
        };
        let key = key.trim();
        let Some(&known) = REQUIRED_KEYS
            .iter()
            .chain(OPTIONAL_KEYS.iter())
            .find(|k| **k == key)
        else {
            return Err(err(
                n,
                &format!(
                    "unknown front matter key `{key}` (known: {})",
                    REQUIRED_KEYS
                        .iter()
                        .chain(OPTIONAL_KEYS.iter())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let value = unquote(value.trim());
        if value.is_empty() {
            return Err(err(n, &format!("front matter key `{key}` has no value")));
        }
        if fields.insert(known, value).is_some() {
            return Err(err(n, &format!("front matter key `{key}` appears twice")));
        }
    }
    let Some(close) = close else {
        return Err(err(
            lines.len(),
            "front matter is not closed by a `---` line",
        ));
    };
    for key in REQUIRED_KEYS {
        if !fields.contains_key(key) {
            return Err(err(
                close + 1,
                &format!("front matter lacks the key `{key}`"),
            ));
        }
    }
    let mut take = |k: &str| fields.remove(k);
    let meta = Meta {
        title: take("title").unwrap_or_default(),
        publication: take("publication").unwrap_or_default(),
        date: take("date").unwrap_or_default(),
        interviewer: take("interviewer").unwrap_or_default(),
        interviewee: take("interviewee").unwrap_or_default(),
        language: take("language").unwrap_or_default(),
        source_url: take("source_url"),
    };
    if !is_date(&meta.date) {
        return Err(err(
            front_matter_line(&lines, "date"),
            &format!(
                "date `{}` is no calendar date written YYYY-MM-DD",
                meta.date
            ),
        ));
    }
    let id = match take("id") {
        Some(id)
            if id
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_') =>
        {
            id
        }
        Some(_) => {
            return Err(err(
                front_matter_line(&lines, "id"),
                "id may hold only letters, digits, `-` and `_`",
            ))
        }
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "interview".into()),
    };

    let mut doc = Document {
        id,
        path: path.to_path_buf(),
        meta,
        sections: Vec::new(),
    };
    let passages = parse_body(path, &lines, close + 1, &mut doc)?;
    if passages.is_empty() {
        return Err(err(
            close + 1,
            "the file has no passages after its front matter",
        ));
    }
    Ok((doc, passages))
}

/// A paragraph: consecutive non-blank lines, with the 1-based line of its first line.
struct Paragraph<'a> {
    line: usize,
    lines: Vec<&'a str>,
}

impl Paragraph<'_> {
    fn text(&self) -> String {
        self.lines.join("\n")
    }
}

fn paragraphs<'a>(lines: &[&'a str], start: usize) -> Vec<Paragraph<'a>> {
    let mut out: Vec<Paragraph<'a>> = Vec::new();
    let mut open = false;
    for (i, line) in lines.iter().enumerate().skip(start) {
        let is_heading = heading(line).is_some();
        if line.trim().is_empty() {
            open = false;
        } else if open && !is_heading {
            out.last_mut().expect("open paragraph").lines.push(line);
        } else {
            out.push(Paragraph {
                line: i + 1,
                lines: vec![line],
            });
            open = !is_heading;
        }
    }
    out
}

/// `## Heading` (1 to 6 `#`, then a space) → the heading text.
fn heading(line: &str) -> Option<&str> {
    let hashes = line.len() - line.trim_start_matches('#').len();
    if (1..=6).contains(&hashes) {
        line[hashes..].strip_prefix(' ').map(str::trim)
    } else {
        None
    }
}

/// The text after `label:` or `label：` at the start of a paragraph.
fn after_label<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(label)?;
    rest.strip_prefix(':')
        .or_else(|| rest.strip_prefix('：'))
        .map(|r| r.trim_start_matches([' ', '\u{3000}']))
}

fn parse_body(
    path: &Path,
    lines: &[&str],
    start: usize,
    doc: &mut Document,
) -> Result<Vec<Passage>> {
    let mut passages: Vec<Passage> = Vec::new();
    let (mut q_count, mut p_count) = (0, 0);
    // Index into `passages` of the dialogue passage that answers may still join.
    let mut open_dialogue: Option<usize> = None;
    let blank = |id: String, line: usize, kind, section| Passage {
        id,
        document: 0,
        section,
        line,
        kind,
        question: None,
        answer: String::new(),
        text: String::new(),
    };
    for para in paragraphs(lines, start) {
        let text = para.text();
        let section = doc.sections.len().checked_sub(1);
        if let Some(h) = heading(&text) {
            if h.is_empty() {
                return Err(Error::corpus(path, para.line, "empty heading"));
            }
            doc.sections.push(h.to_string());
            open_dialogue = None;
        } else if let Some(q) = after_label(&text, &doc.meta.interviewer) {
            q_count += 1;
            let mut p = blank(
                format!("Q{q_count}"),
                para.line,
                PassageKind::Dialogue,
                section,
            );
            p.question = Some(q.to_string());
            p.text = text;
            passages.push(p);
            open_dialogue = Some(passages.len() - 1);
        } else if let Some(a) = after_label(&text, &doc.meta.interviewee) {
            let Some(i) = open_dialogue else {
                return Err(Error::corpus(
                    path,
                    para.line,
                    format!("an answer by {} before any question", doc.meta.interviewee),
                ));
            };
            let p = &mut passages[i];
            push_paragraph(&mut p.answer, a);
            p.text.push_str("\n\n");
            p.text.push_str(&text);
        } else if let Some(i) = open_dialogue {
            let p = &mut passages[i];
            if p.answer.is_empty() {
                return Err(Error::corpus(
                    path,
                    para.line,
                    format!(
                        "a paragraph after question {} that is not labelled `{}:`",
                        p.id, doc.meta.interviewee
                    ),
                ));
            }
            push_paragraph(&mut p.answer, &text);
            p.text.push_str("\n\n");
            p.text.push_str(&text);
        } else {
            p_count += 1;
            let mut p = blank(
                format!("P{p_count}"),
                para.line,
                PassageKind::Narrative,
                section,
            );
            p.answer = text.clone();
            p.text = text;
            passages.push(p);
        }
    }
    if let Some(p) = passages
        .iter()
        .find(|p| p.kind == PassageKind::Dialogue && p.answer.is_empty())
    {
        return Err(Error::corpus(
            path,
            p.line,
            format!("question {} has no answer", p.id),
        ));
    }
    Ok(passages)
}

fn push_paragraph(answer: &mut String, paragraph: &str) {
    if !answer.is_empty() {
        answer.push_str("\n\n");
    }
    answer.push_str(paragraph);
}

fn unquote(v: &str) -> String {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v[1..v.len() - 1].to_string();
        }
    }
    v.to_string()
}

/// Whether `s` is a date of the Gregorian calendar written `YYYY-MM-DD`: citations show it
/// as written, so `2025-13-07` or `2025-02-30` must be caught here, not by a reader.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return false;
    }
    let number = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn front_matter_line(lines: &[&str], key: &str) -> usize {
    lines
        .iter()
        .position(|l| l.split_once(':').is_some_and(|(k, _)| k.trim() == key))
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Corpus;

    const HEAD: &str = "---\ntitle: T\npublication: 《P》\ndate: 2025-01-07\ninterviewer: 《P》\ninterviewee: 李\nlanguage: zh-Hant\n---\n";

    fn parse(body: &str) -> Result<(Document, Vec<Passage>)> {
        parse_document(Path::new("x.md"), &format!("{HEAD}{body}"))
    }

    #[test]
    fn good_files() {
        let (doc, ps) = parse(
            "\n導語一。\n\n導語二。\n\n## 一節\n\n《P》:問一?\n\n李:答一。\n\n續答。\n\n《P》：問二?\n\n李：答二。\n\n## 二節\n\n尾聲。\n",
        )
        .unwrap();
        assert_eq!(doc.sections, ["一節", "二節"]);
        let ids: Vec<_> = ps.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["P1", "P2", "Q1", "Q2", "P3"]);
        assert_eq!(ps[2].question.as_deref(), Some("問一?"));
        assert_eq!(ps[2].answer, "答一。\n\n續答。");
        assert_eq!(ps[2].text, "《P》:問一?\n\n李:答一。\n\n續答。");
        assert_eq!(ps[2].section, Some(0));
        assert_eq!(ps[2].line, 16);
        assert_eq!(ps[3].answer, "答二。");
        assert_eq!(ps[0].section, None);
        assert_eq!(ps[4].section, Some(1));
        assert_eq!(ps[4].kind, PassageKind::Narrative);
    }

    #[test]
    fn broken_files_name_the_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty file"),
            ("正文\n", 1, "no front matter"),
            ("---\ntitle: T\n", 3, "not closed"),
            (
                "---\ntitle: T\n---\n正文\n",
                3,
                "lacks the key `publication`",
            ),
            (
                "---\ntitle: T\ncolour: red\n---\n",
                3,
                "unknown front matter key `colour`",
            ),
            ("---\ntitle: T\ntitle: U\n---\n", 3, "appears twice"),
            (
                &HEAD.replace("2025-01-07", "2025-13-07"),
                4,
                "`2025-13-07` is no calendar date",
            ),
            (
                &HEAD.replace("2025-01-07", "2025-02-30"),
                4,
                "`2025-02-30` is no calendar date",
            ),
            (
                &HEAD.replace("2025-01-07", "2023-02-29"),
                4,
                "no calendar date",
            ),
            (
                &HEAD.replace("2025-01-07", "2025-1-7"),
                4,
                "no calendar date",
            ),
            (
                &HEAD.replace("2025-01-07", "2025-04-00"),
                4,
                "no calendar date",
            ),
        ];
        for (text, line, msg) in cases {
            let e = parse_document(Path::new("x.md"), text)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(&format!("x.md:{line}: ")), "{text:?}: {e}");
            assert!(e.contains(msg), "{text:?}: {e}");
        }
        let body_cases: &[(&str, usize, &str)] = &[
            ("李:先答。\n", 9, "before any question"),
            ("《P》:問?\n\n## 節\n", 9, "has no answer"),
            ("《P》:問?\n\n旁白\n", 11, "not labelled"),
            ("\n\n", 8, "no passages"),
        ];
        for (body, line, msg) in body_cases {
            let e = parse(body).unwrap_err().to_string();
            assert!(e.starts_with(&format!("x.md:{line}: ")), "{body:?}: {e}");
            assert!(e.contains(msg), "{body:?}: {e}");
        }
    }

    #[test]
    fn dates_are_calendar_dates() {
        for good in ["2025-01-07", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "2025-13-07",
            "2025-02-30",
            "2023-02-29",
            "1900-02-29",
            "2025-04-31",
            "2025-00-10",
            "2025-01-00",
            "2025-1-07",
            "2025/01/07",
            "２０２５-01-07",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn invalid_utf8_and_duplicate_ids() {
        let mut c = Corpus::default();
        let mut bytes = format!("{HEAD}正文\n\n").into_bytes();
        bytes.extend_from_slice(&[0xff, b'\n']);
        let e = c
            .add_file(Path::new("b.md"), &bytes)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "b.md:11: not valid UTF-8");
        let good = format!("{HEAD}正文\n");
        c.add_file(Path::new("a/one.md"), good.as_bytes()).unwrap();
        let e = c
            .add_file(Path::new("b/one.md"), good.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("duplicate document id `one`"), "{e}");
    }

    #[test]
    fn find_by_typed_id() {
        let mut c = Corpus::default();
        let good = format!("{HEAD}正文\n\n《P》:問?\n\n李:答。\n");
        c.add_file(Path::new("one.md"), good.as_bytes()).unwrap();
        assert_eq!(c.find(" q1 "), Some(1));
        assert_eq!(c.find("one/P1"), Some(0));
        assert_eq!(c.find("Q9"), None);
        c.add_file(Path::new("two.md"), good.as_bytes()).unwrap();
        assert_eq!(c.find("Q1"), None, "ambiguous across documents");
        assert_eq!(c.find("two/Q1"), Some(3));
        assert_eq!(c.display_id(&c.passages[3]), "two/Q1");
    }

    #[test]
    fn the_real_corpus_parses() {
        let c =
            crate::load::corpus(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))).unwrap();
        let q = c
            .passages
            .iter()
            .filter(|p| p.kind == PassageKind::Dialogue)
            .count();
        let n = c.passages.len() - q;
        assert_eq!((q, n), (19, 17));
        assert_eq!(c.documents[0].sections.len(), 3);
    }
}
