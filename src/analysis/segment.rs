/*!
Word segmentation: lexicon phrases first, jieba for the rest.

Whitespace splits text before jieba's dictionary is consulted, so multi-word terms
(`scaling law`, `to b`, `kai-fu lee`) are found here first, ignoring spaces, at word
boundaries, with an optional English plural (`scaling laws`). The gaps between them go to
jieba's default mode without HMM: unknown words then fall apart into characters that the
bigram field still matches, instead of being glued differently in different sentences.
*/

use jieba_rs::Jieba;

use super::{Normalized, Term};

/// Word terms of normalized text, stop words not yet removed.
pub fn words(jieba: &Jieba, phrases: &[(Vec<char>, String)], n: &Normalized) -> Vec<Term> {
    let chars: Vec<char> = n.text.chars().collect();
    let mut out = Vec::new();
    let mut gap_start = 0;
    let mut i = 0;
    while i < chars.len() {
        if let Some((end, canonical)) = phrase_at(&chars, i, phrases) {
            cut_gap(jieba, n, &chars, gap_start..i, &mut out);
            out.push(Term {
                text: canonical.to_string(),
                chars: i..end,
                original: n.original_range(i..end),
            });
            i = end;
            gap_start = end;
        } else {
            i += 1;
        }
    }
    cut_gap(jieba, n, &chars, gap_start..chars.len(), &mut out);
    out
}

/// The longest phrase that starts at `i` on a word boundary: (end char, canonical form).
fn phrase_at<'p>(
    chars: &[char],
    i: usize,
    phrases: &'p [(Vec<char>, String)],
) -> Option<(usize, &'p str)> {
    let c0 = chars[i];
    if c0.is_whitespace() || (i > 0 && is_word_char(chars[i - 1]) && is_word_char(c0)) {
        return None;
    }
    'phrases: for (compact, canonical) in phrases {
        if compact.first() != Some(&c0) {
            continue;
        }
        let (mut j, mut k) = (i, 0);
        while k < compact.len() {
            match chars.get(j) {
                Some(&c) if c == compact[k] => {
                    j += 1;
                    k += 1;
                }
                // Spaces inside the phrase are optional and may be repeated.
                Some(c) if c.is_whitespace() && k > 0 => j += 1,
                _ => continue 'phrases,
            }
        }
        // An English plural: `laws`, `models`.
        let last_is_latin = compact.last().is_some_and(|c| c.is_ascii_alphabetic());
        if last_is_latin
            && chars.get(j) == Some(&'s')
            && !chars.get(j + 1).is_some_and(|c| is_word_char(*c))
        {
            j += 1;
        }
        let boundary = match chars.get(j) {
            Some(&next) => !(is_word_char(next) && is_word_char(chars[j - 1])),
            None => true,
        };
        if boundary {
            return Some((j, canonical));
        }
    }
    None
}

/// A character that continues a Latin word or number (CJK text has no word boundaries to keep).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !super::han::is_han(c)
}

fn cut_gap(
    jieba: &Jieba,
    n: &Normalized,
    chars: &[char],
    gap: std::ops::Range<usize>,
    out: &mut Vec<Term>,
) {
    if gap.is_empty() {
        return;
    }
    let text: String = chars[gap.clone()].iter().collect();
    for tok in jieba.cut(&text, false) {
        if !tok.word.chars().any(char::is_alphanumeric) {
            continue;
        }
        let range = gap.start + tok.start..gap.start + tok.end;
        out.push(Term {
            text: tok.word.to_string(),
            original: n.original_range(range.clone()),
            chars: range,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::normalize;

    fn phrases() -> Vec<(Vec<char>, String)> {
        ["scaling law", "to b", "kai-fu lee", "01.ai"]
            .iter()
            .map(|p| {
                (
                    p.chars().filter(|c| !c.is_whitespace()).collect(),
                    p.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn phrase_table() {
        let jieba = Jieba::new();
        let cases: &[(&str, &[&str])] = &[
            ("Scaling Law", &["scaling law"]),
            ("scaling  laws!", &["scaling law"]),
            ("ScalingLaw方向", &["scaling law", "方向"]),
            ("做To B生意", &["做", "to b", "生意"]),
            ("tobacco", &["tobacco"]),
            ("to be", &["to", "be"]),
            ("Kai-Fu Lee said", &["kai-fu lee", "said"]),
            ("01.AI's revenue", &["01.ai", "s", "revenue"]),
            ("", &[]),
            ("?!…", &[]),
        ];
        for (input, want) in cases {
            let got: Vec<String> = words(&jieba, &phrases(), &normalize(input))
                .into_iter()
                .map(|t| t.text)
                .collect();
            assert_eq!(got, *want, "{input}");
        }
    }

    #[test]
    fn offsets_only_increase() {
        let jieba = Jieba::new();
        let n = normalize("李開複談Scaling Law與To B,然後說teacher model。");
        let terms = words(&jieba, &phrases(), &n);
        for w in terms.windows(2) {
            assert!(w[0].original.end <= w[1].original.start, "{w:?}");
        }
    }
}
