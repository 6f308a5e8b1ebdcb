/*!
The buttons under an answer: their custom ids and their layout, pure.

A custom id is `kind:field:…:passage`: a short kind, then what the press needs, the passage id
always last. Everything a press needs is in it (the passage, and for the buttons that behave
differently for the asker, the asker), so buttons keep working after a restart and no state
is kept per message. [`super::components::press`] routes a press by the kind, the part before
the first `:`, so another kind is one more match arm there.

| kind | fields | press |
|---|---|---|
| `prev`, `next` | asker, passage | the passage before / after: the asker's press edits the answer in place, anyone else gets it privately |
| `full` | passage | the passage in full, privately |
| `hans` | passage | the message converted to Simplified script, privately, marked as converted |
| `why` | passage | the matched terms and the evidence, privately |
| `thread` | passage | opens a thread on the answer |
| `post` | asker, passage | posts a private answer (from the message menu) publicly |
| `fb` | (the feedback buttons 👍 / 👎 of the community issue) | |

Rows: the first holds ◀ ▶ 全文 简体 為什麼 (five, Discord's most); the second holds the
buttons about the message itself (討論串 or 公開) and leaves room for 👍 / 👎.
*/

/// Discord's limit on a custom id.
pub const MAX_CUSTOM_ID: usize = 100;
/// Discord's limit on buttons in a row.
pub const MAX_PER_ROW: usize = 5;

/// The passage before.
pub const PREV: &str = "prev";
/// The passage after.
pub const NEXT: &str = "next";
/// The passage in full.
pub const FULL: &str = "full";
/// The message in Simplified script.
pub const HANS: &str = "hans";
/// Why this passage.
pub const WHY: &str = "why";
/// Discuss in a thread.
pub const THREAD: &str = "thread";
/// Post a private answer publicly.
pub const POST: &str = "post";

/// Kinds whose last field is a passage id (what [`passage_in`] reads back).
const WITH_PASSAGE: &[&str] = &[PREV, NEXT, FULL, HANS, WHY, THREAD, POST];

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The main action (blue).
    Primary,
    /// Everything else (grey).
    Secondary,
}

/// One button, before it becomes serenity's builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// `kind:field:…` (≤ [`MAX_CUSTOM_ID`] characters).
    pub custom_id: String,
    /// The text on it.
    pub label: &'static str,
    /// Its colour.
    pub style: Style,
    /// Shown but not pressable (◀ on the first passage).
    pub disabled: bool,
}

/// Which message-level buttons an answer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// "Discuss in a thread": a public answer in a server channel that is not a thread.
    pub thread: bool,
    /// "Post": a private answer that can be made public.
    pub post: bool,
}

/// Whether there is a passage before and after the one shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Neighbours {
    /// A passage before it in the same interview.
    pub before: bool,
    /// A passage after it in the same interview.
    pub after: bool,
}

/// `kind:field:field…`.
pub fn custom_id(kind: &str, fields: &[&str]) -> String {
    let mut s = String::from(kind);
    for f in fields {
        s.push(':');
        s.push_str(f);
    }
    s
}

/// A custom id's kind and the rest after the first `:` (empty when there is none).
pub fn split(custom_id: &str) -> (&str, &str) {
    custom_id.split_once(':').unwrap_or((custom_id, ""))
}

/// `asker:passage`, the fields of [`PREV`], [`NEXT`] and [`POST`].
pub fn asker_and_passage(rest: &str) -> Option<(u64, &str)> {
    let (asker, passage) = rest.split_once(':')?;
    let asker = asker.parse().ok()?;
    (!passage.is_empty()).then_some((asker, passage))
}

/// The passage id a custom id of this bot carries, if any.
pub fn passage_in(custom_id: &str) -> Option<&str> {
    let (kind, rest) = split(custom_id);
    if !WITH_PASSAGE.contains(&kind) {
        return None;
    }
    rest.rsplit(':').next().filter(|p| !p.is_empty())
}

/// The buttons under an answer quoting `passage` for `asker`, as rows. No rows when the passage
/// id cannot be carried (it holds a `:`, or an id would be too long): better no buttons than
/// broken ones.
pub fn answer_rows(
    passage: &str,
    asker: u64,
    neighbours: Neighbours,
    layout: Layout,
) -> Vec<Vec<Button>> {
    if passage.is_empty() || passage.contains(':') {
        return Vec::new();
    }
    let who = asker.to_string();
    let button = |kind: &str, fields: &[&str], label, disabled| Button {
        custom_id: custom_id(kind, fields),
        label,
        style: Style::Secondary,
        disabled,
    };
    let first = vec![
        button(PREV, &[&who, passage], "◀", !neighbours.before),
        button(NEXT, &[&who, passage], "▶", !neighbours.after),
        button(FULL, &[passage], "全文 · Full passage", false),
        button(HANS, &[passage], "简体", false),
        button(WHY, &[passage], "為什麼? · Why this passage?", false),
    ];
    // The buttons about the message itself. The feedback buttons (👍 / 👎, custom ids
    // `fb:…`) join this row.
    let mut second = Vec::new();
    if layout.thread {
        second.push(button(
            THREAD,
            &[passage],
            "討論串 · Discuss in a thread",
            false,
        ));
    }
    if layout.post {
        second.push(Button {
            style: Style::Primary,
            ..button(POST, &[&who, passage], "公開 · Post", false)
        });
    }
    let mut rows = vec![first];
    if !second.is_empty() {
        rows.push(second);
    }
    let fits = rows
        .iter()
        .flatten()
        .all(|b| b.custom_id.chars().count() <= MAX_CUSTOM_ID);
    if fits {
        rows
    } else {
        Vec::new()
    }
}

/// The one button under a short notice about a passage (the link to an earlier answer): the
/// passage in full. It also lets a reply to the notice be read in that passage's context.
pub fn link_rows(passage: &str) -> Vec<Vec<Button>> {
    let id = custom_id(FULL, &[passage]);
    if passage.is_empty() || passage.contains(':') || id.chars().count() > MAX_CUSTOM_ID {
        return Vec::new();
    }
    vec![vec![Button {
        custom_id: id,
        label: "全文 · Full passage",
        style: Style::Secondary,
        disabled: false,
    }]]
}

/// The passage before (`forward` false) or after `index` in the same interview.
pub fn neighbour(corpus: &crate::corpus::Corpus, index: usize, forward: bool) -> Option<usize> {
    let other = if forward {
        index.checked_add(1)?
    } else {
        index.checked_sub(1)?
    };
    let here = corpus.passages.get(index)?;
    corpus
        .passages
        .get(other)
        .filter(|p| p.document == here.document)
        .map(|_| other)
}

/// Whether `index` has a passage before and after it.
pub fn neighbours(corpus: &crate::corpus::Corpus, index: usize) -> Neighbours {
    Neighbours {
        before: neighbour(corpus, index, false).is_some(),
        after: neighbour(corpus, index, true).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_reads_back_and_fits() {
        let asker = u64::MAX;
        let rows = answer_rows(
            "Q5",
            asker,
            Neighbours {
                before: true,
                after: false,
            },
            Layout {
                thread: true,
                post: true,
            },
        );
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.len() <= MAX_PER_ROW));
        assert!(
            rows[1].len() + 2 <= MAX_PER_ROW,
            "room for 👍 and 👎 in the second row"
        );
        let ids: Vec<&str> = rows
            .iter()
            .flatten()
            .map(|b| b.custom_id.as_str())
            .collect();
        let unique: std::collections::HashSet<&&str> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "custom ids are unique in a message"
        );
        for b in rows.iter().flatten() {
            assert!(b.custom_id.chars().count() <= MAX_CUSTOM_ID);
            assert_eq!(passage_in(&b.custom_id), Some("Q5"), "{}", b.custom_id);
        }
        assert_eq!(rows[0][0].custom_id, format!("prev:{asker}:Q5"));
        assert!(!rows[0][0].disabled && rows[0][1].disabled);
        let (kind, rest) = split(&rows[0][1].custom_id);
        assert_eq!(
            (kind, asker_and_passage(rest)),
            ("next", Some((asker, "Q5")))
        );
        assert_eq!(rows[1][1].style, Style::Primary);
    }

    #[test]
    fn ids_that_cannot_be_carried_give_no_buttons() {
        let none = Neighbours::default();
        assert!(answer_rows("a:b", 1, none, Layout::default()).is_empty());
        assert!(answer_rows("", 1, none, Layout::default()).is_empty());
        let long = format!("{}/Q1", "d".repeat(80));
        assert!(answer_rows(&long, u64::MAX, none, Layout::default()).is_empty());
        let doc = "kaifu-lee-01ai-2025-01-07/Q19";
        assert_eq!(answer_rows(doc, u64::MAX, none, Layout::default()).len(), 1);
    }

    #[test]
    fn neighbours_stay_in_the_interview() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let corpus = crate::load::corpus(&dir).unwrap();
        let last = corpus.passages.len() - 1;
        assert_eq!(neighbour(&corpus, 0, false), None);
        assert_eq!(neighbour(&corpus, 0, true), Some(1));
        assert_eq!(neighbour(&corpus, last, true), None);
        assert_eq!(
            neighbours(&corpus, 3),
            Neighbours {
                before: true,
                after: true
            }
        );
        assert_eq!(link_rows("Q5")[0][0].custom_id, "full:Q5");
    }

    #[test]
    fn parsing_table() {
        assert_eq!(split("full:Q5"), ("full", "Q5"));
        assert_eq!(split("fb:up:Q5"), ("fb", "up:Q5"));
        assert_eq!(split("odd"), ("odd", ""));
        assert_eq!(passage_in("post:12:doc/Q3"), Some("doc/Q3"));
        assert_eq!(passage_in("fb:up:Q5"), None, "not ours to read");
        assert_eq!(passage_in("full:"), None);
        assert_eq!(asker_and_passage("x:Q5"), None);
        assert_eq!(asker_and_passage("12:"), None);
        assert_eq!(custom_id("why", &["Q5"]), "why:Q5");
    }
}
