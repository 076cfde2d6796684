//! A sweep's grid from the command line, in Hydra's multirun form: `key=a,b,c` (a comma list),
//! `key=a:b` (the integers a to b − 1, as Python's `range`), `key="x,y"` (one string holding a
//! comma: quotes group), and the cartesian product of the axes, the last axis varying fastest.

use serde_json::{Map, Value};

/// One axis: a parameter and the values (as typed) it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The parameter.
    pub key: String,
    /// Its values, as written.
    pub values: Vec<String>,
}

/// One point of the grid: each axis's key and value, in the axes' order.
pub type Point = Vec<(String, String)>;

/// Parses `key=values` arguments into axes; a key given twice, an empty list or a malformed
/// range is an error naming the argument.
pub fn parse(args: &[String]) -> crate::Result<Vec<Axis>> {
    let mut axes: Vec<Axis> = vec![];
    for arg in args {
        let Some((key, spec)) = arg.split_once('=') else {
            crate::bail!("`{arg}` is not an axis of the grid: write key=a,b,c or key=start:end");
        };
        if !crate::runtime::overrides::is_key(key) {
            crate::bail!("`{arg}`: `{key}` cannot name a parameter (letters, digits and _, not starting with a digit)");
        }
        if axes.iter().any(|a| a.key == key) {
            crate::bail!("`{arg}`: parameter `{key}` is given twice; give all its values in one list");
        }
        let values = values(spec).map_err(|e| e.context(format!("`{arg}`")))?;
        axes.push(Axis { key: key.to_string(), values });
    }
    Ok(axes)
}

/// The values of one axis: a range `a:b`, or a comma list with quotes grouping.
fn values(spec: &str) -> crate::Result<Vec<String>> {
    if let Some((a, b)) = range_ends(spec) {
        let (Ok(start), Ok(end)) = (a.trim().parse::<i64>(), b.trim().parse::<i64>()) else {
            crate::bail!(
                "a range is start:end with two integers (end excluded, as 0:5 is 0, 1, 2, 3, 4), got `{spec}`"
            );
        };
        if end <= start {
            crate::bail!("the range {start}:{end} is empty (the end is excluded: 0:5 is 0 to 4)");
        }
        if end - start > MAX_POINTS as i64 {
            crate::bail!("the range {start}:{end} has more than {MAX_POINTS} values");
        }
        return Ok((start..end).map(|i| i.to_string()).collect());
    }
    let mut out = vec![];
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in spec.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                current.push(c);
            }
            (None, ',') => out.push(std::mem::take(&mut current)),
            (None, c) => current.push(c),
        }
    }
    if quote.is_some() {
        crate::bail!("a quote is not closed in `{spec}`");
    }
    out.push(current);
    if out.iter().any(|v| v.trim().is_empty()) {
        crate::bail!("an empty value in the list `{spec}` (write key=a,b,c)");
    }
    Ok(out)
}

/// `(a, b)` when `spec` is a range `a:b` (one colon, outside quotes, both sides integers or
/// meant to be: a list or a quoted string is not a range).
fn range_ends(spec: &str) -> Option<(&str, &str)> {
    if spec.contains(',') || spec.starts_with('"') || spec.starts_with('\'') {
        return None;
    }
    let (a, b) = spec.split_once(':')?;
    let looks_numeric = |s: &str| s.trim().chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+');
    (looks_numeric(a) || looks_numeric(b)).then_some((a, b))
}

/// The most points a sweep may have.
pub const MAX_POINTS: usize = 100_000;

/// Every point of the grid, the last axis varying fastest (one point, with no overrides, for
/// no axes).
pub fn points(axes: &[Axis]) -> crate::Result<Vec<Point>> {
    let total = axes.iter().try_fold(1usize, |n, a| n.checked_mul(a.values.len()).filter(|n| *n <= MAX_POINTS));
    let Some(total) = total else {
        crate::bail!("the grid has more than {MAX_POINTS} points");
    };
    Ok((0..total)
        .map(|mut i| {
            let mut point: Point = vec![];
            for a in axes.iter().rev() {
                point.push((a.key.clone(), a.values[i % a.values.len()].clone()));
                i /= a.values.len();
            }
            point.reverse();
            point
        })
        .collect())
}

/// Checks every value of every axis against the script's declared parameters (their
/// defaults), as `params()` will parse them: an unknown key or a value of the wrong type is an
/// error before any run starts.
pub fn check(axes: &[Axis], declared: &Map<String, Value>) -> crate::Result<()> {
    for a in axes {
        let Some(default) = declared.get(&a.key) else {
            crate::bail!("{}", crate::runtime::overrides::unknown_key(&a.key, declared));
        };
        for v in &a.values {
            crate::runtime::overrides::parse_value(&a.key, v, default)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lists_ranges_and_quotes_make_the_product() {
        let axes = parse(&args(&["method=euler,heun", "seed=0:3", "label=\"a,b\",c"])).unwrap();
        assert_eq!(axes[1].values, ["0", "1", "2"]);
        assert_eq!(axes[2].values, ["\"a,b\"", "c"]);
        let pts = points(&axes).unwrap();
        assert_eq!(pts.len(), 12);
        let first: Vec<&str> = pts[0].iter().map(|(_, v)| v.as_str()).collect();
        let second: Vec<&str> = pts[1].iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!((first, second), (vec!["euler", "0", "\"a,b\""], vec!["euler", "0", "c"]));
        assert_eq!(points(&[]).unwrap(), vec![Point::new()]);
    }

    #[test]
    fn malformed_axes_are_refused() {
        for (bad, says) in [
            ("seed=5:2", "is empty"),
            ("seed=a:2", "two integers"),
            ("nfe=", "an empty value"),
            ("nfe=4,,8", "an empty value"),
            ("label=\"a,b", "not closed"),
            ("nfe", "not an axis"),
            ("2x=1", "cannot name"),
        ] {
            let e = parse(&args(&[bad])).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let e = parse(&args(&["nfe=4", "nfe=8"])).unwrap_err().to_string();
        assert!(e.contains("given twice"), "{e}");
    }

    #[test]
    fn values_are_checked_against_the_declared_parameters() {
        let declared = serde_json::json!({ "method": "euler", "nfe": 8 }).as_object().unwrap().clone();
        check(&parse(&args(&["method=heun", "nfe=4,16"])).unwrap(), &declared).unwrap();
        let e = check(&parse(&args(&["nfe=4,x"])).unwrap(), &declared).unwrap_err().to_string();
        assert!(e.contains("parameter `nfe` takes an integer"), "{e}");
        let e = check(&parse(&args(&["steps=4"])).unwrap(), &declared).unwrap_err().to_string();
        assert!(e.contains("no parameter `steps`") && e.contains("method, nfe"), "{e}");
    }
}
