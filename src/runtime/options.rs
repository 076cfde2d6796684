//! Option maps (`#{ lr: 1e-3, steps: 10 }`): unknown keys and wrong types are
//! errors that name the key and list what is accepted.

use super::convert::{describe, number};
use crate::error::Result;
use crate::tensor::{create::Placement, device::parse_device, dtype::parse_dtype, DType};
use rhai::{Dynamic, Map};

/// A checked option map.
pub struct CheckedOptions {
    map: Map,
    accepted: Vec<String>,
}

impl CheckedOptions {
    /// Checks that every key of `map` is one of `accepted` (an unknown key is an error that
    /// suggests the closest accepted ones and lists them all).
    pub fn new(map: Map, accepted: &[&str]) -> Result<Self> {
        if let Some(key) = map.keys().find(|k| !accepted.contains(&k.as_str())) {
            return Err(crate::Error::new(crate::suggest::unknown_option(key, accepted)));
        }
        Ok(Self { map, accepted: accepted.iter().map(|k| k.to_string()).collect() })
    }

    fn get(&self, key: &str) -> Option<&Dynamic> {
        debug_assert!(self.accepted.iter().any(|k| k == key), "option `{key}` read but not declared");
        self.map.get(key).filter(|v| !v.is_unit())
    }

    fn wrong(key: &str, expected: &str, got: &Dynamic) -> crate::Error {
        crate::Error::new(format!("option `{key}` must be {expected}, got {}", describe(got)))
    }

    /// A finite number option.
    pub fn f64_or(&self, key: &str, default: f64) -> Result<f64> {
        Ok(self.opt_f64(key)?.unwrap_or(default))
    }

    /// A finite number option that may be absent (NaN and infinities are errors).
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        self.get(key)
            .map(|v| match number(v) {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(_) => Err(Self::wrong(key, "a finite number", v)),
                Err(_) => Err(Self::wrong(key, "a number", v)),
            })
            .transpose()
    }

    /// A finite number option within `range`, `default` when absent.
    pub fn f64_in(&self, key: &str, default: f64, range: Range) -> Result<f64> {
        let x = self.f64_or(key, default)?;
        if !range.contains(x) {
            crate::bail!("option `{key}` must be {}, got {x}", range.describe());
        }
        Ok(x)
    }

    /// A non-negative integer option.
    pub fn usize_or(&self, key: &str, default: usize) -> Result<usize> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.as_int() {
                Ok(i) if i >= 0 => Ok(i as usize),
                _ => Err(Self::wrong(key, "an integer >= 0", v)),
            },
        }
    }

    /// An integer option within `range`: `option `steps` must be an integer between 1 and 100,
    /// got ...` for anything else, one message whatever was wrong.
    pub fn count_in(&self, key: &str, default: usize, range: std::ops::RangeInclusive<usize>) -> Result<usize> {
        let expected = || format!("an integer between {} and {}", range.start(), range.end());
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.as_int() {
                Ok(i) if i >= 0 && range.contains(&(i as usize)) => Ok(i as usize),
                _ => Err(Self::wrong(key, &expected(), v)),
            },
        }
    }

    /// A true/false option.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_bool().map_err(|_| Self::wrong(key, "true or false", v)),
        }
    }

    /// A string option that may be absent.
    pub fn opt_string(&self, key: &str) -> Result<Option<String>> {
        self.get(key).map(|v| v.clone().into_string().map_err(|_| Self::wrong(key, "a string", v))).transpose()
    }

    /// An array option that may be absent.
    pub fn opt_array(&self, key: &str) -> Result<Option<rhai::Array>> {
        self.get(key)
            .map(|v| v.as_array_ref().map(|a| a.clone()).map_err(|_| Self::wrong(key, "an array", v)))
            .transpose()
    }

    /// A map option that may be absent.
    pub fn opt_map(&self, key: &str) -> Result<Option<Map>> {
        self.get(key)
            .map(|v| v.read_lock::<Map>().map(|m| m.clone()).ok_or_else(|| Self::wrong(key, "a map", v)))
            .transpose()
    }

    /// Any value given for `key`.
    pub fn opt_value(&self, key: &str) -> Option<Dynamic> {
        self.get(key).cloned()
    }

    /// A pair of numbers given as a two-element array.
    pub fn pair_or(&self, key: &str, default: (f64, f64)) -> Result<(f64, f64)> {
        let Some(v) = self.get(key) else { return Ok(default) };
        let items = v.as_array_ref().map_err(|_| Self::wrong(key, "an array of two numbers", v))?;
        match items.as_slice() {
            [a, b] => Ok((
                number(a).map_err(|_| Self::wrong(key, "an array of two numbers", v))?,
                number(b).map_err(|_| Self::wrong(key, "an array of two numbers", v))?,
            )),
            _ => Err(Self::wrong(key, "an array of two numbers", v)),
        }
    }

    /// The `dtype` and `device` options of a constructor, `fallback` dtype when absent.
    pub fn placement(&self, fallback: DType) -> Result<Placement> {
        let mut at = Placement { dtype: fallback, ..Placement::default() };
        if let Some(name) = self.opt_string("dtype")? {
            at.dtype = parse_dtype(&name).map_err(|e| e.context("option `dtype`"))?;
        }
        if let Some(name) = self.opt_string("device")? {
            at.device = parse_device(&name).map_err(|e| e.context("option `device`"))?;
        }
        Ok(at)
    }
}

/// Where a number option may lie.
#[derive(Clone, Copy, Debug)]
pub enum Range {
    /// x > 0.
    Positive,
    /// x >= 0.
    NonNegative,
    /// 0 <= x <= 1.
    Unit,
    /// 0 <= x < 1.
    UnitOpenAbove,
}

impl Range {
    /// Whether `x` lies in the range.
    pub fn contains(self, x: f64) -> bool {
        match self {
            Range::Positive => x > 0.0,
            Range::NonNegative => x >= 0.0,
            Range::Unit => (0.0..=1.0).contains(&x),
            Range::UnitOpenAbove => (0.0..1.0).contains(&x),
        }
    }

    /// The range in words: `> 0`, `in [0, 1)`.
    pub fn describe(self) -> &'static str {
        match self {
            Range::Positive => "> 0",
            Range::NonNegative => ">= 0",
            Range::Unit => "in [0, 1]",
            Range::UnitOpenAbove => "in [0, 1)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Dynamic)]) -> Map {
        pairs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect()
    }

    #[test]
    fn numbers_are_finite_and_in_range() {
        let o = CheckedOptions::new(
            map(&[("lr", Dynamic::from(f64::NAN)), ("eps", Dynamic::from(-1.0)), ("d", Dynamic::from(0.5))]),
            &["lr", "eps", "d"],
        )
        .unwrap();
        assert_eq!(
            o.f64_or("lr", 1.0).unwrap_err().message(),
            "option `lr` must be a finite number, got a float (NaN)"
        );
        assert_eq!(o.f64_in("eps", 1e-8, Range::Positive).unwrap_err().message(), "option `eps` must be > 0, got -1");
        assert_eq!(o.f64_in("d", 0.0, Range::UnitOpenAbove).unwrap(), 0.5);
    }

    #[test]
    fn counts_out_of_range_or_of_the_wrong_type_get_one_message() {
        let expected = |got: &str| format!("option `steps` must be an integer between 1 and 100, got {got}");
        for (value, got) in [
            (Dynamic::from(-1_i64), "an int (-1)"),
            (Dynamic::from(0_i64), "an int (0)"),
            (Dynamic::from(2.5), "a float (2.5)"),
        ] {
            let o = CheckedOptions::new(map(&[("steps", value)]), &["steps"]).unwrap();
            assert_eq!(o.count_in("steps", 20, 1..=100).unwrap_err().message(), expected(got));
        }
        let o = CheckedOptions::new(map(&[("steps", Dynamic::from(100_i64))]), &["steps"]).unwrap();
        assert_eq!(o.count_in("steps", 20, 1..=100).unwrap(), 100);
    }

    #[test]
    fn unknown_keys_list_the_accepted_ones() {
        let err = CheckedOptions::new(map(&[("lrr", Dynamic::from(1.0))]), &["lr", "eps"]).err().unwrap();
        assert_eq!(err.message(), "unknown option `lrr`; did you mean `lr`? accepted: lr, eps");
        let err = CheckedOptions::new(map(&[("zzz", Dynamic::from(1.0))]), &["lr", "eps"]).err().unwrap();
        assert_eq!(err.message(), "unknown option `zzz`; accepted: lr, eps");
    }

    #[test]
    fn types_are_checked_and_ints_are_numbers() {
        let o =
            CheckedOptions::new(map(&[("lr", Dynamic::from(1_i64)), ("steps", Dynamic::from("x"))]), &["lr", "steps"])
                .unwrap();
        assert_eq!(o.f64_or("lr", 0.0).unwrap(), 1.0);
        assert_eq!(
            o.usize_or("steps", 1).unwrap_err().message(),
            "option `steps` must be an integer >= 0, got the string \"x\""
        );
    }
}
