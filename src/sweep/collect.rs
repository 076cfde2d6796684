//! Collecting a sweep: every successful run's records, in the order of the points, as one
//! table (`results.jsonl`, `results.csv`), and the runs that failed or never ended listed
//! apart (`failures.csv`). `load_results` reads the same rows in scripts.

use super::layout;
use serde_json::{Map, Value};
use std::path::Path;

/// A table row.
pub type Row = Map<String, Value>;

/// A run without a successful end.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// Its point.
    pub index: usize,
    /// "failed", "interrupted", or "missing" (not run, still running, or killed).
    pub state: String,
    /// Its exit code, when it ended with one.
    pub exit_code: Option<i32>,
    /// The point's overrides, `key=value` joined by spaces.
    pub overrides: String,
    /// The last unindented line it wrote to stderr (an error's message).
    pub last_error: String,
}

/// The rows of JSON-lines file `path`.
fn read_rows(path: &Path) -> crate::Result<Vec<Row>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| crate::Error::new(format!("cannot read {}: {e}", path.display())))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(m)) => Ok(m),
            _ => crate::bail!("{}:{}: not a JSON object (a row of results)", path.display(), i + 1),
        })
        .collect()
}

/// The successful runs' rows of the sweep in `dir`, and the runs without a successful end.
pub fn sweep_rows(dir: &Path) -> crate::Result<(Vec<Row>, Vec<Failure>)> {
    let manifest = layout::read_manifest(dir)?;
    let points = super::grid::points(&manifest.axes())?;
    let mut rows = vec![];
    let mut failures = vec![];
    for (index, point) in points.iter().enumerate() {
        let folder = layout::run_dir(dir, index);
        let status = layout::read_status(dir, index);
        match &status {
            Some(s) if s.state == "ok" => {
                let records = folder.join("records.jsonl");
                if records.exists() {
                    rows.extend(read_rows(&records)?);
                }
            }
            _ => {
                let stderr = std::fs::read_to_string(folder.join("stderr.txt")).unwrap_or_default();
                failures.push(Failure {
                    index,
                    state: status.as_ref().map(|s| s.state.clone()).unwrap_or_else(|| "missing".into()),
                    exit_code: status.and_then(|s| s.exit_code),
                    overrides: point.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "),
                    // the error's own line, not the source excerpt under it (indented)
                    last_error: stderr
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty() && !l.starts_with(char::is_whitespace))
                        .unwrap_or("")
                        .to_string(),
                });
            }
        }
    }
    Ok((rows, failures))
}

/// The rows at `path`: a sweep folder's successful runs, or a `.jsonl` file of records.
pub fn rows_at(path: &Path) -> crate::Result<Vec<Row>> {
    if path.is_dir() {
        if layout::manifest_path(path).exists() {
            return Ok(sweep_rows(path)?.0);
        }
        let results = path.join("results.jsonl");
        if results.exists() {
            return read_rows(&results);
        }
        crate::bail!("{} is neither a sweep folder (no manifest.json) nor holds results.jsonl", path.display());
    }
    read_rows(path)
}

/// The columns of `rows`: the run id, then the grid's parameters in order, then every other
/// column in the order first seen.
pub fn columns(rows: &[Row], grid_keys: &[String]) -> Vec<String> {
    let mut out: Vec<String> = vec!["run".into()];
    out.extend(grid_keys.iter().filter(|k| rows.iter().any(|r| r.contains_key(*k))).cloned());
    for r in rows {
        for k in r.keys() {
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
    }
    out
}

/// One CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A cell as CSV text: strings as they are, other values as JSON, a missing cell empty.
fn csv_cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => csv_field(s),
        Some(other) => csv_field(&other.to_string()),
    }
}

/// `rows` as CSV with a header of `columns`.
pub fn csv(rows: &[Row], columns: &[String]) -> String {
    let mut out = columns.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",") + "\n";
    for r in rows {
        out += &(columns.iter().map(|c| csv_cell(r.get(c))).collect::<Vec<_>>().join(",") + "\n");
    }
    out
}

/// What `collect` wrote.
pub struct Collected {
    /// The table's rows.
    pub rows: usize,
    /// The runs without a successful end.
    pub failures: Vec<Failure>,
}

/// Writes `results.jsonl`, `results.csv` and `failures.csv` in the sweep folder `dir`.
pub fn collect(dir: &Path) -> crate::Result<Collected> {
    let manifest = layout::read_manifest(dir)?;
    let (rows, failures) = sweep_rows(dir)?;
    let grid_keys: Vec<String> = manifest.grid.iter().map(|(k, _)| k.clone()).collect();
    let jsonl: String = rows.iter().map(|r| Value::Object(r.clone()).to_string() + "\n").collect();
    crate::atomic_file::write_atomically(&dir.join("results.jsonl"), jsonl.as_bytes())?;
    crate::atomic_file::write_atomically(&dir.join("results.csv"), csv(&rows, &columns(&rows, &grid_keys)).as_bytes())?;
    let mut failed = String::from("run,state,exit_code,overrides,last_error\n");
    for f in &failures {
        let code = f.exit_code.map(|c| c.to_string()).unwrap_or_default();
        failed += &format!(
            "{},{},{code},{},{}\n",
            layout::run_name(f.index),
            f.state,
            csv_field(&f.overrides),
            csv_field(&f.last_error)
        );
    }
    crate::atomic_file::write_atomically(&dir.join("failures.csv"), failed.as_bytes())?;
    Ok(Collected { rows: rows.len(), failures })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_puts_the_run_and_the_grid_first_and_quotes_what_needs_it() {
        let rows: Vec<Row> = [
            json!({ "w2": 0.5, "method": "a,b", "run": "0000", "nfe": 4 }),
            json!({ "run": "0001", "nfe": 8, "note": "x" }),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let cols = columns(&rows, &["nfe".into(), "method".into()]);
        assert_eq!(cols, ["run", "nfe", "method", "w2", "note"]);
        assert_eq!(csv(&rows, &cols), "run,nfe,method,w2,note\n0000,4,\"a,b\",0.5,\n0001,8,,,x\n");
    }
}
