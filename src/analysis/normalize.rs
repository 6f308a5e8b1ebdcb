/*!
Normalization for matching: an explicit, ordered pipeline from the text as written to the
form that is segmented and indexed.

The normalized text is only ever used to *match*. Every normalized character remembers the
byte range of the original character it came from, so a match always maps back to the
verbatim text and highlights land on the quote exactly as published.

The steps, in order:
1. [`Step::Invisible`] — control characters become spaces; format characters (zero-width
   space and joiners, bidi marks, soft hyphen, BOM) are dropped.
2. [`Step::Width`] — Unicode NFKC per character (full-width Latin and digits, compatibility
   forms, ideographic space).
3. [`Step::Case`] — lowercase.
4. [`Step::Script`] — Traditional → Simplified Chinese (fast2s; it keeps the character count,
   so the offset map of the earlier steps stays valid).
5. [`Step::Variants`] — characters that Simplified text writes two ways, merged (著/着: 意味著
   and 意味着 must match). Harmless for matching, which is all this text is used for.
*/

use std::ops::Range;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// One step of the pipeline, in the order [`PIPELINE`] applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Controls → space; zero-width and other format characters → nothing.
    Invisible,
    /// NFKC width and compatibility folding.
    Width,
    /// Lowercase.
    Case,
    /// Traditional → Simplified Chinese.
    Script,
    /// Variant characters merged.
    Variants,
}

/// The pipeline applied by [`normalize`].
pub const PIPELINE: [Step; 5] = [
    Step::Invisible,
    Step::Width,
    Step::Case,
    Step::Script,
    Step::Variants,
];

/// Text folded for matching, with each character's origin in the original text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The folded text.
    pub text: String,
    /// For the n-th character of `text`, the byte range of the original character it came from.
    pub origin: Vec<Range<usize>>,
}

impl Normalized {
    /// The original byte range covered by normalized characters `chars` (a char range).
    pub fn original_range(&self, chars: Range<usize>) -> Range<usize> {
        if chars.start >= chars.end || chars.start >= self.origin.len() {
            let at = self
                .origin
                .get(chars.start)
                .map_or_else(|| self.origin.last().map_or(0, |r| r.end), |r| r.start);
            return at..at;
        }
        let last = chars.end.min(self.origin.len()) - 1;
        self.origin[chars.start].start..self.origin[last].end
    }
}

/// Runs [`PIPELINE`] over `original`.
pub fn normalize(original: &str) -> Normalized {
    let mut text = String::with_capacity(original.len());
    let mut origin = Vec::with_capacity(original.len() / 2);
    let mut buf: Vec<char> = Vec::with_capacity(4);
    for (at, c) in original.char_indices() {
        let range = at..at + c.len_utf8();
        // Fast path: common CJK ideographs and ASCII need only case folding.
        if c.is_ascii() && !c.is_ascii_control() || super::han::is_unified_basic(c) {
            text.push(c.to_ascii_lowercase());
            origin.push(range);
            continue;
        }
        buf.clear();
        buf.push(c);
        for step in PIPELINE {
            apply(step, &mut buf);
        }
        for &n in &buf {
            text.push(n);
            origin.push(range.clone());
        }
    }
    // The script step works on the whole string: fast2s looks at neighbouring characters
    // and never changes the number of characters.
    let mut text = if text.is_ascii() {
        text
    } else {
        fast2s::convert(&text)
    };
    if text.contains(|c| VARIANTS.iter().any(|&(from, _)| from == c)) {
        text = text.chars().map(variant).collect();
    }
    debug_assert_eq!(text.chars().count(), origin.len());
    Normalized { text, origin }
}

/// Folds a short string for matching (config words, dictionary entries), without offsets.
pub fn fold(s: &str) -> String {
    normalize(s).text
}

fn apply(step: Step, buf: &mut Vec<char>) {
    match step {
        Step::Invisible => buf.retain_mut(|c| {
            if c.is_control() {
                *c = ' ';
                true
            } else {
                !is_format(*c)
            }
        }),
        Step::Width => {
            if buf.iter().any(|c| !c.is_ascii()) {
                let s: String = buf.iter().collect();
                buf.clear();
                // A lone combining mark composes with nothing; keep it as it is.
                if s.chars().all(is_combining_mark) {
                    buf.extend(s.chars());
                } else {
                    buf.extend(s.nfkc());
                }
            }
        }
        Step::Case => {
            if buf.iter().any(|c| c.is_uppercase()) {
                let lowered: Vec<char> = buf.iter().flat_map(|c| c.to_lowercase()).collect();
                *buf = lowered;
            }
        }
        // Applied to the whole string in `normalize`, where neighbours are known.
        Step::Script | Step::Variants => {}
    }
}

/// Characters Simplified text writes two ways, each with the spelling kept.
const VARIANTS: [(char, char); 3] = [('著', '着'), ('祇', '只'), ('嚐', '尝')];

/// One spelling for characters Simplified writes two ways ([`VARIANTS`]).
fn variant(c: char) -> char {
    VARIANTS
        .iter()
        .find(|&&(from, _)| from == c)
        .map_or(c, |&(_, to)| to)
}

/// Unicode format characters (category Cf) that matter in practice: invisible in text,
/// they must not split or glue words.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e0001}' | '\u{e0020}'..='\u{e007f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_table() {
        let cases = [
            ("李開複怎麼看", "李开复怎么看"),
            ("ＡＩ創業", "ai创业"),
            ("Scaling　Law", "scaling law"),
            ("零\u{200b}一萬物", "零一万物"),
            ("a\u{7}b", "a b"),
            ("後發劣勢", "后发劣势"),
            ("為什麼", "为什么"),
            ("意味著", "意味着"),
            ("Yi-Lightning", "yi-lightning"),
            ("①", "1"),
            ("😀", "😀"),
            ("\u{301}", "\u{301}"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input).text, want, "{input:?}");
        }
    }

    #[test]
    fn offsets_point_into_the_original() {
        let original = "ＡＩ：李開複\u{200b}說";
        let n = normalize(original);
        assert_eq!(n.text, "ai:李开复说");
        assert_eq!(n.origin.len(), n.text.chars().count());
        // 李开复 is characters 3..6 of the normalized text.
        assert_eq!(&original[n.original_range(3..6)], "李開複");
        // the zero-width space is gone, so 说 maps straight to 說.
        assert_eq!(&original[n.original_range(6..7)], "說");
        assert_eq!(&original[n.original_range(0..2)], "ＡＩ");
    }

    #[test]
    fn expanding_characters_keep_their_origin() {
        let original = "㈱İ";
        let n = normalize(original);
        assert!(n.text.chars().count() > 2);
        for r in &n.origin {
            assert!(original.get(r.clone()).is_some());
        }
    }
}
