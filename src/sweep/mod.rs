//! Sweeps: a script run over a grid of parameters (`difflab sweep exp.rhai method=euler,heun
//! seed=0:5`), each point one `difflab run` process in its own folder, run on this machine or
//! as a Slurm job array, resumable, and collected into one table. Scripts see a sweep only
//! through `params()` and `record()`; nothing here links a scheduler library.

pub mod collect;
pub mod declared;
pub mod grid;
pub mod layout;
pub mod local;
pub mod slurm;
pub mod task;

use std::path::{Path, PathBuf};

/// Where the points run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backend {
    /// On this machine, `jobs` at a time.
    Local,
    /// As a Slurm job array.
    Slurm,
}

/// A sweep as the command line asks for it.
pub struct Settings {
    /// The script (optional with `resume`: the manifest names it).
    pub script: Option<PathBuf>,
    /// The axes, `key=a,b,c` or `key=a:b`.
    pub grid: Vec<String>,
    /// Arguments for every run after its overrides.
    pub script_args: Vec<String>,
    /// The sweep folder (default `runs/SCRIPT_NAME`).
    pub out: Option<PathBuf>,
    /// Local runs at a time.
    pub jobs: usize,
    /// Run only the points without a successful result.
    pub resume: bool,
    /// List the points and stop.
    pub dry_run: bool,
    /// Where the points run.
    pub backend: Backend,
    /// What each Slurm task asks for.
    pub resources: slurm::Resources,
    /// With Slurm, wait for the tasks to end and collect.
    pub wait: bool,
    /// The device every run is given.
    pub device: Option<String>,
}

/// The sweep folder of `settings`.
fn folder(settings: &Settings) -> crate::Result<PathBuf> {
    if let Some(out) = &settings.out {
        return Ok(out.clone());
    }
    let Some(script) = &settings.script else {
        crate::bail!("give the sweep folder with --out DIR");
    };
    let stem = script.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "sweep".into());
    Ok(Path::new("runs").join(stem))
}

/// The absolute form of `path`.
fn absolute(path: &Path) -> crate::Result<PathBuf> {
    std::path::absolute(path).map_err(|e| crate::Error::new(format!("{}: {e}", path.display())))
}

/// This difflab executable, which every run and task uses.
fn executable() -> crate::Result<PathBuf> {
    std::env::current_exe().map_err(|e| crate::Error::new(format!("cannot find the difflab executable: {e}")))
}

/// A point as `key=value` words.
fn shown(point: &grid::Point) -> String {
    point.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// The manifest of a new sweep, after checking its grid against the script's parameters.
fn new_manifest(settings: &Settings, exe: &Path) -> crate::Result<layout::Manifest> {
    let Some(script) = &settings.script else {
        crate::bail!("give the script to sweep: difflab sweep exp.rhai key=a,b");
    };
    let text = std::fs::read(script)
        .map_err(|e| crate::Error::new(format!("{}: cannot read the script: {e}", script.display())))?;
    let axes = grid::parse(&settings.grid)?;
    let declared = declared::parameters(exe, script, &settings.script_args)?;
    grid::check(&axes, &declared)?;
    let points = grid::points(&axes)?.len();
    Ok(layout::Manifest {
        script: absolute(script)?,
        script_sha256: layout::sha256_hex(&text),
        grid: axes.into_iter().map(|a| (a.key, a.values)).collect(),
        points,
        script_args: settings.script_args.clone(),
        device: settings.device.clone(),
        command_line: std::env::args().collect(),
        difflab_version: env!("CARGO_PKG_VERSION").to_string(),
        created: chrono::Local::now().to_rfc3339(),
    })
}

/// The manifest of a sweep being resumed, checked against what the command line gives again.
fn resumed_manifest(settings: &Settings, dir: &Path) -> crate::Result<layout::Manifest> {
    let m = layout::read_manifest(dir)?;
    if let Some(script) = &settings.script {
        if absolute(script)? != m.script {
            crate::bail!("{} sweeps {}, not {}", dir.display(), m.script.display(), script.display());
        }
    }
    if !settings.grid.is_empty() {
        let axes: Vec<(String, Vec<String>)> =
            grid::parse(&settings.grid)?.into_iter().map(|a| (a.key, a.values)).collect();
        if axes != m.grid {
            crate::bail!(
                "--resume runs the sweep's own grid; {} was started with a different one (give no axes to resume it)",
                dir.display()
            );
        }
    }
    match std::fs::read(&m.script) {
        Ok(text) if layout::sha256_hex(&text) != m.script_sha256 => eprintln!(
            "difflab sweep: warning: {} changed since the sweep started; the points still to run use the new text",
            m.script.display()
        ),
        Ok(_) => {}
        Err(e) => crate::bail!("{}: cannot read the script: {e}", m.script.display()),
    }
    Ok(m)
}

/// Starts (or resumes) a sweep; returns the process exit status: 0 when every point ran
/// well (or was submitted), 1 when some failed, 130 when interrupted.
pub fn start(settings: &Settings) -> crate::Result<u8> {
    let exe = executable()?;
    let dir = folder(settings)?;
    if settings.backend == Backend::Slurm && !settings.dry_run {
        slurm::check_installed()?;
    }
    let manifest = if settings.resume {
        resumed_manifest(settings, &dir)?
    } else {
        if layout::manifest_path(&dir).exists() {
            crate::bail!("{} holds a sweep already: add --resume to finish it, or give another --out", dir.display());
        }
        new_manifest(settings, &exe)?
    };
    let points = grid::points(&manifest.axes())?;
    if settings.dry_run {
        for (i, p) in points.iter().enumerate() {
            let done = if layout::succeeded(&dir, i) { "  (done)" } else { "" };
            println!("{}  {}{done}", layout::run_name(i), shown(p));
        }
        println!("{} points", points.len());
        return Ok(0);
    }
    std::fs::create_dir_all(&dir).map_err(|e| crate::Error::new(format!("cannot create {}: {e}", dir.display())))?;
    if !settings.resume {
        layout::write_manifest(&dir, &manifest)?;
    }
    let dir = absolute(&dir)?;
    let mut todo: Vec<usize> = (0..points.len()).filter(|&i| !layout::succeeded(&dir, i)).collect();
    if settings.backend == Backend::Slurm && slurm::is_slurm_sweep(&dir) {
        let live = slurm::sweep_states(&dir)?;
        todo.retain(|i| live.get(i).is_none_or(|(_, s)| slurm::is_final(&s.state)));
    }
    if todo.is_empty() {
        println!("every point of {} has run (or is queued): nothing to do", dir.display());
        return Ok(0);
    }
    match settings.backend {
        Backend::Local => {
            eprintln!(
                "sweep {}: {} of {} points, {} at a time",
                dir.display(),
                todo.len(),
                points.len(),
                settings.jobs
            );
            let outcome = local::run(&dir, &todo, settings.jobs, &exe)?;
            finish(&dir, outcome.failed, outcome.interrupted)
        }
        Backend::Slurm => {
            let job = slurm::submit(&dir, &exe, points.len(), &todo, &settings.resources)?;
            eprintln!(
                "submitted Slurm job {job}: {} task{} ({}); batch script {}",
                todo.len(),
                if todo.len() == 1 { "" } else { "s" },
                slurm::array_list(&todo),
                slurm::script_path(&dir).display()
            );
            if !settings.wait {
                eprintln!("follow it with `difflab sweep status {}`", dir.display());
                return Ok(0);
            }
            let failed = wait_for_slurm(&dir, &todo)?;
            finish(&dir, failed, crate::interrupt::is_requested())
        }
    }
}

/// Collects and reports the end of a sweep's runs.
fn finish(dir: &Path, failed: usize, interrupted: bool) -> crate::Result<u8> {
    let collected = collect::collect(dir)?;
    let missing = collected.failures.len();
    eprintln!(
        "{} rows in {}; {} runs without a result ({} failed)",
        collected.rows,
        dir.join("results.csv").display(),
        missing,
        failed
    );
    if interrupted {
        eprintln!("interrupted: finish it with `difflab sweep --resume --out {}`", dir.display());
        return Ok(crate::interrupt::EXIT_INTERRUPTED);
    }
    if missing > 0 {
        eprintln!("see {} and rerun them with --resume", dir.join("failures.csv").display());
    }
    Ok(if missing > 0 { 1 } else { 0 })
}

/// Waits until every task in `indices` has ended (a status written, or Slurm reports it
/// ended), under a progress bar; Ctrl-C stops waiting (the jobs go on). Returns how many
/// ended without success.
fn wait_for_slurm(dir: &Path, indices: &[usize]) -> crate::Result<usize> {
    crate::interrupt::install_handler(false);
    let bar = indicatif::ProgressBar::new(indices.len() as u64);
    let mut ended = std::collections::BTreeSet::new();
    while ended.len() < indices.len() && !crate::interrupt::is_requested() {
        let states = slurm::sweep_states(dir)?;
        for &i in indices {
            let slurm_ended = states.get(&i).is_some_and(|(_, s)| slurm::is_final(&s.state));
            if layout::read_status(dir, i).is_some() || slurm_ended {
                ended.insert(i);
            }
        }
        bar.set_position(ended.len() as u64);
        if ended.len() < indices.len() {
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
    bar.finish_and_clear();
    Ok(indices.iter().filter(|&&i| ended.contains(&i) && !layout::succeeded(dir, i)).count())
}

/// Prints how the sweep in `dir` stands: counts by state, then every run without a result
/// with its Slurm state where it was submitted there.
pub fn status(dir: &Path) -> crate::Result<()> {
    let m = layout::read_manifest(dir)?;
    let points = grid::points(&m.axes())?;
    let states = if slurm::is_slurm_sweep(dir) { slurm::sweep_states(dir)? } else { Default::default() };
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut lines = vec![];
    for (i, p) in points.iter().enumerate() {
        let folder_state = match layout::read_status(dir, i) {
            Some(s) => s.state,
            None if layout::run_dir(dir, i).exists() => "started".into(),
            None => "not run".into(),
        };
        let slurm_state = states.get(&i).map(|(job, s)| {
            let code = s.exit_code.as_ref().map(|c| format!(", exit {c}")).unwrap_or_default();
            format!("  [slurm {job}_{i}: {}{code}]", s.state)
        });
        let state = match (&slurm_state, folder_state.as_str()) {
            (Some(_), "started" | "not run") => {
                let s = &states[&i].1.state;
                if slurm::is_final(s) {
                    "ended without a result".to_string()
                } else {
                    s.to_lowercase()
                }
            }
            _ => folder_state,
        };
        *counts.entry(state.clone()).or_default() += 1;
        if state != "ok" {
            lines.push(format!(
                "{}  {:<24} {}{}",
                layout::run_name(i),
                state,
                shown(p),
                slurm_state.unwrap_or_default()
            ));
        }
    }
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    println!("{}: {} points: {}", dir.display(), points.len(), summary.join(", "));
    for l in lines {
        println!("{l}");
    }
    Ok(())
}
