//! Command-line overrides of a script's parameters, `key=value` in Hydra's form
//! (`difflab run exp.rhai method=heun nfe=16`): which arguments are overrides, and a value
//! parsed as the type of the parameter's default. `params()` and `difflab sweep` both check
//! overrides here, so a sweep refuses a bad one before any run starts with the same words
//! the run would use.

use serde_json::{Map, Value};

/// The `key=value` arguments among `args`, in order (others, such as `--fast`, are left to the
/// script's `ARGS`). A key is an identifier: letters, digits and `_`, not starting with a digit.
pub fn split(args: &[String]) -> Vec<(String, String)> {
    args.iter()
        .filter_map(|a| {
            let (key, value) = a.split_once('=')?;
            is_key(key).then(|| (key.to_string(), value.to_string()))
        })
        .collect()
}

/// Whether `key` can name a parameter.
pub fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The kind of a default, as errors name it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "true or false",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list in JSON ([1, 2])",
        Value::Object(_) => "a map in JSON ({\"a\": 1})",
        Value::Null => "any value",
    }
}

/// `text` as a value of the type of `default`: an integer, a number (an integer is taken as a
/// number), `true`/`false`, a string (quotes around it dropped), or JSON for lists and maps;
/// for a `()` default, the first of integer, number, flag or JSON that parses, else a string.
pub fn parse_value(key: &str, text: &str, default: &Value) -> crate::Result<Value> {
    let trimmed = text.trim();
    let bad = || {
        crate::Error::new(format!("parameter `{key}` takes {} (its default is {default}), got `{text}`", kind(default)))
    };
    match default {
        Value::Bool(_) => match trimmed {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        Value::Number(n) if n.is_i64() || n.is_u64() => trimmed.parse::<i64>().map(Value::from).map_err(|_| bad()),
        Value::Number(_) => match trimmed.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)),
            _ => Err(bad()),
        },
        Value::String(_) => Ok(Value::String(unquoted(text).to_string())),
        Value::Array(_) | Value::Object(_) => match serde_json::from_str::<Value>(trimmed) {
            Ok(v) if std::mem::discriminant(&v) == std::mem::discriminant(default) => Ok(v),
            _ => Err(bad()),
        },
        Value::Null => Ok(serde_json::from_str::<Value>(trimmed)
            .ok()
            .filter(|v| !v.is_string())
            .unwrap_or_else(|| Value::String(unquoted(text).to_string()))),
    }
}

/// `text` without one pair of surrounding quotes (`"a,b"` or `'a,b'`).
fn unquoted(text: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    text
}

/// The defaults with `overrides` applied: each key must be declared, each value parses as its
/// default's type. An error names the key and lists the declared ones.
pub fn apply(defaults: &Map<String, Value>, overrides: &[(String, String)]) -> crate::Result<Map<String, Value>> {
    let mut out = defaults.clone();
    for (key, text) in overrides {
        let Some(default) = defaults.get(key) else {
            crate::bail!("{}", unknown_key(key, defaults));
        };
        out.insert(key.clone(), parse_value(key, text, default)?);
    }
    Ok(out)
}

/// The error for an override of a parameter the script does not declare.
pub fn unknown_key(key: &str, defaults: &Map<String, Value>) -> String {
    let known: Vec<&str> = defaults.keys().map(String::as_str).collect();
    if known.is_empty() {
        return format!(
            "override `{key}=...`: the script declares no parameters (declare them with `params(#{{ ... }})`)"
        );
    }
    let close = crate::suggest::did_you_mean(key, known.iter().copied());
    format!(
        "override `{key}=...`: the script declares no parameter `{key}`;{close} its parameters are {}",
        known.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaults() -> Map<String, Value> {
        json!({ "method": "euler", "nfe": 8, "eta": 0.5, "fast": false, "sizes": [1, 2] }).as_object().unwrap().clone()
    }

    fn over(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn values_take_the_type_of_the_default() {
        let out =
            apply(&defaults(), &over(&[("method", "heun"), ("nfe", "16"), ("eta", "1"), ("fast", "true")])).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({ "method": "heun", "nfe": 16, "eta": 1.0, "fast": true, "sizes": [1, 2] })
        );
        let out = apply(&defaults(), &over(&[("method", "\"a,b\""), ("sizes", "[3]")])).unwrap();
        assert_eq!((out["method"].clone(), out["sizes"].clone()), (json!("a,b"), json!([3])));
    }

    #[test]
    fn bad_overrides_name_the_key_and_the_declared_ones() {
        let e = apply(&defaults(), &over(&[("nfee", "3")])).unwrap_err().to_string();
        assert!(
            e.contains("no parameter `nfee`")
                && e.contains("did you mean \"nfe\"")
                && e.contains("eta, fast, method, nfe, sizes"),
            "{e}"
        );
        let e = apply(&defaults(), &over(&[("nfe", "1.5")])).unwrap_err().to_string();
        assert_eq!(e, "parameter `nfe` takes an integer (its default is 8), got `1.5`");
        let e = apply(&defaults(), &over(&[("fast", "yes")])).unwrap_err().to_string();
        assert!(e.contains("takes true or false"), "{e}");
    }

    #[test]
    fn only_identifier_keys_are_overrides() {
        let args: Vec<String> = ["--fast", "nfe=4", "x=a=b", "2x=1", "plots"].iter().map(|s| s.to_string()).collect();
        assert_eq!(split(&args), over(&[("nfe", "4"), ("x", "a=b")]));
    }
}
