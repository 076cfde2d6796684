//! A sampler's own options: named numbers, flags and words.

use crate::error::Result;
use std::collections::BTreeMap;

/// One option value.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// A number.
    Number(f64),
    /// A flag.
    Flag(bool),
    /// A word.
    Text(String),
}

/// The options given to one sampler.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(BTreeMap<String, ParamValue>);

impl Params {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an option.
    pub fn set(&mut self, key: &str, value: ParamValue) {
        self.0.insert(key.to_string(), value);
    }

    /// Checks that every option is one `sampler` takes.
    pub fn check(&self, sampler: &str, keys: &[&str]) -> Result<()> {
        if let Some(k) = self.0.keys().find(|k| !keys.contains(&k.as_str())) {
            if keys.is_empty() {
                crate::bail!("method \"{sampler}\" takes no option `{k}`");
            }
            crate::bail!("method \"{sampler}\" takes no option `{k}`; its options are {}", keys.join(", "));
        }
        Ok(())
    }

    /// A number option, `default` when absent.
    pub fn number(&self, key: &str, default: f64) -> Result<f64> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ParamValue::Number(v)) => Ok(*v),
            Some(other) => crate::bail!("option `{key}` must be a number, got {other:?}"),
        }
    }

    /// A non-negative integer option.
    pub fn count(&self, key: &str, default: usize) -> Result<usize> {
        let v = self.number(key, default as f64)?;
        if v < 0.0 || v.fract() != 0.0 {
            crate::bail!("option `{key}` must be an integer >= 0, got {v}");
        }
        Ok(v as usize)
    }
}
