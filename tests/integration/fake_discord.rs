//! A fake Discord on 127.0.0.1 — REST and gateway — that the real bot binary connects to.
//!
//! Discord cannot be reached from CI, and the bot must be tested end to end: registration,
//! interactions, mentions, resumes and bad tokens. The fake records every REST call and every
//! gateway frame the bot sends, answers with the minimal payloads serenity 0.12 accepts (see
//! `shared/design/discord-fake.md`), and lets a test push events, drop the connection or close
//! it with a code. Every wait has a timeout.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// The application id, which is also the bot's user id.
pub const APP: u64 = 900_000_000_000_000_001;
/// The guild interactions and messages come from.
pub const GUILD: u64 = 900_000_000_000_000_100;

/// How the fake behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Refuse command registration (HTTP 403).
    pub refuse_registration: bool,
    /// Close the gateway with this code right after IDENTIFY (4004: bad token).
    pub close_after_identify: Option<u16>,
    /// Heartbeat interval announced in HELLO, ms (default 41250, as Discord).
    pub heartbeat_interval_ms: Option<u64>,
    /// Drop this many gateway connections right after they are accepted.
    pub refuse_connections: usize,
}

/// An injected REST failure: the next call whose path contains `path` gets `status`.
#[derive(Debug, Clone)]
struct Fault {
    path: String,
    status: u16,
    retry_after: Option<f64>,
}

/// A REST call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    /// HTTP method.
    pub method: String,
    /// Path without the query, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    /// JSON body, or null.
    pub body: Value,
    /// When the fake received it.
    pub at: std::time::Instant,
}

enum Control {
    Send(Value),
    Close(u16),
    Drop,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    frames: Vec<Value>,
    seq: u64,
    /// Dispatches sent in this session, for RESUME.
    sent: Vec<(u64, Value)>,
    /// Dispatches waiting for READY or RESUMED.
    pending: Vec<(String, Value)>,
    ready: bool,
    conn: Option<(u64, mpsc::UnboundedSender<Control>)>,
    next_conn: u64,
    next_id: u64,
    identifies: usize,
    resumes: usize,
    connections: usize,
    /// Whether heartbeats are acknowledged.
    no_acks: bool,
    /// The session can no longer be resumed (after 4007, 4009 or op 9 `false`).
    session_lost: bool,
    faults: Vec<Fault>,
}

struct Shared {
    state: Mutex<State>,
    changed: Notify,
    opts: Options,
    gateway_url: String,
}

/// The running fake. Dropping it stops nothing by itself; the tokio runtime of the test does.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    rest: SocketAddr,
}

impl FakeDiscord {
    /// Starts REST and gateway listeners on ephemeral ports of 127.0.0.1.
    pub async fn start(opts: Options) -> FakeDiscord {
        let gw = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rest = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_id: 1_000,
                ..State::default()
            }),
            changed: Notify::new(),
            opts,
            gateway_url: format!("ws://{}", gw.local_addr().unwrap()),
        });
        let rest_addr = rest.local_addr().unwrap();
        let s = shared.clone();
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
            let s = s.clone();
            async move { handle_rest(&s, method, uri, body) }
        });
        tokio::spawn(async move {
            let _ = axum::serve(rest, app).await;
        });
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = gw.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(s.clone(), stream));
            }
        });
        FakeDiscord {
            shared,
            rest: rest_addr,
        }
    }

    /// `http://127.0.0.1:PORT`, for `DISCORD_API_BASE`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.rest)
    }

    fn next_id(&self) -> u64 {
        let mut st = self.shared.state.lock().unwrap();
        st.next_id += 1;
        st.next_id
    }

    /// Sends a dispatch now if a session is ready, else when one is.
    pub fn dispatch(&self, t: &str, d: Value) {
        let mut st = self.shared.state.lock().unwrap();
        if st.ready && st.conn.is_some() {
            send_dispatch(&mut st, t, d);
        } else {
            st.pending.push((t.to_string(), d));
        }
    }

    /// A slash command from `user` in the guild; returns the interaction id.
    pub fn command(&self, name: &str, options: Value, user: u64) -> u64 {
        let id = self.next_id();
        self.dispatch(
            "INTERACTION_CREATE",
            interaction(id, 2, name, options, user),
        );
        id
    }

    /// A slash command from a member with only these permissions (a decimal bit set).
    pub fn command_with_permissions(
        &self,
        name: &str,
        options: Value,
        user: u64,
        permissions: &str,
    ) -> u64 {
        let id = self.next_id();
        let mut i = interaction(id, 2, name, options, user);
        i["member"]["permissions"] = json!(permissions);
        self.dispatch("INTERACTION_CREATE", i);
        id
    }

    /// An autocomplete request for `option` of `name` with `partial` typed.
    pub fn autocomplete(&self, name: &str, option: &str, partial: &str, user: u64) -> u64 {
        let id = self.next_id();
        let options = json!([{"name": option, "type": 3, "value": partial, "focused": true}]);
        self.dispatch(
            "INTERACTION_CREATE",
            interaction(id, 4, name, options, user),
        );
        id
    }

    /// A channel message; `mentions_bot` lists the bot among its mentions.
    pub fn message(
        &self,
        channel: u64,
        author: u64,
        author_is_bot: bool,
        content: &str,
        mentions_bot: bool,
    ) -> u64 {
        let id = self.next_id();
        let mentions = if mentions_bot {
            json!([{"id": APP.to_string(), "username": "interview-bot", "discriminator": "0", "bot": true, "avatar": null, "global_name": null}])
        } else {
            json!([])
        };
        self.dispatch(
            "MESSAGE_CREATE",
            message(id, channel, author, author_is_bot, content, mentions),
        );
        id
    }

    /// Drops the TCP connection without a close frame.
    pub fn drop_connection(&self) {
        self.control(Control::Drop);
    }

    /// Closes the gateway with `code`; after 4007 or 4009 the session cannot be resumed.
    pub fn close_with(&self, code: u16) {
        if matches!(code, 4007 | 4009) {
            self.shared.state.lock().unwrap().session_lost = true;
        }
        self.control(Control::Close(code));
    }

    /// Sends a raw gateway frame on the live connection (op 7 reconnect, op 9 invalid session).
    pub fn send_op(&self, op: u8, d: Value) {
        let mut st = self.shared.state.lock().unwrap();
        if op == 9 && d == json!(false) {
            st.session_lost = true;
        }
        if let Some((_, tx)) = &st.conn {
            let _ = tx.send(Control::Send(json!({"op": op, "d": d})));
        }
    }

    /// Stops (or resumes) acknowledging heartbeats.
    pub fn set_heartbeat_acks(&self, on: bool) {
        self.shared.state.lock().unwrap().no_acks = !on;
    }

    /// The next REST call whose path contains `path` fails with `status` (and, for 429, a
    /// `retry_after` in seconds).
    pub fn fail_next(&self, path: &str, status: u16, retry_after: Option<f64>) {
        self.shared.state.lock().unwrap().faults.push(Fault {
            path: path.to_string(),
            status,
            retry_after,
        });
    }

    /// Gateway connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.state.lock().unwrap().connections
    }

    fn control(&self, c: Control) {
        let mut st = self.shared.state.lock().unwrap();
        if let Some((_, tx)) = st.conn.take() {
            let _ = tx.send(c);
        }
        st.ready = false;
    }

    /// How many REST calls so far.
    pub fn call_count(&self) -> usize {
        self.shared.state.lock().unwrap().calls.len()
    }

    /// REST calls from index `from` on.
    pub fn calls_since(&self, from: usize) -> Vec<Call> {
        self.shared.state.lock().unwrap().calls[from..].to_vec()
    }

    /// Every REST call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.state.lock().unwrap().calls.clone()
    }

    /// How many IDENTIFY and RESUME frames the bot sent.
    pub fn sessions(&self) -> (usize, usize) {
        let st = self.shared.state.lock().unwrap();
        (st.identifies, st.resumes)
    }

    /// Waits until a recorded call satisfies `f`; `None` after `timeout`.
    pub async fn wait_for_call(
        &self,
        timeout: Duration,
        f: impl Fn(&Call) -> bool,
    ) -> Option<Call> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            if let Some(c) = self
                .shared
                .state
                .lock()
                .unwrap()
                .calls
                .iter()
                .find(|c| f(c))
            {
                return Some(c.clone());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Waits until the session counts satisfy `f`.
    pub async fn wait_for_sessions(
        &self,
        timeout: Duration,
        f: impl Fn(usize, usize) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            {
                let st = self.shared.state.lock().unwrap();
                if f(st.identifies, st.resumes) && st.ready {
                    return true;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }

    /// Waits for the callback of interaction `id`.
    pub async fn wait_for_callback(&self, id: u64, timeout: Duration) -> Option<Value> {
        let prefix = format!("/api/v10/interactions/{id}/");
        self.wait_for_call(timeout, |c| {
            c.path.starts_with(&prefix) && c.path.ends_with("/callback")
        })
        .await
        .map(|c| c.body)
    }

    /// Waits for a message the bot posts in `channel`.
    pub async fn wait_for_message(&self, channel: u64, timeout: Duration) -> Option<Value> {
        let path = format!("/api/v10/channels/{channel}/messages");
        self.wait_for_call(timeout, |c| c.method == "POST" && c.path == path)
            .await
            .map(|c| c.body)
    }
}

fn send_dispatch(st: &mut State, t: &str, d: Value) {
    st.seq += 1;
    let frame = json!({"op": 0, "t": t, "s": st.seq, "d": d});
    st.sent.push((st.seq, frame.clone()));
    if let Some((_, tx)) = &st.conn {
        let _ = tx.send(Control::Send(frame));
    }
}

fn user(id: u64, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": format!("user{id}"), "discriminator": "0", "global_name": null, "avatar": null, "bot": bot})
}

fn interaction(id: u64, kind: u8, name: &str, options: Value, user_id: u64) -> Value {
    json!({
        "id": id.to_string(),
        "application_id": APP.to_string(),
        "type": kind,
        "token": format!("itoken-{id}"),
        "version": 1,
        "guild_id": GUILD.to_string(),
        "channel_id": "700",
        "locale": "zh-TW",
        "guild_locale": "zh-TW",
        "entitlements": [],
        "attachment_size_limit": 8_388_608,
        "app_permissions": "2147483647",
        "member": {
            "user": user(user_id, false),
            "roles": [],
            "deaf": false,
            "mute": false,
            "flags": 0,
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "permissions": "2147483647"
        },
        "data": {"id": "800", "name": name, "type": 1, "options": options}
    })
}

fn message(id: u64, channel: u64, author: u64, bot: bool, content: &str, mentions: Value) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "guild_id": GUILD.to_string(),
        "author": user(author, bot),
        "content": content,
        "timestamp": "2025-01-07T00:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": mentions,
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0
    })
}

fn handle_rest(s: &Shared, method: Method, uri: Uri, body: Bytes) -> axum::response::Response {
    let path = uri.path().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    {
        let mut st = s.state.lock().unwrap();
        st.calls.push(Call {
            method: method.to_string(),
            path: path.clone(),
            body: body.clone(),
            at: std::time::Instant::now(),
        });
    }
    s.changed.notify_waiters();
    let fault = {
        let mut st = s.state.lock().unwrap();
        let at = st.faults.iter().position(|f| path.contains(&f.path));
        at.map(|i| st.faults.remove(i))
    };
    if let Some(f) = fault {
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({"message": "injected failure", "code": 0});
        if let Some(after) = f.retry_after {
            body["retry_after"] = json!(after);
            body["global"] = json!(false);
            let mut r = (status, axum::Json(body)).into_response();
            r.headers_mut().insert(
                "retry-after",
                format!("{}", after.ceil() as u64).parse().unwrap(),
            );
            r.headers_mut()
                .insert("x-ratelimit-scope", "user".parse().unwrap());
            return r;
        }
        return (status, axum::Json(body)).into_response();
    }
    let ok = |v: Value| (StatusCode::OK, axum::Json(v)).into_response();
    let p = path.trim_start_matches("/api/v10");
    if p == "/gateway" {
        return ok(json!({"url": s.gateway_url}));
    }
    if p == "/gateway/bot" {
        return ok(
            json!({"url": s.gateway_url, "shards": 1, "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}),
        );
    }
    if p == "/oauth2/applications/@me" {
        return ok(
            json!({"id": APP.to_string(), "name": "interview-bot", "icon": null, "description": "", "bot_public": true, "bot_require_code_grant": false, "verify_key": "00", "owner": user(1, false), "flags": 0}),
        );
    }
    if p == "/users/@me" {
        return ok(user(APP, true));
    }
    if p.ends_with("/commands") && method == Method::PUT {
        if s.opts.refuse_registration {
            return (
                StatusCode::FORBIDDEN,
                axum::Json(json!({"message": "Missing Access", "code": 50001})),
            )
                .into_response();
        }
        return ok(json!([]));
    }
    if p.starts_with("/interactions/") && p.ends_with("/callback") {
        return StatusCode::NO_CONTENT.into_response();
    }
    if let Some(rest) = p.strip_prefix("/channels/") {
        if let Some((channel, "messages")) = rest.split_once('/') {
            let mut m = message(
                424_242,
                channel.parse().unwrap_or(0),
                APP,
                true,
                body["content"].as_str().unwrap_or(""),
                json!([]),
            );
            m["embeds"] = body.get("embeds").cloned().unwrap_or(json!([]));
            if let Some(r) = body.get("message_reference") {
                m["message_reference"] = r.clone();
            }
            return ok(m);
        }
    }
    if p.starts_with("/webhooks/") {
        let mut m = message(
            434_343,
            700,
            APP,
            true,
            body["content"].as_str().unwrap_or(""),
            json!([]),
        );
        m["embeds"] = body.get("embeds").cloned().unwrap_or(json!([]));
        return ok(m);
    }
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"message": "Unknown route", "code": 0})),
    )
        .into_response()
}

async fn connection(s: Arc<Shared>, stream: tokio::net::TcpStream) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Control>();
    let me = {
        let mut st = s.state.lock().unwrap();
        st.next_conn += 1;
        st.connections += 1;
        st.next_conn
    };
    if me as usize <= s.opts.refuse_connections {
        return;
    }
    let interval = s.opts.heartbeat_interval_ms.unwrap_or(41_250);
    let hello = json!({"op": 10, "d": {"heartbeat_interval": interval}});
    if ws.send(Message::text(hello.to_string())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            incoming = ws.next() => {
                let Some(Ok(msg)) = incoming else { break };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                let replies = on_frame(&s, me, &tx, &frame);
                s.changed.notify_waiters();
                for r in replies {
                    match r {
                        Control::Send(v) => { if ws.send(Message::text(v.to_string())).await.is_err() { break; } }
                        Control::Close(code) => {
                            let _ = ws.send(Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: "".into() }))).await;
                        }
                        Control::Drop => return,
                    }
                }
            }
            out = rx.recv() => {
                match out {
                    Some(Control::Send(v)) => { if ws.send(Message::text(v.to_string())).await.is_err() { break; } }
                    Some(Control::Close(code)) => {
                        let _ = ws.send(Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: "".into() }))).await;
                        let _ = tokio::time::timeout(Duration::from_secs(2), ws.next()).await;
                        break;
                    }
                    Some(Control::Drop) | None => break,
                }
            }
        }
    }
    let mut st = s.state.lock().unwrap();
    if st.conn.as_ref().is_some_and(|(id, _)| *id == me) {
        st.conn = None;
        st.ready = false;
    }
    drop(st);
    s.changed.notify_waiters();
}

/// Handles one frame from the bot; returns what to send back on this connection, in order.
fn on_frame(
    s: &Shared,
    me: u64,
    tx: &mpsc::UnboundedSender<Control>,
    frame: &Value,
) -> Vec<Control> {
    let mut st = s.state.lock().unwrap();
    st.frames.push(frame.clone());
    match frame["op"].as_u64() {
        Some(1) if st.no_acks => Vec::new(),
        Some(1) => vec![Control::Send(json!({"op": 11}))],
        Some(2) => {
            st.identifies += 1;
            if let Some(code) = s.opts.close_after_identify {
                return vec![Control::Close(code)];
            }
            st.seq = 1;
            st.sent.clear();
            st.session_lost = false;
            st.conn = Some((me, tx.clone()));
            let ready = json!({"op": 0, "t": "READY", "s": 1, "d": {
                "v": 10,
                "user": user(APP, true),
                "guilds": [],
                "session_id": format!("session-{}", st.identifies),
                "resume_gateway_url": s.gateway_url,
                "shard": frame["d"]["shard"].clone(),
                "application": {"id": APP.to_string(), "flags": 0}
            }});
            let mut out = vec![Control::Send(ready)];
            st.ready = true;
            out.extend(flush(&mut st));
            out
        }
        Some(6) if st.session_lost => {
            // As Discord: a session that cannot be resumed gets "invalid session, start anew".
            vec![Control::Send(json!({"op": 9, "d": false}))]
        }
        Some(6) => {
            st.resumes += 1;
            let since = frame["d"]["seq"].as_u64().unwrap_or(0);
            st.conn = Some((me, tx.clone()));
            let mut out: Vec<Control> = st
                .sent
                .iter()
                .filter(|(seq, _)| *seq > since)
                .map(|(_, f)| Control::Send(f.clone()))
                .collect();
            st.seq += 1;
            out.push(Control::Send(
                json!({"op": 0, "t": "RESUMED", "s": st.seq, "d": {}}),
            ));
            st.ready = true;
            out.extend(flush(&mut st));
            out
        }
        _ => Vec::new(),
    }
}

/// Dispatches queued while no session was ready, now numbered and recorded.
fn flush(st: &mut State) -> Vec<Control> {
    let pending = std::mem::take(&mut st.pending);
    pending
        .into_iter()
        .map(|(t, d)| {
            st.seq += 1;
            let frame = json!({"op": 0, "t": t, "s": st.seq, "d": d});
            st.sent.push((st.seq, frame.clone()));
            Control::Send(frame)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use poise::serenity_prelude as serenity;

    /// Every payload the fake builds must deserialize into a known serenity event:
    /// serenity drops what it cannot read as `Unknown`, silently.
    #[test]
    fn every_payload_is_a_known_serenity_event() {
        let ready = json!({"v": 10, "user": user(APP, true), "guilds": [], "session_id": "s", "resume_gateway_url": "ws://x", "application": {"id": APP.to_string(), "flags": 0}});
        let payloads = [
            ("READY", ready),
            ("RESUMED", json!({})),
            (
                "INTERACTION_CREATE",
                interaction(
                    1,
                    2,
                    "ask",
                    json!([{"name": "question", "type": 3, "value": "零一萬物?"}]),
                    5,
                ),
            ),
            (
                "INTERACTION_CREATE",
                interaction(
                    2,
                    4,
                    "quote",
                    json!([{"name": "id", "type": 3, "value": "Q", "focused": true}]),
                    5,
                ),
            ),
            (
                "MESSAGE_CREATE",
                message(3, 9, 5, false, "<@1> hi", json!([user(APP, true)])),
            ),
            ("MESSAGE_CREATE", message(4, 9, 6, true, "hi?", json!([]))),
        ];
        for (t, d) in payloads {
            let frame = json!({"op": 0, "t": t, "s": 1, "d": d});
            let event: serenity::GatewayEvent =
                serde_json::from_value(frame.clone()).unwrap_or_else(|e| panic!("{t}: {e}"));
            match event {
                serenity::GatewayEvent::Dispatch(_, ev) => {
                    assert!(
                        !matches!(ev, serenity::Event::Unknown(_)),
                        "{t} is Unknown to serenity"
                    );
                }
                other => panic!("{t}: not a dispatch: {other:?}"),
            }
        }
    }
}
