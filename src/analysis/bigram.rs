/*!
Character bigrams: every two neighbouring Han characters of a run, a lone Han character as
itself, and each Latin word or number whole.

Bigrams need no dictionary, so they match where segmentation differs between a question and
a passage (the published evidence: words plus bigrams retrieve best for Chinese). Runs stop
at anything that is not Han, so a bigram never spans punctuation.
*/

use super::han::is_han;
use super::{Normalized, Term};

/// Bigram terms of normalized text, in order of position.
pub fn bigrams(n: &Normalized) -> Vec<Term> {
    let chars: Vec<char> = n.text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_han(c) {
            let start = i;
            while i < chars.len() && is_han(chars[i]) {
                i += 1;
            }
            if i - start == 1 {
                out.push(term(n, &chars, start..i));
            } else {
                for s in start..i - 1 {
                    out.push(term(n, &chars, s..s + 2));
                }
            }
        } else if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() && !is_han(chars[i]) {
                i += 1;
            }
            out.push(term(n, &chars, start..i));
        } else {
            i += 1;
        }
    }
    out
}

fn term(n: &Normalized, chars: &[char], range: std::ops::Range<usize>) -> Term {
    Term {
        text: chars[range.clone()].iter().collect(),
        original: n.original_range(range.clone()),
        chars: range,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::normalize;

    #[test]
    fn bigram_table() {
        let cases: &[(&str, &[&str])] = &[
            ("零一萬物", &["零一", "一万", "万物"]),
            ("卡", &["卡"]),
            ("賣卡,GPU3B", &["卖卡", "gpu3b"]),
            ("AI創業", &["ai", "创业"]),
            ("。,", &[]),
        ];
        for (input, want) in cases {
            let got: Vec<String> = bigrams(&normalize(input))
                .into_iter()
                .map(|t| t.text)
                .collect();
            assert_eq!(got, *want, "{input}");
        }
    }

    #[test]
    fn bigrams_point_at_original_characters() {
        let text = "預訓練團隊";
        let n = normalize(text);
        let got: Vec<&str> = bigrams(&n)
            .iter()
            .map(|t| &text[t.original.clone()])
            .collect();
        assert_eq!(got, ["預訓", "訓練", "練團", "團隊"]);
    }
}
