//! Kernel selection and the float parts of the forward pass.
//!
//! [`Kernel`] names the instruction set used for the whole forward pass; it
//! is detected once at load ([`Kernel::detect`]) and can be forced for
//! benchmarks and tests. Besides the integer matrix products
//! (`qmatmul`) the model needs layer norms, an exact-erf GELU, a
//! softmax and the attention products; at 512 tokens the attention alone is
//! ~5 GFLOP and ~38 M exponentials, so libm calls and scalar loops would
//! dominate. This module has vectorised `exp`/`erf` approximations (error
//! ≤ 2 ulp and ≤ 5e-7, far below the 4-bit weights' error), an attention that
//! works on one head at a time with keys transposed (no horizontal sums), and
//! layer norms written with 8 independent lanes so the compiler vectorises
//! them inside `#[target_feature]` wrappers. Scalar code is the fallback for
//! CPUs without AVX2 and for other architectures.

/// The instruction set the forward pass uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Portable Rust, any CPU.
    Scalar,
    /// x86-64 AVX2 + FMA (`vpmaddubsw` integer products).
    Avx2,
    /// AVX2 + FMA + AVX-VNNI (`vpdpbusd` on 256-bit registers).
    AvxVnni,
    /// AVX-512 F/BW/VNNI (`vpdpbusd` on 512-bit registers) for the matrix
    /// products, AVX2 + FMA elsewhere.
    Avx512Vnni,
}

impl Kernel {
    /// Every kernel, fastest last.
    pub const ALL: [Kernel; 4] = [
        Kernel::Scalar,
        Kernel::Avx2,
        Kernel::AvxVnni,
        Kernel::Avx512Vnni,
    ];

    /// Short lower-case name (`scalar`, `avx2`, `avxvnni`, `avx512vnni`).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Avx2 => "avx2",
            Kernel::AvxVnni => "avxvnni",
            Kernel::Avx512Vnni => "avx512vnni",
        }
    }

    /// The kernel called `name` (as [`Kernel::name`] spells it).
    pub fn from_name(name: &str) -> Option<Kernel> {
        Kernel::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::AvxVnni => {
                Kernel::Avx2.is_supported() && std::arch::is_x86_feature_detected!("avxvnni")
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Vnni => {
                Kernel::Avx2.is_supported()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The kernels this CPU can run.
    pub fn available() -> Vec<Kernel> {
        Kernel::ALL
            .into_iter()
            .filter(|k| k.is_supported())
            .collect()
    }

    /// The fastest kernel this CPU can run.
    ///
    /// The order is by measurement on a Sapphire Rapids core (see NOTES.md):
    /// AVX-512 VNNI, then AVX-VNNI, then AVX2, then scalar.
    pub fn detect() -> Kernel {
        *Kernel::available()
            .last()
            .expect("the scalar kernel is always available")
    }

    fn simd(self) -> bool {
        self != Kernel::Scalar
    }
}

// ---------------------------------------------------------------------------
// Element-wise math, written lane-wise so that it vectorises.

const LOG2E: f32 = std::f32::consts::LOG2_E;

/// `e^x` (Cephes polynomial; ≤ 2 ulp on [-87, 88], 0 below).
#[inline(always)]
pub(crate) fn exp_approx(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let fx = (x * LOG2E + 0.5).floor();
    let r = x - fx * 0.693_359_4 - fx * -2.121_944_4e-4;
    let r2 = r * r;
    let mut y = 1.987_569_1e-4;
    y = y * r + 1.398_199_9e-3;
    y = y * r + 8.333_452e-3;
    y = y * r + 4.166_579_6e-2;
    y = y * r + 1.666_666_5e-1;
    y = y * r + 0.5;
    y = y * r2 + r + 1.0;
    // 2^fx through the exponent bits; fx is in [-126, 127] after the clamp.
    y * f32::from_bits(((fx as i32 + 127) as u32) << 23)
}

/// `erf(x)` (rational approximation on [-4, 4]; |error| ≤ 5e-7).
#[inline(always)]
pub(crate) fn erf_approx(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.9546e-3;
    p = p * x2 + -1.609_603_3e-2;
    let mut q = -1.456_607_2e-5;
    q = q * x2 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329e-3;
    q = q * x2 + -1.426_473_9e-2;
    x * p / q
}

/// Exact-erf GELU: `x/2 · (1 + erf(x/√2))`.
#[inline(always)]
fn gelu1(x: f32) -> f32 {
    0.5 * x * (1.0 + erf_approx(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[inline(always)]
fn gelu_body(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = gelu1(*v);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gelu_avx2(x: &mut [f32]) {
    gelu_body(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn gelu_avx512(x: &mut [f32]) {
    gelu_body(x)
}

/// GELU in place.
pub(crate) fn gelu(kernel: Kernel, x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if kernel == Kernel::Avx512Vnni {
        // SAFETY: this kernel is only chosen when AVX-512 F was detected.
        return unsafe { gelu_avx512(x) };
    }
    #[cfg(target_arch = "x86_64")]
    if kernel.simd() {
        // SAFETY: a SIMD kernel is only chosen when AVX2 and FMA were detected.
        return unsafe { gelu_avx2(x) };
    }
    let _ = kernel;
    gelu_body(x)
}

/// Sum of a slice with 8 independent lanes (vectorises; a fixed order).
#[inline(always)]
fn sum8(x: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            acc[i] += c[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for v in chunks.remainder() {
        s += v;
    }
    s
}

#[inline(always)]
fn layer_norm_body(x: &mut [f32], add: Option<&[f32]>, w: &[f32], b: &[f32], eps: f32) {
    let h = w.len();
    for (t, row) in x.chunks_exact_mut(h).enumerate() {
        if let Some(add) = add {
            for (r, a) in row.iter_mut().zip(&add[t * h..(t + 1) * h]) {
                *r += a;
            }
        }
        let mean = sum8(row) / h as f32;
        let mut acc = [0f32; 8];
        for c in row.chunks_exact(8) {
            for i in 0..8 {
                let d = c[i] - mean;
                acc[i] += d * d;
            }
        }
        let var = (((acc[0] + acc[4]) + (acc[1] + acc[5]))
            + ((acc[2] + acc[6]) + (acc[3] + acc[7])))
            / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((r, w), b) in row.iter_mut().zip(w).zip(b) {
            *r = (*r - mean) * inv * w + b;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn layer_norm_avx2(x: &mut [f32], add: Option<&[f32]>, w: &[f32], b: &[f32], eps: f32) {
    layer_norm_body(x, add, w, b, eps)
}

/// `x = LayerNorm(x + add)` row by row (rows of `w.len()`, a multiple of 8).
pub(crate) fn layer_norm(
    kernel: Kernel,
    x: &mut [f32],
    add: Option<&[f32]>,
    w: &[f32],
    b: &[f32],
    eps: f32,
) {
    debug_assert!(w.len().is_multiple_of(8) && x.len().is_multiple_of(w.len()));
    #[cfg(target_arch = "x86_64")]
    if kernel.simd() {
        // SAFETY: a SIMD kernel is only chosen when AVX2 and FMA were detected.
        return unsafe { layer_norm_avx2(x, add, w, b, eps) };
    }
    let _ = kernel;
    layer_norm_body(x, add, w, b, eps)
}

// ---------------------------------------------------------------------------
// Attention.

/// Scratch space for [`attention`], reused across calls.
#[derive(Debug, Default)]
pub(crate) struct AttnScratch {
    /// One head's keys, transposed: `[head_dim][len rounded up to 16]`.
    kt: Vec<f32>,
    /// Probabilities for a tile of query rows: `[8][len rounded up to 16]`.
    p: Vec<f32>,
    /// One head's values, contiguous: `[len][head_dim]`.
    v: Vec<f32>,
}

/// Self-attention of one segment.
///
/// `qkv` holds `len` rows of `3·hidden` (queries, keys, values, head after
/// head); `ctx` receives `len` rows of `hidden`.
pub(crate) fn attention(
    kernel: Kernel,
    qkv: &[f32],
    len: usize,
    hidden: usize,
    heads: usize,
    ctx: &mut [f32],
    scratch: &mut AttnScratch,
) {
    let hd = hidden / heads;
    assert!(qkv.len() >= len * 3 * hidden && ctx.len() >= len * hidden);
    let lp = len.div_ceil(16) * 16;
    scratch.kt.clear();
    scratch.kt.resize(hd * lp, 0.0);
    scratch.p.clear();
    scratch.p.resize(8 * lp, 0.0);
    scratch.v.clear();
    scratch.v.resize(len * hd, 0.0);
    let scale = 1.0 / (hd as f32).sqrt();
    for h in 0..heads {
        // Transpose this head's keys; the padding columns stay zero.
        // and copy its values into consecutive rows.
        for s in 0..len {
            let k = &qkv[s * 3 * hidden + hidden + h * hd..][..hd];
            for (e, &v) in k.iter().enumerate() {
                scratch.kt[e * lp + s] = v;
            }
            scratch.v[s * hd..(s + 1) * hd]
                .copy_from_slice(&qkv[s * 3 * hidden + 2 * hidden + h * hd..][..hd]);
        }
        #[cfg(target_arch = "x86_64")]
        if kernel == Kernel::Avx512Vnni && hd == 32 {
            // SAFETY: AVX-512 F was detected; sizes were checked above.
            unsafe { x86_512::head_avx512(qkv, len, lp, hidden, h, scale, ctx, scratch) };
            continue;
        }
        #[cfg(target_arch = "x86_64")]
        if kernel.simd() && hd == 32 {
            // SAFETY: AVX2 and FMA were detected; sizes were checked above.
            unsafe { x86::head_avx2(qkv, len, lp, hidden, h, scale, ctx, scratch) };
            continue;
        }
        head_scalar(qkv, len, lp, hidden, hd, h, scale, ctx, scratch);
    }
    let _ = kernel;
}

#[allow(clippy::too_many_arguments)]
fn head_scalar(
    qkv: &[f32],
    len: usize,
    lp: usize,
    hidden: usize,
    hd: usize,
    h: usize,
    scale: f32,
    ctx: &mut [f32],
    scratch: &mut AttnScratch,
) {
    let AttnScratch { kt, p, .. } = scratch;
    let row = &mut p[..len];
    for t in 0..len {
        let q = &qkv[t * 3 * hidden + h * hd..][..hd];
        row.fill(0.0);
        for (e, &qe) in q.iter().enumerate() {
            for (r, k) in row.iter_mut().zip(&kt[e * lp..e * lp + len]) {
                *r += qe * k;
            }
        }
        let mut mx = f32::NEG_INFINITY;
        for r in row.iter_mut() {
            *r *= scale;
            mx = mx.max(*r);
        }
        let mut sum = 0.0;
        for r in row.iter_mut() {
            *r = exp_approx(*r - mx);
            sum += *r;
        }
        let inv = 1.0 / sum;
        let c = &mut ctx[t * hidden + h * hd..][..hd];
        c.fill(0.0);
        for (s, &pr) in row.iter().enumerate() {
            let v = &qkv[s * 3 * hidden + 2 * hidden + h * hd..][..hd];
            let pr = pr * inv;
            for (c, v) in c.iter_mut().zip(v) {
                *c += pr * v;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;
    use std::arch::x86_64::*;

    /// `e^x` on 8 lanes; the same polynomial as [`exp_approx`].
    #[inline(always)]
    unsafe fn exp8(x: __m256) -> __m256 {
        let x = _mm256_min_ps(
            _mm256_max_ps(x, _mm256_set1_ps(-87.0)),
            _mm256_set1_ps(88.0),
        );
        let fx = _mm256_floor_ps(_mm256_fmadd_ps(
            x,
            _mm256_set1_ps(LOG2E),
            _mm256_set1_ps(0.5),
        ));
        let r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693_359_4), x);
        let r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.121_944_4e-4), r);
        let r2 = _mm256_mul_ps(r, r);
        let mut y = _mm256_set1_ps(1.987_569_1e-4);
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.398_199_9e-3));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.333_452e-3));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.166_579_6e-2));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.666_666_5e-1));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(0.5));
        y = _mm256_fmadd_ps(y, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0)));
        let e = _mm256_slli_epi32(
            _mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)),
            23,
        );
        _mm256_mul_ps(y, _mm256_castsi256_ps(e))
    }

    #[inline(always)]
    unsafe fn hmax(v: __m256) -> f32 {
        let m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)))
    }

    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        let m = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let m = _mm_add_ps(m, _mm_movehl_ps(m, m));
        _mm_cvtss_f32(_mm_add_ss(m, _mm_shuffle_ps(m, m, 1)))
    }

    /// Scores of `R` query rows from `t0` against all keys, scaled, then
    /// softmax (normalised), into `p[r * lp ..]`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn scores<const R: usize>(
        qkv: &[f32],
        t0: usize,
        len: usize,
        lp: usize,
        hidden: usize,
        h: usize,
        scale: f32,
        kt: &[f32],
        p: &mut [f32],
    ) {
        const HD: usize = 32;
        let q: [*const f32; R] =
            std::array::from_fn(|r| qkv.as_ptr().add((t0 + r) * 3 * hidden + h * HD));
        let ktp = kt.as_ptr();
        let pp = p.as_mut_ptr();
        let sc = _mm256_set1_ps(scale);
        let mut s = 0;
        while s < lp {
            // 16 keys (or the last 8) per step.
            if s + 16 <= lp {
                let mut acc = [[_mm256_setzero_ps(); 2]; R];
                for e in 0..HD {
                    let k0 = _mm256_loadu_ps(ktp.add(e * lp + s));
                    let k1 = _mm256_loadu_ps(ktp.add(e * lp + s + 8));
                    for r in 0..R {
                        let qe = _mm256_broadcast_ss(&*q[r].add(e));
                        acc[r][0] = _mm256_fmadd_ps(qe, k0, acc[r][0]);
                        acc[r][1] = _mm256_fmadd_ps(qe, k1, acc[r][1]);
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    _mm256_storeu_ps(pp.add(r * lp + s), _mm256_mul_ps(a[0], sc));
                    _mm256_storeu_ps(pp.add(r * lp + s + 8), _mm256_mul_ps(a[1], sc));
                }
                s += 16;
            } else {
                let mut acc = [_mm256_setzero_ps(); R];
                for e in 0..HD {
                    let k0 = _mm256_loadu_ps(ktp.add(e * lp + s));
                    for r in 0..R {
                        let qe = _mm256_broadcast_ss(&*q[r].add(e));
                        acc[r] = _mm256_fmadd_ps(qe, k0, acc[r]);
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    _mm256_storeu_ps(pp.add(r * lp + s), _mm256_mul_ps(*a, sc));
                }
                s += 8;
            }
        }
        // Softmax per row over the `len` real keys; padding gets probability 0.
        let full = len / 8 * 8;
        for r in 0..R {
            let row = pp.add(r * lp);
            let mut mv = _mm256_set1_ps(f32::NEG_INFINITY);
            let mut i = 0;
            while i < full {
                mv = _mm256_max_ps(mv, _mm256_loadu_ps(row.add(i)));
                i += 8;
            }
            let mut mx = hmax(mv);
            for j in full..len {
                mx = mx.max(*row.add(j));
            }
            let mxv = _mm256_set1_ps(mx);
            let mut sv = _mm256_setzero_ps();
            let mut i = 0;
            while i < full {
                let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row.add(i)), mxv));
                _mm256_storeu_ps(row.add(i), e);
                sv = _mm256_add_ps(sv, e);
                i += 8;
            }
            let mut sum = hsum(sv);
            for j in full..len {
                let e = exp_approx(*row.add(j) - mx);
                *row.add(j) = e;
                sum += e;
            }
            for j in len..lp {
                *row.add(j) = 0.0;
            }
            let inv = _mm256_set1_ps(1.0 / sum);
            let mut i = 0;
            while i < lp {
                _mm256_storeu_ps(row.add(i), _mm256_mul_ps(_mm256_loadu_ps(row.add(i)), inv));
                i += 8;
            }
        }
    }

    /// `ctx[t] = Σ_s p[t][s] · V[s]` for `R` rows from `t0`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn weighted_values<const R: usize>(
        vh: &[f32],
        t0: usize,
        len: usize,
        lp: usize,
        hidden: usize,
        h: usize,
        p: &[f32],
        ctx: &mut [f32],
    ) {
        const HD: usize = 32;
        let mut acc = [[_mm256_setzero_ps(); 4]; R];
        let vbase = vh.as_ptr();
        for s in 0..len {
            let v = vbase.add(s * HD);
            let v0 = _mm256_loadu_ps(v);
            let v1 = _mm256_loadu_ps(v.add(8));
            let v2 = _mm256_loadu_ps(v.add(16));
            let v3 = _mm256_loadu_ps(v.add(24));
            for (r, a) in acc.iter_mut().enumerate() {
                let pr = _mm256_broadcast_ss(&*p.as_ptr().add(r * lp + s));
                a[0] = _mm256_fmadd_ps(pr, v0, a[0]);
                a[1] = _mm256_fmadd_ps(pr, v1, a[1]);
                a[2] = _mm256_fmadd_ps(pr, v2, a[2]);
                a[3] = _mm256_fmadd_ps(pr, v3, a[3]);
            }
        }
        for (r, a) in acc.iter().enumerate() {
            let c = ctx.as_mut_ptr().add((t0 + r) * hidden + h * HD);
            for (i, v) in a.iter().enumerate() {
                _mm256_storeu_ps(c.add(8 * i), *v);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn head_avx2(
        qkv: &[f32],
        len: usize,
        lp: usize,
        hidden: usize,
        h: usize,
        scale: f32,
        ctx: &mut [f32],
        scratch: &mut AttnScratch,
    ) {
        let AttnScratch { kt, p, v } = scratch;
        let mut t = 0;
        while t + 4 <= len {
            scores::<4>(qkv, t, len, lp, hidden, h, scale, kt, p);
            weighted_values::<2>(v, t, len, lp, hidden, h, p, ctx);
            weighted_values::<2>(v, t + 2, len, lp, hidden, h, &p[2 * lp..], ctx);
            t += 4;
        }
        while t < len {
            scores::<1>(qkv, t, len, lp, hidden, h, scale, kt, p);
            weighted_values::<1>(v, t, len, lp, hidden, h, p, ctx);
            t += 1;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86_512 {
    use super::*;
    use std::arch::x86_64::*;

    /// `e^x` on 16 lanes; the same polynomial as [`exp_approx`].
    #[inline(always)]
    unsafe fn exp16(x: __m512) -> __m512 {
        let x = _mm512_min_ps(
            _mm512_max_ps(x, _mm512_set1_ps(-87.0)),
            _mm512_set1_ps(88.0),
        );
        // 0x09: round toward −∞, exceptions suppressed.
        let fx = _mm512_roundscale_ps::<0x09>(_mm512_fmadd_ps(
            x,
            _mm512_set1_ps(LOG2E),
            _mm512_set1_ps(0.5),
        ));
        let r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693_359_4), x);
        let r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.121_944_4e-4), r);
        let r2 = _mm512_mul_ps(r, r);
        let mut y = _mm512_set1_ps(1.987_569_1e-4);
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.398_199_9e-3));
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.333_452e-3));
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.166_579_6e-2));
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.666_666_5e-1));
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(0.5));
        y = _mm512_fmadd_ps(y, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0)));
        let e = _mm512_slli_epi32::<23>(_mm512_add_epi32(
            _mm512_cvtps_epi32(fx),
            _mm512_set1_epi32(127),
        ));
        _mm512_mul_ps(y, _mm512_castsi512_ps(e))
    }

    /// Scores of `R` query rows from `t0` against all keys, then softmax.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn scores<const R: usize>(
        qkv: &[f32],
        t0: usize,
        len: usize,
        lp: usize,
        hidden: usize,
        h: usize,
        scale: f32,
        kt: &[f32],
        p: &mut [f32],
    ) {
        const HD: usize = 32;
        let q: [*const f32; R] =
            std::array::from_fn(|r| qkv.as_ptr().add((t0 + r) * 3 * hidden + h * HD));
        let ktp = kt.as_ptr();
        let pp = p.as_mut_ptr();
        let sc = _mm512_set1_ps(scale);
        let mut s = 0;
        while s < lp {
            if s + 32 <= lp {
                let mut acc = [[_mm512_setzero_ps(); 2]; R];
                for e in 0..HD {
                    let k0 = _mm512_loadu_ps(ktp.add(e * lp + s));
                    let k1 = _mm512_loadu_ps(ktp.add(e * lp + s + 16));
                    for r in 0..R {
                        let qe = _mm512_set1_ps(*q[r].add(e));
                        acc[r][0] = _mm512_fmadd_ps(qe, k0, acc[r][0]);
                        acc[r][1] = _mm512_fmadd_ps(qe, k1, acc[r][1]);
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    _mm512_storeu_ps(pp.add(r * lp + s), _mm512_mul_ps(a[0], sc));
                    _mm512_storeu_ps(pp.add(r * lp + s + 16), _mm512_mul_ps(a[1], sc));
                }
                s += 32;
            } else {
                let mut acc = [_mm512_setzero_ps(); R];
                for e in 0..HD {
                    let k0 = _mm512_loadu_ps(ktp.add(e * lp + s));
                    for r in 0..R {
                        let qe = _mm512_set1_ps(*q[r].add(e));
                        acc[r] = _mm512_fmadd_ps(qe, k0, acc[r]);
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    _mm512_storeu_ps(pp.add(r * lp + s), _mm512_mul_ps(*a, sc));
                }
                s += 16;
            }
        }
        let full = len / 16 * 16;
        for r in 0..R {
            let row = pp.add(r * lp);
            let mut mv = _mm512_set1_ps(f32::NEG_INFINITY);
            let mut i = 0;
            while i < full {
                mv = _mm512_max_ps(mv, _mm512_loadu_ps(row.add(i)));
                i += 16;
            }
            let mut mx = _mm512_reduce_max_ps(mv);
            for j in full..len {
                mx = mx.max(*row.add(j));
            }
            let mxv = _mm512_set1_ps(mx);
            let mut sv = _mm512_setzero_ps();
            let mut i = 0;
            while i < full {
                let e = exp16(_mm512_sub_ps(_mm512_loadu_ps(row.add(i)), mxv));
                _mm512_storeu_ps(row.add(i), e);
                sv = _mm512_add_ps(sv, e);
                i += 16;
            }
            let mut sum = _mm512_reduce_add_ps(sv);
            for j in full..len {
                let e = exp_approx(*row.add(j) - mx);
                *row.add(j) = e;
                sum += e;
            }
            for j in len..lp {
                *row.add(j) = 0.0;
            }
            let inv = _mm512_set1_ps(1.0 / sum);
            let mut i = 0;
            while i < lp {
                _mm512_storeu_ps(row.add(i), _mm512_mul_ps(_mm512_loadu_ps(row.add(i)), inv));
                i += 16;
            }
        }
    }

    /// `ctx[t] = Σ_s p[t][s] · V[s]` for `R` rows from `t0`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn weighted_values<const R: usize>(
        vh: &[f32],
        t0: usize,
        len: usize,
        lp: usize,
        hidden: usize,
        h: usize,
        p: &[f32],
        ctx: &mut [f32],
    ) {
        const HD: usize = 32;
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        let vbase = vh.as_ptr();
        for s in 0..len {
            let v = vbase.add(s * HD);
            let v0 = _mm512_loadu_ps(v);
            let v1 = _mm512_loadu_ps(v.add(16));
            for (r, a) in acc.iter_mut().enumerate() {
                let pr = _mm512_set1_ps(*p.as_ptr().add(r * lp + s));
                a[0] = _mm512_fmadd_ps(pr, v0, a[0]);
                a[1] = _mm512_fmadd_ps(pr, v1, a[1]);
            }
        }
        for (r, a) in acc.iter().enumerate() {
            let c = ctx.as_mut_ptr().add((t0 + r) * hidden + h * HD);
            _mm512_storeu_ps(c, a[0]);
            _mm512_storeu_ps(c.add(16), a[1]);
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma,avx512f")]
    pub(super) unsafe fn head_avx512(
        qkv: &[f32],
        len: usize,
        lp: usize,
        hidden: usize,
        h: usize,
        scale: f32,
        ctx: &mut [f32],
        scratch: &mut AttnScratch,
    ) {
        let AttnScratch { kt, p, v } = scratch;
        let mut t = 0;
        while t + 8 <= len {
            scores::<8>(qkv, t, len, lp, hidden, h, scale, kt, p);
            weighted_values::<8>(v, t, len, lp, hidden, h, p, ctx);
            t += 8;
        }
        while t < len {
            scores::<1>(qkv, t, len, lp, hidden, h, scale, kt, p);
            weighted_values::<1>(v, t, len, lp, hidden, h, p, ctx);
            t += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = (x as f64).exp();
            let got = exp_approx(x) as f64;
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 3e-7, "relative error {worst}");
        assert!(exp_approx(-1000.0) < 1e-37);
        assert_eq!(exp_approx(0.0), 1.0);
    }

    /// erf by its Taylor series in f64 (accurate to ~1e-11 on [-4, 4]).
    fn erf_f64(x: f64) -> f64 {
        if x.abs() > 5.0 {
            return x.signum();
        }
        let mut term = x;
        let mut sum = x;
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_is_accurate() {
        let mut worst = 0f64;
        let mut x = -6.0f32;
        while x < 6.0 {
            worst = worst.max((erf_approx(x) as f64 - erf_f64(x as f64)).abs());
            x += 0.001_3;
        }
        assert!(worst < 6e-7, "abs error {worst}");
    }

    #[test]
    fn gelu_and_layer_norm_agree_across_kernels() {
        let x: Vec<f32> = (0..384 * 3)
            .map(|i| ((i * 7919) % 1000) as f32 / 97.0 - 5.0)
            .collect();
        let w: Vec<f32> = (0..384).map(|i| 1.0 + i as f32 * 1e-3).collect();
        let b: Vec<f32> = (0..384).map(|i| i as f32 * -1e-3).collect();
        let mut reference = x.clone();
        gelu(Kernel::Scalar, &mut reference);
        let mut ln_ref = x.clone();
        layer_norm(Kernel::Scalar, &mut ln_ref, Some(&x), &w, &b, 1e-12);
        for k in Kernel::available() {
            let mut g = x.clone();
            gelu(k, &mut g);
            for (a, b) in g.iter().zip(&reference) {
                assert!((a - b).abs() < 1e-6, "{k:?}");
            }
            let mut l = x.clone();
            layer_norm(k, &mut l, Some(&x), &w, &b, 1e-12);
            for (a, b) in l.iter().zip(&ln_ref) {
                assert!((a - b).abs() < 1e-5, "{k:?}");
            }
        }
        // The normalised rows have mean ≈ b's mean and the right spread.
        let mut plain = x[..384].to_vec();
        let ones = vec![1.0; 384];
        let zeros = vec![0.0; 384];
        layer_norm(Kernel::Scalar, &mut plain, None, &ones, &zeros, 1e-12);
        let mean: f32 = plain.iter().sum::<f32>() / 384.0;
        let var: f32 = plain.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 384.0;
        assert!(mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4);
    }

    fn attention_f64(qkv: &[f32], len: usize, hidden: usize, heads: usize) -> Vec<f64> {
        let hd = hidden / heads;
        let mut out = vec![0f64; len * hidden];
        for h in 0..heads {
            for t in 0..len {
                let q = &qkv[t * 3 * hidden + h * hd..][..hd];
                let sc: Vec<f64> = (0..len)
                    .map(|s| {
                        let k = &qkv[s * 3 * hidden + hidden + h * hd..][..hd];
                        q.iter()
                            .zip(k)
                            .map(|(a, b)| *a as f64 * *b as f64)
                            .sum::<f64>()
                            / (hd as f64).sqrt()
                    })
                    .collect();
                let mx = sc.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = sc.iter().map(|v| (v - mx).exp()).collect();
                let z: f64 = e.iter().sum();
                for s in 0..len {
                    let v = &qkv[s * 3 * hidden + 2 * hidden + h * hd..][..hd];
                    for i in 0..hd {
                        out[t * hidden + h * hd + i] += e[s] / z * v[i] as f64;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn attention_matches_f64_reference() {
        let (hidden, heads) = (64, 2);
        for len in [1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 47, 65] {
            let qkv: Vec<f32> = (0..len * 3 * hidden)
                .map(|i| (((i * 2_654_435_761usize) >> 7) % 2000) as f32 / 500.0 - 2.0)
                .collect();
            let want = attention_f64(&qkv, len, hidden, heads);
            for k in Kernel::available() {
                let mut ctx = vec![f32::NAN; len * hidden];
                let mut scratch = AttnScratch::default();
                attention(k, &qkv, len, hidden, heads, &mut ctx, &mut scratch);
                for (i, (a, b)) in ctx.iter().zip(&want).enumerate() {
                    assert!(
                        (*a as f64 - b).abs() < 1e-5,
                        "{k:?} len={len} i={i}: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn kernel_names_round_trip() {
        for k in Kernel::ALL {
            assert_eq!(Kernel::from_name(k.name()), Some(k));
        }
        assert!(Kernel::Scalar.is_supported());
        assert!(Kernel::detect().is_supported());
    }
}
