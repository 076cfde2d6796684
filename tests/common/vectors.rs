//! Reading reference vectors: numbers and f64 point sets from JSON, and the worst error.

use difflab::tensor::{create, create::Placement, DType, Device, Tensor};
use serde_json::Value;

/// Every number in a JSON value, depth first.
pub fn f64s(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(f64s).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("not numbers: {other}"),
    }
}

/// An [N, d] f64 CPU tensor from a JSON array of points.
pub fn points(v: &Value) -> Tensor {
    let rows = v.as_array().unwrap().len();
    let flat = f64s(v);
    let at = Placement { dtype: DType::F64, device: Device::Cpu };
    create::from_f64(flat.clone(), &[rows, flat.len() / rows], &at).unwrap()
}

/// The largest absolute difference between two equally long lists.
pub fn worst(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
}

/// A JSON file under tests/data.
pub fn data_file(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("tests/data/{name}")).unwrap()).unwrap()
}

/// The Gaussian mixture of a reference file's `problem` (means, stds, weights).
pub fn mixture(problem: &Value) -> difflab::diffusion::mixture::Mixture {
    let means = problem["means"].as_array().unwrap().iter().map(f64s).collect();
    difflab::diffusion::mixture::Mixture::new(means, f64s(&problem["stds"]), f64s(&problem["weights"])).unwrap()
}

/// A sampler's options from a JSON object: words as choices, the rest as numbers.
pub fn params(options: &Value) -> difflab::diffusion::samplers::Params {
    use difflab::diffusion::samplers::{ParamValue, Params};
    let mut params = Params::new();
    for (k, v) in options.as_object().unwrap() {
        let value = match v {
            Value::String(s) => ParamValue::Text(s.clone()),
            other => ParamValue::Number(other.as_f64().unwrap()),
        };
        params.set(k, value);
    }
    params
}
