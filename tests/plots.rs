//! Figures as a user makes them: every kind to PNG and SVG, with readable text,
//! on a machine with no fonts; `show` in `difflab run` saves and prints the path.

mod common;

use common::difflab;
use common::figures::{dark_pixels, figure, near, svg_texts};
use difflab::plot::{Chart, Figure, Kind};

/// The figure rendered, with its plotting rectangle in pixels `(left, top, right, bottom)`.
fn rendered(fig: &Figure) -> (image::RgbImage, (i32, i32, i32, i32)) {
    let (img, m) = common::figures::rendered(fig);
    (img, common::figures::plot_box(&m))
}

#[test]
fn a_long_noisy_line_stays_inside_the_plotting_area() {
    let fig = figure(
        "seed(0); let r = randn([5000]).to_array(); let y = [];
         for i in 0..5000 { y.push(0.2 + (-(i.to_float()) / 800.0).exp() + 0.15 * r[i]); }
         line(y, #{ title: \"loss\", xlabel: \"step\", ylabel: \"loss\" })",
    );
    let (img, (left, top, right, bottom)) = rendered(&fig);
    let blue = (0x1f, 0x77, 0xb4);
    let (mut inside, mut outside) = (0, 0);
    for (x, y, p) in img.enumerate_pixels() {
        if near(p, blue) {
            let (x, y) = (x as i32, y as i32);
            if (left..=right).contains(&x) && (top..=bottom).contains(&y) {
                inside += 1;
            } else {
                outside += 1;
            }
        }
    }
    assert!(inside > 5000, "the line is drawn: {inside} pixels");
    assert_eq!(outside, 0, "series pixels outside the plotting area");
}

#[test]
fn log_axes_label_two_and_five_over_short_ranges() {
    let loss = figure("line([1, 2, 3, 4], #{ series: #{ loss: [1.0, 0.5, 0.25, 0.15] }, ylog: true })");
    let texts = svg_texts(&loss.svg().unwrap());
    for label in ["0.2", "0.5", "1"] {
        assert!(texts.iter().any(|t| t == label), "no y label {label}: {texts:?}");
    }
    let nfe = figure("line([5, 10, 20, 50], #{ series: #{ heun: [0.9, 0.4, 0.2, 0.15] }, xlog: true, ylog: true })");
    let texts = svg_texts(&nfe.svg().unwrap());
    for label in ["5", "10", "20", "50"] {
        assert!(texts.iter().any(|t| t == label), "no x label {label}: {texts:?}");
    }
}

#[test]
fn a_zero_tick_reads_zero() {
    let fig = figure("line([-1.0, -0.5, 0.0, 0.5, 1.0], #{ series: #{ y: [-1.0, -0.5, 0.0, 0.5, 1.0] } })");
    let texts = svg_texts(&fig.svg().unwrap());
    assert!(texts.iter().filter(|t| *t == "0").count() >= 2, "a 0 on both axes: {texts:?}");
    assert!(!texts.iter().any(|t| t.contains('e')), "no exponent in a label: {texts:?}");
}

#[test]
fn limits_hide_what_lies_outside_instead_of_piling_it_on_the_frame() {
    // 200 points inside [-1, 1]², 50 far outliers; the limits are [-2, 2]²
    let fig = figure(
        "seed(1); let x = cat([randn([200, 2]).clamp(-1.0, 1.0), randn([50, 2]) * 10.0 + 20.0], 0);
         scatter(x, #{ xlim: [-2, 2], ylim: [-2, 2], marker_size: 3, alpha: 1.0 })",
    );
    let (img, (left, top, right, bottom)) = rendered(&fig);
    let blue = (0x1f, 0x77, 0xb4);
    let on_frame = img
        .enumerate_pixels()
        .filter(|(x, y, p)| {
            let (x, y) = (*x as i32, *y as i32);
            let near_edge =
                (x - left).abs() <= 4 || (x - right).abs() <= 4 || (y - top).abs() <= 4 || (y - bottom).abs() <= 4;
            near_edge && near(p, blue)
        })
        .count();
    assert_eq!(on_frame, 0, "outliers drawn on the frame");
}

#[test]
fn mean_std_gives_the_band_over_runs() {
    let out = common::run_ok(
        "let s = mean_std([[1.0, 2.0, 3.0], [3.0, 2.0, 7.0]]);
         print(s.mean); print(s.std[0]); print(s.lower[2]); print(s.upper[1]);
         let t = mean_std(tensor([[1.0, 5.0]]));
         print(t.std);",
    );
    let std0 = 2f64.sqrt();
    assert_eq!(out, format!("[2.0, 2.0, 5.0]\n{std0}\n{}\n2.0\n[0.0, 0.0]\n", 5.0 - 8f64.sqrt()));
}

#[test]
fn a_name_keeps_its_colour_across_figures_and_orders() {
    let colours = |order: &str| -> Vec<(String, String)> {
        let fig = figure(&format!("line([1, 2], #{{ series: #{{ euler: [1, 2], heun: [2, 1] }}, order: {order} }})"));
        let Kind::Chart(Chart::Line(curves)) = &fig.kind else { panic!("a line chart") };
        curves.iter().map(|c| (c.label.clone(), format!("{:?}", c.color))).collect()
    };
    let first = colours("[\"euler\", \"heun\"]");
    let mut second = colours("[\"heun\", \"euler\"]");
    assert_eq!(second[0].0, "heun", "the order given is kept");
    second.reverse();
    assert_eq!(first, second);
    assert_ne!(first[0].1, first[1].1);
}

#[test]
fn plots_demo_writes_every_kind_with_text_and_no_system_fonts() {
    // as its header says: from an empty folder, with no argument
    let dir = tempfile::tempdir().unwrap();
    let script = std::fs::canonicalize("scripts/plots_demo.rhai").unwrap();
    let out = difflab()
        .current_dir(dir.path())
        .arg("run")
        .arg(&script)
        // no fonts anywhere: the embedded one must be enough
        .env("FONTCONFIG_FILE", "/nonexistent/fonts.conf")
        .env("FONTCONFIG_PATH", "/nonexistent")
        .env("XDG_DATA_DIRS", "/nonexistent")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plots = dir.path().join("plots");
    let sizes = [
        ("scatter", 640, 480),
        ("loss", 640, 480),
        ("error", 640, 480),
        ("hist", 640, 480),
        ("density", 560, 520),
        ("images", 480, 520),
        ("trajectories", 640, 560),
        ("grid", 1500, 500),
    ];
    for (kind, w, h) in sizes {
        let img =
            image::open(plots.join(format!("{kind}.png"))).unwrap_or_else(|e| panic!("{kind}.png: {e}")).to_rgb8();
        assert_eq!((img.width(), img.height()), (w, h), "{kind}.png size");
        // the title is centred at the top
        assert!(dark_pixels(&img, w / 4, 0, 3 * w / 4, 34) > 80, "{kind}: no title text");
        let svg = std::fs::read_to_string(plots.join(format!("{kind}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains(&format!("width=\"{w}\"")), "{kind}.svg");
    }
    for kind in ["scatter", "loss", "error", "hist", "trajectories", "density"] {
        let img = image::open(plots.join(format!("{kind}.png"))).unwrap().to_rgb8();
        let (w, h) = (img.width(), img.height());
        // x-axis label under the plot, y-axis label at the left
        assert!(dark_pixels(&img, w / 3, h - 30, 2 * w / 3, h) > 15, "{kind}: no x label");
        assert!(dark_pixels(&img, 0, h / 3, 30, 2 * h / 3) > 15, "{kind}: no y label");
    }
    for kind in ["scatter", "error", "hist"] {
        let img = image::open(plots.join(format!("{kind}.png"))).unwrap().to_rgb8();
        // the legend box sits in the upper right of the plotting area
        assert!(dark_pixels(&img, img.width() - 130, 35, img.width() - 10, 110) > 40, "{kind}: no legend text");
    }
    // the figure for a paper: 3.5 × 2.5 in at 300 dpi, ticks at the NFE, the data floor
    let img = image::open(plots.join("samplers.png")).unwrap();
    assert_eq!((img.width(), img.height()), (1050, 750));
    let texts = svg_texts(&std::fs::read_to_string(plots.join("samplers.svg")).unwrap());
    for label in ["4", "8", "16", "32", "Euler", "Heun", "data floor"] {
        assert!(texts.iter().any(|t| t == label), "samplers.svg has no {label:?}: {texts:?}");
    }
    assert_eq!(image::open(plots.join("groups.png")).unwrap().width(), 760);
    // the animation: one frame per state of the 8-step run, the last held longer
    let gif = std::fs::read(plots.join("sampling.gif")).unwrap();
    let decoder = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif)).unwrap();
    let frames = image::AnimationDecoder::into_frames(decoder).collect_frames().unwrap();
    assert_eq!(frames.len(), 9);
    assert_eq!(frames[0].buffer().dimensions(), (480, 480));
    assert!(frames[8].delay().numer_denom_ms().0 > frames[0].delay().numer_denom_ms().0);
}

#[test]
fn show_in_a_script_saves_the_figure_and_prints_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("figs");
    let script = dir.path().join("show.rhai");
    std::fs::write(&script, "show(scatter(randn([100, 2]), #{ title: \"noise\" }));\nshow(line([1, 2, 3]));\nshow(3);")
        .unwrap();
    let out = difflab().arg("run").arg(&script).arg("--out").arg(&out_dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = out_dir.join("figure-1.png");
    assert!(stdout.contains(&format!("saved {}", first.display())), "{stdout}");
    assert!(stdout.contains("figure-2.png") && stdout.ends_with("3\n"), "{stdout}");
    assert_eq!(image::open(&first).unwrap().width(), 640);
    // a second run into the same folder continues the numbers: nothing is overwritten
    let again = difflab().arg("run").arg(&script).arg("--out").arg(&out_dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains("figure-3.png") && stdout.contains("figure-4.png"), "{stdout}");
    // an animation is shown as a GIF
    std::fs::write(&script, "show(animate([randn([20, 2]), randn([20, 2])], #{ fps: 5 }));").unwrap();
    let anim = difflab().arg("run").arg(&script).arg("--out").arg(&out_dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&anim.stdout);
    assert!(stdout.contains("animation: 2 frames at 5 fps") && stdout.contains("figure-5.gif"), "{stdout}");
}

#[test]
fn bad_figure_requests_are_clear_errors() {
    let cases = [
        ("scatter(randn([10, 3, 2]))", "scatter: series 0 must be an [N, 2] tensor, got shape [10, 3, 2]"),
        ("scatter(randn([10, 3]))", "scatter: series 0 must be an [N, 2] tensor, got shape [10, 3]: pick two columns"),
        ("line([1, 2], #{ xlim: [-1e308, 1e308] })", "line: the x axis range must be finite and increasing"),
        ("line([1, 2], #{ smooth: 1.5 })", "line: option `smooth` must be a weight in [0, 1)"),
        (
            "line([#{ n: 1, v: 2 }], #{ x: \"n\", y: \"v\", smooth: 1.5 })",
            "line: option `smooth` must be a weight in [0, 1)",
        ),
        (
            "line([1, 2], #{ series: #{ a: [1, 2] }, bands: #{ a: [[0, 1], [2]] } })",
            "line: series `a`'s band has 2 and 1 values for 2 points",
        ),
        (
            "line([1, 2], #{ series: #{ a: [1, 2], b: [2, 1] }, order: [\"a\"] })",
            "line: option `order` does not list series `b`",
        ),
        (
            "grid([line([1, 2]), line([1, 2], #{ series: #{ a: [1, 2] }, xlog: true })], #{ sharex: true })",
            "grid: panels that share an axis must all be linear or all log on it",
        ),
        ("animate([randn([3, 2])]).save(\"a.png\")", "save: a.png: an animation is saved as .gif"),
        (
            "trajectories([randn([3, 2])], #{ view: \"some\" })",
            "trajectories: option `view` must be \"data\" or \"all\"",
        ),
        ("mean_std([[1, 2], [3]])", "mean_std: run 1 has 1 values, run 0 has 2"),
        ("mean_std(3)", "mean_std: runs must be an array of series or a [runs, n] tensor, got"),
        ("line([1, 2], #{ series: #{ a: [1, 2, 3] } })", "line: series `a` has 3 y values for 2 x values"),
        (
            "line([1, 2], #{ styles: \"wavy\" })",
            "line: series 0: unknown line style \"wavy\"; use \"solid\", \"dashed\"",
        ),
        ("line([1, 2], #{ markers: \"star\" })", "line: series 0: unknown marker \"star\""),
        ("line([1, 2], #{ size: 3 })", "line: option `size` is the figure size in inches, [width, height]"),
        ("line([1, 2], #{ size: [3, 2], width: 400 })", "line: give the size either in inches (`size`) or in pixels"),
        ("line([1, 2], #{ xticks: \"some\" })", "line: option `xticks` must be \"data\" or an array"),
        (
            "line([1, 2], #{ xtick_format: \"{:.2q}\" })",
            "line: option `xtick_format`: tick format \"{:.2q}\": unknown placeholder",
        ),
        ("line([1, 2], #{ legend: \"top\" })", "line: option `legend`: unknown legend placement \"top\""),
        ("line(#{ series: [#{ name: \"a\", y: [1, 2] }] })", "line: series `a` has no `x`"),
        (
            "line(#{ series: [#{ name: \"a\", x: [1, 2], y: [1, 2], colour: \"red\" }] })",
            "line: series `a`: unknown option `colour`",
        ),
        (
            "line([#{ n: 1, m: 2 }], #{ x: \"n\", y: \"mean\" })",
            "line: the table has no column `mean` in every row; its columns: m, n",
        ),
        ("line([1, 2], #{ errors: [[1, 2], [3]] })", "line: series 0's errors has 2 and 1 values for 2 points"),
        ("images(randn([4, 1, 8, 8])).hline(1)", "hline: hline draws on a chart"),
        ("line([1, 2]).vline(1, #{ style: \"zigzag\" })", "vline: unknown line style \"zigzag\""),
        ("line([1, 2], #{ ylog: true }).hline(-1)", "hline: a log y axis needs positive values, got -1"),
        (
            "mean_std([[1, 2]], #{ interval: \"ci95\" })",
            "mean_std: a confidence interval needs at least two runs, got 1",
        ),
        ("mean_std([[1, 2]], #{ interval: \"iqr\" })", "mean_std: option `interval`: unknown interval \"iqr\""),
        (
            "line([0, 1, 2], #{ series: #{ a: [1, 2, 3] }, xlog: true })",
            "line: a log x axis needs positive values, got 0",
        ),
        ("images(randn([4, 2, 8, 8]))", "images: images takes [N, C, H, W] with C = 1 or 3"),
        ("scatter(randn([5, 2]), #{ colour: \"red\" })", "scatter: unknown option `colour`"),
        ("scatter(randn([5, 2]), #{ colors: [\"mauve\"] })", "scatter: unknown colour \"mauve\""),
        ("scatter(randn([5, 2])).save(\"plot.jpg\")", "save: plot.jpg: the file name must end in .png or .svg"),
        ("grid([1, 2])", "grid: element 0 is an int (1), not a figure"),
    ];
    for (script, expected) in cases {
        let r = common::run_source(script);
        assert_eq!(r.code, 1, "{script}: {}", r.stderr);
        assert!(
            r.stderr.lines().next().unwrap_or("").contains(expected),
            "{script}\n  expected: {expected}\n  got: {}",
            r.stderr
        );
    }
}
