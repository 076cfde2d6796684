//! Experiments from scripts: parameters a command line or a sweep overrides (`params`), rows of
//! results (`record`), a sweep's table (`load_results`), its groups with intervals
//! (`summarize`) and any table as aligned text (`table`).

use rhai::plugin::*;
use rhai::{Array, Map};

const SUMMARIZE_KEYS: &[&str] = &["by", "value", "ci"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[("summarize", SUMMARIZE_KEYS)];

/// The columns `summarize` adds after the group's, in order.
const STATISTICS: &[&str] = &["n", "mean", "std", "sem", "ci_lower", "ci_upper"];

/// The experiment of the calling session (its engine's tag).
fn experiment(ctx: &NativeCallContext) -> crate::Result<crate::runtime::experiment::Shared> {
    ctx.tag()
        .and_then(|t| t.clone().try_cast::<crate::runtime::experiment::Shared>())
        .ok_or_else(|| crate::Error::new("this engine runs no experiment (a bug in difflab; please report it)"))
}

/// A script map as a JSON object (every value must be writable as JSON).
fn json_object(m: &Map, what: &str) -> crate::Result<serde_json::Map<String, serde_json::Value>> {
    m.iter()
        .map(|(k, v)| {
            let value = crate::runtime::convert::to_json(v).map_err(|e| e.context(format!("{what} `{k}`")))?;
            Ok((k.to_string(), value))
        })
        .collect()
}

/// A JSON object as a script map.
fn script_map(m: serde_json::Map<String, serde_json::Value>) -> Map {
    m.into_iter().map(|(k, v)| (k.into(), crate::runtime::convert::from_json(v))).collect()
}

/// The rows of a table: an array of maps.
fn table_rows(table: &Array) -> crate::Result<Vec<Map>> {
    table
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.read_lock::<Map>().map(|m| m.clone()).ok_or_else(|| {
                crate::Error::new(format!(
                    "a table is an array of maps (rows); row {i} is {}",
                    crate::runtime::convert::describe(r)
                ))
            })
        })
        .collect()
}

/// Groups `rows` by the `by` columns and summarizes column `value` in each group.
fn summarize_rows(rows: &[Map], by: &[String], value: &str, level: f64) -> crate::Result<Array> {
    use crate::runtime::convert::{describe, number};
    if rows.is_empty() {
        crate::bail!("the table is empty: no rows to summarize");
    }
    let mut keyed: Vec<(Vec<String>, f64)> = vec![];
    let mut key_values: Vec<(Vec<String>, Vec<Dynamic>)> = vec![];
    for (i, r) in rows.iter().enumerate() {
        let mut key = vec![];
        let mut values = vec![];
        for c in by {
            let Some(v) = r.get(c.as_str()) else {
                let columns: Vec<&str> = r.keys().map(|k| k.as_str()).collect();
                crate::bail!("row {i} has no column `{c}` to group by; its columns: {}", columns.join(", "));
            };
            key.push(v.to_string());
            values.push(v.clone());
        }
        let Some(v) = r.get(value) else {
            let columns: Vec<&str> = r.keys().map(|k| k.as_str()).collect();
            crate::bail!("row {i} has no column `{value}` to summarize; its columns: {}", columns.join(", "));
        };
        let x = number(v).map_err(|_| {
            crate::Error::new(format!("column `{value}` must hold numbers; row {i} has {}", describe(v)))
        })?;
        if !key_values.iter().any(|(k, _)| *k == key) {
            key_values.push((key.clone(), values));
        }
        keyed.push((key, x));
    }
    let groups = crate::metrics::summary::grouped(&keyed, crate::metrics::intervals::Interval::Confidence(level));
    Ok(groups
        .into_iter()
        .map(|(key, s)| {
            let mut m = Map::new();
            let values = &key_values.iter().find(|(k, _)| *k == key).expect("every group key was seen").1;
            for (c, v) in by.iter().zip(values) {
                m.insert(c.as_str().into(), v.clone());
            }
            m.insert("n".into(), Dynamic::from_int(s.n as rhai::INT));
            for (name, x) in
                [("mean", s.mean), ("std", s.std), ("sem", s.sem), ("ci_lower", s.lower), ("ci_upper", s.upper)]
            {
                m.insert(name.into(), Dynamic::from_float(x));
            }
            Dynamic::from_map(m)
        })
        .collect())
}

/// The columns of a table in the order `table` prints them: the others by name, then the
/// run id and `summarize`'s statistics in their order.
fn column_order(rows: &[Map]) -> Vec<String> {
    let mut names: Vec<String> = rows.iter().flat_map(|r| r.keys().map(|k| k.to_string())).collect();
    names.sort();
    names.dedup();
    let last: Vec<&str> = std::iter::once("run").chain(STATISTICS.iter().copied()).collect();
    let (mut front, back): (Vec<String>, Vec<String>) = names.into_iter().partition(|n| !last.contains(&n.as_str()));
    front.extend(last.iter().filter(|l| back.iter().any(|b| b == *l)).map(|l| l.to_string()));
    front
}

/// A table as aligned text: a header, a rule and one line per row; numbers right-aligned
/// with 4 significant digits, a missing cell empty.
fn table_text(rows: &[Map], columns: &[String]) -> String {
    let cell = |v: Option<&Dynamic>| match v {
        None => String::new(),
        Some(v) if v.is_float() => crate::number_text::significant(v.as_float().unwrap_or(f64::NAN), 4),
        Some(v) => v.to_string(),
    };
    let numeric: Vec<bool> = columns
        .iter()
        .map(|c| rows.iter().filter_map(|r| r.get(c.as_str())).all(|v| v.is_float() || v.is_int()))
        .collect();
    let mut cells = vec![columns.to_vec()];
    cells.extend(rows.iter().map(|r| columns.iter().map(|c| cell(r.get(c.as_str()))).collect()));
    let widths: Vec<usize> =
        (0..columns.len()).map(|c| cells.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut lines: Vec<String> =
        cells
            .iter()
            .map(|r| {
                let padded: Vec<String> =
                    r.iter()
                        .enumerate()
                        .map(|(c, s)| {
                            if numeric[c] {
                                format!("{s:>w$}", w = widths[c])
                            } else {
                                format!("{s:<w$}", w = widths[c])
                            }
                        })
                        .collect();
                padded.join("  ").trim_end().to_string()
            })
            .collect();
    let rule = "-".repeat(widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1));
    lines.insert(1, rule);
    lines.join("\n")
}

#[export_module]
mod api {
    use super::{experiment, json_object, script_map, summarize_rows, table_rows, SUMMARIZE_KEYS};
    use crate::runtime::api::Options;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use rhai::{Array, Map};

    /// The experiment's parameters: `let p = params(#{ method: "euler", nfe: 8, seed: 0 })` returns the
    /// defaults overridden by the command line (`difflab run exp.rhai method=heun nfe=16`; each value
    /// parsed as its default's type) or by a sweep's point. `record` adds them to every row.
    #[rhai_fn(return_raw)]
    pub fn params(ctx: NativeCallContext, defaults: Map) -> RhaiResult<Map> {
        guard(&ctx, || Ok(script_map(experiment(&ctx)?.declare(json_object(&defaults, "parameter")?)?)))
    }

    /// Records one row of results: `record(#{ w2: w, nfe: out.nfe })` appends the parameters, these
    /// values and the run id as one JSON line to the run's results (under `difflab sweep`, or with
    /// `difflab run --results FILE`); otherwise it prints the row. Returns the row.
    #[rhai_fn(return_raw)]
    pub fn record(ctx: NativeCallContext, values: Map) -> RhaiResult<Map> {
        guard(&ctx, || Ok(script_map(experiment(&ctx)?.record(json_object(&values, "recorded value")?)?)))
    }

    /// The rows `record` wrote: `load_results("runs/NAME")` reads a sweep folder (every run's
    /// records, in the order of its points), or one `.jsonl` file; an array of maps, one per row.
    #[rhai_fn(return_raw)]
    pub fn load_results(ctx: NativeCallContext, path: &str) -> RhaiResult<Array> {
        guard(&ctx, || {
            let rows = crate::sweep::collect::rows_at(std::path::Path::new(path))?;
            Ok(rows.into_iter().map(|r| Dynamic::from_map(script_map(r))).collect())
        })
    }

    /// Per group, the spread of a column: `summarize(table, #{ by: ["method", "nfe"], value: "w2",
    /// ci: 0.95 })` gives one row per group with its `by` columns and n, mean, std, sem and the
    /// Student-t interval of the mean (ci_lower, ci_upper; ci defaults to 0.95). Print it with
    /// `table(...)`; draw it with `line(s, #{ x: "nfe", y: "mean", errors: "ci", group: "method" })`.
    #[rhai_fn(return_raw)]
    pub fn summarize(ctx: NativeCallContext, table: Array, options: Options) -> RhaiResult<Array> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, SUMMARIZE_KEYS)?;
            let by: Vec<String> = match o.opt_value("by") {
                None => vec![],
                Some(v) if v.is_string() => vec![v.to_string()],
                Some(v) => match v.read_lock::<Array>() {
                    Some(list) if list.iter().all(|c| c.is_string()) => list.iter().map(|c| c.to_string()).collect(),
                    _ => crate::bail!("option `by` must be a column name or a list of them"),
                },
            };
            let Some(value) = o.opt_string("value")? else {
                crate::bail!("summarize needs option `value`, the column to summarize");
            };
            let level = o.f64_in("ci", 0.95, options::Range::Positive)?;
            if level >= 1.0 {
                crate::bail!("option `ci` is a confidence level between 0 and 1 (0.95), got {level}");
            }
            summarize_rows(&table_rows(&table)?, &by, &value, level)
        })
    }

    /// A table (an array of maps, as `load_results` and `summarize` give) as aligned text, one
    /// line per row: `print(table(summary))`.
    #[rhai_fn(name = "table", return_raw)]
    pub fn table(ctx: NativeCallContext, rows: Array) -> RhaiResult<String> {
        guard(&ctx, || {
            let rows = table_rows(&rows)?;
            Ok(super::table_text(&rows, &super::column_order(&rows)))
        })
    }

    /// A table's chosen columns, in this order, as aligned text: `table(rows, ["method", "mean"])`.
    #[rhai_fn(name = "table", return_raw)]
    pub fn table_columns(ctx: NativeCallContext, rows: Array, columns: Array) -> RhaiResult<String> {
        guard(&ctx, || {
            let rows = table_rows(&rows)?;
            let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            Ok(super::table_text(&rows, &columns))
        })
    }
}

/// The module of experiment built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
