//! A sampler's own options: each sampler declares its keys with their defaults
//! and docs ([`OptionSpec`]) in one place, its file; what a caller gives
//! ([`Params`]) is checked against them and completed with the defaults before
//! the sampler runs, so a sampler reads every option without a default of its own.

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

/// What an option takes, with its default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptionDefault {
    /// Any number.
    Number(f64),
    /// An integer ≥ 0.
    Count(usize),
    /// One of these words; the first is the default.
    Choice(&'static [&'static str]),
}

/// One option a sampler takes: its key, its default and what it does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptionSpec {
    /// The key scripts write.
    pub key: &'static str,
    /// The value when the key is absent (and so the kind of value it takes).
    pub default: OptionDefault,
    /// One line: what it does.
    pub doc: &'static str,
}

impl OptionSpec {
    /// The default as scripts would write it (`0.16`, `1e-5`, `inf`).
    pub fn default_text(&self) -> String {
        match self.default {
            OptionDefault::Number(v) if v == f64::INFINITY => "inf".into(),
            OptionDefault::Number(v) if v != 0.0 && !(1e-3..1e6).contains(&v.abs()) => format!("{v:e}"),
            OptionDefault::Number(v) => format!("{v}"),
            OptionDefault::Count(n) => format!("{n}"),
            OptionDefault::Choice(words) => format!("\"{}\"", words[0]),
        }
    }
}

/// The options given to one sampler.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(BTreeMap<String, ParamValue>);

/// The largest count a sampler option (rounds, corrector steps, order) may be.
pub const MAX_COUNT: usize = 1_000_000;

impl Params {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an option.
    pub fn set(&mut self, key: &str, value: ParamValue) {
        self.0.insert(key.to_string(), value);
    }

    /// Checks every option against the `specs` of sampler `sampler` (an unknown key or a
    /// value of the wrong kind is an error naming it) and fills in the defaults of the rest.
    pub fn resolve(&self, sampler: &str, specs: &[OptionSpec]) -> Result<Params> {
        if let Some(k) = self.0.keys().find(|k| !specs.iter().any(|s| s.key == k.as_str())) {
            if specs.is_empty() {
                crate::bail!("method \"{sampler}\" takes no option `{k}`");
            }
            let keys: Vec<&str> = specs.iter().map(|s| s.key).collect();
            crate::bail!("method \"{sampler}\" takes no option `{k}`; its options are {}", keys.join(", "));
        }
        let mut full = Params::new();
        for spec in specs {
            let value = match (self.0.get(spec.key), spec.default) {
                (None, OptionDefault::Number(v)) => ParamValue::Number(v),
                (None, OptionDefault::Count(n)) => ParamValue::Number(n as f64),
                (None, OptionDefault::Choice(words)) => ParamValue::Text(words[0].to_string()),
                (Some(ParamValue::Number(v)), OptionDefault::Number(_)) if !v.is_nan() => ParamValue::Number(*v),
                (Some(ParamValue::Number(v)), OptionDefault::Count(_))
                    if *v >= 0.0 && v.fract() == 0.0 && *v <= MAX_COUNT as f64 =>
                {
                    ParamValue::Number(*v)
                }
                (Some(ParamValue::Text(t)), OptionDefault::Choice(words)) if words.contains(&t.as_str()) => {
                    ParamValue::Text(t.clone())
                }
                (Some(other), OptionDefault::Number(_)) => {
                    crate::bail!("option `{}` of method \"{sampler}\" must be a number, got {}", spec.key, shown(other))
                }
                (Some(other), OptionDefault::Count(_)) => crate::bail!(
                    "option `{}` of method \"{sampler}\" must be an integer from 0 to {MAX_COUNT}, got {}",
                    spec.key,
                    shown(other)
                ),
                (Some(other), OptionDefault::Choice(words)) => crate::bail!(
                    "option `{}` of method \"{sampler}\" must be one of \"{}\", got {}",
                    spec.key,
                    words.join("\", \""),
                    shown(other)
                ),
            };
            full.set(spec.key, value);
        }
        Ok(full)
    }

    /// Every option and its value, by key.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &ParamValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// A number option of resolved parameters.
    pub fn number(&self, key: &str) -> Result<f64> {
        match self.0.get(key) {
            Some(ParamValue::Number(v)) => Ok(*v),
            _ => crate::bail!("option `{key}` was read but the sampler does not declare it"),
        }
    }

    /// A word option (one of its choices) of resolved parameters.
    pub fn text(&self, key: &str) -> Result<&str> {
        match self.0.get(key) {
            Some(ParamValue::Text(t)) => Ok(t),
            _ => crate::bail!("option `{key}` was read but the sampler does not declare it as a choice"),
        }
    }

    /// An integer option (≥ 0) of resolved parameters.
    pub fn count(&self, key: &str) -> Result<usize> {
        Ok(self.number(key)? as usize)
    }
}

/// A given value as a script wrote it.
fn shown(v: &ParamValue) -> String {
    match v {
        ParamValue::Number(x) => format!("{x}"),
        ParamValue::Flag(b) => format!("{b}"),
        ParamValue::Text(t) => format!("\"{t}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptionSpec] = &[
        OptionSpec { key: "eta", default: OptionDefault::Number(1.0), doc: "" },
        OptionSpec { key: "steps", default: OptionDefault::Count(2), doc: "" },
    ];

    #[test]
    fn resolving_fills_defaults_and_names_bad_keys_and_kinds() {
        let mut p = Params::new();
        p.set("eta", ParamValue::Number(0.5));
        let full = p.resolve("m", SPECS).unwrap();
        assert_eq!((full.number("eta").unwrap(), full.count("steps").unwrap()), (0.5, 2));
        assert!(full.number("other").is_err());
        let texts: Vec<String> = [1e-5, 0.16, 1.0, f64::INFINITY, 0.0]
            .map(|v| OptionSpec { key: "k", default: OptionDefault::Number(v), doc: "" }.default_text())
            .into();
        assert_eq!(texts, ["1e-5", "0.16", "1", "inf", "0"]);

        p.set("stpes", ParamValue::Number(1.0));
        let e = p.resolve("m", SPECS).unwrap_err().to_string();
        assert_eq!(e, "method \"m\" takes no option `stpes`; its options are eta, steps");
        assert_eq!(Params::new().resolve("m", &[]).unwrap(), Params::new());

        let mut p = Params::new();
        p.set("steps", ParamValue::Number(1.5));
        let e = p.resolve("m", SPECS).unwrap_err().to_string();
        assert_eq!(e, "option `steps` of method \"m\" must be an integer from 0 to 1000000, got 1.5");
        p.set("steps", ParamValue::Number(3.0));
        p.set("eta", ParamValue::Text("big".into()));
        let e = p.resolve("m", SPECS).unwrap_err().to_string();
        assert_eq!(e, "option `eta` of method \"m\" must be a number, got \"big\"");
    }

    #[test]
    fn choices_default_to_their_first_word_and_refuse_others() {
        const CHOICE: &[OptionSpec] =
            &[OptionSpec { key: "kind", default: OptionDefault::Choice(&["midpoint", "heun"]), doc: "" }];
        assert_eq!(CHOICE[0].default_text(), "\"midpoint\"");
        assert_eq!(Params::new().resolve("m", CHOICE).unwrap().text("kind").unwrap(), "midpoint");
        let mut p = Params::new();
        p.set("kind", ParamValue::Text("heun".into()));
        assert_eq!(p.resolve("m", CHOICE).unwrap().text("kind").unwrap(), "heun");
        for bad in [ParamValue::Text("euler".into()), ParamValue::Number(1.0)] {
            p.set("kind", bad.clone());
            let e = p.resolve("m", CHOICE).unwrap_err().to_string();
            let shown = if let ParamValue::Text(_) = bad { "\"euler\"" } else { "1" };
            assert_eq!(e, format!("option `kind` of method \"m\" must be one of \"midpoint\", \"heun\", got {shown}"));
        }
    }
}
