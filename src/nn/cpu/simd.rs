//! Runs a hand-fused loop compiled for the widest vector instructions this CPU has. The crate
//! is built for baseline x86-64, whose vectors are 4 `f32` wide (SSE2); the same loop inside a
//! function compiled for AVX-512 or AVX2 runs 16 or 8 wide, chosen once per call at run time,
//! so the binary still runs on any x86-64 CPU.
//!
//! Results do not depend on the path taken: the loops are elementwise or accumulate in a fixed
//! number of lanes ([`super::gemm::lane_sum`]), and Rust never fuses a multiply and an add,
//! so every path rounds the same operations the same way.

/// `f()`, compiled for AVX-512 or AVX2 when the CPU has them. Mark the closure
/// `#[inline(always)]`: only code inlined into the dispatching functions gets the wider
/// vectors, and a closure called from three places is otherwise compiled once, for baseline.
#[inline(always)]
pub fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { with_avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { with_avx2(f) };
        }
    }
    f()
}

/// `f()` compiled with AVX-512F.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f()` compiled with AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::fast_math::silu;

    fn bits(v: Vec<f32>) -> Vec<u32> {
        v.into_iter().map(f32::to_bits).collect()
    }

    #[inline(always)]
    fn silus(x: &[f32]) -> Vec<f32> {
        x.iter().map(|&v| silu(v * 1.3 + 0.2)).collect()
    }

    #[test]
    fn every_path_gives_the_baseline_bits() {
        let x: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) * 0.037).collect();
        let baseline = bits(silus(&x));
        assert_eq!(
            bits(vectorised(
                #[inline(always)]
                || silus(&x)
            )),
            baseline
        );
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2
                assert_eq!(
                    bits(unsafe {
                        with_avx2(
                            #[inline(always)]
                            || silus(&x),
                        )
                    }),
                    baseline,
                    "AVX2"
                );
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F
                assert_eq!(
                    bits(unsafe {
                        with_avx512(
                            #[inline(always)]
                            || silus(&x),
                        )
                    }),
                    baseline,
                    "AVX-512"
                );
            }
        }
    }
}
