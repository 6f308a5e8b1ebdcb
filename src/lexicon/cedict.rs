/*!
The offline builder of the glossary: reads CC-CEDICT (a community Chinese–English dictionary,
CC BY-SA 4.0) and derives the English → Chinese keys of the words the corpus uses. Run once by
`interview-bot glossary --cedict FILE`; the program at run time only reads the file this
writes (see [`super::glossary`]), so none of this is on the answering path.
*/

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;

use super::glossary::{Glossary, GlossaryError, MAX_KEY_WORDS, MAX_TERMS_PER_KEY, STOP};
use crate::analysis::han::is_han;
use crate::analysis::stem::glossary_key;

/// One CC-CEDICT entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CedictEntry {
    /// Headword in Traditional characters.
    pub traditional: String,
    /// Headword in Simplified characters.
    pub simplified: String,
    /// Pinyin with tone numbers, as written between the brackets; proper nouns are
    /// capitalised (`Zhong1 guo2`).
    pub pinyin: String,
    /// The senses between slashes, verbatim and in dictionary order (a sense may hold several
    /// near-synonyms separated by `; `, and notes, classifiers or cross-references).
    pub glosses: Vec<String>,
}

/// Reads CC-CEDICT: lines `Traditional Simplified [pin1 yin1] /gloss/gloss/`; blank lines and
/// `#` comments are skipped. A malformed line is an error naming its line number.
pub fn parse_cedict(reader: impl BufRead) -> Result<Vec<CedictEntry>, GlossaryError> {
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|source| GlossaryError::Read {
            line: i + 1,
            source,
        })?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_line(line).map_err(|message| GlossaryError::Cedict {
            line: i + 1,
            message: message.to_string(),
        })?);
    }
    Ok(out)
}

/// One non-comment dictionary line.
fn parse_line(line: &str) -> Result<CedictEntry, &'static str> {
    let (head, rest) = line
        .split_once(" [")
        .ok_or("expected `Traditional Simplified [pinyin] /gloss/`: no [pinyin]")?;
    let (traditional, simplified) = head
        .split_once(' ')
        .ok_or("expected `Traditional Simplified [pinyin] /gloss/`: one headword only")?;
    if traditional.is_empty() || simplified.is_empty() || simplified.contains(' ') {
        return Err("expected `Traditional Simplified [pinyin] /gloss/`: bad headwords");
    }
    let (pinyin, glosses) = rest.split_once(']').ok_or("unclosed [pinyin]")?;
    let glosses = glosses.trim_start();
    if !glosses.starts_with('/') || !glosses.ends_with('/') || glosses.len() < 2 {
        return Err("glosses must be written /between/slashes/");
    }
    let glosses: Vec<String> = glosses[1..glosses.len() - 1]
        .split('/')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect();
    if glosses.is_empty() {
        return Err("no glosses");
    }
    Ok(CedictEntry {
        traditional: traditional.to_string(),
        simplified: simplified.to_string(),
        pinyin: pinyin.trim().to_string(),
        glosses,
    })
}

/// A term whose gloss is its entry's sense number `best + SENSE_SLACK` or later is dropped from
/// a key when another term has that key as sense number `best` (0 = primary): the fourth
/// sense of a word is a poor translation next to a word whose first sense it is.
const SENSE_SLACK: usize = 3;

/// Placeholders of dictionary glosses (`to sell sth`), left out of keys: questions never say them.
const PLACEHOLDERS: &[&str] = &[
    "sb",
    "sth",
    "sb's",
    "sth's",
    "one's",
    "oneself",
    "someone",
    "something",
    "etc",
];

/// Starts of glosses that are not translations (after parenthesised notes are removed).
const NOT_TRANSLATIONS: &[&str] = &[
    "cl:",
    "variant of",
    "old variant",
    "archaic variant",
    "japanese variant",
    "erhua variant",
    "see ",
    "see:",
    "surname ",
    "abbr.",
    "abbr ",
    "used in ",
    "used before",
    "also written",
    "also pr.",
    "pr.",
    "taiwan pr.",
    "lit.",
    "lit:",
];

/// Removes `( … )` and `[ … ]` notes, nested or not.
fn strip_notes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The keys of one sense (one slash-separated gloss), each with the index of the alternative
/// (`; `) it comes from: one per alternative of at most [`MAX_KEY_WORDS`] words, plus a
/// joined form of hyphenated words (`pre-train` gives `pre train` — how a question's words
/// arrive — and `pretrain`).
fn sense_keys(sense: &str) -> Vec<(usize, String)> {
    let plain = strip_notes(&sense.to_lowercase());
    let mut keys: Vec<(usize, String)> = Vec::new();
    let mut alts = 0;
    let parts = plain
        .split(';')
        .map(|part| {
            let part = part.trim();
            part.strip_prefix("fig.").unwrap_or(part).trim_start()
        })
        .filter(|part| !NOT_TRANSLATIONS.iter().any(|p| part.starts_with(p)));
    for alt in parts {
        // A comma makes a description or a list ("county in Langfang, Hebei"), not a term.
        if alt.trim().is_empty() || alt.contains(',') || !alt.is_ascii() {
            continue;
        }
        let mut words: Vec<&str> = alt
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '\''))
            .map(|w| w.trim_matches(['-', '\'']))
            .filter(|w| !w.is_empty() && !PLACEHOLDERS.contains(w))
            .collect();
        while words
            .first()
            .is_some_and(|w| matches!(*w, "to" | "a" | "an" | "the"))
        {
            words.remove(0);
        }
        // `willing` stems to `will`: function words are checked after stemming too.
        if words
            .iter()
            .all(|w| STOP.contains(w) || STOP.contains(&glossary_key(w).as_str()))
        {
            continue;
        }
        let split: Vec<&str> = words
            .iter()
            .flat_map(|w| w.split('-'))
            .filter(|w| !w.is_empty())
            .collect();
        let joined: Vec<String> = words.iter().map(|w| w.replace('-', "")).collect();
        let joined: Vec<&str> = joined.iter().map(String::as_str).collect();
        let before = keys.len();
        for form in [split, joined] {
            if form.len() <= MAX_KEY_WORDS {
                let key = form
                    .iter()
                    .map(|w| glossary_key(w))
                    .collect::<Vec<_>>()
                    .join(" ");
                if !keys.iter().any(|(_, k)| *k == key) {
                    keys.push((alts, key));
                }
            }
        }
        if keys.len() > before {
            alts += 1;
        }
    }
    keys
}

/// How primary a gloss is for a headword: lower sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    /// Index of the sense among the entry's translating senses (0 = primary).
    sense: usize,
    /// Index of the alternative within the sense (`affair; matter; thing; business`).
    alt: usize,
    /// Number of translating senses of the entry: a narrow word is a better translation.
    senses: usize,
}

/// The headwords (Simplified, lowercase, at least one Chinese character) that occur in
/// `corpus` as words: at least one occurrence starts and ends on token boundaries of jieba's
/// segmentation (its own dictionary, no guessing of unknown words), or — for two characters
/// or more — lies inside a single token. So 新生 (newborn) does not come from 创新生态 (创新|生态), nor
/// 得了 from 获得了 (获得|了), while 投资 in 投资人 and 大模型 (大|模型) are kept.
fn corpus_words(entries: &[CedictEntry], corpus: &str) -> BTreeSet<String> {
    let jieba = jieba_rs::Jieba::new();
    let mut boundaries = BTreeSet::from([0, corpus.len()]);
    let mut at = 0;
    for token in jieba.cut(corpus, false) {
        at += token.word.len();
        boundaries.insert(at);
    }
    let mut out = BTreeSet::new();
    for entry in entries {
        let head = entry.simplified.to_lowercase();
        if !head.chars().any(is_han) || out.contains(&head) {
            continue;
        }
        let single = head.chars().count() == 1;
        let is_word = corpus.match_indices(head.as_str()).any(|(start, m)| {
            let end = start + m.len();
            let whole_token = boundaries.contains(&start) && boundaries.contains(&end);
            // A character inside a longer word (大 in 大模型 is its own token, 卖 in 买卖 is not)
            // is not that character used as a word.
            whole_token || !single && boundaries.range(start + 1..end).next().is_none()
        });
        if is_word {
            out.insert(head);
        }
    }
    out
}

/// Whether CC-CEDICT marks `entry` as a proper noun: its first syllable is capitalised
/// (`Zhong1 guo2`, `Li3 Kai1 fu4`; not `K shu1`, a Latin letter).
fn is_proper_noun(entry: &CedictEntry) -> bool {
    entry.pinyin.split(' ').next().is_some_and(|syllable| {
        syllable.starts_with(|c: char| c.is_ascii_uppercase())
            && syllable.ends_with(|c: char| ('1'..='5').contains(&c))
    })
}

/// Derives the glossary from dictionary `entries`, keeping the words of `corpus_simplified`
/// (the corpus folded to Simplified and lowercased by the caller).
///
/// The rule:
/// 1. A headword (Simplified, lowercased) is kept if at least one of its characters is
///    Chinese and it occurs in the corpus as a word (see `corpus_words`: 新生 is not kept
///    for 创新生态; a single character must be a token of its own). A single character
///    gives only the first alternative of its first sense, when that is one word. Proper nouns
///    (capitalised pinyin) are left out: names come from the hand-written lexicon, and
///    CC-CEDICT's place names (资源, a county) only add noise.
/// 2. Each sense of a kept entry that is a translation (not a classifier, cross-reference,
///    variant, surname, abbreviation or literal gloss; notes in parentheses removed) gives
///    keys: its `;`-separated alternatives of at most three words (none with a comma: that
///    is a description), leading `to`/`a`/`the` and placeholders (`sb`, `sth`) dropped,
///    words stemmed. Keys of function words only (`be`, `may`, `willing` → `will`) are
///    dropped.
/// 3. For each key, each headword is ranked by the index of the sense that gave it among
///    the entry's translating senses (0 = primary), then by the index of the alternative
///    within that sense, then by how many senses the entry has (a narrow word first).
///    Headwords ranked [`SENSE_SLACK`] senses or more behind the key's best are dropped, and
///    at most [`MAX_TERMS_PER_KEY`] are kept, best first (ties: longer headword first, then
///    code-point order), so the result does not depend on the order of `entries`.
pub fn build(entries: &[CedictEntry], corpus_simplified: &str) -> Glossary {
    let words = corpus_words(entries, corpus_simplified);
    let mut candidates: BTreeMap<String, BTreeMap<String, Rank>> = BTreeMap::new();
    for entry in entries {
        let head = entry.simplified.to_lowercase();
        if is_proper_noun(entry) || !words.contains(&head) {
            continue;
        }
        let senses: Vec<Vec<(usize, String)>> = entry
            .glosses
            .iter()
            .map(|g| sense_keys(g))
            .filter(|keys| !keys.is_empty())
            .collect();
        let single = head.chars().count() == 1;
        for (i, keys) in senses.iter().enumerate() {
            // A character means many things: only its first sense, first alternative,
            // when that is one English word (卖 → sell, 大 → big), is kept.
            if single && i > 0 {
                break;
            }
            for (alt, key) in keys {
                if single && (*alt > 0 || key.contains(' ')) {
                    continue;
                }
                let rank = Rank {
                    sense: i,
                    alt: *alt,
                    senses: senses.len(),
                };
                match candidates
                    .entry(key.clone())
                    .or_default()
                    .entry(head.clone())
                {
                    Entry::Vacant(v) => {
                        v.insert(rank);
                    }
                    Entry::Occupied(mut o) => {
                        if rank < *o.get() {
                            o.insert(rank);
                        }
                    }
                }
            }
        }
    }
    let map = candidates
        .into_iter()
        .map(|(key, heads)| {
            let mut ranked: Vec<(Rank, String)> = heads.into_iter().map(|(h, r)| (r, h)).collect();
            ranked.sort_by(|(ra, a), (rb, b)| {
                ra.cmp(rb)
                    .then_with(|| b.chars().count().cmp(&a.chars().count()))
                    .then_with(|| a.cmp(b))
            });
            let best = ranked[0].0.sense;
            let terms = ranked
                .into_iter()
                .filter(|(r, _)| r.sense < best + SENSE_SLACK)
                .take(MAX_TERMS_PER_KEY)
                .map(|(_, h)| h)
                .collect();
            (key, terms)
        })
        .collect();
    Glossary::from_map(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_cedict_reads_entries_and_skips_comments() {
        let text = "# CC-CEDICT\n#! version=1\n\n\
            遊戲 游戏 [you2 xi4] /game/CL:場|场[chang3]/to play/\n\
            放棄 放弃 [fang4 qi4] /to renounce; to abandon; to give up/\r\n\
            3C 3C [san1 C] /computers, communications, and consumer electronics/\n";
        let entries = parse_cedict(text.as_bytes()).unwrap();
        let table: [(&str, &str, &str, &[&str]); 3] = [
            (
                "遊戲",
                "游戏",
                "you2 xi4",
                &["game", "CL:場|场[chang3]", "to play"],
            ),
            (
                "放棄",
                "放弃",
                "fang4 qi4",
                &["to renounce; to abandon; to give up"],
            ),
            (
                "3C",
                "3C",
                "san1 C",
                &["computers, communications, and consumer electronics"],
            ),
        ];
        assert_eq!(entries.len(), table.len());
        for (e, (t, s, p, g)) in entries.iter().zip(table) {
            assert_eq!(
                (
                    e.traditional.as_str(),
                    e.simplified.as_str(),
                    e.pinyin.as_str()
                ),
                (t, s, p)
            );
            assert_eq!(e.glosses, g);
        }
    }

    #[test]
    fn parse_cedict_errors_name_the_line() {
        let good = "# comment\n好 好 [hao3] /good/\n";
        let cases = [
            ("壞的行", "no [pinyin]"),
            ("壞 [huai4] /bad/", "one headword only"),
            ("壞 坏 [huai4 /bad/", "unclosed [pinyin]"),
            ("壞 坏 [huai4] bad", "/between/slashes/"),
            ("壞 坏 [huai4] /bad", "/between/slashes/"),
            ("壞 坏 [huai4] //", "no glosses"),
        ];
        for (bad, why) in cases {
            let text = format!("{good}{bad}\n");
            let e = parse_cedict(text.as_bytes()).unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with("CC-CEDICT line 3: "), "{bad}: {msg}");
            assert!(msg.contains(why), "{bad}: {msg}");
        }
        let e = parse_cedict(&b"\xff\xfe\n"[..]).unwrap_err();
        assert!(e.to_string().starts_with("CC-CEDICT line 1: "), "{e}");
    }

    #[test]
    fn sense_keys_strip_notes_and_non_translations() {
        let cases: [(&str, &[&str]); 16] = [
            ("game", &["game"]),
            ("to play", &["play"]),
            ("a bitter lesson", &["bitter lesson"]),
            (
                "to renounce; to abandon; to give up",
                &["renounc", "abandon", "give up"],
            ),
            ("sales (representative, agreement etc)", &["sale"]),
            ("capital (economics)", &["capit"]),
            ("CL:場|场[chang3]", &[]),
            ("variant of 遊戲|游戏[you2 xi4]", &[]),
            ("see 遊戲|游戏[you2 xi4]", &[]),
            ("surname Li", &[]),
            ("lit. one general, one order (idiom)", &[]),
            ("to be", &[]),
            ("willing", &[]),
            ("county in Langfang, Hebei", &[]),
            ("pre-trained model", &["pre train model", "pretrain model"]),
            ("to sell sth to sb at a loss", &[]),
        ];
        for (sense, want) in cases {
            let keys: Vec<String> = sense_keys(sense).into_iter().map(|(_, k)| k).collect();
            assert_eq!(keys, want, "{sense}");
        }
    }
}
