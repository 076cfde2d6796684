//! Autograd from scripts: trainable parameters, `backward`, gradients.

use rhai::plugin::*;

#[export_module]
mod api {
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::{autograd, Tensor};

    /// A trainable copy of `t`: operations on it record a graph, `loss.backward()` fills its gradient.
    #[rhai_fn(return_raw)]
    pub fn param(ctx: NativeCallContext, t: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || autograd::param(&t))
    }

    /// Computes the gradient of a one-element loss with respect to every parameter it depends on.
    #[rhai_fn(return_raw)]
    pub fn backward(ctx: NativeCallContext, loss: Tensor) -> RhaiResult<()> {
        guard(&ctx, || loss.backward())
    }

    /// The gradient of the latest backward pass (or optimizer step) with respect to parameter `p`.
    #[rhai_fn(return_raw)]
    pub fn grad(ctx: NativeCallContext, p: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || p.grad())
    }

    /// The same values cut off from the graph: no gradient flows through them.
    pub fn detach(x: Tensor) -> Tensor {
        x.detach()
    }

    /// Whether `x` is a trainable parameter.
    pub fn is_param(x: Tensor) -> bool {
        x.is_param()
    }
}

/// The module of autograd built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
