//! The command line: `difflab run FILE [ARGS...]`, `difflab` alone for the REPL, `difflab kernel`
//! for Jupyter and `difflab bench` for the comparison with PyTorch.

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
    /// The folder figures are saved to.
    #[arg(long, global = true, default_value = crate::runtime::save_figures::DEFAULT_DIR)]
    pub out: PathBuf,
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
        /// The script to run.
        file: PathBuf,
        /// Arguments for the script.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
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
        Some(Command::Run { file, args }) => {
            crate::runtime::output::set_sink(std::sync::Arc::new(crate::runtime::save_figures::SaveFigures::new(
                cli.out,
            )));
            run_file(&file, args)
        }
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
            Ok(mode) => crate::repl::run(mode, cli.out),
            Err(e) => {
                eprintln!("difflab: --images: {e}");
                ExitCode::from(2)
            }
        },
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
