//! difflab as a Jupyter kernel: `difflab kernel CONNECTION_FILE` serves the
//! messaging protocol 5.3 over ZeroMQ (pure Rust), and `difflab kernel install`
//! writes the kernelspec.

pub mod install;
pub mod output;
pub mod server;
pub mod wire;
pub mod worker;

use std::path::Path;
use std::process::ExitCode;

/// Serves the kernel described by a connection file until a shutdown request.
pub fn serve(connection_file: &Path) -> ExitCode {
    let text = match std::fs::read_to_string(connection_file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("difflab kernel: {}: {e}", connection_file.display());
            return ExitCode::from(1);
        }
    };
    let info: jupyter_protocol::ConnectionInfo = match serde_json::from_str(&text) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("difflab kernel: {}: not a connection file: {e}", connection_file.display());
            return ExitCode::from(1);
        }
    };
    crate::interrupt::install_handler(false);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("difflab kernel: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(server::run(info)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("difflab kernel: {e}");
            ExitCode::from(1)
        }
    }
}
