//! The command line: `difflab run FILE [ARGS...]`, `difflab` alone for the REPL, `difflab kernel`
//! for Jupyter, `difflab sweep` for grids of runs and `difflab bench` for the comparison with
//! PyTorch.

use crate::runtime::error::ErrorKind;
use crate::runtime::Session;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// difflab: a scripting lab for diffusion-model research.
#[derive(Parser, Debug)]
#[command(name = "difflab", version, about, long_about = None)]
pub struct Cli {
    /// What to do; with no command, start the REPL.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The folder figures are saved to (default: plots); for `sweep`, the sweep's folder
    /// (default: runs/SCRIPT_NAME).
    #[arg(long, global = true)]
    pub out: Option<PathBuf>,
    /// How the REPL shows figures: auto (detect the terminal), kitty, iterm, sixel, or off (save files).
    #[arg(long, global = true, default_value = "auto")]
    pub images: String,
    /// The default device for tensors and networks: cpu, cuda or cuda:N (a script's `device(..)` overrides it).
    #[arg(long, global = true)]
    pub device: Option<String>,
    /// The largest allocation a script may ask for (e.g. 8G, 512M); default: three quarters of
    /// the memory available at start. Also set by the DIFFLAB_MAX_MEMORY environment variable.
    #[arg(long, global = true)]
    pub max_memory: Option<String>,
}

/// The sub-commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a Rhai script; the arguments after FILE are visible to it as `ARGS`.
    Run {
        /// Append the rows the script's `record(...)` calls make to this JSON-lines file.
        #[arg(long)]
        results: Option<PathBuf>,
        /// The script to run.
        file: PathBuf,
        /// Arguments for the script.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a script over a grid of parameters: `difflab sweep exp.rhai method=euler,heun seed=0:5 --jobs 2`,
    /// here or as a Slurm job array (`--backend slurm`); `sweep status|cancel|collect DIR`.
    #[command(args_conflicts_with_subcommands = true)]
    Sweep(Box<SweepArgs>),
    /// Start the interactive REPL (the default).
    Repl,
    /// Serve a Jupyter kernel for CONNECTION_FILE, or `kernel install` the kernelspec.
    #[command(args_conflicts_with_subcommands = true)]
    Kernel {
        /// What to do instead of serving.
        #[command(subcommand)]
        action: Option<KernelAction>,
        /// The connection file Jupyter passes when it starts the kernel.
        connection_file: Option<PathBuf>,
    },
    /// Time the benchmark workloads in difflab and in PyTorch (eager and compiled) side by side and print the ratios.
    Bench {
        /// Thread counts both sides are pinned to, in turn.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// A Python with PyTorch installed.
        #[arg(long, default_value = "python3")]
        python: String,
        /// The PyTorch side of the workloads.
        #[arg(long, default_value = "benches/reference/workloads.py")]
        reference: PathBuf,
        /// Only these workloads (comma-separated).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// About how long each of the three timing windows lasts.
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
        /// Time PyTorch eager only, not also under torch.compile (which compiles for a minute or more).
        #[arg(long)]
        eager_only: bool,
    },
    /// One workload, difflab's side only; prints its rate as JSON (what `bench` runs).
    #[command(hide = true)]
    BenchWorker {
        /// The workload.
        workload: String,
        /// Batch size, points or images.
        #[arg(long)]
        size: usize,
        /// Sampler steps.
        #[arg(long, default_value_t = 0)]
        steps: usize,
        /// About how long each timing window lasts.
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
    },
}

/// `difflab sweep`'s arguments.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// What to do with an existing sweep instead of starting one.
    #[command(subcommand)]
    pub action: Option<SweepAction>,
    /// The script; its `params(#{ ... })` declares the keys the grid may set.
    pub script: Option<PathBuf>,
    /// The grid: `key=a,b,c` (a list; quotes keep a comma in a string: `key="a,b"`) or
    /// `key=start:end` (integers, end excluded); every combination is one run.
    pub grid: Vec<String>,
    /// How many runs at a time (local backend).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Run only the points without a successful result (missing, failed or interrupted).
    #[arg(long)]
    pub resume: bool,
    /// List the points and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the runs go: local (this machine) or slurm (a job array through sbatch).
    #[arg(long, default_value = "local", value_parser = ["local", "slurm"])]
    pub backend: String,
    /// Slurm: the partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm: each task's time limit (`30`, `2:00:00`).
    #[arg(long)]
    pub time: Option<String>,
    /// Slurm: CPUs per task.
    #[arg(long)]
    pub cpus_per_task: Option<usize>,
    /// Slurm: GPUs per task.
    #[arg(long)]
    pub gpus_per_task: Option<usize>,
    /// Slurm: memory per task (`16G`).
    #[arg(long)]
    pub mem: Option<String>,
    /// Slurm: at most this many tasks at a time.
    #[arg(long)]
    pub max_parallel: Option<usize>,
    /// Slurm: one more `#SBATCH` line, as written (`--sbatch-arg "--account=lab"`; repeatable).
    #[arg(long, allow_hyphen_values = true)]
    pub sbatch_arg: Vec<String>,
    /// Slurm: wait for the tasks to end, then collect.
    #[arg(long)]
    pub wait: bool,
    /// Arguments after `--` go to every run (after its overrides).
    #[arg(last = true)]
    pub script_args: Vec<String>,
}

/// What to do with an existing sweep.
#[derive(Subcommand, Debug)]
pub enum SweepAction {
    /// How the runs stand: from their folders, and from Slurm for a submitted sweep.
    Status {
        /// The sweep folder.
        dir: PathBuf,
    },
    /// Cancel a submitted sweep's Slurm jobs (scancel); resume it later with --resume.
    Cancel {
        /// The sweep folder.
        dir: PathBuf,
    },
    /// Write results.csv, results.jsonl (one row per record) and failures.csv.
    Collect {
        /// The sweep folder.
        dir: PathBuf,
    },
    /// Run one point (what each local job and each Slurm array task runs).
    #[command(hide = true)]
    Task {
        /// The sweep folder.
        dir: PathBuf,
        /// The point's index.
        index: usize,
    },
}

/// Kernel management.
#[derive(Subcommand, Debug)]
pub enum KernelAction {
    /// Write the kernelspec ("difflab (Rhai)") where Jupyter finds it.
    Install {
        /// Into the user's Jupyter data folder (the default).
        #[arg(long, conflicts_with_all = ["sys_prefix", "prefix"])]
        user: bool,
        /// Into the active Python environment (virtualenv or conda).
        #[arg(long, conflicts_with = "prefix")]
        sys_prefix: bool,
        /// Into PREFIX/share/jupyter/kernels.
        #[arg(long)]
        prefix: Option<PathBuf>,
    },
}

/// Exit status 0, or 1 after printing the error.
fn report(result: crate::Result<()>, what: &str) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{what}: {e}");
            ExitCode::from(1)
        }
    }
}

/// Parses the command line and runs it on a thread with the stack scripts need.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::threads::fix();
    if let Some(size) = &cli.max_memory {
        if let Err(e) = crate::memory::parse_size(size).and_then(crate::memory::set_limit) {
            eprintln!("difflab: --max-memory: {e}");
            return ExitCode::from(2);
        }
    }
    crate::runtime::script_thread::run(move || dispatch(cli))
}

fn dispatch(cli: Cli) -> ExitCode {
    if let Some(name) = &cli.device {
        match crate::tensor::device::parse_device(name) {
            Ok(device) => crate::tensor::device::set_default_device(device),
            Err(e) => {
                eprintln!("difflab: --device {name}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    match cli.command {
        Some(Command::Run { results, file, args }) => {
            let out = cli.out.unwrap_or_else(|| crate::runtime::save_figures::DEFAULT_DIR.into());
            crate::runtime::output::set_sink(std::sync::Arc::new(crate::runtime::save_figures::SaveFigures::new(out)));
            if let Some(file) = results {
                crate::runtime::experiment::set_results_file(file);
            }
            run_file(&file, args)
        }
        Some(Command::Sweep(args)) => sweep(*args, cli.out, cli.device),
        Some(Command::Kernel { action: Some(KernelAction::Install { user: _, sys_prefix, prefix }), .. }) => {
            use crate::kernel::install::{install, Target};
            let target = match (sys_prefix, prefix) {
                (true, _) => Target::SysPrefix,
                (_, Some(p)) => Target::Prefix(p),
                _ => Target::User,
            };
            match install(&target) {
                Ok(dir) => {
                    println!("installed the difflab kernelspec in {}", dir.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("difflab kernel install: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Some(Command::Kernel { action: None, connection_file: Some(file) }) => crate::kernel::serve(&file),
        Some(Command::Kernel { action: None, connection_file: None }) => {
            eprintln!("difflab kernel: give the connection file (Jupyter does), or `difflab kernel install`");
            ExitCode::from(2)
        }
        Some(Command::Bench { threads, python, reference, only, seconds, eager_only }) => {
            let device = cli.device.unwrap_or_else(|| "cpu".into());
            let settings = crate::bench::compare::Settings {
                device,
                threads,
                python,
                reference,
                only,
                seconds,
                compile: !eager_only,
            };
            report(crate::bench::compare::run(&settings), "difflab bench")
        }
        Some(Command::BenchWorker { workload, size, steps, seconds }) => {
            let case = crate::bench::workloads::workload(&workload).and_then(|w| {
                let case = crate::bench::workloads::Case { name: w.name, size, steps };
                crate::bench::workloads::run_case(&case, seconds).map(|rate| (w, rate))
            });
            report(
                case.map(|(w, m)| {
                    let json = serde_json::json!({
                        "workload": w.name, "rate": m.rate, "unit": w.unit, "user_s": m.user, "sys_s": m.system
                    });
                    println!("{json}")
                }),
                "difflab bench-worker",
            )
        }
        Some(Command::Repl) | None => match crate::repl::inline_image::ImageMode::parse(&cli.images) {
            Ok(mode) => {
                crate::repl::run(mode, cli.out.unwrap_or_else(|| crate::runtime::save_figures::DEFAULT_DIR.into()))
            }
            Err(e) => {
                eprintln!("difflab: --images: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// `difflab sweep`: starts or resumes a sweep, or acts on one.
fn sweep(args: SweepArgs, out: Option<PathBuf>, device: Option<String>) -> ExitCode {
    let result = match args.action {
        Some(SweepAction::Status { dir }) => crate::sweep::status(&dir).map(|()| 0),
        Some(SweepAction::Cancel { dir }) => crate::sweep::slurm::cancel(&dir).map(|ids| {
            println!("cancelled Slurm job {}; finish the sweep later with --resume", ids.join(", "));
            0
        }),
        Some(SweepAction::Collect { dir }) => crate::sweep::collect::collect(&dir).map(|c| {
            println!("{} rows in {}", c.rows, dir.join("results.csv").display());
            for f in &c.failures {
                let code = f.exit_code.map(|c| format!(", exit {c}")).unwrap_or_default();
                println!(
                    "  {} {}{code}: {}  {}",
                    crate::sweep::layout::run_name(f.index),
                    f.state,
                    f.overrides,
                    f.last_error
                );
            }
            u8::from(!c.failures.is_empty())
        }),
        Some(SweepAction::Task { dir, index }) => std::env::current_exe()
            .map_err(|e| crate::Error::new(format!("cannot find the difflab executable: {e}")))
            .and_then(|exe| crate::sweep::task::run(&dir, index, &exe))
            .map(|s| {
                if s.state == "ok" {
                    0
                } else if s.state == "interrupted" {
                    crate::interrupt::EXIT_INTERRUPTED
                } else {
                    1
                }
            }),
        None => {
            let settings = crate::sweep::Settings {
                script: args.script,
                grid: args.grid,
                script_args: args.script_args,
                out,
                jobs: args.jobs,
                resume: args.resume,
                dry_run: args.dry_run,
                backend: if args.backend == "slurm" {
                    crate::sweep::Backend::Slurm
                } else {
                    crate::sweep::Backend::Local
                },
                resources: crate::sweep::slurm::Resources {
                    partition: args.partition,
                    time: args.time,
                    cpus_per_task: args.cpus_per_task,
                    gpus_per_task: args.gpus_per_task,
                    mem: args.mem,
                    max_parallel: args.max_parallel,
                    extra: args.sbatch_arg,
                },
                wait: args.wait,
                device,
            };
            crate::sweep::start(&settings)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("difflab sweep: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs one script file to the end: exit 0, 1 on an error (printed as
/// `FILE:LINE:COL: message` with the source line), 130 when interrupted (printed as
/// `FILE:LINE:COL: interrupted` with the line that was running).
/// Figures shown with `show` go to the installed output sink.
pub fn run_file(file: &std::path::Path, args: Vec<String>) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read the script: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    crate::interrupt::install_handler(true);
    crate::runtime::progress_bar::TerminalBars::install_if_terminal();
    let name = file.display().to_string();
    let mut session = Session::new(args);
    match session.eval(&name, &text) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", session.render_error(&e));
            let interrupted = e.kind == ErrorKind::Interrupted;
            ExitCode::from(if interrupted { crate::interrupt::EXIT_INTERRUPTED } else { 1 })
        }
    }
}
