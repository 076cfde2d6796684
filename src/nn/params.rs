//! The named parameters (trainable) and buffers (fixed) of a network, and
//! their initialisers, drawn from the seeded generator.

use crate::error::Result;
use crate::tensor::{create, create::Placement, rng, transfer, DType, Device, Tensor};
use candle_core::Var;

/// Named trainable parameters and fixed buffers, in creation order.
#[derive(Clone, Debug, Default)]
pub struct ParamStore {
    params: Vec<(String, Var)>,
    buffers: Vec<(String, candle_core::Tensor)>,
}

/// How a new parameter is initialised.
#[derive(Clone, Copy, Debug)]
pub enum Init {
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// Uniform on `[-bound, bound]`.
    Uniform(f64),
    /// Normal with mean 0 and this standard deviation.
    Normal(f64),
}

impl Init {
    /// PyTorch's default for a layer with `fan_in` inputs: U(-1/√fan_in, 1/√fan_in).
    pub fn fan_in(fan_in: usize) -> Self {
        Init::Uniform(1.0 / (fan_in.max(1) as f64).sqrt())
    }

    fn make(self, shape: &[usize], at: &Placement) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        match self {
            Init::Zeros => create::zeros(shape, at),
            Init::Ones => create::ones(shape, at),
            Init::Uniform(b) => create::from_f64(rng::uniform(n, -b, b)?, shape, at),
            Init::Normal(s) => create::from_f64(rng::normal(n)?.into_iter().map(|v| v * s).collect(), shape, at),
        }
    }
}

impl ParamStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates a trainable parameter.
    pub fn param(&mut self, name: impl Into<String>, shape: &[usize], init: Init, at: &Placement) -> Result<()> {
        let name = name.into();
        if !at.dtype.is_float() {
            crate::bail!("a network's weights must be a float type (f32, f64, f16, bf16), got {}", at.dtype.as_str());
        }
        let size = crate::memory::elements(shape)?;
        // the initial values are drawn as f64 and converted; the network as a whole must fit
        crate::memory::check(size, 8 + at.dtype.size_in_bytes()).map_err(|e| e.context(format!("weight `{name}`")))?;
        crate::memory::check(self.count().saturating_add(size), at.dtype.size_in_bytes())
            .map_err(|e| e.context("the network's weights"))?;
        let t = init.make(shape, at)?;
        self.params.push((name, Var::from_tensor(t.candle())?));
        Ok(())
    }

    /// Adds a trainable parameter holding `value` (weights read from a file).
    pub fn adopt(&mut self, name: &str, value: candle_core::Tensor) -> Result<()> {
        if self.has(name) {
            crate::bail!("the network has two tensors named `{name}`");
        }
        self.params.push((name.to_string(), Var::from_tensor(&value)?));
        Ok(())
    }

    /// Adds a fixed (non-trainable) tensor that is saved with the network.
    pub fn buffer(&mut self, name: impl Into<String>, value: Tensor) {
        self.buffers.push((name.into(), value.into_candle()));
    }

    /// The parameter or buffer called `name`.
    pub fn get(&self, name: &str) -> Result<candle_core::Tensor> {
        if let Some((_, v)) = self.params.iter().find(|(n, _)| n == name) {
            return Ok(v.as_tensor().clone());
        }
        if let Some((_, t)) = self.buffers.iter().find(|(n, _)| n == name) {
            return Ok(t.clone());
        }
        crate::bail!("the network has no parameter named `{name}`")
    }

    /// The named tensors flattened, for an op that sees them as one vector (their
    /// concatenation), and the span each takes in it, counted from `first`.
    pub fn flattened<S: AsRef<str>>(
        &self,
        names: &[S],
        first: usize,
    ) -> Result<(Vec<candle_core::Tensor>, Vec<std::ops::Range<usize>>)> {
        let (mut flat, mut spans) = (Vec::new(), Vec::new());
        let mut at = first;
        for name in names {
            let t = self.get(name.as_ref())?.flatten_all()?;
            spans.push(at..at + t.elem_count());
            at += t.elem_count();
            flat.push(t);
        }
        Ok((flat, spans))
    }

    /// Whether a parameter or buffer called `name` exists.
    pub fn has(&self, name: &str) -> bool {
        self.params.iter().any(|(n, _)| n == name) || self.buffers.iter().any(|(n, _)| n == name)
    }

    /// The trainable parameters, in order.
    pub fn params(&self) -> &[(String, Var)] {
        &self.params
    }

    /// The buffers, in order.
    pub fn buffers(&self) -> &[(String, candle_core::Tensor)] {
        &self.buffers
    }

    /// Every parameter and buffer by name (for checkpoints).
    pub fn named_tensors(&self) -> Vec<(String, candle_core::Tensor)> {
        let params = self.params.iter().map(|(n, v)| (n.clone(), v.as_tensor().clone()));
        params.chain(self.buffers.iter().cloned()).collect()
    }

    /// The number of trainable scalars.
    pub fn count(&self) -> usize {
        self.params.iter().map(|(_, v)| v.as_tensor().elem_count()).sum()
    }

    /// The device the parameters live on.
    pub fn device(&self) -> Device {
        self.params.first().map_or(Device::Cpu, |(_, v)| v.as_tensor().device().clone())
    }

    /// The element type of the parameters.
    pub fn dtype(&self) -> DType {
        self.params.first().map_or(DType::F32, |(_, v)| v.as_tensor().dtype())
    }

    /// The entries under `prefix.` with the prefix taken off (every entry for an empty
    /// prefix), sharing their storage with this store.
    pub fn with_prefix(&self, prefix: &str) -> Self {
        if prefix.is_empty() {
            return self.clone();
        }
        let head = format!("{prefix}.");
        let strip = |n: &String| n.strip_prefix(&head).map(str::to_string);
        Self {
            params: self.params.iter().filter_map(|(n, v)| Some((strip(n)?, v.clone()))).collect(),
            buffers: self.buffers.iter().filter_map(|(n, t)| Some((strip(n)?, t.clone()))).collect(),
        }
    }

    /// Adds every entry of `other` under `prefix.`, sharing its storage.
    pub fn extend_prefixed(&mut self, prefix: &str, other: &ParamStore) {
        let named = |n: &String| child(prefix, n);
        self.params.extend(other.params.iter().map(|(n, v)| (named(n), v.clone())));
        self.buffers.extend(other.buffers.iter().map(|(n, t)| (named(n), t.clone())));
    }

    /// An error when two parameters are one tensor: one layer value placed twice (in two keys
    /// of a network, or twice in a sequential), which would count and update its weights twice.
    pub fn check_unshared(&self) -> Result<()> {
        let mut seen = std::collections::HashMap::new();
        for (name, v) in &self.params {
            if let Some(first) = seen.insert(v.as_tensor().id(), name) {
                crate::bail!(
                    "`{first}` and `{name}` are the same weights: one layer value sits in two places (layers are shared like Python objects); make a second layer, or call the one layer twice in the forward function"
                );
            }
        }
        Ok(())
    }

    /// An independent copy: new storage, same values.
    pub fn deep_copy(&self) -> Result<Self> {
        self.map(|t| Ok(t.copy()?))
    }

    /// A copy on another device or in another dtype.
    pub fn converted(&self, device: &Device, dtype: DType) -> Result<Self> {
        self.map(|t| {
            let moved = transfer::to_device(t, device)?;
            Ok(if t.dtype().is_float() { moved.to_dtype(dtype)? } else { moved })
        })
    }

    fn map(&self, f: impl Fn(&candle_core::Tensor) -> Result<candle_core::Tensor>) -> Result<Self> {
        let params = self
            .params
            .iter()
            .map(|(n, v)| Ok((n.clone(), Var::from_tensor(&f(&v.as_tensor().detach())?.detach())?)))
            .collect::<Result<Vec<_>>>()?;
        let buffers = self.buffers.iter().map(|(n, t)| Ok((n.clone(), f(t)?))).collect::<Result<Vec<_>>>()?;
        Ok(Self { params, buffers })
    }

    /// Overwrites every parameter and buffer with the tensor of the same name
    /// in `values` (shapes must match); missing or extra names are errors.
    pub fn load(&mut self, values: &std::collections::HashMap<String, candle_core::Tensor>) -> Result<()> {
        for (name, var) in &self.params {
            let value =
                values.get(name).ok_or_else(|| crate::Error::new(format!("the checkpoint has no tensor `{name}`")))?;
            check_shape(name, var.as_tensor().dims(), value.dims())?;
            if !value.dtype().is_float() {
                crate::bail!(
                    "tensor `{name}` is {} in the checkpoint, but a network's weights are floats",
                    value.dtype().as_str()
                );
            }
            var.set(&transfer::to_device(value, var.as_tensor().device())?.to_dtype(var.as_tensor().dtype())?)?;
        }
        for (name, buffer) in &mut self.buffers {
            let value =
                values.get(name).ok_or_else(|| crate::Error::new(format!("the checkpoint has no tensor `{name}`")))?;
            check_shape(name, buffer.dims(), value.dims())?;
            *buffer = transfer::to_device(value, buffer.device())?.to_dtype(buffer.dtype())?;
        }
        let known = self.params.len() + self.buffers.len();
        if values.len() != known {
            let extra: Vec<&String> = values.keys().filter(|k| self.get(k).is_err()).collect();
            crate::bail!("the checkpoint has tensors this network does not: {extra:?}");
        }
        Ok(())
    }
}

fn check_shape(name: &str, want: &[usize], got: &[usize]) -> Result<()> {
    if want != got {
        crate::bail!("tensor `{name}` has shape {got:?} in the checkpoint, but the network needs {want:?}");
    }
    Ok(())
}

/// `prefix.name`, or `name` at the top.
pub fn child(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// `143362` → `143,362`.
pub fn group_digits(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_independent_and_loading_checks_shapes() {
        let mut s = ParamStore::new();
        s.param("w", &[2, 3], Init::fan_in(2), &Placement::default()).unwrap();
        s.buffer("b", create::ones(&[4], &Placement::default()).unwrap());
        assert_eq!(s.count(), 6);
        let copy = s.deep_copy().unwrap();
        s.params()[0].1.set(&candle_core::Tensor::zeros((2, 3), DType::F32, &Device::Cpu).unwrap()).unwrap();
        assert!(copy.get("w").unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap() > 0.0);
        let mut values: std::collections::HashMap<_, _> = copy.named_tensors().into_iter().collect();
        s.load(&values).unwrap();
        values.insert("w".into(), candle_core::Tensor::zeros((3, 2), DType::F32, &Device::Cpu).unwrap());
        assert!(s.load(&values).unwrap_err().message().contains("shape [3, 2] in the checkpoint"));
    }
}
