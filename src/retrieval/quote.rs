/*!
Choosing what to quote: the most relevant sentences of a passage's answer, verbatim.

Sentences end at 。！？!?；; or a paragraph break, with closing quotes and brackets kept on
the sentence they close. Each sentence is scored by the question's concepts it contains; the
best few are kept in their original order, neighbours merged into one fragment, gaps shown as
`…`. Matched terms are returned as byte ranges for the renderer to emphasise.
*/

use std::ops::Range;

use memchr::memmem::Finder;

use crate::analysis::han::is_han;
use crate::analysis::{normalize, Normalized};
use crate::answer::{Fragment, Quote};
use crate::retrieval::policy::Policy;

/// What to look for: the question's word terms with weights, and its bigrams, each with its
/// searcher built once per question rather than once per quoted passage.
#[derive(Debug, Default)]
pub struct Needles {
    /// Word terms (all alternatives) with the weight of their concept.
    words: Vec<Needle>,
    /// Bigrams of the question, each once.
    bigrams: Vec<Needle>,
    /// For a question asking for a figure: the names that are no figures (see
    /// [`crate::retrieval::figure::states_figure`]); a sentence stating a figure is then preferred.
    figure: Option<std::sync::Arc<[String]>>,
}

/// One term to look for in normalized text.
#[derive(Debug)]
struct Needle {
    finder: Finder<'static>,
    /// No Chinese in it: it matches only at a word start, extended to the word's end.
    latin: bool,
    weight: f32,
}

impl Needle {
    fn new(text: &str, weight: f32) -> Needle {
        Needle {
            finder: Finder::new(text.as_bytes()).into_owned(),
            latin: text.chars().all(|c| !is_han(c)),
            weight,
        }
    }
}

impl Needles {
    /// Word terms with weights and bigrams; empty terms are left out, and a repeated term
    /// keeps its first weight. (The engine adds them one by one as it resolves a plan.)
    #[cfg(test)]
    pub fn new(words: Vec<(String, f32)>, bigrams: Vec<String>) -> Needles {
        let mut needles = Needles::default();
        for (t, w) in &words {
            needles.add_word(t, *w);
        }
        for b in &bigrams {
            needles.add_bigram(b);
        }
        needles
    }

    /// Adds a word term with its weight and says where it is among the words; a repeated
    /// term keeps its first weight, an empty one is left out.
    pub fn add_word(&mut self, text: &str, weight: f32) -> Option<usize> {
        add(&mut self.words, text, weight)
    }

    /// Adds a bigram and says where it is among the bigrams (once each, as words are).
    pub fn add_bigram(&mut self, text: &str) -> Option<usize> {
        add(&mut self.bigrams, text, 1.0)
    }

    /// Whether word `i` (from [`Needles::add_word`]) occurs in normalized `text`.
    pub fn word_in(&self, i: usize, text: &str) -> bool {
        self.words[i].finder.find(text.as_bytes()).is_some()
    }

    /// Whether bigram `i` (from [`Needles::add_bigram`]) occurs in normalized `text`.
    pub fn bigram_in(&self, i: usize, text: &str) -> bool {
        self.bigrams[i].finder.find(text.as_bytes()).is_some()
    }

    /// The same needles for a question asking for a figure, with the names that are none.
    pub fn asking_figure(mut self, names: std::sync::Arc<[String]>) -> Needles {
        self.figure = Some(names);
        self
    }
}

/// Adds `text` to `needles` unless it is empty or there already; its position.
fn add(needles: &mut Vec<Needle>, text: &str, weight: f32) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    match needles
        .iter()
        .position(|n| n.finder.needle() == text.as_bytes())
    {
        Some(i) => Some(i),
        None => {
            needles.push(Needle::new(text, weight));
            Some(needles.len() - 1)
        }
    }
}

/// Byte ranges of the sentences of `text`, trimmed, none empty.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends = matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '\n');
        if ends {
            let mut end = i + c.len_utf8();
            while let Some(&(j, n)) = chars.peek() {
                if matches!(
                    n,
                    '」' | '』' | '”' | '’' | '）' | ')' | '"' | '。' | '！' | '？' | '!' | '?'
                ) {
                    end = j + n.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            push_trimmed(text, start..end, &mut out);
            start = end;
        }
    }
    push_trimmed(text, start..text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead + trail < s.len() {
        out.push(r.start + lead..r.end - trail);
    }
}

/// An answer made ready for quoting once, so that questions do not repeat the work: its
/// normalized form with the offset map, a byte → character table of the normalized text, and
/// its sentences.
#[derive(Debug)]
pub struct Prepared {
    n: Normalized,
    /// For each byte of `n.text` (and one past its end), the index of its character.
    char_at: Vec<u32>,
    spans: Vec<Range<usize>>,
    /// Each sentence of `spans` in the normalized text, as a byte range of `n.text`.
    normalized_spans: Vec<Range<usize>>,
    whole: bool,
}

/// Prepares `answer` for [`choose_prepared`].
pub fn prepare(answer: &str, policy: &Policy) -> Prepared {
    let n = normalize(answer);
    let mut char_at = vec![0u32; n.text.len() + 1];
    for (i, (b, c)) in n.text.char_indices().enumerate() {
        char_at[b..b + c.len_utf8()].fill(i as u32);
    }
    char_at[n.text.len()] = n.origin.len() as u32;
    let spans = sentences(answer);
    // Both the sentences and the normalized characters' origins run in order: one sweep.
    let mut normalized_spans: Vec<Option<Range<usize>>> = vec![None; spans.len()];
    let mut k = 0;
    for ((b, c), origin) in n.text.char_indices().zip(&n.origin) {
        while k < spans.len() && spans[k].end <= origin.start {
            k += 1;
        }
        if spans.get(k).is_some_and(|s| s.start <= origin.start) {
            let r = normalized_spans[k].get_or_insert(b..b);
            r.end = b + c.len_utf8();
        }
    }
    let normalized_spans = normalized_spans
        .into_iter()
        .map(|r| r.unwrap_or(0..0))
        .collect();
    Prepared {
        n,
        char_at,
        spans,
        normalized_spans,
        whole: answer.chars().count() <= policy.whole_answer_chars,
    }
}

/// Where `needle` occurs in normalized text, as original byte ranges. Chinese needles match
/// anywhere (游戏 inside 游戏产业: segmentation of a question and a passage may differ);
/// Latin ones only at a word start, extended to the word's end (a stem like `lightn` marks
/// `Lightning`).
fn occurrences(n: &Normalized, char_at: &[u32], needle: &Needle, out: &mut Vec<Range<usize>>) {
    let len = needle.finder.needle().len();
    for byte in needle.finder.find_iter(n.text.as_bytes()) {
        let start = char_at[byte] as usize;
        let mut end = char_at[byte + len] as usize;
        if needle.latin {
            let word_char = |c: char| c.is_alphanumeric() && !is_han(c);
            let before = n.text[..byte].chars().next_back();
            if before.is_some_and(word_char) {
                continue;
            }
            end += n.text[byte + len..]
                .chars()
                .take_while(|&c| word_char(c))
                .count();
        }
        out.push(n.original_range(start..end));
    }
}

/// The quote of `answer` for `needles`, with at most `max_sentences` sentences. (The engine
/// prepares each answer once and calls [`choose_prepared`].)
#[cfg(test)]
pub fn choose(answer: &str, needles: &Needles, max_sentences: usize, policy: &Policy) -> Quote {
    choose_prepared(
        answer,
        &prepare(answer, policy),
        needles,
        max_sentences,
        policy,
        None,
    )
}

/// The quote of `answer` for `needles`, with at most `max_sentences` sentences; `prepared` is
/// made by [`prepare`] from the same `answer`, once for every question that quotes it, and
/// `meaning` is each sentence's cosine with the question, when the encoder is there.
pub fn choose_prepared(
    answer: &str,
    prepared: &Prepared,
    needles: &Needles,
    max_sentences: usize,
    policy: &Policy,
    meaning: Option<&[f32]>,
) -> Quote {
    let Prepared {
        n,
        char_at,
        spans,
        normalized_spans,
        whole,
    } = prepared;
    // Matched ranges in `answer` with their weights and which needle matched.
    let mut marks: Vec<(Range<usize>, f32, usize)> = Vec::new();
    let mut found = Vec::new();
    for (k, needle) in needles.words.iter().enumerate() {
        found.clear();
        occurrences(n, char_at, needle, &mut found);
        marks.extend(found.drain(..).map(|r| (r, needle.weight, k)));
    }
    let mut bigram_marks: Vec<Range<usize>> = Vec::new();
    for b in &needles.bigrams {
        occurrences(n, char_at, b, &mut bigram_marks);
    }
    if spans.is_empty() {
        return Quote::default();
    }
    // How close each sentence is in meaning to the question, scaled to 0..=1 within the
    // passage: a passage found by meaning alone is quoted by its closest sentences.
    let closeness: Vec<f32> = match meaning.filter(|m| m.len() == spans.len()) {
        Some(m) => {
            let (lo, hi) = m
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                });
            m.iter()
                .map(|&x| if hi > lo { (x - lo) / (hi - lo) } else { 0.0 })
                .collect()
        }
        None => vec![0.0; spans.len()],
    };
    let scores: Vec<f32> = spans
        .iter()
        .zip(normalized_spans)
        .zip(&closeness)
        .map(|((s, normalized), &close)| {
            // Each term counts once per sentence.
            let mut seen: Vec<usize> = Vec::new();
            let word_score: f32 = marks
                .iter()
                .filter(|(r, _, k)| {
                    let first = s.start <= r.start && r.end <= s.end && !seen.contains(k);
                    if first {
                        seen.push(*k);
                    }
                    first
                })
                .map(|(_, w, _)| *w)
                .sum();
            let bigram_score = bigram_marks
                .iter()
                .filter(|r| s.start <= r.start && r.end <= s.end)
                .count() as f32;
            let figure = needles.figure.as_ref().is_some_and(|names| {
                crate::retrieval::figure::states_figure(&n.text[normalized.clone()], names)
            });
            // A matched sentence that gives the figure asked for goes first.
            let figure_score = if figure && word_score > 0.0 {
                word_score
            } else {
                0.0
            };
            word_score
                + policy.quote_bigram_weight * bigram_score
                + figure_score
                + policy.quote_meaning_weight * close
        })
        .collect();

    let chosen: Vec<usize> = if *whole {
        (0..spans.len()).collect()
    } else {
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let mut chosen = Vec::new();
        let mut length = 0;
        for i in order.into_iter().take(max_sentences.max(1)) {
            if !chosen.is_empty() && scores[i] <= 0.0 {
                break;
            }
            let len = answer[spans[i].clone()].chars().count();
            if !chosen.is_empty() && length + len > policy.max_quote_chars {
                continue;
            }
            length += len;
            chosen.push(i);
        }
        // Room left: the sentences that follow the best one give it context (an answer
        // that matched only through its question starts with its first sentences).
        let mut next = chosen[0] + 1;
        while chosen.len() < max_sentences && next < spans.len() {
            let len = answer[spans[next].clone()].chars().count();
            if length + len > policy.max_quote_chars {
                break;
            }
            if !chosen.contains(&next) {
                length += len;
                chosen.push(next);
            }
            next += 1;
        }
        chosen.sort_unstable();
        chosen
    };

    let mut fragments: Vec<Fragment> = Vec::new();
    let mut k = 0;
    while k < chosen.len() {
        let first = chosen[k];
        let mut last = first;
        while k + 1 < chosen.len() && chosen[k + 1] == last + 1 {
            k += 1;
            last = chosen[k];
        }
        k += 1;
        let range = spans[first].start..spans[last].end;
        let mut hl: Vec<Range<usize>> = marks
            .iter()
            .map(|(r, _, _)| r.clone())
            .filter(|r| range.start <= r.start && r.end <= range.end)
            .collect();
        if hl.is_empty() {
            hl = bigram_marks
                .iter()
                .filter(|r| range.start <= r.start && r.end <= range.end)
                .cloned()
                .collect();
        }
        fragments.push(Fragment {
            text: answer[range.clone()].to_string(),
            highlights: merge(
                hl.into_iter()
                    .map(|r| r.start - range.start..r.end - range.start)
                    .collect(),
            ),
        });
    }
    Quote {
        cut_before: chosen.first().is_some_and(|&f| f > 0),
        cut_after: chosen.last().is_some_and(|&l| l + 1 < spans.len()),
        fragments,
    }
}

/// Sorts and merges overlapping or touching ranges.
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_table() {
        let cases: &[(&str, &[&str])] = &[
            ("一。二！三", &["一。", "二！", "三"]),
            ("他說「好。」然後走了。", &["他說「好。」", "然後走了。"]),
            ("第一段\n\n第二段。", &["第一段", "第二段。"]),
            ("  ", &[]),
            ("Why? Because.", &["Why?", "Because."]),
        ];
        for (text, want) in cases {
            let got: Vec<&str> = sentences(text).into_iter().map(|r| &text[r]).collect();
            assert_eq!(got, *want, "{text}");
        }
    }

    #[test]
    fn prepared_sentences_map_to_their_normalized_text() {
        let answers = [
            "我們一開始做To C。後來轉向了ＴＯ Ｂ!\n\n第二段「好。」然後走了",
            "  前後有空白。  ",
            "",
        ];
        for answer in answers {
            let p = prepare(answer, &Policy::default());
            assert_eq!(p.spans.len(), p.normalized_spans.len(), "{answer}");
            for (s, ns) in p.spans.iter().zip(&p.normalized_spans) {
                assert_eq!(
                    &p.n.text[ns.clone()],
                    normalize(&answer[s.clone()]).text,
                    "{answer}"
                );
            }
        }
    }

    #[test]
    fn a_question_asking_for_a_figure_gets_the_sentence_that_states_it() {
        let answer = "收入主要來自海外,這是我們很早就定下的方向,也是團隊一直堅持的打法。\
            另外遊戲產業增長很好,金融和能源也不錯,我們會在這些行業繼續深耕。\
            今年收入大概有七成來自B端客戶,其餘來自C端的訂閱產品和廣告。";
        let needles = Needles::new(vec![("收入".into(), 1.0)], Vec::new());
        let first = |q: &Quote| q.fragments[0].text.clone();
        let plain = choose(answer, &needles, 1, &Policy::default());
        assert!(first(&plain).starts_with("收入主要來自海外"), "{plain:?}");
        let needles = needles.asking_figure(Vec::new().into());
        let figure = choose(answer, &needles, 1, &Policy::default());
        assert!(
            first(&figure).starts_with("今年收入大概有七成"),
            "{figure:?}"
        );
    }

    #[test]
    fn picks_matching_sentences_verbatim_with_highlights() {
        let answer = "我們一開始做To C。後來轉向了To B,這是戰略轉型的一部分,因為國內To C很難商業化。另外遊戲產業增長很好,金融和能源也不錯,我們會繼續在這些行業深耕下去,並且與更多的夥伴合作。最後一句話和問題毫無關係,只是為了讓答案變長而已,讓它超過整段引用的長度限制。";
        let needles = Needles::new(
            vec![
                ("游戏".into(), 1.0),
                ("产业".into(), 1.0),
                ("to b".into(), 0.5),
            ],
            Vec::new(),
        );
        let q = choose(answer, &needles, 1, &Policy::default());
        assert_eq!(q.fragments.len(), 1);
        let two = choose(answer, &needles, 2, &Policy::default());
        assert_eq!(two.fragments.len(), 1, "neighbours merge into one fragment");
        assert!(
            two.fragments[0].text.starts_with("後來轉向了To B"),
            "{two:?}"
        );
        assert!(
            two.fragments[0].text.ends_with("與更多的夥伴合作。"),
            "{two:?}"
        );
        let three = choose(
            answer,
            &Needles::new(vec![("游戏".into(), 1.0)], Vec::new()),
            2,
            &Policy::default(),
        );
        assert!(
            three.fragments[0].text.ends_with("長度限制。"),
            "context follows: {three:?}"
        );
        let f = &q.fragments[0];
        assert!(f.text.starts_with("另外遊戲產業"), "{}", f.text);
        assert!(answer.contains(&f.text));
        assert!(q.cut_before && q.cut_after);
        let bold: Vec<&str> = f.highlights.iter().map(|r| &f.text[r.clone()]).collect();
        assert_eq!(bold, ["遊戲產業"]);
    }

    #[test]
    fn latin_needles_match_whole_words_from_their_start() {
        let needles = Needles::new(vec![("lightn".into(), 1.0), ("ai".into(), 1.0)], Vec::new());
        let q = choose(
            "Yi-Lightning很快,SAID不算,AI算。",
            &needles,
            3,
            &Policy::default(),
        );
        let f = &q.fragments[0];
        let bold: Vec<&str> = f.highlights.iter().map(|r| &f.text[r.clone()]).collect();
        assert_eq!(bold, ["Lightning", "AI"]);
    }

    #[test]
    fn short_answers_are_quoted_whole() {
        let q = choose(
            "先去找投資人聊,看有沒有人願意投。",
            &Needles::default(),
            1,
            &Policy::default(),
        );
        assert_eq!(q.plain(), "先去找投資人聊,看有沒有人願意投。");
        assert!(!q.cut_before && !q.cut_after);
    }
}
