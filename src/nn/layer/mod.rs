//! Layers: each a struct over a parameter path with a `forward` ([`linear`], [`conv`],
//! [`norm`], multi-head [`attention`], the UNet's [`res_block`]), which the built-in networks
//! are made of; the layer types scripts compose networks from ([`spec`]), built on the same
//! structs, with the residual patterns among them that run as one fused CPU op ([`spec::fused`]);
//! and a layer bound to its parameters as a script value ([`value`]).

pub mod attention;
pub mod conv;
pub mod linear;
pub mod norm;
pub mod res_block;
pub mod spec;
pub mod value;
