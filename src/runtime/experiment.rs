//! A script as one run of an experiment: the parameters it declares with `params(#{ ... })`
//! (the defaults overridden by `key=value` arguments), and the rows `record(#{ ... })` appends
//! to the run's results, a JSON-lines file, when `difflab run --results FILE` or a sweep gives
//! one. Each session's engine carries its [`Experiment`] as its tag, so `params` reads that
//! session's arguments.

use serde_json::{Map, Value};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// The environment variable a sweep sets to name the run in its records.
pub const RUN_ID_VAR: &str = "DIFFLAB_RUN_ID";
/// The environment variable asking `params()` to write the script's declared defaults (as a
/// JSON object) to this file and stop the script: how `difflab sweep` learns the parameters
/// before it starts any run.
pub const DECLARE_VAR: &str = "DIFFLAB_DECLARE_PARAMS";
/// The message of the error that stops a script once it declared its parameters for a sweep.
pub const DECLARED: &str = "stopped after params(): the parameters were listed for a sweep";

/// Where `record` rows go in this process (`difflab run --results FILE`).
static RESULTS: OnceLock<PathBuf> = OnceLock::new();

/// Sends this process's `record` rows to `file` (appended, one JSON object a line).
pub fn set_results_file(file: PathBuf) {
    let _ = RESULTS.set(file);
}

/// One session's experiment: its arguments and what its script declared.
#[derive(Default)]
pub struct Experiment {
    args: Vec<String>,
    params: Mutex<Option<Map<String, Value>>>,
}

/// The experiment as an engine tag.
pub type Shared = Arc<Experiment>;

impl Experiment {
    /// The experiment of a script called with `args`.
    pub fn new(args: Vec<String>) -> Shared {
        Arc::new(Self { args, params: Mutex::new(None) })
    }

    /// Declares the parameters: `defaults` with the command line's `key=value` overrides
    /// applied (see [`super::overrides`]). Under a sweep's listing (see [`DECLARE_VAR`]) the
    /// defaults are written out and the script stops.
    pub fn declare(&self, defaults: Map<String, Value>) -> crate::Result<Map<String, Value>> {
        if let Ok(file) = std::env::var(DECLARE_VAR) {
            crate::atomic_file::write_atomically(
                std::path::Path::new(&file),
                Value::Object(defaults).to_string().as_bytes(),
            )?;
            crate::bail!("{DECLARED}");
        }
        let values = super::overrides::apply(&defaults, &super::overrides::split(&self.args))?;
        *self.params.lock().unwrap_or_else(|e| e.into_inner()) = Some(values.clone());
        Ok(values)
    }

    /// Appends one row to the run's results: the declared parameters, then `values` (a key
    /// that names a parameter replaces it, as `nfe: out.nfe` records the NFE spent), then the
    /// run id. Without a results file the row is printed. Returns the row.
    pub fn record(&self, values: Map<String, Value>) -> crate::Result<Map<String, Value>> {
        let mut row = self.params.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default();
        row.extend(values);
        row.insert("run".into(), Value::String(run_id()));
        match RESULTS.get() {
            Some(file) => append_line(file, &Value::Object(row.clone()).to_string())?,
            None => super::output::print(&format!("record: {}", shown(&row))),
        }
        Ok(row)
    }
}

/// This run's id: the sweep's (its point's folder name), else this process's start time and pid.
fn run_id() -> String {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        std::env::var(RUN_ID_VAR)
            .unwrap_or_else(|_| format!("{}-{}", chrono::Local::now().format("%Y%m%d-%H%M%S"), std::process::id()))
    })
    .clone()
}

/// A row as `key=value` pairs.
fn shown(row: &Map<String, Value>) -> String {
    row.iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            Value::Number(n) if n.is_f64() => {
                format!("{k}={}", crate::number_text::short(n.as_f64().unwrap_or(f64::NAN)))
            }
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Appends `line` and a newline to `file` in one write, so rows of concurrent writers do not
/// interleave.
fn append_line(file: &std::path::Path, line: &str) -> crate::Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| crate::Error::new(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(|e| crate::Error::new(format!("cannot open the results file {}: {e}", file.display())))?;
    f.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| crate::Error::new(format!("cannot write the results file {}: {e}", file.display())))
}
