//! Conversions between Rhai values and Rust values: numbers, shapes, nested
//! arrays and tensors. Every failure says what was expected and what came.

use crate::error::Result;
use crate::tensor::{create, create::Placement, DType, Tensor};
use rhai::{Array, Dynamic, INT};

/// A short description of a value for error messages: `the string "x"`, `an int (3)`.
pub fn describe(v: &Dynamic) -> String {
    if let Ok(s) = v.clone().into_string() {
        return format!("the string {s:?}");
    }
    if let Ok(i) = v.as_int() {
        return format!("an int ({i})");
    }
    if let Ok(f) = v.as_float() {
        return format!("a float ({f})");
    }
    if let Some(t) = v.read_lock::<Tensor>() {
        return format!("a tensor of shape {:?}", t.dims());
    }
    if v.is_unit() {
        return "()".into();
    }
    if let Ok(a) = v.as_array_ref() {
        return format!("an array of {} element{}", a.len(), if a.len() == 1 { "" } else { "s" });
    }
    let name = v.type_name();
    format!("a value of type {}", name.rsplit("::").next().unwrap_or(name))
}

/// A number (int or float) as `f64`.
pub fn number(v: &Dynamic) -> Result<f64> {
    if let Ok(f) = v.as_float() {
        return Ok(f);
    }
    if let Ok(i) = v.as_int() {
        return Ok(i as f64);
    }
    crate::bail!("expected a number, got {}", describe(v))
}

/// A named number argument, with the name in the error.
pub fn number_arg(name: &str, v: &Dynamic) -> Result<f64> {
    number(v).map_err(|_| crate::Error::new(format!("`{name}` must be a number, got {}", describe(v))))
}

/// A non-negative integer argument.
pub fn count_arg(name: &str, v: INT) -> Result<usize> {
    usize::try_from(v).map_err(|_| crate::Error::new(format!("`{name}` must be >= 0, got {v}")))
}

/// A shape: an array of non-negative integers such as `[2, 3]`.
pub fn shape(v: &Array) -> Result<Vec<usize>> {
    v.iter()
        .enumerate()
        .map(|(i, d)| match d.as_int() {
            Ok(n) if n >= 0 => Ok(n as usize),
            _ => crate::bail!("a shape must be an array of integers >= 0, but element {i} is {}", describe(d)),
        })
        .collect()
}

/// A list of integers such as a target shape with `-1` or a permutation.
pub fn ints(v: &Array) -> Result<Vec<i64>> {
    v.iter()
        .enumerate()
        .map(|(i, d)| {
            d.as_int().map_err(|_| {
                crate::Error::new(format!("expected an array of integers, but element {i} is {}", describe(d)))
            })
        })
        .collect()
}

/// Class labels: one integer (for every row), an array of integers or an integer-valued tensor.
pub fn label_tensor(v: &Dynamic) -> Result<Tensor> {
    let at = crate::tensor::create::Placement::default();
    if let Ok(k) = v.as_int() {
        return crate::tensor::create::from_f64(vec![k as f64], &[1], &at);
    }
    if let Some(list) = v.read_lock::<Array>() {
        let values: Vec<f64> = ints(&list)?.into_iter().map(|k| k as f64).collect();
        let n = values.len();
        return crate::tensor::create::from_f64(values, &[n], &at);
    }
    if let Some(t) = v.read_lock::<Tensor>() {
        return Ok(t.clone());
    }
    crate::bail!("labels must be an integer, an array of integers or a tensor, got {}", describe(v))
}

/// A list of tensors.
pub fn tensors(v: &Array) -> Result<Vec<Tensor>> {
    v.iter()
        .enumerate()
        .map(|(i, d)| {
            d.read_lock::<Tensor>().map(|t| t.clone()).ok_or_else(|| {
                crate::Error::new(format!("expected an array of tensors, but element {i} is {}", describe(d)))
            })
        })
        .collect()
}

/// A tensor argument that may also be given as a number or a nested array.
pub fn tensor_like(v: &Dynamic, like: Option<&Tensor>) -> Result<Tensor> {
    if let Some(t) = v.read_lock::<Tensor>() {
        return Ok(t.clone());
    }
    from_nested(v, |dtype| {
        let mut at = inferred(dtype)?;
        if let Some(t) = like {
            at.device = t.device().clone();
            if t.is_float() {
                at.dtype = t.dtype();
            }
        }
        Ok(at)
    })
}

/// Builds a tensor from a number or a nested array of numbers. Integers only
/// infer an `i64` tensor, any float the default float type; `placement` gets
/// the inferred dtype and says where the tensor goes.
pub fn from_nested(v: &Dynamic, placement: impl FnOnce(DType) -> Result<Placement>) -> Result<Tensor> {
    let mut dims = Vec::new();
    let mut probe = v.clone();
    while let Ok(first) = probe.as_array_ref().map(|a| {
        dims.push(a.len());
        a.first().cloned()
    }) {
        match first {
            Some(f) => probe = f,
            None => break,
        }
    }
    let mut values = Vec::with_capacity(dims.iter().product());
    let mut all_ints = true;
    flatten(v, &dims, 0, &mut String::new(), &mut values, &mut all_ints)?;
    let inferred = if all_ints && !values.is_empty() { DType::I64 } else { crate::tensor::dtype::DEFAULT_FLOAT };
    let at = placement(inferred)?;
    if at.dtype.is_float() {
        create::from_f64(values, &dims, &at)
    } else {
        create::from_i64(values.into_iter().map(|f| f as i64).collect(), &dims, &at)
    }
}

/// The placement that keeps an inferred dtype on the default device.
pub fn inferred(dtype: DType) -> Result<Placement> {
    Ok(Placement { dtype, ..Placement::default() })
}

fn flatten(
    v: &Dynamic,
    dims: &[usize],
    depth: usize,
    path: &mut String,
    out: &mut Vec<f64>,
    all_ints: &mut bool,
) -> Result<()> {
    if depth == dims.len() {
        if let Ok(i) = v.as_int() {
            out.push(i as f64);
            return Ok(());
        }
        if let Ok(f) = v.as_float() {
            *all_ints = false;
            out.push(f);
            return Ok(());
        }
        if v.is_array() {
            crate::bail!("ragged nested array: element {path} is an array, but its siblings are numbers");
        }
        crate::bail!("element {path} is {}, expected a number", describe(v));
    }
    let Ok(items) = v.as_array_ref() else {
        crate::bail!("ragged nested array: element {path} is {}, expected an array of {}", describe(v), dims[depth]);
    };
    if items.len() != dims[depth] {
        crate::bail!("ragged nested array: element {path} has {} entries, expected {}", items.len(), dims[depth]);
    }
    let items = items.clone();
    for (i, item) in items.iter().enumerate() {
        let mark = path.len();
        path.push_str(&format!("[{i}]"));
        flatten(item, dims, depth + 1, path, out, all_ints)?;
        path.truncate(mark);
    }
    Ok(())
}

/// The values of a tensor as nested arrays: floats for float dtypes, ints otherwise.
pub fn to_nested(t: &Tensor) -> Result<Dynamic> {
    let values = t.to_f64_vec()?;
    let is_float = t.is_float();
    let leaf = |v: f64| if is_float { Dynamic::from_float(v) } else { Dynamic::from_int(v as INT) };
    fn build(values: &[f64], dims: &[usize], leaf: &dyn Fn(f64) -> Dynamic) -> Dynamic {
        match dims.split_first() {
            None => leaf(values[0]),
            Some((&n, rest)) => {
                let chunk = rest.iter().product::<usize>();
                let arr: Array = (0..n).map(|i| build(&values[i * chunk..(i + 1) * chunk], rest, leaf)).collect();
                Dynamic::from_array(arr)
            }
        }
    }
    Ok(build(&values, t.dims(), &leaf))
}

/// A JSON value as a Rhai value: objects become maps, arrays arrays, numbers
/// ints when integral and floats otherwise.
pub fn from_json(v: serde_json::Value) -> Dynamic {
    use serde_json::Value;
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Dynamic::from(s),
        Value::Array(a) => Dynamic::from_array(a.into_iter().map(from_json).collect()),
        Value::Object(o) => {
            Dynamic::from_map(o.into_iter().map(|(k, v)| (k.into(), from_json(v))).collect::<rhai::Map>())
        }
    }
}

/// A Rhai value as JSON; tensors become nested arrays of numbers.
pub fn to_json(v: &Dynamic) -> Result<serde_json::Value> {
    use serde_json::Value;
    if v.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = v.as_int() {
        return Ok(Value::from(i));
    }
    if let Ok(f) = v.as_float() {
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| crate::Error::new(format!("{f} cannot be written as JSON (JSON has no NaN or infinity)")));
    }
    if let Ok(s) = v.clone().into_string() {
        return Ok(Value::String(s));
    }
    if let Some(t) = v.read_lock::<Tensor>() {
        return to_json(&to_nested(&t)?);
    }
    if let Ok(a) = v.as_array_ref() {
        return Ok(Value::Array(a.iter().map(to_json).collect::<Result<_>>()?));
    }
    if let Some(m) = v.read_lock::<rhai::Map>() {
        return Ok(Value::Object(m.iter().map(|(k, v)| Ok((k.to_string(), to_json(v)?))).collect::<Result<_>>()?));
    }
    crate::bail!("{} cannot be written as JSON", describe(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(v: Vec<Dynamic>) -> Dynamic {
        Dynamic::from_array(v)
    }

    #[test]
    fn nested_arrays_round_trip() {
        let v = arr(vec![arr(vec![1.into(), 2.into()]), arr(vec![3.into(), 4.into()])]);
        let t = from_nested(&v, inferred).unwrap();
        assert_eq!(t.dims(), &[2, 2]);
        assert_eq!(t.dtype(), DType::I64);
        let back = to_nested(&t).unwrap();
        assert_eq!(format!("{back:?}"), "[[1, 2], [3, 4]]");
        let f = from_nested(&arr(vec![1.into(), 2.5.into()]), inferred).unwrap();
        assert_eq!(f.dtype(), DType::F32);
    }

    #[test]
    fn json_round_trips_and_tensors_become_arrays() {
        let v: serde_json::Value = serde_json::from_str(r#"{"a": [1, 2.5, "x", null], "b": {"c": true}}"#).unwrap();
        assert_eq!(to_json(&from_json(v.clone())).unwrap(), v);
        let t = from_nested(&arr(vec![1.into(), 2.into()]), inferred).unwrap();
        assert_eq!(to_json(&Dynamic::from(t)).unwrap().to_string(), "[1,2]");
        assert!(to_json(&Dynamic::from_float(f64::NAN)).is_err());
    }

    #[test]
    fn ragged_arrays_name_the_element() {
        let v = arr(vec![arr(vec![1.into(), 2.into()]), arr(vec![3.into()])]);
        let err = from_nested(&v, inferred).unwrap_err();
        assert_eq!(err.message(), "ragged nested array: element [1] has 1 entries, expected 2");
        let bad = arr(vec![1.into(), "x".into()]);
        assert!(from_nested(&bad, inferred).unwrap_err().message().contains("element [1] is the string \"x\""));
    }
}
