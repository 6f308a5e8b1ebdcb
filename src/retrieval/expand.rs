/*!
Query expansion: from a question to a [`QueryPlan`] of concepts with alternatives.

A concept is one thing the user asked about; its alternatives are index terms that each count
as that thing being present: the user's own term, its synonyms (`config/synonyms.txt`, e.g.
卡/GPU/顯卡/算力), and for English words their Chinese translations from the glossary
derived from CC-CEDICT. Each concept also carries an informativeness (0..=1) from how common
the word is in general Chinese (jieba's dictionary frequencies), so 現在 or 後來 weigh less
than 估值 or 員工 when deciding whether the interview covers a question.
*/

use rustc_hash::FxHashMap as HashMap;

use crate::analysis::han::is_han;
use crate::analysis::stem;
use crate::analysis::{normalize, ChineseAnalyzer, Normalized, Term};
use crate::lexicon::glossary::Glossary;
use crate::lexicon::Lexicon;
use crate::retrieval::plan::{informativeness, Concept, QueryPlan};
use crate::retrieval::policy::Policy;

/// Most concepts and bigrams taken from one question; the rest is ignored.
pub const MAX_CONCEPTS: usize = 48;
/// Most bigrams taken from one question (and, apart, from its alternatives).
pub const MAX_BIGRAMS: usize = 96;
/// Most characters of a question that are analyzed.
pub const MAX_QUESTION_CHARS: usize = 2_000;

/// Words that ask for more of what was said before (還有呢?, 然後呢?, what else?). A question
/// made of these and stop words has no topic of its own: until the bot keeps a conversation,
/// it is told so rather than answered with whatever passage its words happen to match.
/// Either script; folded when the expander is built.
const FOLLOW_UP_WORDS: &[&str] = &[
    "還有",
    "然後",
    "其他",
    "其它",
    "別的",
    "另外",
    "此外",
    "除此之外",
    "接著",
    "接下來",
    "後來",
    "繼續",
    "更多",
    "再來",
    "else",
    "more",
    "further",
    "furthermore",
    "moreover",
    "besides",
    "next",
    "then",
    "continue",
    "other",
    "others",
    "another",
];

/// Turns questions into plans. Built once at start-up.
#[derive(Debug, Clone)]
pub struct Expander {
    groups: Vec<Vec<String>>,
    /// Index form of a synonym member → its group.
    member_of: HashMap<String, usize>,
    glossary: Glossary,
    /// [`FOLLOW_UP_WORDS`] folded, and in their index form as well (`else` → `els`).
    follow_up: rustc_hash::FxHashSet<String>,
}

/// What expansion asks of the corpus.
#[derive(Clone, Copy)]
pub struct Lookups<'a> {
    /// Whether a word term occurs in the corpus.
    pub known: &'a dyn Fn(&str) -> bool,
    /// Whether Chinese text may occur in it as a substring.
    pub occurs: &'a dyn Fn(&str) -> bool,
    /// How common a word is in general Chinese ([`ChineseAnalyzer::word_frequency`], which
    /// the caller may have at hand for the corpus's words).
    pub frequency: &'a dyn Fn(&str) -> usize,
    /// The corpus words that sound like a word.
    pub homophones: &'a dyn Fn(&str) -> Vec<String>,
}

impl Expander {
    /// Builds the synonym table in index form (English members stemmed like the analyzer does).
    pub fn new(analyzer: &ChineseAnalyzer, lexicon: &Lexicon, glossary: Glossary) -> Expander {
        let mut groups = Vec::new();
        let mut member_of = HashMap::default();
        for group in &lexicon.synonyms {
            let members: Vec<String> = group.iter().map(|m| index_form(analyzer, m)).collect();
            for m in &members {
                member_of.entry(m.clone()).or_insert(groups.len());
            }
            groups.push(members);
        }
        let follow_up = FOLLOW_UP_WORDS
            .iter()
            .map(|w| normalize(w).text)
            .flat_map(|w| [stem::index_form(&w).into_owned(), w])
            .collect();
        Expander {
            groups,
            member_of,
            glossary,
            follow_up,
        }
    }

    /// Whether the question is nothing but follow-up words and stop words. Its concepts are
    /// looked at first, which settles nearly every question without segmenting it again.
    fn follow_up_only(
        &self,
        analyzer: &ChineseAnalyzer,
        n: &Normalized,
        concepts: &[Concept],
    ) -> bool {
        let follow_up = |w: &str| self.follow_up.contains(w);
        if !concepts.iter().all(|c| c.surface.split(' ').all(follow_up)) {
            return false;
        }
        let words = analyzer.segments_of(n);
        words.iter().any(|t| follow_up(&t.text))
            && words
                .iter()
                .all(|t| follow_up(&t.text) || analyzer.is_stopword(&t.text))
    }

    /// The plan for `question`, asking `corpus` what it holds.
    pub fn plan(
        &self,
        analyzer: &ChineseAnalyzer,
        corpus: &Lookups<'_>,
        policy: &Policy,
        question: &str,
    ) -> QueryPlan {
        let Lookups {
            known,
            occurs,
            frequency,
            homophones,
        } = *corpus;
        let cut = match question.char_indices().nth(MAX_QUESTION_CHARS) {
            Some((end, _)) => &question[..end],
            None => question,
        };
        let n = normalize(cut);
        let terms = analyzer.words_of(&n);
        let chars: Vec<char> = n.text.chars().collect();

        // English words with their char ranges, for the glossary.
        let mut english: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_ascii_alphabetic() {
                let s = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '\'') {
                    i += 1;
                }
                english.push((chars[s..i].iter().collect(), s..i));
            } else {
                i += 1;
            }
        }
        // Words inside a lexicon phrase (`kai-fu lee`) are that phrase, not English words.
        let in_phrase = |r: &std::ops::Range<usize>| {
            terms.iter().any(|t| {
                t.chars.start <= r.start
                    && r.end <= t.chars.end
                    && !t.text.chars().all(char::is_alphanumeric)
            })
        };

        let mut plan = QueryPlan {
            asks_figure: crate::retrieval::figure::asks_figure(&n.text),
            ..QueryPlan::default()
        };
        let mut translated: Vec<std::ops::Range<usize>> = Vec::new();
        // Glossary matches over runs of English words not inside phrases.
        let mut run: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        let mut flush = |run: &mut Vec<(String, std::ops::Range<usize>)>, plan: &mut QueryPlan| {
            if run.is_empty() {
                return;
            }
            let words: Vec<&str> = run.iter().map(|(w, _)| w.as_str()).collect();
            for m in self.glossary.lookup(&words) {
                let span = &run[m.start..m.start + m.len];
                if span.iter().all(|(w, _)| analyzer.is_stopword(w)) {
                    continue;
                }
                let surface = span
                    .iter()
                    .map(|(w, _)| w.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut alternatives: Vec<(String, f32)> = Vec::new();
                // An English word says as much as its most telling translation: `run` → 跑
                // is a common word, `valuation` → 估值 a rare one.
                let mut informative = 0.0f32;
                for zh in m.terms {
                    informative = informative.max(informativeness(frequency(zh) as f32));
                    for t in analyzer.words(zh) {
                        push_alt(&mut alternatives, t.text, policy.translation_weight);
                    }
                }
                // The English word itself may occur in the corpus too (`offer`, `teacher`).
                for (w, _) in span {
                    let stemmed = stem::index_form(w);
                    if known(&stemmed) {
                        push_alt(&mut alternatives, stemmed.into_owned(), 1.0);
                    }
                }
                if !alternatives.is_empty() {
                    let span_range = span[0].1.start..span[span.len() - 1].1.end;
                    translated.push(span_range);
                    plan.concepts.push(Concept {
                        surface,
                        alternatives: self.with_synonyms(policy, alternatives),
                        informativeness: if informative > 0.0 { informative } else { 1.0 },
                    });
                }
            }
            run.clear();
        };
        for (w, r) in &english {
            if in_phrase(r) {
                flush(&mut run, &mut plan);
            } else {
                run.push((w.clone(), r.clone()));
            }
        }
        flush(&mut run, &mut plan);

        for t in &terms {
            if translated
                .iter()
                .any(|r| r.start <= t.chars.start && t.chars.end <= r.end)
            {
                continue;
            }
            // Stop words the segmenter glued together (是從, 都是) that the corpus never
            // uses say nothing.
            if t.text.chars().count() >= 2
                && t.text
                    .chars()
                    .all(|c| analyzer.is_stopword(c.encode_utf8(&mut [0; 4])))
                && !occurs(&t.text)
            {
                continue;
            }
            let is_latin_word = t.text.bytes().all(|b| b.is_ascii_alphanumeric());
            // Plurals of names and acronyms the stemmer leaves alone (`gpus`, `llms`).
            let singular = t
                .text
                .strip_suffix('s')
                .filter(|s| {
                    is_latin_word
                        && s.len() >= 2
                        && !known(&t.text)
                        && !self.member_of.contains_key(&t.text)
                        && (known(s) || self.member_of.contains_key(*s))
                })
                .map(str::to_string);
            let singular_term;
            let t = match singular {
                Some(text) => {
                    singular_term = Term { text, ..t.clone() };
                    &singular_term
                }
                None => t,
            };
            let informativeness = if t.text.chars().any(is_han) {
                informativeness(frequency(&t.text) as f32)
            } else if is_latin_word && t.text.bytes().all(|b| b.is_ascii_digit()) {
                policy.number_informativeness
            } else if is_latin_word && !known(&t.text) {
                policy.untranslated_informativeness
            } else {
                1.0
            };
            let mut alternatives = self.with_synonyms(policy, vec![(t.text.clone(), 1.0)]);
            // A compound the corpus never uses (用戶量, 拆出去) is partly said by the longest
            // parts of it that it does use (用戶, 拆出).
            let chars: Vec<char> = t.text.chars().collect();
            if chars.len() >= 3
                && alternatives.len() == 1
                && chars.iter().all(|&c| is_han(c))
                && !occurs(&t.text)
            {
                'len: for len in (2..chars.len()).rev() {
                    for start in 0..=chars.len() - len {
                        let part: String = chars[start..start + len].iter().collect();
                        if !analyzer.is_stopword(&part) && occurs(&part) {
                            push_alt(&mut alternatives, part, policy.part_weight);
                        }
                    }
                    if alternatives.len() > 1 {
                        break 'len;
                    }
                }
            }
            if let Some(c) = plan
                .concepts
                .iter_mut()
                .find(|c| c.alternatives[0].0 == t.text)
            {
                c.informativeness = c.informativeness.max(informativeness);
                continue;
            }
            plan.concepts.push(Concept {
                surface: t.text.clone(),
                alternatives,
                informativeness,
            });
        }
        // Words typed by their sound (阿理云 for 阿里云): runs of two to four Han characters the
        // corpus never has, that sound like a corpus word, become a concept of that word.
        if policy.homophone_weight > 0.0 {
            let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
            let mut start = 0;
            while start < chars.len() {
                let mut matched = 0;
                for len in (2..=4).rev() {
                    let Some(window) = chars.get(start..start + len) else {
                        continue;
                    };
                    if !window.iter().all(|&c| is_han(c)) {
                        continue;
                    }
                    let text: String = window.iter().collect();
                    if occurs(&text) {
                        continue;
                    }
                    let words = homophones(&text);
                    if words.is_empty() {
                        continue;
                    }
                    let informative = words
                        .iter()
                        .map(|w| informativeness(frequency(w) as f32))
                        .fold(0.0f32, f32::max);
                    let alternatives = words
                        .into_iter()
                        .map(|w| (w, policy.homophone_weight))
                        .collect();
                    plan.concepts.push(Concept {
                        surface: text,
                        alternatives,
                        informativeness: informative,
                    });
                    spans.push(start..start + len);
                    matched = len;
                    break;
                }
                start += matched.max(1);
            }
            // The misspelling's pieces (零一|万|务 of 零一万务) are no concepts of their own.
            let inside = |c: &Concept| {
                terms.iter().any(|t| {
                    t.text == c.surface
                        && spans
                            .iter()
                            .any(|s| s.start <= t.chars.start && t.chars.end <= s.end)
                })
            };
            plan.concepts.retain(|c| !inside(c));
        }
        plan.concepts.truncate(MAX_CONCEPTS);
        plan.follow_up_only = self.follow_up_only(analyzer, &n, &plan.concepts);
        // A bigram joining a stop word to a word (的標 in 的|標準, 是什 in 是|什麼) is no word
        // the question has or the corpus might split differently: only bigrams whose
        // characters all belong to the question's words are kept (a lone character as well).
        let mut in_word = vec![false; chars.len()];
        for t in &terms {
            for i in t.chars.clone() {
                if let Some(w) = in_word.get_mut(i) {
                    *w = true;
                }
            }
        }
        let bigrams: Vec<String> = analyzer
            .bigrams_of(&n)
            .into_iter()
            .filter(|t| t.chars.len() < 2 || t.chars.clone().all(|i| in_word[i]))
            .map(|t| t.text)
            .collect();
        // An alternative the corpus writes inside longer words (能源 in 能源行業, a translation
        // of `energy`) is no word the index can be asked for: its bigrams find it.
        for c in &plan.concepts {
            for (t, _) in &c.alternatives {
                let Some(bigrams) = crate::analysis::han::bigrams(t) else {
                    continue;
                };
                if known(t) || !occurs(t) {
                    continue;
                }
                for b in bigrams {
                    if plan.alternative_bigrams.len() < MAX_BIGRAMS
                        && !plan.alternative_bigrams.iter().any(|k| k == b)
                    {
                        plan.alternative_bigrams.push(b.to_string());
                    }
                }
            }
        }
        // Each once, in order; a question has few, so a scan beats hashing.
        let mut kept: Vec<String> = Vec::with_capacity(bigrams.len().min(MAX_BIGRAMS));
        for b in bigrams {
            if kept.len() == MAX_BIGRAMS {
                break;
            }
            if b.chars().any(is_han) && !kept.contains(&b) {
                kept.push(b);
            }
        }
        let bigrams = kept;
        plan.alternative_bigrams.retain(|b| !bigrams.contains(b));
        plan.bigrams = bigrams;
        plan
    }

    fn with_synonyms(
        &self,
        policy: &Policy,
        mut alternatives: Vec<(String, f32)>,
    ) -> Vec<(String, f32)> {
        let groups: Vec<(usize, f32)> = alternatives
            .iter()
            .filter_map(|(t, w)| self.member_of.get(t).map(|&g| (g, *w)))
            .collect();
        for (g, w) in groups {
            for m in &self.groups[g] {
                push_alt(&mut alternatives, m.clone(), w * policy.synonym_weight);
            }
        }
        alternatives
    }
}

fn push_alt(alts: &mut Vec<(String, f32)>, term: String, weight: f32) {
    match alts.iter_mut().find(|(t, _)| *t == term) {
        Some((_, w)) => *w = w.max(weight),
        None => alts.push((term, weight)),
    }
}

/// The term a synonym member is indexed as: one analyzed word, or the folded member itself.
fn index_form(analyzer: &ChineseAnalyzer, member: &str) -> String {
    let words = analyzer.words(member);
    match words.as_slice() {
        [one] => one.text.clone(),
        _ => member.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_support::analyzer;

    /// The plan of `question` for a corpus that `known` and `occurs` describe, with jieba's
    /// frequencies, no homophones and the default policy.
    fn plan_of(
        e: &Expander,
        known: &dyn Fn(&str) -> bool,
        occurs: &dyn Fn(&str) -> bool,
        question: &str,
    ) -> QueryPlan {
        let a = analyzer();
        let frequency = |w: &str| a.word_frequency(w);
        let lookups = Lookups {
            known,
            occurs,
            frequency: &frequency,
            homophones: &|_: &str| Vec::new(),
        };
        e.plan(&a, &lookups, &Policy::default(), question)
    }

    /// A translation the corpus writes only inside a longer word is no index word; its
    /// bigrams are asked instead, apart from the question's own.
    #[test]
    fn translations_inside_longer_words_are_asked_by_their_bigrams() {
        let a = analyzer();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let lexicon = crate::load::lexicon(&dir).unwrap();
        let glossary = Glossary::from_tsv("energi\t能源 精力\n", "test").unwrap();
        let e = Expander::new(&a, &lexicon, glossary);
        // The corpus has 精力 as a word and 能源 only in 能源行业.
        let known = |t: &str| t == "精力";
        let occurs = |t: &str| t == "精力" || t == "能源";
        let plan = plan_of(&e, &known, &occurs, "energy");
        assert_eq!(plan.concepts.len(), 1);
        assert_eq!(plan.alternative_bigrams, ["能源"]);
        assert!(plan.bigrams.is_empty(), "{:?}", plan.bigrams);
        let plan = plan_of(&e, &|_: &str| true, &|_: &str| true, "energy");
        assert!(
            plan.alternative_bigrams.is_empty(),
            "words are asked as words"
        );
    }

    /// A question of follow-up words and stop words only has no topic; one word more gives it
    /// one.
    #[test]
    fn follow_ups_without_a_topic_are_told_apart() {
        let a = analyzer();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let lexicon = crate::load::lexicon(&dir).unwrap();
        let e = Expander::new(&a, &lexicon, Glossary::default());
        let all = |_: &str| true;
        let cases = [
            ("還有呢?", true),
            ("然後呢", true),
            ("其他呢?", true),
            ("还有吗", true),
            ("後來呢?", true),
            ("What else?", true),
            ("anything else?", true),
            ("Tell me more", true),
            ("", false),
            ("呢?", false),
            ("還有哪些遊戲業務?", false),
            ("其他公司呢?", false),
            ("What else did Kai-Fu Lee say about GPUs?", false),
            ("零一萬物還有預訓練嗎?", false),
        ];
        for (question, want) in cases {
            let plan = plan_of(&e, &all, &all, question);
            assert_eq!(plan.follow_up_only, want, "{question}");
        }
    }

    /// Bigrams join characters of the question's words, also across two words (型公 in
    /// 大模型|公司), never a stop word's character to a word's (物的, 着什).
    #[test]
    fn bigrams_are_of_the_words_of_the_question() {
        let a = analyzer();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let lexicon = crate::load::lexicon(&dir).unwrap();
        let e = Expander::new(&a, &lexicon, Glossary::default());
        let all = |_: &str| true;
        let cases: &[(&str, &[&str])] = &[
            (
                "今年對大模型公司意味著什麼?",
                &[
                    "今年", "大模", "模型", "型公", "公司", "司意", "意味", "味着",
                ],
            ),
            ("零一萬物的估值是多少?", &["零一", "一万", "万物", "估值"]),
            ("做To B", &["做"]),
        ];
        for (question, want) in cases {
            let plan = plan_of(&e, &all, &all, question);
            assert_eq!(plan.bigrams, *want, "{question}");
        }
    }
}
