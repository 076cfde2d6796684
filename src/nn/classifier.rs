//! The noise-level classifier of Denoising MCMC (Kim & Ye 2022): given a noisy
//! sample, logits over M noise levels. An MLP for vectors; for images four
//! convolutions with 32/64/128/256 channels, global average pooling and a
//! linear head.

use super::act::Act;
use super::embed::fourier_features;
use super::layer::conv::Conv2d;
use super::layer::linear::Linear;
use super::params::{Init, ParamStore};
use crate::error::Result;
use crate::tensor::{create::Placement, rng};
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// The channels of the four convolutions of the image classifier.
pub const IMAGE_CHANNELS: [usize; 4] = [32, 64, 128, 256];

/// What the classifier reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassifierInput {
    /// Vectors of `dim` features through an MLP.
    Vector {
        /// Input dimension.
        dim: usize,
        /// Hidden widths.
        hidden: Vec<usize>,
        /// Random Fourier frequencies of the input (0: none).
        fourier: usize,
        /// Activation.
        act: Act,
    },
    /// Images `[C, H, W]` through four strided convolutions.
    Image {
        /// `[C, H, W]`.
        image: [usize; 3],
    },
}

/// The shape of a classifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifierConfig {
    /// The input kind.
    pub input: ClassifierInput,
    /// The number of classes.
    pub classes: usize,
}

impl ClassifierConfig {
    /// Checks the sizes.
    pub fn validate(&self) -> Result<()> {
        if self.classes < 2 {
            crate::bail!("a classifier needs at least 2 classes, got {}", self.classes);
        }
        match &self.input {
            ClassifierInput::Vector { dim, hidden, .. } if *dim == 0 || hidden.is_empty() || hidden.contains(&0) => {
                crate::bail!("dim must be >= 1 and hidden a non-empty list of widths >= 1")
            }
            ClassifierInput::Image { image } if image.contains(&0) => {
                crate::bail!("image sizes must be >= 1, got {image:?}")
            }
            _ => Ok(()),
        }
    }

    /// Creates the parameters.
    pub fn init(&self, store: &mut ParamStore, at: &Placement) -> Result<()> {
        self.validate()?;
        let width = match &self.input {
            ClassifierInput::Vector { dim, hidden, fourier, .. } => {
                if *fourier > 0 {
                    let b = rng::normal(dim * fourier)?;
                    store.buffer("fourier.B", crate::tensor::create::from_f64(b, &[*dim, *fourier], at)?);
                }
                let mut width = dim + 2 * fourier;
                for (i, &h) in hidden.iter().enumerate() {
                    Linear::init(store, &format!("layers.{i}"), (width, h), Some(Init::fan_in(width)), at)?;
                    width = h;
                }
                width
            }
            ClassifierInput::Image { image } => {
                let mut cin = image[0];
                for (i, &cout) in IMAGE_CHANNELS.iter().enumerate() {
                    Conv2d::init(store, &format!("convs.{i}"), (cin, cout, 3), 1, at)?;
                    cin = cout;
                }
                cin
            }
        };
        Linear::init(store, "head", (width, self.classes), Some(Init::Zeros), at)
    }

    /// The logits `[N, classes]`.
    pub fn forward(&self, store: &ParamStore, x: &Tensor) -> Result<Tensor> {
        let features = match &self.input {
            ClassifierInput::Vector { dim, hidden, fourier, act } => {
                if x.rank() != 2 || x.dim(1)? != *dim {
                    crate::bail!("the classifier takes [N, {dim}] inputs, got {:?}", x.dims());
                }
                let mut h = if *fourier > 0 { fourier_features(x, &store.get("fourier.B")?)? } else { x.clone() };
                for i in 0..hidden.len() {
                    h = act.apply(&Linear::at(store, &format!("layers.{i}"))?.forward(&h)?)?;
                }
                h
            }
            ClassifierInput::Image { image } => {
                if x.rank() != 4 || x.dims()[1..] != image[..] {
                    crate::bail!(
                        "the classifier takes [N, {}, {}, {}] images, got {:?}",
                        image[0],
                        image[1],
                        image[2],
                        x.dims()
                    );
                }
                let mut h = x.clone();
                for i in 0..IMAGE_CHANNELS.len() {
                    let stride = if h.dim(2)? >= 2 && h.dim(3)? >= 2 { 2 } else { 1 };
                    h = Conv2d::at(store, &format!("convs.{i}"), stride, 1)?.forward(&h)?.silu()?;
                }
                h.mean(3)?.mean(2)?
            }
        };
        Linear::at(store, "head")?.forward(&features)
    }
}
