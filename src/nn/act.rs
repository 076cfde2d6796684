//! The elementwise activations networks use, by name.

use crate::error::Result;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// An elementwise activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Act {
    /// x·sigmoid(x)
    Silu,
    /// max(x, 0)
    Relu,
    /// x·Φ(x)
    Gelu,
    /// tanh(x)
    Tanh,
}

impl Act {
    /// Parses `"silu"`, `"relu"`, `"gelu"` or `"tanh"`.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "silu" | "swish" => Act::Silu,
            "relu" => Act::Relu,
            "gelu" => Act::Gelu,
            "tanh" => Act::Tanh,
            other => crate::bail!("unknown activation \"{other}\"; expected silu, relu, gelu or tanh"),
        })
    }

    /// The script name.
    pub fn name(self) -> &'static str {
        match self {
            Act::Silu => "silu",
            Act::Relu => "relu",
            Act::Gelu => "gelu",
            Act::Tanh => "tanh",
        }
    }

    /// Applies the activation.
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Act::Silu => x.silu()?,
            Act::Relu => x.relu()?,
            Act::Gelu => x.gelu_erf()?,
            Act::Tanh => x.tanh()?,
        })
    }
}
