//! How a value is written when a REPL line or notebook cell ends with it:
//! tensors in full (`tensor([...], shape=..)`), strings quoted, arrays and
//! maps element by element.

use crate::nn::optim::Optimizer;
use crate::tensor::{format, Tensor};
use rhai::Dynamic;

/// The representation of a value, or `None` for `()` (nothing to show).
pub fn repr(value: &Dynamic) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    Some(write(value, crate::runtime::script_thread::MAX_DATA_DEPTH))
}

/// `value` written out, with arrays and maps deeper than `levels` shown as `[…]` / `#{…}`.
fn write(value: &Dynamic, levels: usize) -> String {
    if let Some(t) = value.read_lock::<Tensor>() {
        return format::repr(&t).unwrap_or_else(|e| format!("<tensor: {e}>"));
    }
    if let Some(o) = value.read_lock::<crate::runtime::shared::Shared<Optimizer>>() {
        return o.lock().to_string();
    }
    if let Ok(s) = value.clone().into_string() {
        return format!("{s:?}");
    }
    if let Ok(items) = value.as_array_ref() {
        if levels == 0 {
            return "[…]".into();
        }
        let parts: Vec<String> = items.iter().map(|v| write(v, levels - 1)).collect();
        return format!("[{}]", parts.join(", "));
    }
    if let Some(map) = value.read_lock::<rhai::Map>() {
        if levels == 0 {
            return "#{…}".into();
        }
        let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {}", write(v, levels - 1))).collect();
        return format!("#{{{}}}", parts.join(", "));
    }
    format!("{value:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_like_literals() {
        assert_eq!(repr(&Dynamic::UNIT), None);
        assert_eq!(repr(&Dynamic::from("a")).unwrap(), "\"a\"");
        let arr: rhai::Array = vec![Dynamic::from(1_i64), Dynamic::from(2.5)];
        assert_eq!(repr(&Dynamic::from_array(arr)).unwrap(), "[1, 2.5]");
        let mut deep = Dynamic::from_array(vec![]);
        for _ in 0..1000 {
            deep = Dynamic::from_array(vec![deep]);
        }
        let shown = repr(&deep).unwrap();
        assert!(shown.starts_with("[[[") && shown.contains("[…]"), "{}", &shown[..20]);
    }
}
