//! Element types by name, as scripts write them (`"f32"`, `"f64"`, ...).

use super::DType;
use crate::error::Result;

/// The names scripts may use for element types, in the order help lists them.
pub const DTYPE_NAMES: &[&str] = &["f32", "f64", "f16", "bf16", "i64", "u32", "u8"];

/// The element type a float constructor uses when none is asked for.
pub const DEFAULT_FLOAT: DType = DType::F32;

/// Parses an element-type name such as `"f32"` (also `"float32"`, `"float64"`, `"int64"`).
pub fn parse_dtype(name: &str) -> Result<DType> {
    Ok(match name {
        "f32" | "float32" | "float" => DType::F32,
        "f64" | "float64" | "double" => DType::F64,
        "f16" | "float16" | "half" => DType::F16,
        "bf16" | "bfloat16" => DType::BF16,
        "i64" | "int64" | "long" => DType::I64,
        "u32" | "uint32" => DType::U32,
        "u8" | "uint8" | "bool" => DType::U8,
        other => crate::bail!("unknown dtype \"{other}\"; expected one of {}", DTYPE_NAMES.join(", ")),
    })
}

/// The short name of an element type (`f32`, `i64`, ...).
pub fn dtype_name(dtype: DType) -> &'static str {
    dtype.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in DTYPE_NAMES {
            assert_eq!(dtype_name(parse_dtype(name).unwrap()), *name);
        }
        assert!(parse_dtype("f128").unwrap_err().message().contains("f32, f64"));
    }
}
