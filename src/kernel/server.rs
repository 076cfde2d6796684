//! The kernel's sockets: shell and control (ROUTER), iopub (PUB), stdin
//! (ROUTER), heartbeat (REP), all from the connection file; status busy/idle
//! around every request; replies routed to the client that asked.

use super::output::{KernelOutput, Publication};
use super::wire::{decode, encode, Incoming, Rejected, Signer};
use super::worker::{self, Job};
use bytes::Bytes;
use jupyter_protocol::messaging::Header;
use jupyter_protocol::ConnectionInfo;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use zeromq::{PubSocket, RepSocket, RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

/// The kernel's identity on the wire and where its pieces talk.
#[derive(Clone)]
struct Context {
    signer: Signer,
    session: String,
    publish: UnboundedSender<Publication>,
    jobs: Sender<Job>,
}

fn header(msg_type: &str, session: &str) -> Header {
    Header {
        msg_id: uuid::Uuid::new_v4().to_string(),
        username: "difflab".into(),
        session: session.into(),
        date: chrono::Utc::now(),
        msg_type: msg_type.into(),
        version: "5.3".into(),
    }
}

fn frames(message: Vec<Bytes>) -> Option<ZmqMessage> {
    ZmqMessage::try_from(message).ok()
}

impl Context {
    fn status(&self, state: &str, parent: &Header) {
        let _ = self.publish.send(("status".into(), json!({ "execution_state": state }), Some(parent.clone())));
    }

    async fn reply(&self, socket: &mut RouterSocket, req: &Incoming, msg_type: &str, content: Value) {
        let message =
            encode(&req.identities, &header(msg_type, &self.session), Some(&req.header), &content, &self.signer);
        if let Some(m) = frames(message) {
            if let Err(e) = socket.send(m).await {
                eprintln!("difflab kernel: cannot send {msg_type}: {e}");
            }
        }
    }

    /// Runs a request on the session thread and waits for its reply content.
    async fn ask_worker(&self, req: &Incoming) -> Value {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Job {
            msg_type: req.header.msg_type.clone(),
            content: req.content.clone(),
            header: req.header.clone(),
            reply: tx,
        };
        if self.jobs.send(job).is_err() {
            return json!({ "status": "error", "ename": "KernelError", "evalue": "the session thread has stopped", "traceback": [] });
        }
        rx.await.unwrap_or_else(|_| json!({ "status": "error", "ename": "KernelError", "evalue": "the session thread failed", "traceback": [] }))
    }
}

fn kernel_info() -> Value {
    json!({
        "status": "ok",
        "protocol_version": "5.3",
        "implementation": "difflab",
        "implementation_version": env!("CARGO_PKG_VERSION"),
        "language_info": {
            "name": "rhai",
            "version": "1.27",
            "mimetype": "text/x-rhai",
            "file_extension": ".rhai",
            "pygments_lexer": "rust",
            "codemirror_mode": "rust",
        },
        "banner": format!("difflab {} — Rhai over candle for diffusion-model research. help() lists the built-ins.", env!("CARGO_PKG_VERSION")),
        "help_links": [
            { "text": "difflab built-ins: run help()", "url": "https://rhai.rs/book/" },
            { "text": "Rhai language book", "url": "https://rhai.rs/book/" }
        ],
        "debugger": false,
    })
}

/// What a request asks of the loop that got it.
enum After {
    Continue,
    /// An execute failed and asked to stop on error: these requests were queued behind it.
    Abort(Vec<Incoming>),
    Shutdown,
}

/// Handles one request on shell or control, with status busy/idle around it.
async fn handle(ctx: &Context, socket: &mut RouterSocket, req: &Incoming) -> After {
    let msg_type = req.header.msg_type.as_str();
    if matches!(msg_type, "comm_open" | "comm_msg" | "comm_close") {
        return After::Continue;
    }
    ctx.status("busy", &req.header);
    let mut after = After::Continue;
    match msg_type {
        "kernel_info_request" => ctx.reply(socket, req, "kernel_info_reply", kernel_info()).await,
        "execute_request" | "complete_request" | "inspect_request" | "is_complete_request" | "history_request" => {
            let content = ctx.ask_worker(req).await;
            let failed = content["status"] == "error";
            if failed && msg_type == "execute_request" && req.content["stop_on_error"].as_bool().unwrap_or(true) {
                // what is queued now, before the error reply goes out, gets aborted
                after = After::Abort(queued_now(ctx, socket).await);
            }
            ctx.reply(socket, req, &msg_type.replace("_request", "_reply"), content).await;
        }
        "comm_info_request" => ctx.reply(socket, req, "comm_info_reply", json!({ "status": "ok", "comms": {} })).await,
        "interrupt_request" => {
            crate::interrupt::request();
            ctx.reply(socket, req, "interrupt_reply", json!({ "status": "ok" })).await;
        }
        "shutdown_request" => {
            let restart = req.content["restart"].as_bool().unwrap_or(false);
            ctx.reply(socket, req, "shutdown_reply", json!({ "status": "ok", "restart": restart })).await;
            crate::interrupt::request();
            after = After::Shutdown;
        }
        other => eprintln!("difflab kernel: ignoring an unknown request type `{other}`"),
    }
    ctx.status("idle", &req.header);
    after
}

/// Receives the next valid message; bad signatures and malformed messages are logged and dropped.
async fn next(socket: &mut RouterSocket, signer: &Signer, channel: &str) -> Option<Incoming> {
    loop {
        let message = socket.recv().await.ok()?;
        match decode(message.into_vec(), signer) {
            Ok(m) => return Some(m),
            Err(Rejected::BadSignature) => {
                eprintln!("difflab kernel: dropped a message with a bad signature on {channel}")
            }
            Err(Rejected::Malformed(why)) => {
                eprintln!("difflab kernel: dropped a malformed message on {channel}: {why}")
            }
        }
    }
}

/// The requests already waiting on the socket, taken without waiting for more.
async fn queued_now(ctx: &Context, socket: &mut RouterSocket) -> Vec<Incoming> {
    let mut queued = vec![];
    while let Ok(Some(req)) = tokio::time::timeout(Duration::from_millis(1), next(socket, &ctx.signer, "shell")).await {
        queued.push(req);
    }
    queued
}

/// Replies `aborted` to the execute requests that were queued behind a failed
/// one; other requests stay pending, in order.
async fn abort_queued(
    ctx: &Context,
    socket: &mut RouterSocket,
    pending: &mut VecDeque<Incoming>,
    queued: Vec<Incoming>,
) {
    let mut kept = VecDeque::new();
    pending.extend(queued);
    for req in pending.drain(..) {
        if req.header.msg_type == "execute_request" {
            ctx.status("busy", &req.header);
            ctx.reply(socket, &req, "execute_reply", json!({ "status": "aborted", "execution_count": Value::Null }))
                .await;
            ctx.status("idle", &req.header);
        } else {
            kept.push_back(req);
        }
    }
    *pending = kept;
}

async fn serve_router(ctx: Context, mut socket: RouterSocket, channel: &'static str) {
    let mut pending: VecDeque<Incoming> = VecDeque::new();
    loop {
        let req = match pending.pop_front() {
            Some(r) => r,
            None => match next(&mut socket, &ctx.signer, channel).await {
                Some(r) => r,
                None => return,
            },
        };
        match handle(&ctx, &mut socket, &req).await {
            After::Continue => {}
            After::Abort(queued) => abort_queued(&ctx, &mut socket, &mut pending, queued).await,
            After::Shutdown => {
                // let iopub flush the last status before leaving
                tokio::time::sleep(Duration::from_millis(200)).await;
                std::process::exit(0);
            }
        }
    }
}

async fn publish_loop(mut socket: PubSocket, mut rx: UnboundedReceiver<Publication>, signer: Signer, session: String) {
    while let Some((msg_type, content, parent)) = rx.recv().await {
        let topic = Bytes::from(format!("kernel.{session}.{msg_type}"));
        let message = encode(&[topic], &header(&msg_type, &session), parent.as_ref(), &content, &signer);
        if let Some(m) = frames(message) {
            let _ = socket.send(m).await;
        }
    }
}

async fn heartbeat(mut socket: RepSocket) {
    while let Ok(ping) = socket.recv().await {
        if socket.send(ping).await.is_err() {
            return;
        }
    }
}

async fn drain_stdin(mut socket: RouterSocket) {
    // difflab never asks for input; replies that arrive anyway are read and dropped
    while socket.recv().await.is_ok() {}
}

fn endpoint(info: &ConnectionInfo, port: u16) -> String {
    format!("tcp://{}:{port}", info.ip)
}

/// Binds every socket of `info` and serves until a shutdown request.
pub async fn run(info: ConnectionInfo) -> crate::Result<()> {
    if info.signature_scheme != "hmac-sha256" && !info.key.is_empty() {
        crate::bail!("unsupported signature scheme {}; difflab signs with hmac-sha256", info.signature_scheme);
    }
    let bind_err = |what: &str, e: zeromq::ZmqError| crate::Error::new(format!("cannot bind the {what} socket: {e}"));
    let mut shell = RouterSocket::new();
    shell.bind(&endpoint(&info, info.shell_port)).await.map_err(|e| bind_err("shell", e))?;
    let mut control = RouterSocket::new();
    control.bind(&endpoint(&info, info.control_port)).await.map_err(|e| bind_err("control", e))?;
    let mut stdin = RouterSocket::new();
    stdin.bind(&endpoint(&info, info.stdin_port)).await.map_err(|e| bind_err("stdin", e))?;
    let mut iopub = PubSocket::new();
    iopub.bind(&endpoint(&info, info.iopub_port)).await.map_err(|e| bind_err("iopub", e))?;
    let mut hb = RepSocket::new();
    hb.bind(&endpoint(&info, info.hb_port)).await.map_err(|e| bind_err("heartbeat", e))?;

    let signer = Signer::new(&info.key);
    let session = uuid::Uuid::new_v4().to_string();
    let (publish, published) = unbounded_channel();
    let output = Arc::new(KernelOutput::new(publish.clone()));
    let jobs = worker::spawn(output);
    let ctx = Context { signer: signer.clone(), session: session.clone(), publish, jobs };

    tokio::spawn(publish_loop(iopub, published, signer, session));
    tokio::spawn(heartbeat(hb));
    tokio::spawn(drain_stdin(stdin));
    let starting = header("status", &ctx.session);
    ctx.status("starting", &starting);
    tokio::spawn(serve_router(ctx.clone(), control, "control"));
    serve_router(ctx, shell, "shell").await;
    Ok(())
}
