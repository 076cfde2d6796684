//! The parameters a script declares, learnt before a sweep starts: the script runs up to its
//! `params(#{ ... })` call, which writes the defaults out and stops it (see
//! [`crate::runtime::experiment::DECLARE_VAR`]), so every override can be checked against
//! them before any point runs.

use serde_json::{Map, Value};
use std::path::Path;
use std::process::{Command, Stdio};

/// The declared defaults of `script`, run with `args` by the difflab at `exe`.
pub fn parameters(exe: &Path, script: &Path, args: &[String]) -> crate::Result<Map<String, Value>> {
    let listing = std::env::temp_dir().join(format!("difflab-params-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&listing);
    let out = Command::new(exe)
        .arg("run")
        .arg(script)
        .args(args)
        .env(crate::runtime::experiment::DECLARE_VAR, &listing)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| crate::Error::new(format!("cannot start {}: {e}", exe.display())))?;
    let text = std::fs::read_to_string(&listing);
    let _ = std::fs::remove_file(&listing);
    match text {
        Ok(t) => match serde_json::from_str::<Value>(&t) {
            Ok(Value::Object(m)) => Ok(m),
            _ => crate::bail!("the parameters {} declared could not be read back", script.display()),
        },
        Err(_) if out.status.success() => crate::bail!(
            "{} declares no parameters: begin it with `let p = params(#{{ key: default, ... }})` and read p.key",
            script.display()
        ),
        Err(_) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            crate::bail!("{} failed before it declared its parameters:\n{}", script.display(), stderr.trim_end())
        }
    }
}
