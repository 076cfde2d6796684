//! `difflab bench`: difflab against PyTorch on the same workloads, side by side in one
//! invocation, with the ratio of their rates (difflab / PyTorch; higher is better).
//!
//! Each side of each workload runs in its own process pinned to the same thread count:
//! difflab's side is `difflab bench-worker` (the workload written as the Rhai a researcher
//! would write, see [`workloads`]), PyTorch's is `benches/reference/workloads.py`. Both time
//! their work with the protocol of [`timing`]; [`compare`] runs the pairs and prints the table.

pub mod compare;
pub mod timing;
pub mod workloads;
