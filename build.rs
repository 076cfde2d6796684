//! With the `cuda` feature, compiles the project's CUDA kernels (`src/tensor/kernels/*.cu`)
//! to PTX in OUT_DIR with nvcc (from `$CUDA_HOME/bin`, else PATH), for compute capability
//! `$CUDA_COMPUTE_CAP` (default 75, the oldest CUDA 13 supports; the PTX also runs on newer
//! GPUs). Floating-point contraction is off so the kernels round as the CPU code does.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=src/tensor/kernels");
    if std::env::var_os("CARGO_FEATURE_CUDA").is_none() {
        return;
    }
    println!("cargo::rerun-if-env-changed=CUDA_COMPUTE_CAP");
    println!("cargo::rerun-if-env-changed=CUDA_HOME");
    let cap = std::env::var("CUDA_COMPUTE_CAP").unwrap_or_else(|_| "75".into());
    let nvcc = std::env::var_os("CUDA_HOME")
        .map(|home| PathBuf::from(home).join("bin").join("nvcc"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("nvcc"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("philox.ptx");
    let status = Command::new(&nvcc)
        .args(["--ptx", &format!("-arch=compute_{cap}"), "--fmad=false", "-O3", "-o"])
        .arg(&out)
        .arg("src/tensor/kernels/philox.cu")
        .status()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}); tools/build-cuda.sh sets up nvcc", nvcc.display()));
    assert!(status.success(), "nvcc failed on src/tensor/kernels/philox.cu");
}
