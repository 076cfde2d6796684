//! The thread that owns the script session: it runs cells and answers
//! completion, inspection, is-complete and history requests, in order, while
//! the sockets stay responsive on the async side.

use super::output::{html_escape, rich_bundle, KernelOutput};
use crate::runtime::complete::complete;
use crate::runtime::error::{ErrorKind, ScriptError};
use crate::runtime::help::catalog;
use crate::runtime::{display, repr::repr, Completeness, Session};
use crate::tensor::Tensor;
use jupyter_protocol::messaging::Header;
use rhai::Dynamic;
use serde_json::{json, Map, Value};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use tokio::sync::oneshot;

/// A request for the session, with where to send the reply content.
pub struct Job {
    /// The request's type (`execute_request`, `complete_request`, ...).
    pub msg_type: String,
    /// The request's content.
    pub content: Value,
    /// The request's header, the parent of everything it outputs.
    pub header: Header,
    /// Where the reply content goes.
    pub reply: oneshot::Sender<Value>,
}

/// Starts the session thread; jobs sent to the returned channel run in order.
pub fn spawn(output: Arc<KernelOutput>) -> Sender<Job> {
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("difflab-session".into())
        .stack_size(crate::runtime::script_thread::STACK_BYTES)
        .spawn(move || serve(rx, output))
        .expect("the session thread starts");
    tx
}

struct Worker {
    session: Session,
    output: Arc<KernelOutput>,
    count: usize,
    history: Vec<(usize, String, String)>,
}

fn serve(rx: Receiver<Job>, output: Arc<KernelOutput>) {
    crate::runtime::output::set_sink(output.clone());
    crate::progress::set_sink(Some(output.clone()));
    let mut w = Worker { session: Session::new(vec![]), output, count: 0, history: vec![] };
    while let Ok(job) = rx.recv() {
        let reply = match job.msg_type.as_str() {
            "execute_request" => w.execute(&job.content, &job.header),
            "complete_request" => w.complete(&job.content),
            "inspect_request" => w.inspect(&job.content),
            "is_complete_request" => w.is_complete(&job.content),
            "history_request" => w.history(&job.content),
            other => json!({ "status": "error", "ename": "UnknownRequest", "evalue": other, "traceback": [] }),
        };
        let _ = job.reply.send(reply);
    }
}

/// Converts a character index of `text` to a byte index.
fn byte_index(text: &str, chars: usize) -> usize {
    text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i)
}

/// The error fields of a reply or an `error` message.
fn error_fields(e: &ScriptError, rendered: &str) -> Value {
    let ename = match e.kind {
        ErrorKind::Syntax => "SyntaxError",
        ErrorKind::Runtime => "RuntimeError",
        ErrorKind::Interrupted => "Interrupted",
    };
    let traceback: Vec<String> = rendered.lines().map(str::to_string).collect();
    json!({ "ename": ename, "evalue": e.message, "traceback": traceback })
}

/// The MIME bundle of a cell's value: figures as images, small tensors with an HTML table.
fn value_bundle(value: &Dynamic) -> Option<(Value, Value)> {
    if let Some(rich) = display::rich(value) {
        return match rich {
            Ok(item) => Some(rich_bundle(&item)),
            Err(e) => Some((json!({ "text/plain": format!("cannot render the figure: {e}") }), json!({}))),
        };
    }
    let text = repr(value)?;
    let mut data = json!({ "text/plain": text });
    if let Some(t) = value.read_lock::<Tensor>() {
        if let Some(html) = tensor_table(&t) {
            data["text/html"] = json!(html);
        }
    }
    Some((data, json!({})))
}

/// An HTML table of a small 1-D or 2-D tensor.
fn tensor_table(t: &Tensor) -> Option<String> {
    let (rows, cols) = match t.dims() {
        [n] => (1, *n),
        [r, c] => (*r, *c),
        _ => return None,
    };
    if rows > 20 || cols > 20 {
        return None;
    }
    let values = t.to_f64_vec().ok()?;
    let cell = |v: f64| if t.is_float() { format!("{v:.4}") } else { format!("{}", v as i64) };
    let mut html = String::from("<table>");
    for r in 0..rows {
        html.push_str("<tr>");
        for c in 0..cols {
            html.push_str(&format!("<td>{}</td>", cell(values[r * cols + c])));
        }
        html.push_str("</tr>");
    }
    html.push_str(&format!(
        "</table><small>{}</small>",
        html_escape(&format!(
            "shape={:?}, dtype={}, device={}",
            t.dims(),
            t.dtype().as_str(),
            crate::tensor::device::device_name(t.device())
        ))
    ));
    Some(html)
}

impl Worker {
    fn execute(&mut self, content: &Value, header: &Header) -> Value {
        let code = content["code"].as_str().unwrap_or("").to_string();
        let silent = content["silent"].as_bool().unwrap_or(false);
        let store = content["store_history"].as_bool().unwrap_or(true) && !silent;
        if !silent {
            self.count += 1;
        }
        self.output.begin(header, silent);
        self.output.send("execute_input", json!({ "code": code, "execution_count": self.count }));
        let name = if silent { "cell[silent]".to_string() } else { format!("cell[{}]", self.count) };
        let outcome = self.session.eval(&name, &code);
        let mut reply = json!({ "status": "ok", "execution_count": self.count, "payload": [], "user_expressions": {} });
        let mut shown = String::new();
        match outcome {
            Ok(value) => {
                if let Some((data, metadata)) = value_bundle(&value) {
                    shown = data["text/plain"].as_str().unwrap_or("").to_string();
                    self.output.send(
                        "execute_result",
                        json!({ "execution_count": self.count, "data": data, "metadata": metadata }),
                    );
                }
                reply["user_expressions"] = self.user_expressions(&content["user_expressions"]);
            }
            Err(e) => {
                let fields = error_fields(&e, &self.session.render_error(&e));
                self.output.send("error", fields.clone());
                reply["status"] = json!("error");
                for key in ["ename", "evalue", "traceback"] {
                    reply[key] = fields[key].clone();
                }
            }
        }
        let pages: Vec<Value> = self
            .output
            .take_pages()
            .into_iter()
            .map(|p| json!({ "source": "page", "data": { "text/plain": p }, "start": 0 }))
            .collect();
        reply["payload"] = json!(pages);
        if store {
            self.history.push((self.count, code, shown));
        }
        reply
    }

    fn user_expressions(&mut self, exprs: &Value) -> Value {
        let mut out = Map::new();
        if let Some(map) = exprs.as_object() {
            for (name, expr) in map {
                let code = expr.as_str().unwrap_or("");
                let result = match self.session.eval("user_expression", code) {
                    Ok(v) => {
                        json!({ "status": "ok", "data": { "text/plain": repr(&v).unwrap_or_else(|| "()".into()) }, "metadata": {} })
                    }
                    Err(e) => {
                        let mut f = error_fields(&e, &self.session.render_error(&e));
                        f["status"] = json!("error");
                        f
                    }
                };
                out.insert(name.clone(), result);
            }
        }
        Value::Object(out)
    }

    fn complete(&self, content: &Value) -> Value {
        let code = content["code"].as_str().unwrap_or("");
        let chars = content["cursor_pos"].as_u64().unwrap_or(code.chars().count() as u64) as usize;
        let cursor = byte_index(code, chars);
        let found = complete(&self.session, code, cursor);
        let start = code[..found.start].chars().count();
        let end = code[..found.end].chars().count();
        json!({ "status": "ok", "matches": found.matches, "cursor_start": start, "cursor_end": end, "metadata": {} })
    }

    fn inspect(&self, content: &Value) -> Value {
        let code = content["code"].as_str().unwrap_or("");
        let chars = content["cursor_pos"].as_u64().unwrap_or(0) as usize;
        let cursor = byte_index(code, chars);
        let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
        let start =
            code[..cursor].char_indices().rev().take_while(|(_, c)| is_word(*c)).last().map_or(cursor, |(i, _)| i);
        let end = cursor
            + code[cursor..]
                .char_indices()
                .take_while(|(_, c)| is_word(*c))
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
        let word = code[start..end].trim_matches(':');
        let text = if let Some(value) = self.session.scope().get(word) {
            let typ = self.session.engine().map_type_name(value.type_name());
            Some(format!("{word}: {}\n{}", typ.rsplit("::").next().unwrap_or(typ), repr(value).unwrap_or_default()))
        } else {
            catalog().get(word).map(|_| catalog().describe(word))
        };
        match text {
            Some(t) => json!({ "status": "ok", "found": true, "data": { "text/plain": t }, "metadata": {} }),
            None => json!({ "status": "ok", "found": false, "data": {}, "metadata": {} }),
        }
    }

    fn is_complete(&self, content: &Value) -> Value {
        match self.session.completeness(content["code"].as_str().unwrap_or("")) {
            Completeness::Complete => json!({ "status": "complete" }),
            Completeness::Incomplete => json!({ "status": "incomplete", "indent": "    " }),
            Completeness::Invalid(_) => json!({ "status": "invalid" }),
        }
    }

    fn history(&self, content: &Value) -> Value {
        let output = content["output"].as_bool().unwrap_or(false);
        let entry = |(n, input, out): &(usize, String, String)| {
            if output {
                json!([0, n, [input, out]])
            } else {
                json!([0, n, input])
            }
        };
        let n = content["n"].as_u64().unwrap_or(10) as usize;
        let chosen: Vec<&(usize, String, String)> = match content["hist_access_type"].as_str().unwrap_or("tail") {
            "range" => {
                let start = content["start"].as_i64().unwrap_or(0).max(0) as usize;
                let stop = content["stop"].as_i64().map_or(usize::MAX, |s| s.max(0) as usize);
                self.history.iter().filter(|(k, _, _)| *k >= start && *k < stop).collect()
            }
            "search" => {
                let pattern = content["pattern"].as_str().unwrap_or("*");
                let mut hits: Vec<&(usize, String, String)> =
                    self.history.iter().filter(|(_, input, _)| glob(pattern, input)).collect();
                if content["unique"].as_bool().unwrap_or(false) {
                    let mut seen = std::collections::HashSet::new();
                    hits.retain(|(_, input, _)| seen.insert(input.clone()));
                }
                let skip = hits.len().saturating_sub(n);
                hits.into_iter().skip(skip).collect()
            }
            _ => {
                let skip = self.history.len().saturating_sub(n);
                self.history.iter().skip(skip).collect()
            }
        };
        json!({ "status": "ok", "history": chosen.into_iter().map(entry).collect::<Vec<_>>() })
    }
}

/// Whether `text` matches a glob `pattern` with `*` (any run) and `?` (one character).
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_ipython_history_search() {
        assert!(glob("*rand*", "let x = randn([2]);"));
        assert!(glob("a?c", "abc") && !glob("a?c", "abbc"));
        assert!(glob("*", "") && !glob("x*", "yx"));
        assert_eq!(byte_index("σ+x", 1), 2);
    }
}
