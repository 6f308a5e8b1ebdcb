/*!
The English → Chinese glossary: how English questions reach a Chinese interview.

Users sometimes ask in English ("Why did 01.AI spin off its gaming business?") about a text
written in Chinese. Matching needs Chinese terms, so English words of a question are looked
up here and their translations join the query as alternatives (see `expand.rs`).

The glossary is derived from CC-CEDICT (a community Chinese–English dictionary, CC BY-SA 4.0)
rather than written by hand: a real dictionary generalises to questions nobody thought of,
which a list tuned to test questions does not. It is generated once into
`config/glossary-en-zh.tsv` by `interview-bot glossary --cedict FILE` ([`super::cedict::parse_cedict`], then
[`super::cedict::build`], then [`Glossary::to_tsv`]) and read at start-up ([`Glossary::from_tsv`]).

Building it, in short:
- only headwords that occur in the (folded) corpus as words are kept: not straddling two
  words (新生 "newborn" is not in 创新生态), a single character only where it stands alone
  as a word (卖 in 卖卡, not in 买卖) and only for its first sense, when that is one English
  word — a character means many things — and none that names something (proper nouns,
  capitalised in CC-CEDICT's pinyin, are left to the hand-written lexicon);
- every English gloss of at most three words becomes a key, its words Snowball-stemmed, so
  `games`, `gaming` and `game` meet;
- a key keeps at most [`MAX_TERMS_PER_KEY`] headwords, those for which the gloss is the most
  primary sense (see [`super::cedict::build`]), so `capital` or `card` cannot flood a query.

At query time runs of English words are matched greedily, longest first (`sales team` before
`sales`), see [`Glossary::lookup`].

Proper names (01.AI, Kai-Fu Lee, Alibaba) are not this module's business: they come from the
hand-written lexicon.
*/

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::analysis::stem::glossary_key;

/// What can go wrong reading the dictionary or the glossary file; every variant names its line.
#[derive(Debug, thiserror::Error)]
pub enum GlossaryError {
    /// A dictionary line does not have the shape `Trad Simp [pin yin] /gloss/gloss/`.
    #[error("CC-CEDICT line {line}: {message}")]
    Cedict {
        /// 1-based line of the dictionary.
        line: usize,
        /// What is wrong, in words.
        message: String,
    },
    /// The dictionary could not be read (I/O error or invalid UTF-8) at a line.
    #[error("CC-CEDICT line {line}: cannot read: {source}")]
    Read {
        /// 1-based line that could not be read.
        line: usize,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line of the glossary file is not `english key<TAB>中文 中文 …`.
    #[error("{file}:{line}: {message}")]
    Tsv {
        /// The file, as named by the caller.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong, in words.
        message: String,
    },
}

/// Most Chinese terms kept for one English key.
pub const MAX_TERMS_PER_KEY: usize = 4;

/// Most terms a word takes from the two-word keys it starts (see `Glossary::fallback`).
const MAX_FALLBACK_TERMS: usize = 2;

/// Longest English key, in words, and so the longest run [`Glossary::lookup`] tries.
pub(crate) const MAX_KEY_WORDS: usize = 3;

/// Function words: a key made only of these (`be`, `it`, `may`) is not kept.
pub(crate) const STOP: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "being", "both", "but", "by", "can", "could", "did", "do", "does", "each",
    "else", "for", "from", "had", "has", "have", "he", "her", "here", "him", "his", "how", "i",
    "if", "in", "into", "is", "it", "its", "may", "me", "might", "more", "most", "must", "my",
    "no", "not", "of", "off", "on", "once", "one", "only", "or", "other", "our", "out", "over",
    "own", "shall", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "up",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "whose",
    "why", "will", "with", "would", "you", "your",
];

/// English key (stemmed words joined by spaces) → Chinese terms (Simplified, lowercase) that
/// occur in the corpus, best first; arranged so that a question's words cost hash look-ups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glossary {
    /// Every key → its terms.
    keys: FxHashMap<String, Vec<String>>,
    /// First word of keys of two words or more → the most words of such a key.
    longest: FxHashMap<String, usize>,
    /// First word → the terms of its two-word keys, each once, in key order, when they are
    /// few (see [`Glossary::fallback`]).
    two_word: FxHashMap<String, Vec<String>>,
}

/// A run of query words found in the glossary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryMatch<'g> {
    /// Index of the first word of the run in the words given to [`Glossary::lookup`].
    pub start: usize,
    /// Number of words in the run (1 to 3).
    pub len: usize,
    /// Chinese terms (Simplified) for it, best first.
    pub terms: &'g [String],
}

impl Glossary {
    /// The glossary of `map`, its keys in order (the order of two-word fallbacks).
    pub(crate) fn from_map(map: BTreeMap<String, Vec<String>>) -> Glossary {
        let mut g = Glossary::default();
        for (key, terms) in &map {
            let words: Vec<&str> = key.split(' ').collect();
            if words.len() < 2 {
                continue;
            }
            let most = g.longest.entry(words[0].to_string()).or_insert(0);
            *most = (*most).max(words.len());
            if words.len() == 2 {
                let all = g.two_word.entry(words[0].to_string()).or_default();
                for t in terms {
                    if !all.contains(t) {
                        all.push(t.clone());
                    }
                }
            }
        }
        // Few terms only: `subsidiary` (子公司 twice) is clear; `data` before many nouns is not.
        g.two_word
            .retain(|_, terms| terms.len() <= MAX_FALLBACK_TERMS);
        g.keys = map.into_iter().collect();
        g
    }

    /// Number of English keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The Chinese terms of a key (stemmed words joined by one space), best first.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(key).map(Vec::as_slice)
    }

    /// All keys with their terms, keys in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        let mut all: Vec<(&str, &[String])> = self
            .keys
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        all.sort_unstable_by_key(|&(k, _)| k);
        all.into_iter()
    }

    /// The glossary file: a provenance and licence header, then `key<TAB>term term …` lines
    /// sorted by key. The same glossary always gives the same text.
    pub fn to_tsv(&self) -> String {
        let mut s = String::from(
            "# English → Chinese glossary for interview-bot.\n\
             # Derived from CC-CEDICT (MDBG, 2023-11-07 release,\n\
             # https://www.mdbg.net/chinese/dictionary?page=cc-cedict), filtered to the\n\
             # words of the corpus and of config/synonyms.txt; licensed, like its source, CC BY-SA 4.0:\n\
             # https://creativecommons.org/licenses/by-sa/4.0/\n\
             # Generated, do not edit. Regenerate with:\n\
             #   interview-bot glossary --cedict PATH\n\
             # Format: stemmed English key<TAB>Simplified Chinese terms, best first, space-separated.\n",
        );
        for (key, terms) in self.iter() {
            s.push_str(key);
            s.push('\t');
            s.push_str(&terms.join(" "));
            s.push('\n');
        }
        s
    }

    /// Reads a glossary file written by [`Glossary::to_tsv`]. Blank lines and `#` comments are
    /// skipped; an error names `file_name` and the line.
    pub fn from_tsv(text: &str, file_name: &str) -> Result<Glossary, GlossaryError> {
        let mut map = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: &str| GlossaryError::Tsv {
                file: file_name.to_string(),
                line: i + 1,
                message: message.to_string(),
            };
            let (key, terms) = line
                .split_once('\t')
                .ok_or_else(|| bad("expected `english key<TAB>中文 …`, found no tab"))?;
            let words: Vec<&str> = key.split_whitespace().collect();
            if words.is_empty() || words.len() > MAX_KEY_WORDS {
                return Err(bad("the English key must have one to three words"));
            }
            let terms: Vec<String> = terms.split_whitespace().map(str::to_string).collect();
            if terms.is_empty() {
                return Err(bad("no Chinese terms after the tab"));
            }
            if map.insert(words.join(" "), terms).is_some() {
                return Err(bad("this English key was already given"));
            }
        }
        Ok(Glossary::from_map(map))
    }

    /// Terms for a word that is no key of its own: its base form when it is a comparative
    /// or superlative (`cheaper` → `cheap`, `bigger` → `big`), or else the first word of
    /// two-word keys (`subsidiary` → `subsidiary company`), when those give few terms.
    fn fallback(&self, word: &str, stemmed: &str) -> Option<&[String]> {
        let lower = word.to_lowercase();
        if STOP.contains(&lower.as_str()) || lower.len() < 4 {
            return None;
        }
        for suffix in ["est", "er"] {
            if let Some(base) = lower.strip_suffix(suffix) {
                let b = base.as_bytes();
                // bigger → big, easier → easi (the stem of easy), larger → large.
                let undoubled = (b.len() >= 2 && b[b.len() - 1] == b[b.len() - 2])
                    .then(|| &base[..base.len() - 1]);
                let candidates = [
                    Some(base.to_string()),
                    undoubled.map(str::to_string),
                    Some(format!("{base}e")),
                ];
                for c in candidates.into_iter().flatten() {
                    if c.len() >= 2 {
                        if let Some(terms) = self.keys.get(&glossary_key(&c)) {
                            return Some(terms);
                        }
                    }
                }
            }
        }
        self.two_word.get(stemmed).map(Vec::as_slice)
    }

    /// Finds glossary keys in a question's English `words` (lowercase, in order): at each
    /// position the longest run of up to three words whose stems form a key wins, and matching
    /// resumes after it; a word that is no key falls back as `fallback` says;
    /// words matching nothing are skipped.
    pub fn lookup(&self, words: &[&str]) -> Vec<GlossaryMatch<'_>> {
        let stems: Vec<String> = words.iter().map(|w| glossary_key(w)).collect();
        let mut out = Vec::new();
        let mut start = 0;
        while start < stems.len() {
            // Longer keys are tried only where some key starts with this word.
            let most = self.longest.get(&stems[start]).copied().unwrap_or(1);
            let longest = (1..=most.min(MAX_KEY_WORDS).min(stems.len() - start))
                .rev()
                .find_map(|len| {
                    let terms = if len == 1 {
                        self.keys.get(&stems[start])
                    } else {
                        self.keys.get(&stems[start..start + len].join(" "))
                    };
                    terms.map(|terms| (len, terms.as_slice()))
                });
            let longest = longest.or_else(|| {
                self.fallback(words[start], &stems[start])
                    .map(|terms| (1, terms))
            });
            match longest {
                Some((len, terms)) => {
                    out.push(GlossaryMatch { start, len, terms });
                    start += len;
                }
                None => start += 1,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::cedict::{build, parse_cedict};

    const DICT: &str = "\
        遊戲 游戏 [you2 xi4] /game/CL:場|场[chang3]/to play/\n\
        收入 收入 [shou1 ru4] /to take in/income/revenue/CL:筆|笔[bi3]/\n\
        營收 营收 [ying2 shou1] /sales/income/revenue/\n\
        銷售 销售 [xiao1 shou4] /to sell/to market/sales (representative, agreement etc)/\n\
        出售 出售 [chu1 shou4] /to sell/to offer for sale/to put on the market/\n\
        賣 卖 [mai4] /to sell/to betray/\n\
        買 买 [mai3] /to buy/to purchase/\n\
        大 大 [da4] /big; large/major/\n\
        團隊 团队 [tuan2 dui4] /team/\n\
        首都 首都 [shou3 du1] /capital (city)/\n\
        資本 资本 [zi1 ben3] /capital (economics)/\n\
        資金 资金 [zi1 jin1] /funds; capital/\n\
        可能 可能 [ke3 neng2] /might (happen)/possible/probable/possibility/probability/maybe/perhaps/CL:個|个[ge4]/\n\
        或者 或者 [huo4 zhe3] /or/possibly; maybe; perhaps/\n\
        大寫 大写 [da4 xie3] /capital letters/uppercase/to write in capitals/\n\
        預訓練 预训练 [yu4 xun4 lian4] /pre-training/\n\
        一 一 [yi1] /one/\n";

    /// The corpus has everything but 首都 and 一; 卖 and 大 are words there, 买 only in 买卖.
    const CORPUS: &str =
        "卖卡的游戏团队收入和营收,销售出售。资本与资金,写大写字母。预训练,可能或者。做买卖的大模型";

    fn glossary() -> Glossary {
        build(&parse_cedict(DICT.as_bytes()).unwrap(), CORPUS)
    }

    fn lookup(g: &Glossary, question: &str) -> Vec<(usize, usize, Vec<String>)> {
        let words: Vec<&str> = question.split_whitespace().collect();
        g.lookup(&words)
            .into_iter()
            .map(|m| (m.start, m.len, m.terms.to_vec()))
            .collect()
    }

    #[test]
    fn build_keeps_only_words_of_the_corpus() {
        let g = glossary();
        let all: Vec<&String> = g.iter().flat_map(|(_, t)| t).collect();
        assert!(
            !all.iter().any(|t| t.as_str() == "首都"),
            "not in the corpus"
        );
        assert!(!all.iter().any(|t| t.as_str() == "一"), "not in the corpus");
        assert!(!all.iter().any(|t| t.as_str() == "买"), "only inside 买卖");
        // A character keeps only the first alternative of its first sense.
        assert_eq!(g.get("big").unwrap(), ["大"]);
        assert_eq!(g.get("larg"), None);
        assert_eq!(g.get("major"), None);
        assert_eq!(g.get("betray"), None);
        for t in all {
            assert!(CORPUS.contains(t.as_str()), "{t}");
        }
        let none = build(&parse_cedict(DICT.as_bytes()).unwrap(), "");
        assert!(none.is_empty());
    }

    #[test]
    fn build_leaves_proper_nouns_out() {
        let dict = "中國 中国 [Zhong1 guo2] /China/\n\
            資源 资源 [zi1 yuan2] /natural resource/\n\
            資源 资源 [Zi1 yuan2] /Ziyuan county in Guilin 桂林[Gui4 lin2], Guangxi/\n\
            朋友圈 朋友圈 [peng2 you5 quan1] /circle of friends/\n\
            朋友圈 朋友圈 [Peng2 you5 quan1] /Moments (social networking function of WeChat)/\n\
            K書 K书 [K shu1] /to cram/\n";
        let entries = parse_cedict(dict.as_bytes()).unwrap();
        let g = build(&entries, "中国的资源,发朋友圈。k书");
        let keys: Vec<&str> = g.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["circl of friend", "cram", "natur resourc"]);
    }

    #[test]
    fn build_skips_headwords_that_straddle_words() {
        let dict = "創新 创新 [chuang4 xin1] /innovation/\n\
            生態 生态 [sheng1 tai4] /ecology/\n\
            新生 新生 [xin1 sheng1] /new/newborn/\n\
            獲得 获得 [huo4 de2] /to obtain/\n\
            得了 得了 [de2 le5] /all right!/that's enough!/\n\
            投資人 投资人 [tou2 zi1 ren2] /investor/\n\
            投資 投资 [tou2 zi1] /investment/\n";
        let entries = parse_cedict(dict.as_bytes()).unwrap();
        let g = build(&entries, "创新生态,获得了投资人的支持");
        let cases: [(&str, Option<&[&str]>); 6] = [
            ("innov", Some(&["创新"])),
            ("ecolog", Some(&["生态"])),
            ("new", None),
            ("obtain", Some(&["获得"])),
            ("that enough", None),
            ("invest", Some(&["投资"])),
        ];
        for (key, want) in cases {
            assert_eq!(
                g.get(key),
                want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                    .as_deref(),
                "{key}"
            );
        }
    }

    /// Each one-word question finds exactly the terms given (none: no match at all).
    fn assert_single_lookups(g: &Glossary, cases: &[(&str, &[&str])]) {
        for (q, want) in cases {
            let got: Vec<Vec<String>> = lookup(g, q).into_iter().map(|m| m.2).collect();
            let want: Vec<Vec<String>> = if want.is_empty() {
                vec![]
            } else {
                vec![want.iter().map(|s| s.to_string()).collect()]
            };
            assert_eq!(got, want, "{q}");
        }
    }

    #[test]
    fn lookup_finds_translations() {
        let g = glossary();
        let cases: [(&str, &[&str]); 11] = [
            ("gaming", &["游戏"]),
            ("games", &["游戏"]),
            ("game", &["游戏"]),
            ("revenue", &["收入", "营收"]),
            ("income", &["收入", "营收"]),
            ("sell", &["出售", "卖", "销售"]),
            ("sales", &["营收", "销售"]),
            ("team", &["团队"]),
            ("pretraining", &["预训练"]),
            ("capital", &["资本", "资金"]),
            ("france", &[]),
        ];
        assert_single_lookups(&g, &cases);
    }

    #[test]
    fn a_key_prefers_primary_senses() {
        let g = glossary();
        let cases: [(&str, &[&str]); 6] = [
            // 资本: "capital" is the first alternative of the first sense; 资金: the second.
            ("capit", &["资本", "资金"]),
            ("capit letter", &["大写"]),
            // 营收's first sense, 销售's third: within the slack, kept, second.
            ("sale", &["营收", "销售"]),
            // 或者's first translating sense ("or" alone is a function word), 可能's fifth:
            // too far behind.
            ("mayb", &["或者"]),
            // Both first senses: 或者, with one sense, is the narrower word.
            ("possibl", &["或者", "可能"]),
            ("probabl", &["可能"]),
        ];
        for (key, want) in cases {
            assert_eq!(g.get(key).unwrap(), want, "{key}");
        }
    }

    #[test]
    fn a_word_without_a_key_falls_back() {
        let g = Glossary::from_tsv(
            "cheap\t便宜\nbig\t大\neasi\t容易\nlarg\t大型\nsubsidiari compani\t子公司\n\
             subsidiari corpor\t子公司\ndata analysi\t数据分析\ndata center\t数据中心\n\
             data set\t数据集\n",
            "t",
        )
        .unwrap();
        let cases: [(&str, &[&str]); 8] = [
            ("cheaper", &["便宜"]),
            ("cheapest", &["便宜"]),
            ("bigger", &["大"]),
            ("easier", &["容易"]),
            ("larger", &["大型"]),
            ("subsidiary", &["子公司"]),
            // Three compounds, three terms: too vague.
            ("data", &[]),
            ("water", &[]),
        ];
        assert_single_lookups(&g, &cases);
    }

    #[test]
    fn lookup_matches_the_longest_run_first() {
        let g = Glossary::from_tsv(
            "sale\t销售\nsale team\t销售团队\nteam\t团队\npre train\t预训练\nbig\t大模型\n",
            "t",
        )
        .unwrap();
        let cases: [(&str, &[(usize, usize)]); 5] = [
            ("big sales team", &[(0, 1), (1, 2)]),
            ("sales", &[(0, 1)]),
            ("a team of sales people", &[(1, 1), (3, 1)]),
            ("giving up on pre training", &[(3, 2)]),
            ("", &[]),
        ];
        for (q, want) in cases {
            let got: Vec<(usize, usize)> = lookup(&g, q).iter().map(|m| (m.0, m.1)).collect();
            assert_eq!(got, want, "{q}");
        }
        assert_eq!(lookup(&g, "sales team")[0].2, ["销售团队"]);
    }

    #[test]
    fn tsv_round_trips() {
        let g = glossary();
        let text = g.to_tsv();
        assert!(text.starts_with("# "));
        for needle in [
            "CC-CEDICT",
            "2023-11-07",
            "CC BY-SA 4.0",
            "by-sa/4.0",
            "--cedict",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
        assert_eq!(Glossary::from_tsv(&text, "g.tsv").unwrap(), g);
        assert_eq!(g.to_tsv(), text, "deterministic");
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted);
    }

    /// The committed file is what writing it again gives, header included, so that a
    /// regenerated glossary differs from it only where the dictionary or the corpus did.
    #[test]
    fn the_committed_file_is_as_written() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/glossary-en-zh.tsv");
        let committed = std::fs::read_to_string(&path).unwrap();
        let g = Glossary::from_tsv(&committed, "glossary-en-zh.tsv").unwrap();
        assert!(
            g.to_tsv() == committed,
            "config/glossary-en-zh.tsv differs from its own rewrite"
        );
    }

    #[test]
    fn malformed_tsv_lines_name_file_and_line() {
        let cases = [
            ("# c\ngame\t游戏\nbroken line\n", 3, "no tab"),
            ("game\t\n", 1, "no Chinese terms"),
            ("\t游戏\n", 1, "one to three words"),
            ("a b c d\t游戏\n", 1, "one to three words"),
            ("game\t游戏\n\ngame\t遊戲\n", 3, "already given"),
        ];
        for (text, line, why) in cases {
            let e = Glossary::from_tsv(text, "config/g.tsv").unwrap_err();
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!("config/g.tsv:{line}: ")),
                "{text:?}: {msg}"
            );
            assert!(msg.contains(why), "{text:?}: {msg}");
        }
    }
}
