//! The counter-based generator behind tensor draws (`randn`, `rand`): Philox4x32-10
//! (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
//!
//! A draw of `n` numbers is a pure function of the seed and a stream position, so the GPU
//! computes it in place (`kernels/philox.cu`, one thread per Philox block) and the CPU
//! computes the same values here, bit for bit: block `b` of a stream keyed by `seed` is
//! Philox of the counter `[lo(b), hi(b), 0, 0]` under the key `[lo(seed), hi(seed)]`, and
//! number `i` of a draw that starts at position `p` (a multiple of 4) is word `i % 4` of
//! block `p / 4 + i / 4`.
//!
//! Normals come from the Box–Muller transform on 24-bit uniforms, computed in `f32` with
//! only correctly rounded operations (`+ − × ÷ √`, no fused multiply-add) and polynomial
//! `ln`, `sin` and `cos` written out below, so that CPU and GPU round identically. The
//! largest normal is √(48 ln 2) ≈ 5.77.

/// Philox's multipliers and Weyl key increments (the paper's constants).
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// One Philox4x32-10 block: 4 random words for a counter under a key.
pub fn block(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let p0 = u64::from(M0) * u64::from(c0);
        let p1 = u64::from(M1) * u64::from(c2);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
    }
    [c0, c1, c2, c3]
}

/// The key of a seed's stream.
pub fn key_of(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// The four words of block `b` of the stream keyed by `key`.
pub fn stream_block(key: [u32; 2], b: u64) -> [u32; 4] {
    block([b as u32, (b >> 32) as u32, 0, 0], key)
}

/// `2^-24`, the spacing of the 24-bit uniforms.
const TWO_POW_M24: f32 = 1.0 / 16_777_216.0;
/// `2^-22`, the spacing of the angle fraction within a quadrant.
const TWO_POW_M22: f32 = 1.0 / 4_194_304.0;

/// A uniform on `[0, 1)` from the top 24 bits of a word (exact in `f32`).
pub fn uniform(word: u32) -> f32 {
    (word >> 8) as f32 * TWO_POW_M24
}

/// Two independent standard normals from two words (Box–Muller).
pub fn normal_pair(a: u32, b: u32) -> (f32, f32) {
    let u = ((a >> 8) + 1) as f32 * TWO_POW_M24; // (0, 1]: ln never sees 0
    let r = (-2.0 * ln_unit(u)).sqrt();
    let (cos, sin) = turn(b >> 8);
    (r * cos, r * sin)
}

/// `ln x` for `x` in `(0, 1]`: `x = m · 2^e` with `m` in `[√½, √2)`, then
/// `ln m = 2 atanh s` with `s = (m − 1)/(m + 1)`, a series to `s⁹` (|s| ≤ 0.172).
fn ln_unit(x: f32) -> f32 {
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    if m > f32::from_bits(0x3fb5_04f3) {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let p = z * (L3 + z * (L5 + z * (L7 + z * L9)));
    let t = s + s * p;
    let ef = e as f32;
    ef * LN2_HI + (ef * LN2_LO + (t + t))
}

/// `(cos θ, sin θ)` for `θ = 2π k / 2^24`: the top two bits of `k` pick the quadrant, the
/// rest is an exact fraction of a quarter turn, folded to at most an eighth of a turn.
fn turn(k: u32) -> (f32, f32) {
    let quadrant = k >> 22;
    let frac = k & 0x003f_ffff;
    let folded = frac > 0x0020_0000;
    let g = if folded { 0x0040_0000 - frac } else { frac };
    let phi = g as f32 * TWO_POW_M22 * HALF_PI;
    let z = phi * phi;
    let sin = phi + phi * z * (S1 + z * (S2 + z * (S3 + z * S4)));
    let cos = 1.0 + z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * C5))));
    let (c, s) = if folded { (sin, cos) } else { (cos, sin) };
    match quadrant {
        0 => (c, s),
        1 => (-s, c),
        2 => (-c, -s),
        _ => (s, -c),
    }
}

/// `f32` constants by bit pattern, the same patterns as in `kernels/philox.cu`.
const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);
const HALF_PI: f32 = f32::from_bits(0x3fc9_0fdb);
const L3: f32 = f32::from_bits(0x3eaa_aaab);
const L5: f32 = f32::from_bits(0x3e4c_cccd);
const L7: f32 = f32::from_bits(0x3e12_4925);
const L9: f32 = f32::from_bits(0x3de3_8e39);
const S1: f32 = f32::from_bits(0xbe2a_aaab);
const S2: f32 = f32::from_bits(0x3c08_8889);
const S3: f32 = f32::from_bits(0xb950_0d01);
const S4: f32 = f32::from_bits(0x3638_ef1d);
const C1: f32 = f32::from_bits(0xbf00_0000);
const C2: f32 = f32::from_bits(0x3d2a_aaab);
const C3: f32 = f32::from_bits(0xbab6_0b61);
const C4: f32 = f32::from_bits(0x37d0_0d01);
const C5: f32 = f32::from_bits(0xb493_f27e);

/// What a draw produces from each block's four words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    /// Standard normals (two Box–Muller pairs per block).
    Normal,
    /// Uniforms on `[0, 1)`.
    Uniform,
}

impl Distribution {
    /// The four values of one block.
    pub fn values(self, w: [u32; 4]) -> [f32; 4] {
        match self {
            Distribution::Normal => {
                let (a, b) = normal_pair(w[0], w[1]);
                let (c, d) = normal_pair(w[2], w[3]);
                [a, b, c, d]
            }
            Distribution::Uniform => w.map(uniform),
        }
    }
}

/// Fills `out` with the draw that starts at block `first_block` of `key`'s stream,
/// splitting large draws across the rayon pool's threads (the values do not depend on the split).
pub fn fill(dist: Distribution, key: [u32; 2], first_block: u64, out: &mut [f32]) {
    use rayon::prelude::*;
    const PER_THREAD_MIN: usize = 1 << 16;
    let threads = rayon::current_num_threads().min(out.len() / PER_THREAD_MIN).max(1);
    if threads == 1 {
        return fill_range(dist, key, first_block, out);
    }
    let per = out.len().div_ceil(threads).next_multiple_of(4);
    out.par_chunks_mut(per)
        .enumerate()
        .for_each(|(i, part)| fill_range(dist, key, first_block + (i * per / 4) as u64, part));
}

fn fill_range(dist: Distribution, key: [u32; 2], first_block: u64, out: &mut [f32]) {
    for (i, chunk) in out.chunks_mut(4).enumerate() {
        let v = dist.values(stream_block(key, first_block + i as u64));
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_matches_random123_known_answers() {
        // Random123's kat_vectors for philox4x32 with 10 rounds.
        assert_eq!(block([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(block([u32::MAX; 4], [u32::MAX; 2]), [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
        assert_eq!(
            block([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn polynomial_ln_and_turn_are_accurate_to_f32_rounding() {
        for k in (1..=1u32 << 24).step_by(997).chain([1, 2, 3, 1 << 23, (1 << 24) - 1, 1 << 24]) {
            let x = k as f32 * TWO_POW_M24;
            let exact = (x as f64).ln();
            assert!((ln_unit(x) as f64 - exact).abs() <= 2e-7 * exact.abs().max(1e-2), "ln {x}");
        }
        for k in (0..1u32 << 24).step_by(1009).chain([0, 1 << 21, 1 << 22, 3 << 22, (1 << 24) - 1]) {
            let theta = std::f64::consts::TAU * k as f64 / (1u64 << 24) as f64;
            let (c, s) = turn(k);
            assert!((c as f64 - theta.cos()).abs() < 3e-7 && (s as f64 - theta.sin()).abs() < 3e-7, "turn {k}");
        }
    }

    #[test]
    fn normals_have_the_moments_and_tails_of_a_gaussian() {
        let n = 1 << 20;
        let mut z = vec![0f32; n];
        fill(Distribution::Normal, key_of(42), 0, &mut z);
        let mean = z.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
        let var = z.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        let beyond3 = z.iter().filter(|v| v.abs() > 3.0).count() as f64 / n as f64;
        assert!(mean.abs() < 4.0 / (n as f64).sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 0.005, "variance {var}");
        assert!((beyond3 - 0.0026998).abs() < 0.0004, "P(|z| > 3) = {beyond3}");
        let mut u = vec![0f32; n];
        fill(Distribution::Uniform, key_of(42), 0, &mut u);
        assert!(u.iter().all(|v| (0.0..1.0).contains(v)));
        let below_quarter = u.iter().filter(|&&v| v < 0.25).count() as f64 / n as f64;
        assert!((below_quarter - 0.25).abs() < 0.002);
    }

    #[test]
    fn a_draw_is_a_function_of_its_position_whatever_the_split() {
        let mut whole = vec![0f32; 300_001];
        fill(Distribution::Normal, key_of(7), 5, &mut whole);
        let mut one_thread = vec![0f32; 300_001];
        fill_range(Distribution::Normal, key_of(7), 5, &mut one_thread);
        assert_eq!(whole, one_thread);
        let mut tail = vec![0f32; 8];
        fill(Distribution::Normal, key_of(7), 5 + 1000, &mut tail);
        assert_eq!(&whole[4000..4008], &tail[..]);
        let mut other_seed = vec![0f32; 8];
        fill(Distribution::Normal, key_of(8), 5 + 1000, &mut other_seed);
        assert_ne!(tail, other_seed);
    }
}
