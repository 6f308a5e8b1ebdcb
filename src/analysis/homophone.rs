/*!
Homophones: words typed by their sound. Pinyin and zhuyin input methods offer every character
of a syllable, so people write 阿理云 for 阿里云 or 零一万務 for 零一万物. A word the corpus never
uses is matched, by its toneless pinyin, to the corpus words that sound the same; retrieval
weighs such a match below the word itself (see `Policy::homophone_weight`).
*/

use pinyin::ToPinyin;
use rustc_hash::FxHashMap;

use super::han::is_han;

/// The toneless pinyin of Han text, syllables joined by spaces (`阿里云` → `a li yun`), or
/// `None` when a character is not Han or has no reading.
pub fn key(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() * 2);
    for (c, p) in text.chars().zip(text.to_pinyin()) {
        if !is_han(c) {
            return None;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(p?.plain());
    }
    (!out.is_empty()).then_some(out)
}

/// Corpus words by how they sound.
#[derive(Debug, Default)]
pub struct Homophones {
    by_sound: FxHashMap<String, Vec<String>>,
}

impl Homophones {
    /// Indexes the Han `words` of two to four characters by their toneless pinyin.
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Homophones {
        let mut by_sound: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for w in words {
            let n = w.chars().count();
            if !(2..=4).contains(&n) {
                continue;
            }
            if let Some(k) = key(w) {
                let entry = by_sound.entry(k).or_default();
                if !entry.iter().any(|e| e == w) {
                    entry.push(w.to_string());
                }
            }
        }
        Homophones { by_sound }
    }

    /// The corpus words that sound like `text` (other than `text` itself).
    pub fn of(&self, text: &str) -> &[String] {
        key(text)
            .and_then(|k| self.by_sound.get(&k))
            .map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_table() {
        let cases = [
            ("阿里云", Some("a li yun")),
            ("阿理云", Some("a li yun")),
            ("零一万物", Some("ling yi wan wu")),
            ("零一万务", Some("ling yi wan wu")),
            ("ai模型", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(key(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn words_that_sound_alike() {
        let h = Homophones::new(["阿里云", "零一万物", "模型", "卡"]);
        assert_eq!(h.of("阿理云"), ["阿里云"]);
        assert_eq!(h.of("零一万务"), ["零一万物"]);
        assert!(h.of("天气").is_empty());
    }
}
