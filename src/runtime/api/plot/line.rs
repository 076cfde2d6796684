//! `line`: curves from script values, in three forms: y values against their index or a
//! shared x (`series` a map or [name, values] pairs); series maps that each carry their own
//! x (`series: [#{ name, x, y, errors, style, ... }]`); and a table of rows (an array of
//! maps, one per result) drawn by column names with error bars.
//! Each curve takes a line style, width, marker, colour or colour group, a band and error
//! bars, from its own map or from the options by name or by position.

use super::build::{color_of, label_of, numbers, per_series};
use super::frame::{checked, frame};
use crate::plot::chart::Chart;
use crate::plot::series::Curve;
use crate::plot::style::{Dash, Marker};
use crate::plot::{palette, Figure};
use crate::runtime::convert::{describe, number};
use crate::runtime::options::CheckedOptions;
use plotters::style::RGBColor;
use rhai::{Dynamic, Map};

/// The options of `line` besides the frame's.
pub(super) const LINE_KEYS: &[&str] = &[
    "series",
    "order",
    "labels",
    "colors",
    "group",
    "markers",
    "styles",
    "line_width",
    "bands",
    "errors",
    "smooth",
    "x",
    "y",
];

/// The keys a series map may hold.
const SERIES_KEYS: &[&str] = &["name", "x", "y", "errors", "band", "style", "color", "marker", "line_width", "group"];

/// One curve as the script gave it, before its defaults are filled in.
struct Spec {
    name: String,
    x: Option<Vec<f64>>,
    y: Vec<f64>,
    errors: Option<Dynamic>,
    band: Option<Dynamic>,
    own: Option<CheckedOptions>,
}

/// `line(first, options)`: `first` is y values, a shared x (with `series`), or a table.
pub(super) fn line(first: &Dynamic, options: Map) -> crate::Result<Figure> {
    if first.is_map() {
        if !options.is_empty() {
            crate::bail!("line(#{{ series: [...] }}) takes every option in its one map");
        }
        return line(&Dynamic::UNIT, first.clone().cast::<Map>());
    }
    let o = checked(options, LINE_KEYS)?;
    if let Some(rows) = table_rows(first) {
        return table(&rows, &o);
    }
    for key in ["x", "y"] {
        if o.opt_value(key).is_some() {
            crate::bail!("option `{key}` names a column of a table (an array of maps); give line() the table first");
        }
    }
    let shared = if first.is_unit() { None } else { Some(numbers(first, "the x values")?) };
    let specs = match (named_series(&o)?, shared) {
        (Some(series), shared) => series
            .into_iter()
            .enumerate()
            .map(|(i, (name, v))| spec_of(i, name, &v, shared.as_deref()))
            .collect::<crate::Result<Vec<_>>>()?,
        (None, Some(y)) => {
            let label = label_of(&o, 0)?;
            vec![Spec {
                name: label,
                x: Some((0..y.len()).map(|i| i as f64).collect()),
                y,
                errors: o.opt_value("errors").filter(|v| !v.is_map()),
                band: o.opt_value("bands").filter(|v| !v.is_map()),
                own: None,
            }]
        }
        (None, None) => crate::bail!("line needs y values, or `series`: give line(y), line(x, #{{ series }}) or line(#{{ series: [#{{ name, x, y }}] }})"),
    };
    let curves = curves(specs, &o)?;
    Figure::new(Chart::Line(curves).into(), frame(&o, (640, 480))?)
}

/// The series of `series` with their names, in drawing order: a map (drawn in `order`, or
/// by name), or an array of `[name, values]` pairs or of series maps (drawn in that order).
fn named_series(o: &CheckedOptions) -> crate::Result<Option<Vec<(String, Dynamic)>>> {
    let Some(value) = o.opt_value("series") else { return Ok(None) };
    let mut named: Vec<(String, Dynamic)> = if let Some(map) = value.read_lock::<Map>() {
        map.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    } else if let Ok(list) = value.as_array_ref() {
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                if let Some(m) = item.read_lock::<Map>() {
                    let name = m.get("name").map(|n| n.to_string()).unwrap_or_default();
                    return Ok((name, item.clone()));
                }
                match item.as_array_ref().ok().as_deref().map(|a| a.as_slice()) {
                    Some([name, values]) if name.is_string() => Ok((name.to_string(), values.clone())),
                    _ => crate::bail!(
                        "option `series` as an array holds [name, values] pairs or maps #{{ name, x, y }}; element {i} is {}",
                        describe(item)
                    ),
                }
            })
            .collect::<crate::Result<_>>()?
    } else {
        crate::bail!("option `series` must be a map of name: values, or an array of [name, values] pairs or of maps #{{ name, x, y }}");
    };
    if let Some(order) = o.opt_array("order")? {
        let order: Vec<String> = order.iter().map(|n| n.to_string()).collect();
        if let Some(missing) = named.iter().find(|(n, _)| !order.contains(n)) {
            crate::bail!("option `order` does not list series `{}`", missing.0);
        }
        named.sort_by_key(|(n, _)| order.iter().position(|o| o == n));
    }
    Ok(Some(named))
}

/// The spec of series `i` called `name` from its values (y values, or a series map).
fn spec_of(i: usize, name: String, v: &Dynamic, shared: Option<&[f64]>) -> crate::Result<Spec> {
    let what = if name.is_empty() { format!("series {i}") } else { format!("series `{name}`") };
    let Some(map) = v.read_lock::<Map>().map(|m| m.clone()) else {
        let y = numbers(v, &what)?;
        let Some(x) = shared else {
            crate::bail!("{what} has no x values: give line(x, #{{ series }}) or the series as #{{ name, x, y }}");
        };
        return Ok(Spec { name, x: Some(x.to_vec()), y, errors: None, band: None, own: None });
    };
    let own = CheckedOptions::new(map, SERIES_KEYS).map_err(|e| e.context(&what))?;
    let y = own.opt_value("y").ok_or_else(|| crate::Error::new(format!("{what} has no `y`")))?;
    let x = match own.opt_value("x") {
        Some(x) => Some(numbers(&x, &format!("{what}'s x"))?),
        None => shared.map(<[f64]>::to_vec),
    };
    if x.is_none() {
        crate::bail!("{what} has no `x`: give it one, or give line() a shared x first");
    }
    Ok(Spec {
        y: numbers(&y, &format!("{what}'s y"))?,
        errors: own.opt_value("errors"),
        band: own.opt_value("band"),
        x,
        name,
        own: Some(own),
    })
}

/// An option's value for series `i` called `name`: from a map by name, an array by
/// position, or the value itself for every series.
fn for_series(o: &CheckedOptions, key: &str, i: usize, name: &str) -> Option<Dynamic> {
    let v = o.opt_value(key)?;
    if let Some(m) = v.read_lock::<Map>() {
        return m.get(name).cloned();
    }
    per_series(o, key, i)
}

/// The curves of `specs`, each with its style, width, marker, colour, band and error bars.
/// The smoothing amount is checked here, so that a bad one is `line`'s error in every form
/// rather than a drawing's.
fn curves(specs: Vec<Spec>, o: &CheckedOptions) -> crate::Result<Vec<Curve>> {
    let smooth = o.opt_f64("smooth")?;
    if let Some(amount) = smooth {
        crate::plot::smooth::check(amount)?;
    }
    // the colour group of each curve, and its place among the group's members
    let groups: Vec<Option<String>> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v =
                s.own.as_ref().and_then(|own| own.opt_value("group")).or_else(|| for_series(o, "group", i, &s.name));
            v.map(|g| g.to_string())
        })
        .collect();
    let single = specs.len() == 1;
    specs
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let what = if s.name.is_empty() { format!("series {i}") } else { format!("series `{}`", s.name) };
            let x = s.x.unwrap_or_default();
            if s.y.len() != x.len() {
                crate::bail!("{what} has {} y values for {} x values", s.y.len(), x.len());
            }
            let own = |key: &str| s.own.as_ref().and_then(|m| m.opt_value(key));
            let pick = |key: &str, top: &str| own(key).or_else(|| for_series(o, top, i, &s.name));
            let dash = match pick("style", "styles") {
                Some(v) => Dash::parse(&text(&v, &what, "style")?).map_err(|e| e.context(&what))?,
                None => Dash::Solid,
            };
            let marker = pick("marker", "markers").map(|v| marker_of(&v, &what)).transpose()?.flatten();
            let width = pick("line_width", "line_width").map(|v| width_of(&v, &what)).transpose()?;
            let by_name = |key: &str| -> Option<Dynamic> {
                let v = o.opt_value(key)?;
                let by = v.read_lock::<Map>().map(|m| m.get(s.name.as_str()).cloned());
                match by {
                    Some(found) => found,
                    None => single.then(|| v.clone()),
                }
            };
            let errors = s.errors.or_else(|| by_name("errors"));
            let band = s.band.or_else(|| by_name("bands"));
            let errors = errors.map(|v| bounds(&v, &s.y, &format!("{what}'s errors"))).transpose()?;
            let band = band.map(|v| bounds(&v, &s.y, &format!("{what}'s band"))).transpose()?;
            let color = match own("color") {
                Some(c) => Some(palette::parse(&text(&c, &what, "color")?)?),
                None => match group_color(o, &groups, i)? {
                    Some(c) => Some(c),
                    // only an ungrouped series takes a session colour by its name
                    None => color_of(o, i, &s.name)?,
                },
            };
            Ok(Curve { label: s.name, x, y: s.y, color, marker, band, errors, dash, width, smooth })
        })
        .collect()
}

/// The colour of member `i` when it belongs to a group: a shade of the group's hue (its
/// entry in a `colors` map, else the session's colour for the group's name).
pub(super) fn group_color(o: &CheckedOptions, groups: &[Option<String>], i: usize) -> crate::Result<Option<RGBColor>> {
    let Some(group) = &groups[i] else { return Ok(None) };
    let members: Vec<usize> = (0..groups.len()).filter(|&j| groups[j].as_ref() == Some(group)).collect();
    let j = members.iter().position(|&m| m == i).unwrap_or(0);
    let base = match o.opt_map("colors").ok().flatten().and_then(|m| m.get(group.as_str()).cloned()) {
        Some(c) => {
            palette::parse(&c.into_string().map_err(|_| crate::Error::new("option `colors` must hold colour names"))?)?
        }
        None => palette::for_name(group),
    };
    Ok(Some(palette::shade(base, j, members.len())))
}

/// A string option of a series.
fn text(v: &Dynamic, what: &str, key: &str) -> crate::Result<String> {
    v.clone()
        .into_string()
        .map_err(|_| crate::Error::new(format!("{what}: `{key}` must be a string, got {}", describe(v))))
}

/// A marker: a kind's name, `true` (circles) or `false` (none).
fn marker_of(v: &Dynamic, what: &str) -> crate::Result<Option<Marker>> {
    if let Ok(b) = v.as_bool() {
        return Ok(b.then_some(Marker::Circle));
    }
    Marker::parse(&text(v, what, "marker")?).map(Some).map_err(|e| e.context(what))
}

/// A line width in points.
fn width_of(v: &Dynamic, what: &str) -> crate::Result<f64> {
    match number(v) {
        Ok(w) if (0.1..=50.0).contains(&w) => Ok(w),
        _ => crate::bail!("{what}: `line_width` must be a number of points between 0.1 and 50, got {}", describe(v)),
    }
}

/// The ends `(lower, upper)` of error bars or a band around `y`: half-widths (one number,
/// or one per point), or `[lower, upper]` ends (two arrays, as `mean_std` gives them).
fn bounds(v: &Dynamic, y: &[f64], what: &str) -> crate::Result<(Vec<f64>, Vec<f64>)> {
    let n = y.len();
    let pair = v.as_array_ref().ok().and_then(|a| match a.as_slice() {
        [lo, hi] if !lo.is_int() && !lo.is_float() => Some((lo.clone(), hi.clone())),
        _ => None,
    });
    let (lo, hi) = match pair {
        Some((lo, hi)) => {
            (numbers(&lo, &format!("{what}' lower ends"))?, numbers(&hi, &format!("{what}' upper ends"))?)
        }
        None => {
            let half = match number(v) {
                Ok(h) => vec![h; n],
                Err(_) => numbers(v, what)?,
            };
            if half.len() != n {
                crate::bail!("{what} has {} half-widths for {n} points", half.len());
            }
            (y.iter().zip(&half).map(|(y, h)| y - h).collect(), y.iter().zip(&half).map(|(y, h)| y + h).collect())
        }
    };
    if lo.len() != n || hi.len() != n {
        crate::bail!("{what} has {} and {} values for {n} points", lo.len(), hi.len());
    }
    Ok((lo, hi))
}

/// The rows of a table: an array of maps.
fn table_rows(v: &Dynamic) -> Option<Vec<Map>> {
    let list = v.as_array_ref().ok()?;
    if list.is_empty() || !list.iter().all(|r| r.is_map()) {
        return None;
    }
    Some(list.iter().map(|r| r.clone().cast::<Map>()).collect())
}

/// A table drawn by columns: `x` and `y` name them, `group` the column whose values make
/// the series, `errors` and `bands` the columns of the spread (`NAME_lower`/`NAME_upper`
/// ends, else `NAME` as half-widths, or a pair of column names).
fn table(rows: &[Map], o: &CheckedOptions) -> crate::Result<Figure> {
    let columns = || {
        let mut names: Vec<String> = rows.iter().flat_map(|r| r.keys().map(|k| k.to_string())).collect();
        names.sort();
        names.dedup();
        names.join(", ")
    };
    let column_name = |key: &str| -> crate::Result<String> {
        o.opt_string(key)?.ok_or_else(|| {
            crate::Error::new(format!(
                "line(table) needs option `{key}`, the column to draw; the table has {}",
                columns()
            ))
        })
    };
    let (xc, yc) = (column_name("x")?, column_name("y")?);
    let cell = |r: &Map, c: &str| -> crate::Result<Dynamic> {
        r.get(c).cloned().ok_or_else(|| {
            crate::Error::new(format!("the table has no column `{c}` in every row; its columns: {}", columns()))
        })
    };
    let value = |r: &Map, c: &str| -> crate::Result<f64> {
        let v = cell(r, c)?;
        number(&v).map_err(|_| crate::Error::new(format!("column `{c}` must hold numbers, got {}", describe(&v))))
    };
    let group = o.opt_string("group")?;
    let mut names: Vec<String> = vec![];
    let mut members: Vec<Vec<&Map>> = vec![];
    for r in rows {
        let name = match &group {
            Some(g) => cell(r, g)?.to_string(),
            None => String::new(),
        };
        match names.iter().position(|n| *n == name) {
            Some(i) => members[i].push(r),
            None => {
                names.push(name);
                members.push(vec![r]);
            }
        }
    }
    let spread = |key: &str, rs: &[&Map], y: &[f64]| -> crate::Result<Option<Dynamic>> {
        let Some(v) = o.opt_value(key) else { return Ok(None) };
        let (lo, hi) = if let Ok(c) = v.clone().into_string() {
            let (l, h) = (format!("{c}_lower"), format!("{c}_upper"));
            if rs.iter().all(|r| r.contains_key(l.as_str()) && r.contains_key(h.as_str())) {
                (
                    rs.iter().map(|r| value(r, &l)).collect::<crate::Result<Vec<_>>>()?,
                    rs.iter().map(|r| value(r, &h)).collect::<crate::Result<Vec<_>>>()?,
                )
            } else {
                let half = rs.iter().map(|r| value(r, &c)).collect::<crate::Result<Vec<_>>>()?;
                (y.iter().zip(&half).map(|(y, h)| y - h).collect(), y.iter().zip(&half).map(|(y, h)| y + h).collect())
            }
        } else {
            let pair = v.as_array_ref().ok().and_then(|a| match a.as_slice() {
                [l, h] if l.is_string() && h.is_string() => Some((l.to_string(), h.to_string())),
                _ => None,
            });
            let Some((l, h)) = pair else {
                crate::bail!("option `{key}` of line(table) must name a column, or a pair [lower, upper] of columns");
            };
            (
                rs.iter().map(|r| value(r, &l)).collect::<crate::Result<Vec<_>>>()?,
                rs.iter().map(|r| value(r, &h)).collect::<crate::Result<Vec<_>>>()?,
            )
        };
        let arr = |v: Vec<f64>| Dynamic::from_array(v.into_iter().map(Dynamic::from_float).collect());
        Ok(Some(Dynamic::from_array(vec![arr(lo), arr(hi)])))
    };
    let specs = names
        .into_iter()
        .zip(members)
        .map(|(name, mut rs)| {
            let mut keyed = rs
                .iter()
                .map(|r| value(r, &xc))
                .collect::<crate::Result<Vec<f64>>>()?
                .into_iter()
                .zip(0..)
                .collect::<Vec<_>>();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            rs = keyed.iter().map(|&(_, i)| rs[i]).collect();
            let x: Vec<f64> = keyed.iter().map(|k| k.0).collect();
            let y = rs.iter().map(|r| value(r, &yc)).collect::<crate::Result<Vec<f64>>>()?;
            let errors = spread("errors", &rs, &y)?;
            let band = spread("bands", &rs, &y)?;
            Ok(Spec { name, x: Some(x), y, errors, band, own: None })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    let curves = curves(specs, o)?;
    let mut f = frame(o, (640, 480))?;
    if f.xlabel.is_empty() {
        f.xlabel = xc;
    }
    if f.ylabel.is_empty() {
        f.ylabel = yc;
    }
    Figure::new(Chart::Line(curves).into(), f)
}
