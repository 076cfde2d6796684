//! Core built-ins: the seed, help, and printing to stderr.

use rhai::plugin::*;

/// Waits `seconds` (any non-negative number; infinity waits for an interrupt), checking
/// for an interrupt every 20 ms.
fn sleep_for(seconds: f64) -> crate::Result<()> {
    if seconds.is_nan() || seconds < 0.0 {
        crate::bail!("`seconds` must be a number >= 0, got {seconds}");
    }
    let end =
        std::time::Duration::try_from_secs_f64(seconds).ok().and_then(|d| std::time::Instant::now().checked_add(d));
    loop {
        crate::interrupt::check()?;
        let left = match end {
            Some(end) if std::time::Instant::now() >= end => return Ok(()),
            Some(end) => end.saturating_duration_since(std::time::Instant::now()),
            None => std::time::Duration::MAX,
        };
        std::thread::sleep(left.min(std::time::Duration::from_millis(20)));
    }
}

#[export_module]
mod api {
    use crate::runtime::{help, output};
    use crate::tensor::rng;
    use rhai::INT;

    /// Fixes every random number that follows: the same seed gives the same draws on every run.
    pub fn seed(n: INT) {
        rng::seed(n as u64);
    }

    /// Makes a device ("cpu", "cuda", "cuda:1") the default for new tensors and networks; returns its name.
    #[rhai_fn(name = "device", return_raw)]
    pub fn set_device(ctx: NativeCallContext, name: &str) -> Result<String, Box<rhai::EvalAltResult>> {
        crate::runtime::error::guard(&ctx, || {
            let device = crate::tensor::device::parse_device(name)?;
            crate::tensor::device::set_default_device(device.clone());
            Ok(crate::tensor::device::device_name(&device))
        })
    }

    /// The default device's name ("cpu", "cuda:0"): what `--device` or `device(name)` chose.
    #[rhai_fn(name = "device")]
    pub fn current_device() -> String {
        crate::tensor::device::device_name(&crate::tensor::device::default_device())
    }

    /// How often data crossed between the host and tensors so far: `#{ uploads, downloads }`
    /// (host values made into tensor data; tensor data read back, e.g. by `item`). On a GPU
    /// each is a host↔device copy; they are counted on the CPU too, so a check of a loop's
    /// copies runs anywhere.
    pub fn transfers() -> rhai::Map {
        let c = crate::tensor::transfer::counts();
        let mut m = rhai::Map::new();
        m.insert("uploads".into(), (c.uploads as INT).into());
        m.insert("downloads".into(), (c.downloads as INT).into());
        m
    }

    /// Lists every built-in by group, with its one-line doc.
    #[rhai_fn(name = "help")]
    pub fn help_index() {
        output::page(&help::catalog().index());
    }

    /// Shows the signatures and doc of one built-in: `help("randn")`.
    #[rhai_fn(name = "help")]
    pub fn help_name(name: &str) {
        output::page(&help::catalog().describe(name));
    }

    /// A number with `digits` significant digits: fixed notation from 1e-3 to 1e6, scientific outside.
    #[rhai_fn(return_raw)]
    pub fn fmt(
        ctx: NativeCallContext,
        value: crate::runtime::api::Number,
        digits: INT,
    ) -> Result<String, Box<rhai::EvalAltResult>> {
        crate::runtime::error::guard(&ctx, || {
            if let Ok(i) = value.as_int() {
                return Ok(i.to_string());
            }
            let v = crate::runtime::convert::number_arg("value", &value)?;
            Ok(crate::number_text::significant(v, digits.clamp(1, 17) as usize))
        })
    }

    /// Checks a script function's option map against the accepted keys.
    /// An unknown key is an error naming `function`, the key, the closest accepted keys and all of them:
    /// `expect_options("train", options, ["steps", "lr"])`.
    #[rhai_fn(return_raw)]
    pub fn expect_options(
        ctx: NativeCallContext,
        function: &str,
        options: rhai::Map,
        accepted: rhai::Array,
    ) -> Result<(), Box<rhai::EvalAltResult>> {
        let names: Vec<String> = accepted.iter().map(|v| v.to_string()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        match options.keys().find(|k| !names.contains(&k.as_str())) {
            None => Ok(()),
            Some(key) => Err(crate::runtime::error::script_error(
                format!("{function}: {}", crate::suggest::unknown_option(key, &names)),
                ctx.call_position(),
            )),
        }
    }

    /// Waits `seconds` (an interrupt ends the wait).
    #[rhai_fn(return_raw)]
    pub fn sleep(ctx: NativeCallContext, seconds: crate::runtime::api::Number) -> Result<(), Box<rhai::EvalAltResult>> {
        crate::runtime::error::guard(&ctx, || {
            super::sleep_for(crate::runtime::convert::number_arg("seconds", &seconds)?)
        })
    }
    // Rhai's own `sleep(int)` and `sleep(float)` cannot be interrupted: these take their place.
    #[rhai_fn(name = "sleep", return_raw)]
    pub fn sleep_int(ctx: NativeCallContext, seconds: rhai::INT) -> Result<(), Box<rhai::EvalAltResult>> {
        crate::runtime::error::guard(&ctx, || super::sleep_for(seconds as f64))
    }
    #[rhai_fn(name = "sleep", return_raw)]
    pub fn sleep_float(ctx: NativeCallContext, seconds: rhai::FLOAT) -> Result<(), Box<rhai::EvalAltResult>> {
        crate::runtime::error::guard(&ctx, || super::sleep_for(seconds))
    }

    /// Clears the cell's output in a notebook (with `wait`, only once new output arrives); a no-op in a terminal.
    pub fn clear_output(wait: bool) {
        output::clear(wait);
    }
    #[rhai_fn(name = "clear_output")]
    pub fn clear_output_now() {
        output::clear(false);
    }

    /// Prints a value to standard error (a notebook shows it as stderr).
    pub fn eprint(ctx: NativeCallContext, value: Dynamic) {
        let text = if value.is_string() {
            value.to_string()
        } else {
            ctx.call_fn::<String>("to_string", (value.clone(),)).unwrap_or_else(|_| value.to_string())
        };
        output::eprint(&text);
    }
}

/// The module of core built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
