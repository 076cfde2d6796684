//! The Jupyter kernel over ZeroMQ, as a front end talks to it: kernel info,
//! execute, interrupt, messages with bad signatures ignored, shutdown.

use bytes::Bytes;
use difflab::kernel::wire::{decode, encode, Incoming, Signer};
use jupyter_protocol::messaging::Header;
use serde_json::{json, Value};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use zeromq::{DealerSocket, Socket, SocketRecv, SocketSend, SubSocket, ZmqMessage};

const KEY: &str = "a-test-key";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Kernel {
    child: Child,
    shell: DealerSocket,
    control: DealerSocket,
    iopub: SubSocket,
    signer: Signer,
    _dir: tempfile::TempDir,
}

fn header(msg_type: &str) -> Header {
    Header {
        msg_id: uuid::Uuid::new_v4().to_string(),
        username: "test".into(),
        session: "test-session".into(),
        date: chrono::Utc::now(),
        msg_type: msg_type.into(),
        version: "5.3".into(),
    }
}

impl Kernel {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<u16> = (0..5).map(|_| free_port()).collect();
        let info = json!({
            "ip": "127.0.0.1", "transport": "tcp", "signature_scheme": "hmac-sha256", "key": KEY,
            "shell_port": ports[0], "iopub_port": ports[1], "stdin_port": ports[2], "control_port": ports[3], "hb_port": ports[4],
        });
        let file = dir.path().join("kernel.json");
        std::fs::write(&file, info.to_string()).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_difflab")).arg("kernel").arg(&file).spawn().unwrap();
        let ep = |p: u16| format!("tcp://127.0.0.1:{p}");
        let mut shell = DealerSocket::new();
        let mut control = DealerSocket::new();
        let mut iopub = SubSocket::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = shell.connect(&ep(ports[0])).await.is_ok()
                && control.connect(&ep(ports[3])).await.is_ok()
                && iopub.connect(&ep(ports[1])).await.is_ok();
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "the kernel did not open its sockets");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        iopub.subscribe("").await.unwrap();
        let mut k = Kernel { child, shell, control, iopub, signer: Signer::new(KEY), _dir: dir };
        // the kernel is ready once it answers kernel_info
        let id = k.send_shell("kernel_info_request", json!({})).await;
        let reply = k.reply_on_shell(&id, Duration::from_secs(20)).await.expect("kernel_info_reply");
        assert_eq!(reply["language_info"]["name"], "rhai");
        k
    }

    fn frames(&self, msg_type: &str, content: &Value) -> (String, ZmqMessage) {
        let h = header(msg_type);
        let id = h.msg_id.clone();
        (id, ZmqMessage::try_from(encode(&[], &h, None, content, &self.signer)).unwrap())
    }

    async fn send_shell(&mut self, msg_type: &str, content: Value) -> String {
        let (id, m) = self.frames(msg_type, &content);
        self.shell.send(m).await.unwrap();
        id
    }

    async fn send_control(&mut self, msg_type: &str, content: Value) -> String {
        let (id, m) = self.frames(msg_type, &content);
        self.control.send(m).await.unwrap();
        id
    }

    async fn next(socket: &mut DealerSocket, signer: &Signer, wait: Duration) -> Option<Incoming> {
        let m = tokio::time::timeout(wait, socket.recv()).await.ok()?.ok()?;
        Some(decode(m.into_vec(), signer).expect("replies are signed"))
    }

    /// The content of the shell reply to `id`, if it comes within `wait`.
    async fn reply_on_shell(&mut self, id: &str, wait: Duration) -> Option<Value> {
        let deadline = Instant::now() + wait;
        while let Some(m) =
            Self::next(&mut self.shell, &self.signer, deadline.saturating_duration_since(Instant::now())).await
        {
            if parent_id(&m) == Some(id.to_string()) {
                return Some(m.content);
            }
        }
        None
    }

    async fn reply_on_control(&mut self, id: &str, wait: Duration) -> Option<Value> {
        let deadline = Instant::now() + wait;
        while let Some(m) =
            Self::next(&mut self.control, &self.signer, deadline.saturating_duration_since(Instant::now())).await
        {
            if parent_id(&m) == Some(id.to_string()) {
                return Some(m.content);
            }
        }
        None
    }

    /// The iopub messages for request `id`, up to its idle status.
    async fn outputs(&mut self, id: &str) -> Vec<(String, Value)> {
        let mut out = vec![];
        loop {
            let m =
                tokio::time::timeout(Duration::from_secs(20), self.iopub.recv()).await.expect("iopub output").unwrap();
            let frames: Vec<Bytes> = m.into_vec();
            let msg = decode(frames, &self.signer).expect("iopub messages are signed");
            if parent_id(&msg) != Some(id.to_string()) {
                continue;
            }
            let kind = msg.header.msg_type.clone();
            if kind == "status" && msg.content["execution_state"] == "idle" {
                return out;
            }
            out.push((kind, msg.content));
        }
    }
}

fn parent_id(m: &Incoming) -> Option<String> {
    m.parent.as_ref().map(|h| h.msg_id.clone())
}

impl Drop for Kernel {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn execute_interrupt_bad_signatures_and_shutdown() {
    let mut k = Kernel::start().await;

    let id = k
        .send_shell("execute_request", json!({ "code": "let kept = 5; print(\"hi\"); kept * 2", "silent": false }))
        .await;
    let reply = k.reply_on_shell(&id, Duration::from_secs(20)).await.unwrap();
    assert_eq!((reply["status"].as_str(), reply["execution_count"].as_u64()), (Some("ok"), Some(1)));
    let outputs = k.outputs(&id).await;
    let kinds: Vec<&str> = outputs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["status", "execute_input", "stream", "execute_result"]);
    assert_eq!(outputs[3].1["data"]["text/plain"], "10");

    // an endless loop stops within a second of the interrupt, and state survives
    let looping = k.send_shell("execute_request", json!({ "code": "let i = 0; loop { i += 1; }" })).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let interrupted_at = Instant::now();
    let int_id = k.send_control("interrupt_request", json!({})).await;
    assert_eq!(k.reply_on_control(&int_id, Duration::from_secs(5)).await.unwrap()["status"], "ok");
    let reply = k.reply_on_shell(&looping, Duration::from_secs(5)).await.unwrap();
    assert!(interrupted_at.elapsed() < Duration::from_secs(1), "took {:?}", interrupted_at.elapsed());
    assert_eq!((reply["status"].as_str(), reply["ename"].as_str()), (Some("error"), Some("Interrupted")));
    let id = k.send_shell("execute_request", json!({ "code": "kept" })).await;
    assert_eq!(k.reply_on_shell(&id, Duration::from_secs(5)).await.unwrap()["status"], "ok");

    // a message signed with the wrong key is dropped: no reply, nothing runs
    let forged = header("execute_request");
    let forged_id = forged.msg_id.clone();
    let frames = encode(&[], &forged, None, &json!({ "code": "kept = 99;" }), &Signer::new("wrong-key"));
    k.shell.send(ZmqMessage::try_from(frames).unwrap()).await.unwrap();
    k.shell.send(ZmqMessage::try_from(vec![Bytes::from_static(b"garbage")]).unwrap()).await.unwrap();
    assert!(k.reply_on_shell(&forged_id, Duration::from_millis(700)).await.is_none());
    let id = k.send_shell("execute_request", json!({ "code": "kept" })).await;
    let reply = k.reply_on_shell(&id, Duration::from_secs(5)).await.unwrap();
    assert_eq!(reply["status"], "ok");
    let outputs = k.outputs(&id).await;
    assert_eq!(outputs.last().unwrap().1["data"]["text/plain"], "5", "the forged cell must not have run");

    // shutdown replies and ends the process
    let id = k.send_control("shutdown_request", json!({ "restart": false })).await;
    assert_eq!(k.reply_on_control(&id, Duration::from_secs(5)).await.unwrap()["restart"], false);
    let deadline = Instant::now() + Duration::from_secs(5);
    while k.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the kernel did not exit after shutdown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_cell_asking_for_too_much_memory_errors_and_the_session_goes_on() {
    let mut k = Kernel::start().await;
    let id = k.send_shell("execute_request", json!({ "code": "let kept = 7;" })).await;
    assert_eq!(k.reply_on_shell(&id, Duration::from_secs(20)).await.unwrap()["status"], "ok");

    for code in [
        "zeros([1000000000000000000])",
        "randn([1000000, 1000000])",
        "let a = []; for i in 0..2000 { a = [a]; } print(a)",
    ] {
        let id = k.send_shell("execute_request", json!({ "code": code })).await;
        let reply = k.reply_on_shell(&id, Duration::from_secs(20)).await.unwrap();
        assert_eq!(reply["status"], "error", "{code}");
        let message = reply["evalue"].as_str().unwrap();
        assert!(message.contains("over the memory limit") || message.contains("levels deep"), "{code}: {message}");
    }
    let id = k.send_shell("execute_request", json!({ "code": "kept" })).await;
    assert_eq!(k.reply_on_shell(&id, Duration::from_secs(5)).await.unwrap()["status"], "ok");
    let outputs = k.outputs(&id).await;
    assert_eq!(outputs.last().unwrap().1["data"]["text/plain"], "7", "earlier variables survive");
}
