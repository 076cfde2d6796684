//! Arrays and maps nested inside each other: Rhai prints and compares them by
//! recursion, so an array built a thousand levels deep in a loop would overflow the
//! stack. The formatting and equality of arrays and maps are replaced here by the same
//! operations behind a depth check ([`MAX_DATA_DEPTH`]), and the other built-ins that
//! walk nested data (JSON, the REPL's display) check with [`check_depth`].

use super::error::{script_error, RhaiResult};
use super::script_thread::MAX_DATA_DEPTH;
use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, NativeCallContext};

/// Whether `value` has arrays or maps nested more than `levels` deep (`[]` is 1 deep,
/// `[[1]]` 2, a number 0).
pub fn deeper_than(value: &Dynamic, levels: usize) -> bool {
    if let Ok(a) = value.as_array_ref() {
        levels == 0 || a.iter().any(|c| deeper_than(c, levels - 1))
    } else if let Some(m) = value.read_lock::<Map>() {
        levels == 0 || m.values().any(|c| deeper_than(c, levels - 1))
    } else {
        false
    }
}

fn depth_message() -> String {
    format!(
        "the value nests arrays or maps more than {MAX_DATA_DEPTH} levels deep; printing, comparing and JSON go at most that deep"
    )
}

/// An error when `value` nests arrays or maps more than [`MAX_DATA_DEPTH`] deep.
pub fn check_depth(value: &Dynamic) -> crate::Result<()> {
    if deeper_than(value, MAX_DATA_DEPTH) {
        return Err(crate::Error::new(depth_message()));
    }
    Ok(())
}

fn too_deep(ctx: &NativeCallContext) -> Box<EvalAltResult> {
    script_error(format!("{}: {}", super::error::builtin_label(ctx.fn_name()), depth_message()), ctx.call_position())
}

fn checked(ctx: &NativeCallContext, value: &Dynamic) -> RhaiResult<()> {
    if deeper_than(value, MAX_DATA_DEPTH) {
        return Err(too_deep(ctx));
    }
    Ok(())
}

/// One element as Rhai writes it inside an array or map: its `to_debug` form.
fn element_text(ctx: &NativeCallContext, value: &mut Dynamic) -> String {
    match ctx.call_native_fn_raw("to_debug", true, &mut [value]) {
        Ok(text) if text.is_string() => text.into_string().unwrap_or_default(),
        _ => format!("{value:?}"),
    }
}

fn format_array(ctx: NativeCallContext, array: &mut Array) -> RhaiResult<ImmutableString> {
    if array.iter().any(|c| deeper_than(c, MAX_DATA_DEPTH - 1)) {
        return Err(too_deep(&ctx));
    }
    let parts: Vec<String> = array.iter_mut().map(|v| element_text(&ctx, v)).collect();
    Ok(format!("[{}]", parts.join(", ")).into())
}

fn format_map(ctx: NativeCallContext, map: &mut Map) -> RhaiResult<ImmutableString> {
    if map.values().any(|c| deeper_than(c, MAX_DATA_DEPTH - 1)) {
        return Err(too_deep(&ctx));
    }
    let parts: Vec<String> = map.iter_mut().map(|(k, v)| format!("{k:?}: {}", element_text(&ctx, v))).collect();
    Ok(format!("#{{{}}}", parts.join(", ")).into())
}

/// Rhai's equality of two values: element by element for arrays and maps, the
/// registered `==` for anything else (values of types without one are unequal).
fn equal(ctx: &NativeCallContext, a: &Dynamic, b: &Dynamic) -> RhaiResult<bool> {
    if let (Ok(x), Ok(y)) = (a.as_array_ref(), b.as_array_ref()) {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (p, q) in x.iter().zip(y.iter()) {
            if !equal(ctx, p, q)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let (Some(x), Some(y)) = (a.read_lock::<Map>(), b.read_lock::<Map>()) {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (k, p) in x.iter() {
            match y.get(k) {
                Some(q) if equal(ctx, p, q)? => {}
                _ => return Ok(false),
            }
        }
        return Ok(true);
    }
    let (mut p, mut q) = (a.clone(), b.clone());
    match ctx.call_native_fn_raw("==", true, &mut [&mut p, &mut q]) {
        Ok(result) => Ok(result.as_bool().unwrap_or(false)),
        Err(e) if matches!(*e, EvalAltResult::ErrorFunctionNotFound(..)) => Ok(false),
        Err(e) => Err(e),
    }
}

fn equal_checked(ctx: &NativeCallContext, a: Dynamic, b: Dynamic) -> RhaiResult<bool> {
    checked(ctx, &a)?;
    checked(ctx, &b)?;
    equal(ctx, &a, &b)
}

/// Replaces Rhai's formatting and equality of arrays and maps with the depth-checked ones.
pub fn register(engine: &mut Engine) {
    for name in ["print", "debug", "to_string", "to_debug"] {
        engine.register_fn(name, format_array);
        engine.register_fn(name, format_map);
    }
    engine.register_fn("==", |ctx: NativeCallContext, a: Array, b: Array| {
        equal_checked(&ctx, Dynamic::from_array(a), Dynamic::from_array(b))
    });
    engine.register_fn("!=", |ctx: NativeCallContext, a: Array, b: Array| {
        equal_checked(&ctx, Dynamic::from_array(a), Dynamic::from_array(b)).map(|e| !e)
    });
    engine.register_fn("==", |ctx: NativeCallContext, a: Map, b: Map| {
        equal_checked(&ctx, Dynamic::from_map(a), Dynamic::from_map(b))
    });
    engine.register_fn("!=", |ctx: NativeCallContext, a: Map, b: Map| {
        equal_checked(&ctx, Dynamic::from_map(a), Dynamic::from_map(b)).map(|e| !e)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let mut e = Engine::new();
        e.set_max_expr_depths(0, 0);
        register(&mut e);
        e
    }

    #[test]
    fn shallow_values_print_and_compare_as_rhai_does() {
        let e = engine();
        assert_eq!(
            e.eval::<String>(r#"to_string([1, "a", [2.5, ()], #{b: [true]}])"#).unwrap(),
            r#"[1, "a", [2.5, ()], #{"b": [true]}]"#
        );
        assert!(e.eval::<bool>("[1, [2, #{a: 3}]] == [1, [2, #{a: 3}]]").unwrap());
        assert!(e.eval::<bool>("[1, [2]] != [1, [3]]").unwrap());
        assert!(!e.eval::<bool>(r#"[1, "x"] == [1, 2]"#).unwrap());
        assert!(e.eval::<bool>("#{a: [1]} == #{a: [1]}").unwrap());
    }

    #[test]
    fn deep_values_are_errors_not_stack_overflows() {
        let e = engine();
        let build = "let a = []; for i in 0..5000 { a = [a]; }";
        for op in ["to_string(a)", "to_debug(a)", "a == a", "a != a"] {
            let err = e.eval::<Dynamic>(&format!("{build} {op}")).unwrap_err().to_string();
            assert!(err.contains("nests arrays or maps more than 256 levels deep"), "{op}: {err}");
        }
        let ok = format!("let a = []; for i in 1..{MAX_DATA_DEPTH} {{ a = [a]; }} a == a");
        assert!(e.eval::<bool>(&ok).unwrap());
    }
}
