//! Runs one script under the real `difflab` binary and watches it: exit status, a timeout
//! (SIGINT first, then SIGKILL), the peak resident memory from `wait4`'s `rusage`, and a
//! guard that kills the child as soon as its resident memory passes the ceiling, so that a
//! runaway allocation fails the case instead of the machine.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The line prefix the generated scripts write to stderr before each part.
pub const MARKER: &str = "#fuzz-part ";

/// The text that marks a panic caught at the runtime boundary.
pub const INTERNAL: &str = "internal error";

/// How long a timed-out child gets to stop after SIGINT before it is killed.
const GRACE: Duration = Duration::from_secs(3);

/// How soon after SIGINT a run past the timeout must exit (with 130) to count as stopped.
pub const STOP_WITHIN: Duration = Duration::from_secs(1);

/// The longest line kept whole for scanning; the rest of a longer line is dropped.
const MAX_LINE: usize = 64 * 1024;

/// How much of each stream is kept for the report.
const MAX_HEAD: usize = 16 * 1024;

/// What each child may use.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Wall-clock time before the child is interrupted.
    pub timeout: Duration,
    /// The peak resident memory allowed, in bytes.
    pub max_rss: u64,
    /// The value given to the child as `DIFFLAB_MAX_MEMORY` (its allocation budget).
    pub budget: String,
}

/// How the child ended.
#[derive(Clone, Debug, PartialEq)]
pub enum End {
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it.
    Signaled(i32),
    /// It ran past the timeout, then stopped within [`STOP_WITHIN`] of SIGINT with exit 130:
    /// long work that Ctrl-C ends, not a hang.
    Interrupted,
    /// It ran past the timeout; `Some(code)` if it then exited on SIGINT (too late or with
    /// another code), `None` if it had to be killed.
    TimedOut(Option<i32>),
    /// The guard killed it when its resident memory passed the ceiling.
    OverMemory,
}

/// One output stream, scanned line by line as it arrives.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// The first lines (markers left out), up to `MAX_HEAD` bytes.
    pub head: String,
    /// The first non-empty line that is not a marker.
    pub first_line: Option<String>,
    /// The first line that contains [`INTERNAL`].
    pub internal: Option<String>,
    /// The part that was running when [`INTERNAL`] first appeared.
    pub internal_part: Option<usize>,
    /// The last part marker seen.
    pub last_part: Option<usize>,
    /// The first non-empty line after the last marker (what the failing part printed).
    pub after_marker: Option<String>,
}

impl Stream {
    fn line(&mut self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        if let Some(part) = text.strip_prefix(MARKER) {
            self.last_part = part.trim().parse().ok();
            self.after_marker = None;
            return;
        }
        if self.after_marker.is_none() && !text.trim().is_empty() {
            self.after_marker = Some(clip(&text, 300));
        }
        if self.first_line.is_none() && !text.trim().is_empty() {
            self.first_line = Some(clip(&text, 300));
        }
        if self.internal.is_none() && text.contains(INTERNAL) {
            self.internal = Some(clip(&text, 300));
            self.internal_part = self.last_part;
        }
        if self.head.len() < MAX_HEAD {
            self.head.push_str(&text);
            self.head.push('\n');
        }
    }

    /// Reads `r` to its end.
    fn scan(mut r: impl Read) -> Stream {
        let mut s = Stream::default();
        let mut buf = [0u8; 8192];
        let mut line = Vec::new();
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            for &b in &buf[..n] {
                if b == b'\n' {
                    s.line(&line);
                    line.clear();
                } else if line.len() < MAX_LINE {
                    line.push(b);
                }
            }
        }
        if !line.is_empty() {
            s.line(&line);
        }
        s
    }
}

/// The first `max` characters of the first line of `text`.
pub fn clip(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max {
        line.to_string()
    } else {
        format!("{}…", line.chars().take(max).collect::<String>())
    }
}

/// What one run gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// How it ended.
    pub end: End,
    /// The peak resident memory, in bytes (`ru_maxrss`).
    pub peak_rss: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// Standard output.
    pub stdout: Stream,
    /// Standard error.
    pub stderr: Stream,
}

impl Outcome {
    /// Why this run fails the suite, or `None` if it passes.
    pub fn failure(&self, limits: &Limits) -> Option<String> {
        let mb = |b: u64| b / (1 << 20);
        let secs = limits.timeout.as_secs_f64();
        match self.end {
            End::OverMemory => {
                return Some(format!("memory: resident memory passed {} MB (killed)", mb(limits.max_rss)))
            }
            End::Interrupted => {}
            End::TimedOut(Some(code)) => {
                return Some(format!(
                    "timeout: still running after {secs} s, exited {code} later than {} s after SIGINT",
                    STOP_WITHIN.as_secs_f64()
                ))
            }
            End::TimedOut(None) => {
                return Some(format!("timeout: still running after {secs} s, ignored SIGINT (killed)"))
            }
            End::Signaled(sig) => return Some(format!("signal {sig} ({})", signal_name(sig))),
            End::Exited(code) if ![0, 1, 130].contains(&code) => return Some(format!("exit code {code}")),
            End::Exited(_) => {}
        }
        if self.peak_rss > limits.max_rss {
            return Some(format!("memory: peak RSS {} MB > {} MB", mb(self.peak_rss), mb(limits.max_rss)));
        }
        if self.stdout.internal.is_some() || self.stderr.internal.is_some() {
            return Some("internal error".to_string());
        }
        None
    }

    /// The exit code, or a negative signal number, for the report.
    pub fn code(&self) -> String {
        match self.end {
            End::Exited(c) => c.to_string(),
            End::Signaled(s) => format!("signal {s}"),
            End::Interrupted => "timeout→130".into(),
            End::TimedOut(Some(c)) => format!("timeout→{c}"),
            End::TimedOut(None) => "timeout→killed".into(),
            End::OverMemory => "killed(memory)".into(),
        }
    }

    /// The most telling line of output: the internal error, else what stderr got after the
    /// last marker, else the first line of stderr, else of stdout.
    pub fn first_line(&self) -> String {
        self.stderr
            .internal
            .clone()
            .or_else(|| self.stdout.internal.clone())
            .or_else(|| self.stderr.after_marker.clone())
            .or_else(|| self.stderr.first_line.clone())
            .or_else(|| self.stdout.first_line.clone())
            .unwrap_or_else(|| "(no output)".into())
    }

    /// The part that caused the failure, by the markers on stderr: the one running when an
    /// internal error was printed, else the last one started.
    pub fn culprit(&self) -> Option<usize> {
        self.stderr.internal_part.or(self.stderr.last_part)
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => "signal",
    }
}

/// The resident memory of a running process, in bytes, where the system tells it.
#[cfg(target_os = "linux")]
fn resident(pid: libc::pid_t) -> Option<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(4096) as u64)
}

#[cfg(not(target_os = "linux"))]
fn resident(_pid: libc::pid_t) -> Option<u64> {
    None
}

/// `ru_maxrss` in bytes (Linux reports kilobytes, macOS bytes).
fn max_rss_bytes(ru: &libc::rusage) -> u64 {
    let v = ru.ru_maxrss.max(0) as u64;
    if cfg!(target_os = "macos") {
        v
    } else {
        v * 1024
    }
}

/// Sends `sig` to `pid`.
fn signal(pid: libc::pid_t, sig: i32) {
    // SAFETY: `pid` is our own child, not yet reaped, so the id cannot have been reused.
    unsafe { libc::kill(pid, sig) };
}

/// Waits for `pid`; `block` false returns `None` at once if it is still running.
fn reap(pid: libc::pid_t, block: bool) -> Option<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: rusage is plain old data, for which all-zero bytes are a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let flags = if block { 0 } else { libc::WNOHANG };
        // SAFETY: `pid` is our child; `status` and `ru` are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut ru) };
        if r == pid {
            return Some((status, ru));
        }
        if r == 0 {
            return None;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            panic!("wait4({pid}) failed: {err}");
        }
    }
}

/// Runs `difflab run script` in `dir` under `limits`.
pub fn run(binary: &Path, dir: &Path, script: &Path, limits: &Limits) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(binary)
        .arg("run")
        .arg(script)
        .current_dir(dir)
        .env("DIFFLAB_MAX_MEMORY", &limits.budget)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let pid = child.id() as libc::pid_t;
    let out = child.stdout.take().expect("piped stdout");
    let err = child.stderr.take().expect("piped stderr");
    let out = thread::spawn(move || Stream::scan(out));
    let err = thread::spawn(move || Stream::scan(err));
    let mut interrupted: Option<Instant> = None;
    let (ru, end) = loop {
        if let Some((status, ru)) = reap(pid, false) {
            let end = match interrupted {
                Some(at)
                    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 130 && at.elapsed() <= STOP_WITHIN =>
                {
                    End::Interrupted
                }
                Some(_) if libc::WIFEXITED(status) => End::TimedOut(Some(libc::WEXITSTATUS(status))),
                Some(_) => End::TimedOut(None),
                None => decode(status),
            };
            break (ru, end);
        }
        if resident(pid).is_some_and(|rss| rss > limits.max_rss) {
            signal(pid, libc::SIGKILL);
            let (_, ru) = reap(pid, true).expect("blocking wait4");
            break (ru, End::OverMemory);
        }
        match interrupted {
            None if start.elapsed() > limits.timeout => {
                signal(pid, libc::SIGINT);
                interrupted = Some(Instant::now());
            }
            Some(at) if at.elapsed() > GRACE => {
                signal(pid, libc::SIGKILL);
                let (_, ru) = reap(pid, true).expect("blocking wait4");
                break (ru, End::TimedOut(None));
            }
            _ => {}
        }
        thread::sleep(Duration::from_millis(5));
    };
    drop(child);
    Outcome {
        end,
        peak_rss: max_rss_bytes(&ru),
        elapsed: start.elapsed(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn decode(status: i32) -> End {
    if libc::WIFEXITED(status) {
        End::Exited(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        End::Signaled(libc::WTERMSIG(status))
    } else {
        End::Exited(-1)
    }
}
