//! Layers as values: the layer types scripts compose networks from ([`spec`]), a layer
//! bound to its parameters ([`value`]), and self-attention ([`attention`]).

pub mod attention;
pub mod spec;
pub mod value;
