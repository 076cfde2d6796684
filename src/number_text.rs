//! Numbers as text for messages, summaries and tables: a chosen count of significant digits,
//! or the short form that drops a computation's float noise.

/// `v` with `digits` significant digits: fixed notation for magnitudes in
/// [1e-3, 1e6), scientific otherwise.
pub fn significant(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor();
    if !(-3.0..6.0).contains(&magnitude) {
        return format!("{v:.*e}", digits - 1);
    }
    let decimals = (digits as f64 - 1.0 - magnitude).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// `v` as messages and summaries show it: six significant digits without trailing zeros, so
/// a σ computed as 0.0020000000000000013 reads `0.002` and 499.99999999999983 reads `500`.
pub fn short(v: f64) -> String {
    let text = significant(v, 6);
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m.to_string(), format!("e{e}")),
        None => (text.clone(), String::new()),
    };
    let mantissa =
        if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { &mantissa };
    let mantissa = if mantissa == "-0" { "0" } else { mantissa };
    format!("{mantissa}{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.0123456, 3), "0.0123");
        assert_eq!(significant(1234.5678, 4), "1235");
        assert_eq!(significant(3.0, 4), "3.000");
        assert_eq!(significant(1.5e-5, 2), "1.5e-5");
    }

    #[test]
    fn short_numbers_lose_their_float_noise() {
        assert_eq!(short(0.0020000000000000013), "0.002");
        assert_eq!(short(499.99999999999983), "500");
        assert_eq!(short(80.0), "80");
        assert_eq!(short(-1.25), "-1.25");
        assert_eq!(short(0.123456789), "0.123457");
        assert_eq!(short(1e-8), "1e-8");
        assert_eq!(short(2.5e7), "2.5e7");
        assert_eq!(short(0.0), "0");
    }
}
