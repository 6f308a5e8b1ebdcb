/*!
The English → Chinese glossary: how English questions reach a Chinese interview.

It is derived from CC-CEDICT (a community Chinese–English dictionary, CC BY-SA 4.0) by
`interview-bot glossary --cedict FILE`: only headwords that occur in the corpus are kept, and
each English gloss becomes a key (words stemmed, so `games`, `gaming` and `game` meet). At
query time runs of English words are matched greedily, longest first (`sales team` before
`sales`). A word list built from a real dictionary generalises to questions nobody thought of,
which a hand-made list tuned to test questions does not.
*/

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;

/// What can go wrong reading the dictionary or the derived glossary file.
#[derive(Debug, thiserror::Error)]
pub enum GlossaryError {
    /// A line of the dictionary or glossary does not have the expected shape.
    #[error("{file}:{line}: {message}")]
    Malformed {
        /// The file read.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The dictionary could not be read.
    #[error("cannot read the dictionary: {0}")]
    Io(#[from] std::io::Error),
}

/// One dictionary entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CedictEntry {
    /// Headword in Traditional characters.
    pub traditional: String,
    /// Headword in Simplified characters.
    pub simplified: String,
    /// English glosses in dictionary order.
    pub glosses: Vec<String>,
}

/// Reads CC-CEDICT lines: `Traditional Simplified [pin yin] /gloss/gloss/`; `#` comments.
pub fn parse_cedict(reader: impl BufRead) -> Result<Vec<CedictEntry>, GlossaryError> {
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |message: &str| GlossaryError::Malformed {
            file: "CC-CEDICT".into(),
            line: i + 1,
            message: message.into(),
        };
        let (head, rest) = line.split_once(" [").ok_or_else(|| bad("no [pinyin]"))?;
        let (traditional, simplified) = head
            .split_once(' ')
            .ok_or_else(|| bad("no simplified headword"))?;
        let (_, glosses) = rest.split_once("] /").ok_or_else(|| bad("no /glosses/"))?;
        let glosses: Vec<String> = glosses
            .trim_end_matches('/')
            .split('/')
            .flat_map(|g| g.split("; "))
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect();
        if glosses.is_empty() {
            return Err(bad("no glosses"));
        }
        out.push(CedictEntry {
            traditional: traditional.to_string(),
            simplified: simplified.to_string(),
            glosses,
        });
    }
    Ok(out)
}

/// English stop words that never make a key on their own.
const STOP: &[&str] = &[
    "a", "an", "the", "be", "is", "are", "of", "to", "in", "on", "at", "for", "by", "and", "or",
    "it", "sth", "sb", "one", "oneself", "etc", "with", "as", "from", "not", "no",
];

/// Most Chinese terms kept per English key.
const MAX_TERMS_PER_KEY: usize = 5;

/// English key (stemmed words joined by spaces) → Chinese terms (Simplified) in the corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glossary {
    map: BTreeMap<String, Vec<String>>,
}

/// A run of query words found in the glossary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryMatch {
    /// Index of the first word of the run.
    pub start: usize,
    /// Number of words in the run.
    pub len: usize,
    /// Chinese terms for it.
    pub terms: Vec<String>,
}

/// Stems an English word (Snowball English), lowercased.
pub fn stem(word: &str) -> String {
    let lower = word.to_lowercase();
    thread_local! {
        static STEMMER: rust_stemmers::Stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    }
    STEMMER.with(|s| s.stem(&lower).into_owned())
}

/// The key of a gloss: its words stemmed, or `None` for glosses that are not translations.
fn gloss_key(gloss: &str) -> Option<String> {
    let lower = gloss.to_lowercase();
    for skip in [
        "cl:",
        "variant of",
        "see ",
        "surname ",
        "abbr.",
        "used in",
        "old variant",
        "japanese variant",
        "erhua variant",
        "also written",
        "also pr.",
    ] {
        if lower.starts_with(skip) {
            return None;
        }
    }
    // Drop parenthesised notes: "sales (representative, agreement etc)" → "sales".
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in lower.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut words: Vec<&str> = plain
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    while words
        .first()
        .is_some_and(|w| matches!(*w, "to" | "a" | "an" | "the"))
    {
        words.remove(0);
    }
    if words.is_empty() || words.len() > 3 || words.iter().all(|w| STOP.contains(w)) {
        return None;
    }
    if words.iter().any(|w| !w.is_ascii()) {
        return None;
    }
    Some(words.iter().map(|w| stem(w)).collect::<Vec<_>>().join(" "))
}

impl Glossary {
    /// Keeps entries whose Simplified headword occurs in `corpus_simplified` (the corpus
    /// folded to Simplified, lowercase). Headwords of one character are kept only for their
    /// first gloss, when it is a single word (卖 → sell), since nearly every character occurs
    /// somewhere. A key keeps at most five terms, those whose gloss comes earliest in its
    /// entry (the primary sense) first, longer headwords before shorter at equal rank.
    pub fn build(entries: &[CedictEntry], corpus_simplified: &str) -> Glossary {
        // key → (gloss position, -headword length, headword)
        let mut candidates: BTreeMap<String, BTreeSet<(usize, isize, String)>> = BTreeMap::new();
        for e in entries {
            let h = e.simplified.to_lowercase();
            let chars = h.chars().count();
            if chars == 0
                || !h.chars().any(|c| c as u32 >= 0x3400)
                || !corpus_simplified.contains(&h)
            {
                continue;
            }
            for (pos, g) in e.glosses.iter().enumerate() {
                if chars == 1
                    && (pos > 0 || g.split_whitespace().filter(|w| *w != "to").count() != 1)
                {
                    break;
                }
                if let Some(key) = gloss_key(g) {
                    candidates
                        .entry(key)
                        .or_default()
                        .insert((pos, -(chars as isize), h.clone()));
                }
            }
        }
        let map = candidates
            .into_iter()
            .map(|(k, set)| {
                let mut terms: Vec<String> = Vec::new();
                for (_, _, h) in set {
                    if !terms.contains(&h) && terms.len() < MAX_TERMS_PER_KEY {
                        terms.push(h);
                    }
                }
                (k, terms)
            })
            .collect();
        Glossary { map }
    }

    /// Number of English keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the glossary is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The glossary file: a licence header, then `key<TAB>term term…` lines, sorted.
    pub fn to_tsv(&self) -> String {
        let mut s = String::from(
            "# English → Chinese glossary for interview-bot, derived from CC-CEDICT\n\
             # (MDBG, release of 2023-11-07, https://www.mdbg.net/chinese/dictionary?page=cc-cedict),\n\
             # filtered to the words of the corpus. Licensed CC BY-SA 4.0, like its source:\n\
             # https://creativecommons.org/licenses/by-sa/4.0/\n\
             # Regenerate: interview-bot glossary --cedict cedict_1_0_ts_utf-8_mdbg.txt.gz > config/glossary-en-zh.tsv\n\
             # Format: stemmed English key<TAB>Simplified Chinese terms separated by spaces.\n",
        );
        for (k, terms) in &self.map {
            s.push_str(k);
            s.push('\t');
            s.push_str(&terms.join(" "));
            s.push('\n');
        }
        s
    }

    /// Reads a glossary file written by [`Glossary::to_tsv`]; errors name `file` and line.
    pub fn from_tsv(text: &str, file: &str) -> Result<Glossary, GlossaryError> {
        let mut map = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: &str| GlossaryError::Malformed {
                file: file.to_string(),
                line: i + 1,
                message: message.to_string(),
            };
            let (key, terms) = line
                .split_once('\t')
                .ok_or_else(|| bad("expected `english<TAB>中文 …`"))?;
            let terms: Vec<String> = terms.split_whitespace().map(str::to_string).collect();
            if key.trim().is_empty() || terms.is_empty() {
                return Err(bad("expected `english<TAB>中文 …`"));
            }
            map.insert(key.trim().to_string(), terms);
        }
        Ok(Glossary { map })
    }

    /// Greedy longest-first matches (up to three words) over lowercase English `words`.
    pub fn lookup(&self, words: &[&str]) -> Vec<GlossaryMatch> {
        let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < stems.len() {
            let found = (1..=3.min(stems.len() - i)).rev().find_map(|len| {
                let key = stems[i..i + len].join(" ");
                self.map.get(&key).map(|terms| (len, terms))
            });
            match found {
                Some((len, terms)) => {
                    out.push(GlossaryMatch {
                        start: i,
                        len,
                        terms: terms.clone(),
                    });
                    i += len;
                }
                None => i += 1,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# comment\n\
        遊戲 游戏 [you2 xi4] /game/CL:場|场[chang3]/to play/\n\
        收入 收入 [shou1 ru4] /to take in/income/revenue/CL:筆|笔[bi3]/\n\
        銷售 销售 [xiao1 shou4] /to sell/to market/sales (representative, agreement etc)/\n\
        賣 卖 [mai4] /to sell/to betray/\n\
        大 大 [da4] /big; large; great/older/\n\
        首都 首都 [shou3 du1] /capital (city)/\n\
        團隊 团队 [tuan2 dui4] /team/\n";

    fn sample() -> Glossary {
        let entries = parse_cedict(SAMPLE.as_bytes()).unwrap();
        Glossary::build(&entries, "卖卡的游戏团队收入销售很大")
    }

    #[test]
    fn parses_entries_and_names_bad_lines() {
        let entries = parse_cedict(SAMPLE.as_bytes()).unwrap();
        assert_eq!(entries.len(), 7);
        assert_eq!(entries[0].glosses, ["game", "CL:場|场[chang3]", "to play"]);
        assert_eq!(entries[4].glosses, ["big", "large", "great", "older"]);
        let e = parse_cedict("好 好 [hao3] /good/\n壞的行\n".as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("CC-CEDICT:2: "), "{e}");
    }

    #[test]
    fn keeps_only_corpus_words_and_stems_keys() {
        let g = sample();
        let lookup = |q: &str| -> Vec<Vec<String>> {
            let words: Vec<&str> = q.split_whitespace().collect();
            g.lookup(&words).into_iter().map(|m| m.terms).collect()
        };
        assert_eq!(lookup("gaming"), [vec!["游戏".to_string()]]);
        assert_eq!(lookup("games"), [vec!["游戏".to_string()]]);
        assert_eq!(lookup("revenue"), [vec!["收入".to_string()]]);
        assert_eq!(lookup("sell"), [vec!["销售".to_string(), "卖".to_string()]]);
        assert_eq!(
            lookup("sales team"),
            [vec!["销售".to_string()], vec!["团队".to_string()]]
        );
        assert!(lookup("capital").is_empty(), "首都 is not in the corpus");
        assert_eq!(lookup("big"), [vec!["大".to_string()]]);
        assert!(
            lookup("large").is_empty(),
            "one character: first gloss only"
        );
    }

    #[test]
    fn tsv_round_trip_and_errors() {
        let g = sample();
        let text = g.to_tsv();
        assert!(text.contains("CC BY-SA 4.0"));
        assert_eq!(Glossary::from_tsv(&text, "g.tsv").unwrap(), g);
        let e = Glossary::from_tsv("# c\ngame\t游戏\nbroken line\n", "config/g.tsv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "config/g.tsv:3: expected `english<TAB>中文 …`"
        );
    }

    #[test]
    fn multiword_keys_match_longest_first() {
        let g = Glossary::from_tsv("teacher\t老师\nteacher model\t教师模型\nmodel\t模型\n", "x")
            .unwrap();
        let m = g.lookup(&["teacher", "models", "now"]);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].start, m[0].len), (0, 2));
    }
}
