//! The memory budget: every allocation whose size a script or a file controls is
//! checked here before it is made, so a request too large is an error naming the
//! size and the limit, never an allocation failure that ends the process.
//!
//! The limit is three quarters of the memory available when difflab starts (`MemAvailable`
//! in `/proc/meminfo`), or what `--max-memory` / `DIFFLAB_MAX_MEMORY` say
//! (`8G`, `512M`, `1.5GB`, or a number of bytes).

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that sets the limit.
pub const ENV: &str = "DIFFLAB_MAX_MEMORY";

/// 0 until the limit is first read or set.
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// Used when neither the environment nor `/proc/meminfo` says how much memory there is.
const FALLBACK: u64 = 8 << 30;

/// The largest single allocation allowed, in bytes: three quarters of the memory available
/// at the first call (the rest is for the work on it), unless set.
pub fn limit() -> u64 {
    match LIMIT.load(Ordering::Relaxed) {
        0 => {
            let found =
                std::env::var(ENV).ok().and_then(|s| parse_size(&s).ok()).unwrap_or_else(|| available() / 4 * 3);
            LIMIT.store(found.max(1), Ordering::Relaxed);
            found.max(1)
        }
        set => set,
    }
}

/// Sets the limit (the `--max-memory` option); 0 is refused.
pub fn set_limit(bytes: u64) -> Result<()> {
    if bytes == 0 {
        crate::bail!("the memory limit must be more than 0 bytes");
    }
    LIMIT.store(bytes, Ordering::Relaxed);
    Ok(())
}

/// The memory the system can give without swapping, from `/proc/meminfo`.
fn available() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                let kib = l.strip_prefix("MemAvailable:")?.trim().strip_suffix("kB")?.trim();
                kib.parse::<u64>().ok().map(|k| k * 1024)
            })
        })
        .unwrap_or(FALLBACK)
}

/// Parses a size such as `8G`, `512M`, `1.5GB`, `64k` or `1000000` (bytes; powers of 1024).
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => crate::bail!("`{text}` is not a size: expected a number with an optional unit K, M, G or T (e.g. 8G)"),
    };
    match number.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n * (scale as f64) < u64::MAX as f64 => Ok((n * scale as f64) as u64),
        _ => crate::bail!("`{text}` is not a size: expected a positive number with an optional unit K, M, G or T"),
    }
}

/// `bytes` as a short human size: `512 B`, `3.2 MB`, `4.0 EB` (powers of 1024).
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value >= 1e4 {
        format!("{value:.3e} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The number of elements of `dims`, or an error when the product overflows. The product
/// of the dimensions other than 0 must fit as well: candle multiplies dimensions in either
/// order (element counts from the first, strides from the last), so `[2, 0, 2³², 2³²]`,
/// which holds nothing, is refused too.
pub fn elements(dims: &[usize]) -> Result<usize> {
    let nonzero = dims.iter().filter(|&&d| d > 0).try_fold(1usize, |n, &d| n.checked_mul(d));
    nonzero.map(|n| if dims.contains(&0) { 0 } else { n }).ok_or_else(|| {
        let shown: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
        Error::new(format!("the shape [{}] has more elements than memory can address", shown.join(", ")))
    })
}

/// Checks that `count` values of `bytes_each` bytes fit the budget.
pub fn check(count: usize, bytes_each: usize) -> Result<()> {
    let bytes = count as u128 * bytes_each as u128;
    let limit = limit();
    if bytes > limit as u128 {
        crate::bail!(
            "needs {} ({count} values of {bytes_each} bytes), over the memory limit of {} (set --max-memory or {ENV} to change it)",
            human(bytes),
            human(limit as u128)
        );
    }
    Ok(())
}

/// The element count of a tensor of shape `dims` with `bytes_each`-byte elements,
/// after checking it fits the budget.
pub fn check_shape(dims: &[usize], bytes_each: usize) -> Result<usize> {
    let n = elements(dims)?;
    check(n, bytes_each)?;
    Ok(n)
}

/// A vector of `count` copies of `value`, after checking the budget.
pub fn filled<T: Clone>(count: usize, value: T) -> Result<Vec<T>> {
    check(count, std::mem::size_of::<T>())?;
    Ok(vec![value; count])
}

/// An empty vector with room for `count` values, after checking the budget.
pub fn with_capacity<T>(count: usize) -> Result<Vec<T>> {
    check(count, std::mem::size_of::<T>())?;
    Ok(Vec::with_capacity(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("8G").unwrap(), 8 << 30);
        assert_eq!(parse_size("512MB").unwrap(), 512 << 20);
        assert_eq!(parse_size("1.5 GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("-1G").is_err());
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 << 29), "1.5 GB");
    }

    #[test]
    fn overflowing_and_huge_shapes_are_errors() {
        let wrap = elements(&[4294967296, 4294967296]).unwrap_err();
        assert_eq!(wrap.message(), "the shape [4294967296, 4294967296] has more elements than memory can address");
        assert_eq!(elements(&[2, 0, 1 << 40]).unwrap(), 0);
        assert!(elements(&[2, 0, usize::MAX]).is_err());
        assert!(elements(&[2, 0, 4294967296, 4294967296]).is_err());
        let huge = check_shape(&[1_000_000_000_000_000_000], 4).unwrap_err();
        assert!(huge
            .message()
            .starts_with("needs 3.5 EB (1000000000000000000 values of 4 bytes), over the memory limit of "));
        assert_eq!(check_shape(&[2, 3], 8).unwrap(), 6);
    }
}
