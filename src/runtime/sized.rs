//! Rhai's own built-ins that allocate as much as a script asks (padding an array or a
//! string, joining arrays, making a blob), replaced by the same operations behind the memory budget, so
//! `a.pad(1000000000000, 0)` is an error instead of an allocation that ends the process.

use super::error::{script_error, RhaiResult};
use rhai::{Array, Blob, Dynamic, Engine, ImmutableString, NativeCallContext, INT};

/// `count` values of `bytes_each` bytes, checked against the budget.
fn check(ctx: &NativeCallContext, count: usize, bytes_each: usize) -> RhaiResult<()> {
    crate::memory::check(count, bytes_each)
        .map_err(|e| script_error(format!("{}: {e}", super::error::builtin_label(ctx.fn_name())), ctx.call_position()))
}

/// Rhai's `array.pad(len, item)`: appends copies of `item` until the array has `len` entries.
fn pad_array(ctx: NativeCallContext, array: &mut Array, len: INT, item: Dynamic) -> RhaiResult<()> {
    let Ok(len) = usize::try_from(len) else { return Ok(()) };
    if len > array.len() {
        check(&ctx, len, std::mem::size_of::<Dynamic>())?;
        array.resize(len, item);
    }
    Ok(())
}

/// Rhai's `text.pad(len, padding)`: appends `padding` until the text has `len` characters.
fn pad_string(ctx: NativeCallContext, text: &mut ImmutableString, len: INT, padding: &str) -> RhaiResult<()> {
    let Ok(len) = usize::try_from(len) else { return Ok(()) };
    let have = text.chars().count();
    if len <= have || padding.is_empty() {
        return Ok(());
    }
    check(&ctx, len, 4)?;
    let mut out = text.to_string();
    out.extend(padding.chars().cycle().take(len - have));
    *text = out.into();
    Ok(())
}

/// Rhai's `a.append(b)` for arrays: `b`'s entries appended to `a`.
fn append(ctx: NativeCallContext, a: &mut Array, b: Array) -> RhaiResult<()> {
    check(&ctx, a.len().saturating_add(b.len()), std::mem::size_of::<Dynamic>())?;
    a.extend(b);
    Ok(())
}

/// Rhai's `a + b` for arrays: a new array of `a`'s entries then `b`'s.
fn concat(ctx: NativeCallContext, a: Array, b: Array) -> RhaiResult<Array> {
    // the result, and the copies of both operands Rhai passes in
    check(&ctx, a.len().saturating_add(b.len()), 2 * std::mem::size_of::<Dynamic>())?;
    Ok(a.into_iter().chain(b).collect())
}

/// Rhai's `blob(len, value)`: `len` bytes of `value`.
fn blob(ctx: NativeCallContext, len: INT, value: INT) -> RhaiResult<Blob> {
    let len = usize::try_from(len).unwrap_or(0);
    check(&ctx, len, 1)?;
    Ok(vec![value as u8; len])
}

/// Replaces Rhai's padding, array joining and blob constructors with the budget-checked ones.
/// (`+=` on strings and arrays, and `+` on strings, stay Rhai's: its built-in operators cannot
/// be replaced without slowing all arithmetic.)
pub fn register(engine: &mut Engine) {
    set_value_limits(engine);
    engine.register_fn("append", append);
    engine.register_fn("+", concat);
    engine.register_fn("pad", pad_array);
    engine.register_fn("pad", |ctx: NativeCallContext, text: &mut ImmutableString, len: INT, c: char| {
        pad_string(ctx, text, len, &c.to_string())
    });
    engine.register_fn("pad", |ctx: NativeCallContext, text: &mut ImmutableString, len: INT, padding: &str| {
        pad_string(ctx, text, len, padding)
    });
    engine.register_fn("blob", |ctx: NativeCallContext, len: INT| blob(ctx, len, 0));
    engine.register_fn("blob", blob);
}

/// The share of the memory limit one Rhai string, array or map may take.
const VALUE_SHARE: u64 = 16;

/// Bytes an object map's entry takes at least (key, value, tree node).
const MAP_ENTRY_BYTES: u64 = 64;

/// Rhai's own size limits, from the memory budget: a string may hold 1/16 of it in
/// bytes, an array (with the arrays nested in it) 1/16 of it in 16-byte values, a map
/// the same in entries. Rhai's built-in operators (`s += s`, `a += a`, `s + s`,
/// `` `${s}${s}` ``) bypass the registered functions above, and these limits are what
/// stops them; the 1/16 leaves room for the copy an operator makes while growing.
/// The price: with any limit set, Rhai measures an array again after each change to
/// it, so pushing n values one by one costs O(n²) (100,000 pushes take about 3 s);
/// large numeric data belongs in tensors.
fn set_value_limits(engine: &mut Engine) {
    let share = crate::memory::limit() / VALUE_SHARE;
    let count = |bytes_each: u64| usize::try_from(share / bytes_each).unwrap_or(usize::MAX).max(1);
    engine.set_max_string_size(count(1));
    engine.set_max_array_size(count(std::mem::size_of::<Dynamic>() as u64));
    engine.set_max_map_size(count(MAP_ENTRY_BYTES));
}

/// The message for a Rhai value over its size limit; `what` is Rhai's
/// "Length of string", "Size of array/BLOB" or "Size of object map".
pub fn too_large(what: &str) -> String {
    let share = crate::memory::limit() / VALUE_SHARE;
    let (value, unit, bytes_each) = match what {
        w if w.contains("string") => ("a string", "bytes", 1),
        w if w.contains("map") => ("an object map", "entries", MAP_ENTRY_BYTES),
        _ => ("an array", "values", std::mem::size_of::<Dynamic>() as u64),
    };
    format!(
        "{value} grew past {} {unit}, 1/{VALUE_SHARE} of the memory limit of {} (set --max-memory or {} to change it); keep large data in tensors",
        crate::nn::params::group_digits((share / bytes_each) as usize),
        crate::memory::human(crate::memory::limit() as u128),
        crate::memory::ENV
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_works_as_rhai_s_and_huge_sizes_are_errors() {
        let mut e = Engine::new();
        register(&mut e);
        assert_eq!(e.eval::<String>("let a = [1]; a.pad(3, 0); a.pad(2, 9); a.to_string()").unwrap(), "[1, 0, 0]");
        assert_eq!(e.eval::<String>(r#"let t = "ab"; t.pad(5, "xy"); t"#).unwrap(), "abxyx");
        assert_eq!(e.eval::<String>(r#"let t = "ab"; t.pad(4, '*'); t"#).unwrap(), "ab**");
        assert_eq!(e.eval::<INT>("blob(3, 7).len()").unwrap(), 3);
        assert_eq!(e.eval::<String>("let a = [1, 2]; a.append([3]); (a + [4]).to_string()").unwrap(), "[1, 2, 3, 4]");
        for huge in [
            "let a = []; a.pad(1000000000000000, 0);",
            r#"let t = ""; t.pad(1000000000000000000, "x");"#,
            "blob(1000000000000000000)",
        ] {
            let err = e.eval::<Dynamic>(huge).unwrap_err().to_string();
            assert!(err.contains("over the memory limit"), "{huge}: {err}");
        }
    }
}
