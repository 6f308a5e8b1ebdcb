/*!
The one answer to "is this a Chinese character?", and the one walk over neighbouring
characters that every bigram comes from.

Segmentation, bigrams, coverage, quoting and the glossary builder all ask; they must agree, or
a character indexed as Chinese would be matched as Latin on the other side.
*/

/// Whether `c` is a Han ideograph (CJK Unified Ideographs, their extensions, and the
/// compatibility ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF
        | 0x2A700..=0x2EBEF | 0x30000..=0x3134F)
}

/// Whether `c` is in the basic block of unified ideographs, which Unicode normalization
/// leaves alone: normalization's fast path. (The compatibility ideographs are Han too, but
/// NFKC maps them to unified ones, so they take the slow path.)
pub fn is_unified_basic(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Each pair of neighbouring characters of `text`, as a slice of it: the one walk every
/// bigram comes from (the bigram field, the bigrams of a question's alternatives, the stop
/// words' bigrams).
pub fn pairs(text: &str) -> impl Iterator<Item = &str> + '_ {
    let ends = text.char_indices().map(|(at, c)| at + c.len_utf8()).skip(1);
    text.char_indices()
        .zip(ends)
        .map(move |((at, _), end)| &text[at..end])
}

/// The bigrams of `text` ([`pairs`]), or `None` when it is not Han throughout or has fewer
/// than two characters.
pub fn bigrams(text: &str) -> Option<Vec<&str>> {
    if !text.chars().all(is_han) {
        return None;
    }
    let out: Vec<&str> = pairs(text).collect();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_table() {
        let cases = [
            ('李', true),
            ('開', true),
            ('㐀', true),
            ('\u{f900}', true),
            ('𠀀', true),
            ('a', false),
            ('1', false),
            ('。', false),
            ('ア', false),
            ('한', false),
        ];
        for (c, want) in cases {
            assert_eq!(is_han(c), want, "{c}");
        }
        assert!(
            !is_unified_basic('\u{f900}'),
            "compatibility ideographs need NFKC"
        );
    }

    #[test]
    fn bigram_table() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("零一万物", Some(&["零一", "一万", "万物"])),
            ("模型", Some(&["模型"])),
            ("卡", None),
            ("ai模型", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(bigrams(text).as_deref(), *want, "{text}");
        }
        assert_eq!(pairs("said").collect::<Vec<_>>(), ["sa", "ai", "id"]);
        assert_eq!(pairs("卡").count(), 0);
        assert_eq!(pairs("").count(), 0);
    }
}
