//! The check shared by the tests of the fused CPU ops: a fused result against the tensor form.

use candle_core::Tensor;

/// Asserts `max |a − b| ≤ rel · max(1, max |b|)`, naming `what` when it fails.
pub fn assert_close(a: &Tensor, b: &Tensor, rel: f32, what: &str) {
    let d = (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
    let s = b.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
    assert!(d <= rel * s.max(1.0), "{what}: difference {d} at scale {s}");
}
