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
