/*!
English stemming: one Snowball stemmer, and the two rules that use it.

- [`glossary_key`] stems every word, lowercased first: the glossary's keys are made this way
  (`games`, `gaming` and `game` meet), and a question's English words are looked up the same
  way.
- [`index_form`] is what the analyzer indexes and searches: only ASCII words of more than
  three lowercase letters are stemmed, so short acronyms and names stay whole (`ais` would
  become `ai`, `its` `it`) and text in other scripts is never touched.

The two rules stay apart on purpose: the committed glossary file was generated with the first,
and stemming its keys by the second (or the index by the first) would change which English
words find which passages.
*/

use std::borrow::Cow;

/// The Snowball English stem of `word` lowercased: the form of the glossary's keys.
pub fn glossary_key(word: &str) -> String {
    snowball(&word.to_lowercase()).into_owned()
}

/// The form a folded word is indexed in: stemmed when it is an ASCII word of more than three
/// lowercase letters, as it is otherwise.
pub fn index_form(folded: &str) -> Cow<'_, str> {
    if folded.len() > 3 && folded.bytes().all(|b| b.is_ascii_lowercase()) {
        snowball(folded)
    } else {
        Cow::Borrowed(folded)
    }
}

/// Snowball English on a lowercase word. (Creating the stemmer only picks a function.)
fn snowball(lower: &str) -> Cow<'_, str> {
    rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English).stem(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stem_table() {
        let cases = [
            ("games", "game", "game"),
            ("gaming", "game", "game"),
            ("its", "it", "its"),
            ("ais", "ai", "ais"),
            ("GPUs", "gpus", "GPUs"),
            ("模型", "模型", "模型"),
            ("cheaper", "cheaper", "cheaper"),
        ];
        for (word, key, indexed) in cases {
            assert_eq!(glossary_key(word), key, "{word}");
            assert_eq!(index_form(word), indexed, "{word}");
        }
    }
}
