//! Figures as a user makes them: every kind to PNG and SVG, with readable text,
//! on a machine with no fonts; `show` in `difflab run` saves and prints the path.

mod common;

use common::difflab;

/// Dark pixels (text, axes) in a rectangle of an RGB image.
fn dark_pixels(img: &image::RgbImage, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    let mut n = 0;
    for y in y0..y1.min(img.height()) {
        for x in x0..x1.min(img.width()) {
            let p = img.get_pixel(x, y);
            if p[0] < 90 && p[1] < 90 && p[2] < 90 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn plots_demo_writes_every_kind_with_text_and_no_system_fonts() {
    let dir = tempfile::tempdir().unwrap();
    let out = difflab()
        .args(["run", "scripts/plots_demo.rhai"])
        .arg(dir.path())
        // no fonts anywhere: the embedded one must be enough
        .env("FONTCONFIG_FILE", "/nonexistent/fonts.conf")
        .env("FONTCONFIG_PATH", "/nonexistent")
        .env("XDG_DATA_DIRS", "/nonexistent")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sizes = [
        ("scatter", 640, 480),
        ("line", 640, 480),
        ("hist", 640, 480),
        ("density", 560, 520),
        ("images", 480, 520),
        ("trajectories", 640, 560),
        ("grid", 1500, 500),
    ];
    for (kind, w, h) in sizes {
        let img =
            image::open(dir.path().join(format!("{kind}.png"))).unwrap_or_else(|e| panic!("{kind}.png: {e}")).to_rgb8();
        assert_eq!((img.width(), img.height()), (w, h), "{kind}.png size");
        // the title is centred at the top
        assert!(dark_pixels(&img, w / 4, 0, 3 * w / 4, 34) > 80, "{kind}: no title text");
        let svg = std::fs::read_to_string(dir.path().join(format!("{kind}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains(&format!("width=\"{w}\"")), "{kind}.svg");
    }
    for kind in ["scatter", "line", "hist", "trajectories", "density"] {
        let img = image::open(dir.path().join(format!("{kind}.png"))).unwrap().to_rgb8();
        let (w, h) = (img.width(), img.height());
        // x-axis label under the plot, y-axis label at the left
        assert!(dark_pixels(&img, w / 3, h - 30, 2 * w / 3, h) > 15, "{kind}: no x label");
        assert!(dark_pixels(&img, 0, h / 3, 30, 2 * h / 3) > 15, "{kind}: no y label");
    }
    for kind in ["scatter", "line", "hist"] {
        let img = image::open(dir.path().join(format!("{kind}.png"))).unwrap().to_rgb8();
        // the legend box sits in the upper right of the plotting area
        assert!(dark_pixels(&img, img.width() - 130, 35, img.width() - 10, 110) > 40, "{kind}: no legend text");
    }
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
}

#[test]
fn bad_figure_requests_are_clear_errors() {
    let cases = [
        ("scatter(randn([10, 3, 2]))", "scatter: series 0 must be an [N, 2] tensor, got shape [10, 3, 2]"),
        ("line([1, 2], #{ series: #{ a: [1, 2, 3] } })", "line: series `a` has 3 values for 2 x values"),
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
