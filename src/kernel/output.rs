//! What a running cell sends to the notebook: `print` as stdout streams,
//! `eprint` as stderr, figures as `display_data` (PNG, SVG, text), progress as
//! one display updated in place, `clear_output`, and help pages kept for the
//! reply's `page` payload. Every message names the request it belongs to.

use crate::progress::ProgressSink;
use crate::runtime::display::Rich;
use crate::runtime::output::Output;
use base64::Engine;
use jupyter_protocol::messaging::Header;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// A message for the iopub socket: type, content, parent request.
pub type Publication = (String, Value, Option<Header>);

/// How often a progress display is redrawn at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

struct Bar {
    label: String,
    total: Option<u64>,
    display_id: String,
    last: Instant,
    /// The latest position and message, also when not yet drawn.
    position: u64,
    message: String,
}

/// The kernel's output sink and progress sink.
pub struct KernelOutput {
    publish: UnboundedSender<Publication>,
    parent: Mutex<Option<Header>>,
    silent: AtomicBool,
    pages: Mutex<Vec<String>>,
    bars: Mutex<HashMap<u64, Bar>>,
}

impl KernelOutput {
    /// Publishes through `publish`.
    pub fn new(publish: UnboundedSender<Publication>) -> Self {
        Self {
            publish,
            parent: Mutex::new(None),
            silent: AtomicBool::new(false),
            pages: Mutex::new(vec![]),
            bars: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a request: later output is its child; `silent` suppresses it.
    pub fn begin(&self, parent: &Header, silent: bool) {
        *self.parent.lock().unwrap_or_else(|p| p.into_inner()) = Some(parent.clone());
        self.silent.store(silent, Ordering::SeqCst);
        self.pages.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// The help pages shown during the request, for the reply's payload.
    pub fn take_pages(&self) -> Vec<String> {
        std::mem::take(&mut *self.pages.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Sends a message as a child of the current request (nothing when silent).
    pub fn send(&self, msg_type: &str, content: Value) {
        if self.silent.load(Ordering::SeqCst) {
            return;
        }
        let parent = self.parent.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let _ = self.publish.send((msg_type.to_string(), content, parent));
    }

    fn stream(&self, name: &str, text: &str) {
        self.send("stream", json!({ "name": name, "text": format!("{text}\n") }));
    }

    /// Shows `bar` at its latest position with `message`.
    fn redraw(&self, bar: &Bar, message: &str) {
        let data = Self::progress_data(bar, bar.position, message);
        self.send(
            "update_display_data",
            json!({ "data": data, "metadata": {}, "transient": { "display_id": bar.display_id } }),
        );
    }

    fn progress_data(bar: &Bar, position: u64, message: &str) -> Value {
        let count = match bar.total {
            Some(t) => format!("{position}/{t}"),
            None => position.to_string(),
        };
        let text = format!("{} {count} {message}", bar.label).trim().to_string();
        let max = bar.total.unwrap_or(0).max(position).max(1);
        let html = format!(
            "<div><progress value=\"{position}\" max=\"{max}\" style=\"width:18em\"></progress> <code>{}</code></div>",
            html_escape(&text)
        );
        json!({ "text/plain": text, "text/html": html })
    }
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A figure's MIME bundle: PNG, SVG and a text fallback, with the PNG's size; an animation's
/// is its GIF alone beside the text (a notebook would prefer a still PNG to a GIF).
pub fn rich_bundle(item: &Rich) -> (Value, Value) {
    if let Some(gif) = &item.gif {
        let data = json!({
            "image/gif": base64::engine::general_purpose::STANDARD.encode(gif),
            "text/plain": item.text,
        });
        return (data, json!({ "image/gif": { "width": item.width, "height": item.height } }));
    }
    let mut data = json!({
        "image/png": base64::engine::general_purpose::STANDARD.encode(&item.png),
        "text/plain": item.text,
    });
    if let Some(svg) = &item.svg {
        data["image/svg+xml"] = json!(svg);
    }
    let metadata = json!({ "image/png": { "width": item.width, "height": item.height } });
    (data, metadata)
}

impl Output for KernelOutput {
    fn print(&self, text: &str) {
        self.stream("stdout", text);
    }

    fn eprint(&self, text: &str) {
        self.stream("stderr", text);
    }

    fn page(&self, text: &str) {
        self.pages.lock().unwrap_or_else(|p| p.into_inner()).push(text.to_string());
    }

    fn display(&self, item: &Rich) -> crate::Result<()> {
        let (data, metadata) = rich_bundle(item);
        self.send("display_data", json!({ "data": data, "metadata": metadata, "transient": {} }));
        Ok(())
    }

    fn clear(&self, wait: bool) {
        self.send("clear_output", json!({ "wait": wait }));
    }
}

impl ProgressSink for KernelOutput {
    fn start(&self, id: u64, label: &str, total: Option<u64>, _elapsed: Duration) {
        let bar = Bar {
            label: label.to_string(),
            total,
            display_id: format!("difflab-progress-{}-{id}", std::process::id()),
            last: Instant::now(),
            position: 0,
            message: String::new(),
        };
        let data = Self::progress_data(&bar, 0, "");
        self.send(
            "display_data",
            json!({ "data": data, "metadata": {}, "transient": { "display_id": bar.display_id } }),
        );
        self.bars.lock().unwrap_or_else(|p| p.into_inner()).insert(id, bar);
    }

    fn update(&self, id: u64, position: u64, message: &str) {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        let Some(bar) = bars.get_mut(&id) else { return };
        (bar.position, bar.message) = (position, message.to_string());
        let done = bar.total == Some(position);
        if !done && bar.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        bar.last = Instant::now();
        self.redraw(bar, message);
    }

    fn finish(&self, id: u64) {
        self.end(id, crate::interrupt::is_requested());
    }

    fn interrupt_all(&self) {
        let ids: Vec<u64> = self.bars.lock().unwrap_or_else(|p| p.into_inner()).keys().copied().collect();
        for id in ids {
            self.end(id, true);
        }
    }
}

impl KernelOutput {
    /// Ends task `id`: one stopped before its total (`interrupted`, or failed) shows where it
    /// stopped and why, also when its latest updates were not yet drawn.
    fn end(&self, id: u64, interrupted: bool) {
        let Some(bar) = self.bars.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) else { return };
        let complete = bar.total.map_or(!interrupted, |t| bar.position >= t);
        if !complete {
            let why = if interrupted { "interrupted" } else { "stopped" };
            let message = if bar.message.is_empty() { why.to_string() } else { format!("{why} ({})", bar.message) };
            self.redraw(&bar, &message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_task_shows_where_it_stopped() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let out = KernelOutput::new(tx);
        out.start(1, "train", Some(100), Duration::ZERO);
        out.update(1, 37, "loss 0.031");
        out.end(1, true);
        let mut last = None;
        while let Ok((kind, content, _)) = rx.try_recv() {
            last = Some((kind, content));
        }
        let (kind, content) = last.expect("the display was updated");
        assert_eq!(kind, "update_display_data");
        assert_eq!(content["data"]["text/plain"], "train 37/100 interrupted (loss 0.031)");
    }

    #[test]
    fn figures_bundle_png_and_svg_and_animations_their_gif_alone() {
        let still =
            Rich { png: vec![1, 2], svg: Some("<svg/>".into()), gif: None, text: "f".into(), width: 4, height: 3 };
        let (data, meta) = rich_bundle(&still);
        assert_eq!((data["image/png"].as_str(), data["image/svg+xml"].as_str()), (Some("AQI="), Some("<svg/>")));
        assert_eq!(meta["image/png"]["width"], 4);
        let moving = Rich { gif: Some(vec![3]), svg: None, ..still };
        let (data, meta) = rich_bundle(&moving);
        assert_eq!((data["image/gif"].as_str(), data.get("image/png")), (Some("Aw=="), None));
        assert_eq!((data["text/plain"].as_str(), meta["image/gif"]["height"].as_i64()), (Some("f"), Some(3)));
    }
}
