//! `animate`: a sampler's states as an animated GIF, the points moving from noise to data on
//! fixed axes (the data's region by default), over the data drawn faintly.

use super::build::{numbers, points, states, view_all};
use super::frame::{checked, frame};
use crate::plot::animation::Animation;
use crate::plot::chart::{self, Chart};
use crate::plot::series::Points;
use crate::plot::{palette, Figure};
use crate::runtime::options::CheckedOptions;
use plotters::style::RGBColor;
use rhai::{Array, Map};

/// The options of `animate` besides the frame's.
pub(super) const ANIMATE_KEYS: &[&str] =
    &["fps", "every", "hold", "data", "view", "sigmas", "marker_size", "alpha", "color"];

/// The axis limits every frame shares: the given ones, else the span of `shown` (padded), in
/// data coordinates.
fn fixed_limits(base: &crate::plot::Frame, shown: &[(f64, f64)]) -> crate::Result<((f64, f64), (f64, f64))> {
    let probe = Points { label: String::new(), xy: shown.to_vec(), color: None, alpha: 1.0, size: 1 };
    let r = chart::ranges(&Chart::Scatter(vec![probe]), base)?;
    let value = |log: bool, (a, b): (f64, f64)| if log { (10f64.powf(a), 10f64.powf(b)) } else { (a, b) };
    Ok((value(base.xlog, r.x), value(base.ylog, r.y)))
}

/// The title of frame `i` of `count`: the base title and the state's σ (or its number).
fn frame_title(base: &str, i: usize, count: usize, sigmas: &Option<Vec<f64>>) -> String {
    let when = match sigmas {
        Some(s) => format!("σ = {}", crate::number_text::significant(s[i], 3)),
        None => format!("state {i} of {}", count - 1),
    };
    if base.is_empty() {
        when
    } else {
        format!("{base}   {when}")
    }
}

/// The animation of `traj` (an array of `[N, 2]` states) with `options`.
pub(super) fn animate(traj: &Array, options: Map) -> crate::Result<Animation> {
    let o: CheckedOptions = checked(options, ANIMATE_KEYS)?;
    let states = states(traj)?;
    let every = o.usize_or("every", 1)?.max(1);
    let mut keep: Vec<usize> = (0..states.len()).step_by(every).collect();
    if keep.last() != Some(&(states.len() - 1)) {
        keep.push(states.len() - 1);
    }
    let background = o.opt_value("data").map(|d| points(&d, "option `data`")).transpose()?;
    let sigmas = o.opt_value("sigmas").map(|v| numbers(&v, "option `sigmas`")).transpose()?;
    if let Some(s) = &sigmas {
        if s.len() != states.len() {
            crate::bail!("option `sigmas` has {} values for {} states", s.len(), states.len());
        }
    }
    let mut base = frame(&o, (480, 480))?;
    let last = &states[states.len() - 1];
    let shown: Vec<(f64, f64)> = match (&background, view_all(&o)?) {
        (_, true) => states.iter().flatten().chain(background.iter().flatten()).copied().collect(),
        (Some(b), false) => b.clone(),
        (None, false) => last.clone(),
    };
    let (xlim, ylim) = fixed_limits(&base, &shown)?;
    base.xlim = Some(xlim);
    base.ylim = Some(ylim);
    let color = match o.opt_string("color")? {
        Some(name) => palette::parse(&name)?,
        None => palette::cycle(0),
    };
    let size = o.f64_or("marker_size", 2.0)?.clamp(1.0, 50.0) as u32;
    let alpha = o.f64_or("alpha", 0.7)?.clamp(0.0, 1.0);
    let frames = keep
        .iter()
        .map(|&i| {
            let mut sets = vec![];
            if let Some(b) = &background {
                let grey = Some(RGBColor(150, 150, 150));
                sets.push(Points { label: String::new(), xy: b.clone(), color: grey, alpha: 0.3, size: 1 });
            }
            sets.push(Points { label: String::new(), xy: states[i].clone(), color: Some(color), alpha, size });
            let mut f = base.clone();
            f.title = frame_title(&base.title, i, states.len(), &sigmas);
            Figure::new(Chart::Scatter(sets).into(), f)
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Animation::new(
        frames,
        o.f64_in("fps", 10.0, crate::runtime::options::Range::Positive)?,
        o.f64_in("hold", 1.0, crate::runtime::options::Range::NonNegative)?,
        &base.title,
    )
}
