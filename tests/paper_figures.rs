//! Figures for a paper, checked in their pixels: ticks at chosen values, series each with
//! its own x, capped error bars, line styles, reference lines and notes, sizes in inches at
//! a DPI, equal aspect, colour groups, tables drawn by column, the legend outside, and SVG
//! text whose outlines sit where the PNG's letters are.

mod common;

use common::figures::{dark_box, dark_pixels, figure, near, plot_box, rendered, svg_text_boxes, svg_texts};
use difflab::plot::{Chart, Kind};

/// The centre column of the SVG text `label` (the first one whose box lies below `below`).
fn label_centre(svg: &str, label: &str, below: f64) -> f64 {
    let boxes = svg_text_boxes(svg);
    let (_, b) = boxes.iter().find(|(t, b)| t == label && b.1 > below).unwrap_or_else(|| {
        panic!("no label {label:?} below {below}: {:?}", boxes.iter().map(|b| &b.0).collect::<Vec<_>>())
    });
    (b.0 + b.2) / 2.0
}

#[test]
fn ticks_at_requested_values_are_labelled_under_them() {
    let fig = figure(
        "line(#{ series: [#{ name: \"euler\", x: [4, 8, 16, 32], y: [0.9, 0.5, 0.3, 0.2] }],
                 xlog: true, ylog: true, xticks: [4, 8, 16, 32] })",
    );
    let (img, m) = rendered(&fig);
    let svg = fig.svg().unwrap();
    let texts = svg_texts(&svg);
    for unwanted in ["5", "10", "20"] {
        assert!(!texts.iter().any(|t| t == unwanted), "an automatic tick {unwanted} is left: {texts:?}");
    }
    let (_, _, _, bottom) = plot_box(&m);
    for nfe in [4.0f64, 8.0, 16.0, 32.0] {
        let (col, _) = m.pixel(nfe.log10(), 0.0);
        let centre = label_centre(&svg, &format!("{nfe}"), bottom as f64);
        assert!((centre - col as f64).abs() <= 2.0, "label {nfe} centred at {centre}, its tick at {col}");
        // and the PNG has its ink there
        let ink = dark_box(&img, (col as u32 - 15, bottom as u32 + 3, col as u32 + 15, bottom as u32 + 25));
        let (l, _, r, _) = ink.unwrap_or_else(|| panic!("no ink under the tick at {nfe}"));
        assert!(((l + r) as f64 / 2.0 - col as f64).abs() <= 2.0, "ink of {nfe} at {l}..{r}, tick at {col}");
    }
    // minor ticks stay on the log axis: light grid lines at 9 and 10
    let (c8, _) = m.pixel(8f64.log10(), 0.0);
    let (c16, _) = m.pixel(16f64.log10(), 0.0);
    let (_, top, _, _) = plot_box(&m);
    let light_columns = (c8 + 3..c16 - 2)
        .filter(|&c| {
            let p = img.get_pixel(c as u32, (top + 5) as u32);
            p[0] < 250 && p[0] > 200 && p[0] == p[1]
        })
        .count();
    assert!(light_columns >= 2, "minor grid lines at 9 and 10, between 8 and 16: {light_columns}");

    // labels, ticks at the data, and a format
    let texts = |script: &str| svg_texts(&figure(script).svg().unwrap());
    let named = texts("line([1, 2, 3], #{ series: #{ a: [1, 2, 3] }, xticks: [[1, \"one\"], 2, [3, \"three\"]] })");
    assert!(["one", "2", "three"].iter().all(|l| named.iter().any(|t| t == l)), "{named:?}");
    let data = texts(
        "line(#{ series: [#{ name: \"h\", x: [3, 7, 15, 31], y: [1, 2, 3, 4] }], xlog: true, xticks: \"data\" })",
    );
    assert!(["3", "7", "15", "31"].iter().all(|l| data.iter().any(|t| t == l)), "{data:?}");
    let formatted = texts("line([1000, 2000, 3000], #{ series: #{ a: [0.1, 0.25, 0.5] }, xtick_format: \"{:.0e}\", ytick_format: \"percent\" })");
    assert!(formatted.iter().any(|t| t == "2e3") && formatted.iter().any(|t| t == "50%"), "{formatted:?}");
}

#[test]
fn series_with_their_own_x_and_capped_error_bars() {
    let fig = figure(
        "line(#{ series: [
            #{ name: \"euler\", x: [4, 8], y: [2, 1], errors: 0.5 },
            #{ name: \"heun\", x: [3, 7], y: [1.5, 0.5], errors: [[1.0, 0.25], [2.5, 1.0]], color: \"red\" }],
          xlim: [2, 9], ylim: [-1, 4] })",
    );
    let Kind::Chart(Chart::Line(curves)) = &fig.kind else { panic!("a line chart") };
    assert_eq!(curves[1].x, vec![3.0, 7.0], "heun keeps its own x");
    assert_eq!(curves[0].errors, Some((vec![1.5, 0.5], vec![2.5, 1.5])), "a half-width");
    let (img, m) = rendered(&fig);
    let red = (0xd6, 0x27, 0x28);
    // heun's bar at x = 3 runs from 1.0 to 2.5, with caps of 4 px each side at both ends
    let (col, lo) = m.pixel(3.0, 1.0);
    let (_, hi) = m.pixel(3.0, 2.5);
    for row in [lo, hi] {
        let capped: Vec<i32> =
            (col - 10..=col + 10).filter(|&c| near(img.get_pixel(c as u32, row as u32), red)).collect();
        let (first, last) = (capped[0], capped[capped.len() - 1]);
        assert!(
            first >= col - 5 && first <= col - 3 && last >= col + 3 && last <= col + 5,
            "cap at row {row}: {first}..{last}, bar at {col}"
        );
    }
    let mid = (lo + hi) / 2;
    assert!(near(img.get_pixel(col as u32, mid as u32), red), "the bar between the caps");
    assert!(!near(img.get_pixel(col as u32 + 4, mid as u32), red), "no cap width in the middle");
    // the bar stops at its ends
    assert!(
        !near(img.get_pixel(col as u32, (hi - 6) as u32), red)
            && !near(img.get_pixel(col as u32, (lo + 6) as u32), red)
    );
}

/// The runs of pixels near `color` along row `row` between two columns: (on, off) lengths.
fn runs(img: &image::RgbImage, row: i32, cols: std::ops::Range<i32>, color: (u8, u8, u8)) -> (Vec<i32>, Vec<i32>) {
    let (mut on, mut off) = (vec![], vec![]);
    let mut current: Option<(bool, i32)> = None;
    for c in cols {
        let is_on = near(img.get_pixel(c as u32, row as u32), color);
        current = match current {
            Some((state, n)) if state == is_on => Some((state, n + 1)),
            Some((state, n)) => {
                if state {
                    on.push(n)
                } else {
                    off.push(n)
                }
                Some((is_on, 1))
            }
            None => Some((is_on, 1)),
        };
    }
    match current {
        Some((true, n)) => on.push(n),
        Some((false, n)) => off.push(n),
        None => {}
    }
    (on, off)
}

#[test]
fn dashed_and_dotted_lines_have_gaps_of_their_pattern() {
    let blue = (0x1f, 0x77, 0xb4);
    let row_runs = |style: &str| {
        let fig = figure(&format!(
            "line([0, 10], #{{ series: #{{ a: [1, 1] }}, colors: [\"blue\"], styles: \"{style}\", ylim: [0, 2] }})"
        ));
        let (img, m) = rendered(&fig);
        let (c0, row) = m.pixel(1.0, 1.0);
        let (c1, _) = m.pixel(9.0, 1.0);
        // the row of the 2 px stroke that holds the most of it
        let best = (row - 1..=row + 1).max_by_key(|&r| runs(&img, r, c0..c1, blue).0.iter().sum::<i32>()).unwrap();
        runs(&img, best, c0..c1, blue)
    };
    let (on, off) = row_runs("solid");
    assert!(off.is_empty() && on.len() == 1, "a solid line has no gaps: {on:?} {off:?}");
    // matplotlib's dashes: 3.7 and 1.6 line widths, here 2 px: 7.4 on, 3.2 off
    let (on, off) = row_runs("dashed");
    assert!(off.len() >= 20, "gaps all along: {off:?}");
    let inner_on = &on[1..on.len() - 1];
    assert!(inner_on.iter().all(|&n| (6..=9).contains(&n)), "dashes of about 7 px: {on:?}");
    assert!(off.iter().all(|&n| (2..=5).contains(&n)), "gaps of about 3 px: {off:?}");
    // a line reaching far outside the view is cut before it is dashed
    let far = figure("line([0, 1e12], #{ series: #{ a: [0, 1] }, styles: \"dotted\", xlim: [0, 1] })");
    assert!(far.png().is_ok());
    let (dots, _) = row_runs("dotted");
    assert!(dots[1..dots.len() - 1].iter().all(|&n| (1..=3).contains(&n)) && dots.len() > 60, "dots: {dots:?}");
}

#[test]
fn reference_lines_notes_and_their_legend() {
    let fig = figure(
        "let f = line([1, 2, 3], #{ series: #{ w2: [3, 2, 1.5] } });
         f.hline(1, #{ label: \"data floor\" }).vline(2.5, #{ style: \"solid\", color: \"red\" }).text(1.2, 2.6, \"note\")",
    );
    let (img, m) = rendered(&fig);
    let grey = (90, 90, 90);
    let (c0, row) = m.pixel(1.0, 1.0);
    let (c1, _) = m.pixel(2.0, 1.0);
    let best = (row - 1..=row + 1).max_by_key(|&r| runs(&img, r, c0..c1, grey).0.iter().sum::<i32>()).unwrap();
    let (on, off) = runs(&img, best, c0..c1, grey);
    assert!(!on.is_empty() && !off.is_empty(), "a dashed grey line at y = 1, within the y range: {on:?}");
    let (col, r0) = m.pixel(2.5, 2.9);
    let (_, r1) = m.pixel(2.5, 1.1);
    let red = (0xd6, 0x27, 0x28);
    assert!((r0..r1).all(|r| near(img.get_pixel(col as u32, r as u32), red)), "a solid red line at x = 2.5");
    let (nx, ny) = m.pixel(1.2, 2.6);
    assert!(
        dark_pixels(&img, nx as u32, ny as u32 - 8, nx as u32 + 30, ny as u32 + 8) > 20,
        "the note's letters right of its point"
    );
    assert!(svg_texts(&fig.svg().unwrap()).iter().any(|t| t == "data floor"), "the reference line's legend entry");
}

#[test]
fn a_figure_in_inches_at_a_dpi_has_those_pixels_and_larger_type() {
    let small = figure("line([1, 2, 3], #{ title: \"Heun\" })");
    let print = figure("line([1, 2, 3], #{ title: \"Heun\", size: [3.5, 2.5], dpi: 300 })");
    let png = image::load_from_memory(&print.png().unwrap()).unwrap();
    assert_eq!((png.width(), png.height()), (1050, 750));
    let title_height = |svg: &str| {
        let boxes = svg_text_boxes(svg);
        let (_, b) = boxes.iter().find(|(t, _)| t == "Heun").unwrap().clone();
        b.3 - b.1
    };
    let ratio = title_height(&print.svg().unwrap()) / title_height(&small.svg().unwrap());
    // 8 pt at 300 dpi against 12 px: 8 × 300 / 72 / 12 = 2.78
    assert!((ratio - 2.78).abs() < 0.15, "type grows with the DPI: {ratio}");
    let wide = figure("line([1, 2, 3], #{ size: [3.5, 2.5] })");
    assert_eq!((wide.frame.width, wide.frame.height), (350, 250), "100 dpi by default");
}

#[test]
fn equal_aspect_gives_square_data_units() {
    let fig = figure("scatter(tensor([[0.0, 0.0], [10.0, 1.0]]), #{ aspect: \"equal\", width: 600, height: 400 })");
    let (_, m) = rendered(&fig);
    let per_x = (m.px.1 - m.px.0) as f64 / (m.x.1 - m.x.0);
    let per_y = (m.py.0 - m.py.1) as f64 / (m.y.1 - m.y.0);
    assert!((per_x / per_y - 1.0).abs() < 0.01, "{per_x} px per unit on x, {per_y} on y");
    assert!(m.x.0 <= 0.0 && m.x.1 >= 10.0 && m.y.0 <= 0.0 && m.y.1 >= 1.0, "the data stays in view: {m:?}");
}

#[test]
fn a_group_shares_a_hue_from_light_to_dark() {
    let fig = figure(
        "scatter([randn([5, 2]), randn([5, 2]), randn([5, 2]), randn([5, 2])],
                 #{ labels: [\"euler NFE 4\", \"euler NFE 32\", \"heun NFE 4\", \"heun NFE 32\"],
                    group: [\"euler\", \"euler\", \"heun\", \"heun\"] })",
    );
    let Kind::Chart(Chart::Scatter(sets)) = &fig.kind else { panic!("a scatter") };
    let hsl = |i: usize| {
        let c = sets[i].color.unwrap();
        let (r, g, b) = (c.0 as f64 / 255.0, c.1 as f64 / 255.0, c.2 as f64 / 255.0);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        let d = max - min;
        let hue = if max == r {
            60.0 * ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((b - r) / d + 2.0)
        } else {
            60.0 * ((r - g) / d + 4.0)
        };
        (hue, (max + min) / 2.0)
    };
    let (e4, e32, h4) = (hsl(0), hsl(1), hsl(2));
    assert!((e4.0 - e32.0).abs() < 8.0, "one hue for euler: {e4:?} {e32:?}");
    assert!(e4.1 > e32.1 + 0.2, "lighter first: {e4:?} {e32:?}");
    assert!((e4.0 - h4.0).abs() > 60.0, "another hue for heun: {e4:?} {h4:?}");
}

#[test]
fn a_summary_table_draws_by_column_with_its_interval() {
    let fig = figure(
        "let rows = [
            #{ method: \"heun\", nfe: 7, mean: 0.3, ci_lower: 0.2, ci_upper: 0.45, sem: 0.05 },
            #{ method: \"euler\", nfe: 8, mean: 0.5, ci_lower: 0.4, ci_upper: 0.6, sem: 0.04 },
            #{ method: \"heun\", nfe: 3, mean: 0.6, ci_lower: 0.5, ci_upper: 0.7, sem: 0.03 },
            #{ method: \"euler\", nfe: 4, mean: 0.9, ci_lower: 0.8, ci_upper: 1.1, sem: 0.06 }];
         line(rows, #{ x: \"nfe\", y: \"mean\", errors: \"ci\", group: \"method\", markers: true })",
    );
    let Kind::Chart(Chart::Line(curves)) = &fig.kind else { panic!("a line chart") };
    assert_eq!(
        curves.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
        ["heun", "euler"],
        "in order of appearance"
    );
    assert_eq!(curves[0].x, vec![3.0, 7.0], "sorted by x");
    assert_eq!(curves[0].errors, Some((vec![0.5, 0.2], vec![0.7, 0.45])), "from ci_lower and ci_upper");
    assert_eq!((fig.frame.xlabel.as_str(), fig.frame.ylabel.as_str()), ("nfe", "mean"));
    let sem = figure(
        "line([#{ m: \"a\", n: 1, v: 2.0, s: 0.5 }, #{ m: \"a\", n: 2, v: 1.0, s: 0.25 }], #{ x: \"n\", y: \"v\", errors: \"s\" })",
    );
    let Kind::Chart(Chart::Line(curves)) = &sem.kind else { panic!("a line chart") };
    assert_eq!(curves[0].errors, Some((vec![1.5, 0.75], vec![2.5, 1.25])), "a column of half-widths");
}

#[test]
fn the_legend_outside_sits_right_of_the_plotting_area() {
    let fig = figure("line([1, 2], #{ series: #{ euler: [1, 2], heun: [2, 1] }, legend: \"outside\" })");
    let (_, m) = rendered(&fig);
    let svg = fig.svg().unwrap();
    for label in ["euler", "heun"] {
        let (_, b) = svg_text_boxes(&svg).into_iter().find(|(t, _)| t == label).unwrap();
        assert!(b.0 > m.px.1 as f64 + 20.0 && b.2 < 640.0, "{label} at {b:?}, the plot ends at {}", m.px.1);
    }
    let none = figure("line([1, 2], #{ series: #{ euler: [1, 2] }, legend: \"none\" })");
    assert!(!svg_texts(&none.svg().unwrap()).iter().any(|t| t == "euler"));
}

#[test]
fn svg_text_is_outlined_where_the_png_draws_it() {
    let fig = figure("line([1, 2, 3], #{ title: \"Sampler comparison\", xlabel: \"NFE\", ylabel: \"sliced W2\" })");
    let svg = fig.svg().unwrap();
    assert!(!svg.contains("<text") && !svg.contains("font-family"), "no text left to a viewer's fonts");
    let (img, _) = rendered(&fig);
    let boxes = svg_text_boxes(&svg);
    for label in ["Sampler comparison", "NFE", "sliced W2"] {
        let (_, b) = boxes.iter().find(|(t, _)| t == label).unwrap().clone();
        let around = ((b.0 - 6.0) as u32, (b.1 - 6.0) as u32, (b.2 + 6.0) as u32, (b.3 + 6.0) as u32);
        let (l, t, r, bo) = dark_box(&img, around).unwrap_or_else(|| panic!("no ink for {label:?} in the PNG"));
        // the ink fills pixels [l, r + 1) while outline points may overshoot by control points
        let (dl, dt, dr, db) = (l as f64 - b.0, t as f64 - b.1, (r + 1) as f64 - b.2, (bo + 1) as f64 - b.3);
        for d in [dl, dt, dr, db] {
            assert!(d.abs() <= 1.5, "{label:?}: PNG ink {:?}, SVG outline {b:?}", (l, t, r, bo));
        }
    }
}

#[test]
fn mean_std_gives_the_standard_error_and_the_t_interval() {
    let out = common::run_ok(
        "let s = mean_std([[1.0, 10.0], [2.0, 10.0], [4.0, 13.0]], #{ interval: \"ci95\" });
         print(s.n); print(s.sem[0]); print(s.lower[0]); print(s.upper[0]);
         let e = mean_std([[1.0], [2.0], [4.0]], #{ interval: \"sem\" });
         print(e.upper[0]);",
    );
    let v = common::numbers(&out);
    let sem = (7.0f64 / 3.0).sqrt() / 3f64.sqrt();
    assert_eq!(v[0], 3.0);
    assert!((v[1] - sem).abs() < 1e-12);
    // scipy.stats.t.interval(0.95, 2, loc=7/3, scale=sem)
    assert!((v[2] - -1.461249700263426).abs() < 1e-9 && (v[3] - 6.1279163669300925).abs() < 1e-9, "{v:?}");
    assert!((v[4] - (7.0 / 3.0 + sem)).abs() < 1e-12);
}

#[test]
fn help_for_line_names_every_option() {
    let out = common::run_ok("help(\"line\")");
    for key in difflab::runtime::api::option_keys("line") {
        assert!(out.contains(key), "help(\"line\") does not name option `{key}`:\n{out}");
    }
    let out = common::run_ok("help(\"hline\"); help(\"text\"); help(\"mean_std\")");
    for key in ["label", "style", "color", "line_width", "align", "font_size", "interval", "ci95", "sem"] {
        assert!(out.contains(key), "no `{key}` in:\n{out}");
    }
}
