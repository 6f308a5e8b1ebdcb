/*!
The analyzer as tantivy tokenizers, so the index and the query side cut text identically.

Both hold a cheap clone of [`ChineseAnalyzer`] (an `Arc`): tantivy clones a field's tokenizer
on every use, and a tokenizer holding jieba by value would copy its whole dictionary each time.
*/

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{ChineseAnalyzer, Term};

/// Name under which [`WordTokenizer`] is registered.
pub const WORDS: &str = "zh_words";
/// Name under which [`BigramTokenizer`] is registered.
pub const BIGRAMS: &str = "zh_bigrams";

/// Jieba words (see [`ChineseAnalyzer::words`]).
#[derive(Clone)]
pub struct WordTokenizer(pub ChineseAnalyzer);

/// Character bigrams (see [`ChineseAnalyzer::bigrams`]).
#[derive(Clone)]
pub struct BigramTokenizer(pub ChineseAnalyzer);

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = TermStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        TermStream::new(self.0.words(text))
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = TermStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        TermStream::new(self.0.bigrams(text))
    }
}

/// Registers both tokenizers on an index; used when creating and when opening one.
pub fn register(index: &tantivy::Index, analyzer: &ChineseAnalyzer) {
    let manager = index.tokenizers();
    manager.register(WORDS, WordTokenizer(analyzer.clone()));
    manager.register(BIGRAMS, BigramTokenizer(analyzer.clone()));
}

/// A finished list of terms as a tantivy token stream.
pub struct TermStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TermStream {
    fn new(terms: Vec<Term>) -> TermStream {
        let tokens = terms
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.original.start,
                offset_to: t.original.end,
                position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        TermStream { tokens, next: 0 }
    }
}

impl TokenStream for TermStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_support::analyzer;

    #[test]
    fn stream_table() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "零一萬物賣卡",
                &["零一万物", "卖", "卡"],
                &["零一", "一万", "万物", "物卖", "卖卡"],
            ),
            ("", &[], &[]),
        ];
        for (input, words, bigrams) in cases {
            let mut w = WordTokenizer(analyzer());
            let mut got = Vec::new();
            w.token_stream(input)
                .process(&mut |t| got.push(t.text.clone()));
            assert_eq!(got, *words, "{input}");
            let mut b = BigramTokenizer(analyzer());
            let mut got = Vec::new();
            b.token_stream(input)
                .process(&mut |t| got.push(t.text.clone()));
            assert_eq!(got, *bigrams, "{input}");
        }
    }
}
