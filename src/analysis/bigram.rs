/*!
Character bigrams: every two neighbouring Han characters of a run, a lone Han character as
itself, and each Latin word or number whole.

Bigrams need no dictionary, so they match where segmentation differs between a question and
a passage (the published evidence: words plus bigrams retrieve best for Chinese). Runs stop
at anything that is not Han, so a bigram never spans punctuation.
*/

use super::han::{is_han, pairs};
use super::{Normalized, Term};

/// Bigram terms of normalized text, in order of position.
pub fn bigrams(n: &Normalized) -> Vec<Term> {
    let text = n.text.as_str();
    let mut out = Vec::new();
    // Each character with its index among the characters and its byte offset.
    let mut chars = text.char_indices().enumerate().peekable();
    while let Some((start, (from, c))) = chars.next() {
        let han = is_han(c);
        if !han && !c.is_alphanumeric() {
            continue;
        }
        // The run `c` starts: Han characters, or letters and digits that are not Han.
        let (mut end, mut to) = (start + 1, from + c.len_utf8());
        while let Some(&(i, (at, d))) = chars.peek() {
            let same = if han {
                is_han(d)
            } else {
                d.is_alphanumeric() && !is_han(d)
            };
            if !same {
                break;
            }
            (end, to) = (i + 1, at + d.len_utf8());
            chars.next();
        }
        let run = &text[from..to];
        if han && end - start > 1 {
            for (k, pair) in pairs(run).enumerate() {
                out.push(term(n, pair, start + k..start + k + 2));
            }
        } else {
            out.push(term(n, run, start..end));
        }
    }
    out
}

fn term(n: &Normalized, text: &str, chars: std::ops::Range<usize>) -> Term {
    Term {
        text: text.to_string(),
        original: n.original_range(chars.clone()),
        chars,
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
