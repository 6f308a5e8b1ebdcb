/*!
Taught phrasings as a retriever: a question close to a phrasing a moderator taught for a
passage (`/teach`) finds that passage, for that community, from the next question on.

Closeness is the Dice coefficient of the two texts' character bigrams (Latin words whole),
after folding: robust to script, punctuation and small rewordings, and needing no index, since
a community teaches tens of phrasings, not thousands.
*/

use super::request::Alias;
use super::retriever::{Query, Retriever, Source};
use crate::analysis::fold;
use crate::analysis::han::is_han;

/// The taught phrasings of one request.
#[derive(Debug, Clone, Copy)]
pub struct AliasRetriever<'a> {
    /// The phrasings.
    pub aliases: &'a [Alias],
}

/// Bigrams of folded text: pairs of neighbouring Han characters, Latin words and numbers whole.
fn grams(text: &str) -> Vec<String> {
    let folded = fold(text);
    let chars: Vec<char> = folded.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_han(chars[i]) {
            if i + 1 < chars.len() && is_han(chars[i + 1]) {
                out.push(chars[i..i + 2].iter().collect());
            } else if i == 0 || !is_han(chars[i - 1]) {
                out.push(chars[i].to_string());
            }
            i += 1;
        } else if chars[i].is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() && !is_han(chars[i]) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            i += 1;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// How close two texts are (0..=1): the Dice coefficient of their bigram sets.
pub fn similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (grams(a), grams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.iter().filter(|g| b.binary_search(g).is_ok()).count();
    2.0 * shared as f32 / (a.len() + b.len()) as f32
}

impl Retriever for AliasRetriever<'_> {
    fn source(&self) -> Source {
        Source::Alias
    }

    fn retrieve(&self, query: &Query<'_>, k: usize) -> Vec<(usize, f32)> {
        let mut found: Vec<(usize, f32)> = Vec::new();
        for alias in self.aliases {
            let s = similarity(query.text, &alias.phrasing);
            if s < query.policy.alias_min_similarity {
                continue;
            }
            match found.iter_mut().find(|(p, _)| *p == alias.passage) {
                Some((_, best)) => *best = best.max(s),
                None => found.push((alias.passage, s)),
            }
        }
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(k);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_table() {
        let cases = [
            ("零一萬物靠什麼賺錢?", "零一万物靠什么赚钱", 1.0),
            ("零一萬物靠什麼賺錢?", "零一萬物靠啥賺錢", 0.7),
            ("What is PopAi?", "what is popai", 1.0),
            ("今天天氣怎麼樣?", "零一萬物靠什麼賺錢?", 0.0),
            ("", "零一", 0.0),
        ];
        for (a, b, want) in cases {
            let got = similarity(a, b);
            assert!((got - want).abs() < 0.11, "{a} ~ {b}: {got}");
        }
    }
}
