/*!
A fake Discord on 127.0.0.1 — REST API and websocket gateway — that the real bot binary (or a
plain serenity `Client`) connects to.

Why it exists: Discord cannot be reached from the machines the tests run on, yet the bot must be
tested end to end — command registration, slash commands, autocomplete, mentions, resumes after
network faults, a refused token. The bot is pointed at the fake with `DISCORD_API_BASE`
([`FakeDiscord::base_url`]); serenity then asks the fake's REST side for the gateway URL and
connects to the fake's websocket.

The fake follows `shared/design/discord-fake.md` (observed with serenity 0.12.5 / poise 0.7.1):

- minimal payloads carrying every field serenity requires (see [`payloads`]; a payload serenity
  cannot read is dropped silently as `Event::Unknown`, so `tests.rs` feeds each one to
  serenity's own types);
- one lock owns the sequence number, the replay buffer, the dispatches waiting for READY or
  RESUMED and the live connection's sender, so that every dispatch is numbered, recorded and
  sent in one step and a RESUME replays exactly what the bot missed;
- every REST call and every gateway frame the bot sends is recorded, and every wait has a
  timeout: a test asserts on what the bot did, and never hangs.

```ignore
let fake = FakeDiscord::start(Options::default()).await;
// spawn the bot with DISCORD_API_BASE = fake.base_url(), NO_PROXY=127.0.0.1,localhost
let id = fake.send_interaction_command("ask", json!([{"name": "question", "type": 3, "value": "?"}]), 11, true);
let answer = fake.wait_for_callback(id, Duration::from_secs(10)).await.expect("an answer");
```

Waits take the timeout first: `wait_for_call(timeout, |c| ...)`, so that the closure, usually
the longest argument, comes last.

Dropping the [`FakeDiscord`] stops its listeners and closes its gateway connections.
*/

#![allow(dead_code)]

pub mod conversation;
mod gateway;
pub mod payloads;
mod rest;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Notify};

use payloads::{InteractionSpec, Place, ALL_PERMISSIONS, APPLICATION_COMMAND, AUTOCOMPLETE};

/// The default application id, which is also the bot's user id.
pub const APP: u64 = 900_000_000_000_000_001;
/// The guild that guild interactions and messages come from.
pub const GUILD: u64 = 900_000_000_000_000_100;
/// The guild channel interactions are used in.
pub const INTERACTION_CHANNEL: u64 = 700;
/// The DM channel of DM interactions.
pub const DM_CHANNEL: u64 = 701;
/// The user who sends interactions when a control does not name one.
pub const USER: u64 = 10;
/// The application's owner in `GET /oauth2/applications/@me`.
pub const OWNER: u64 = 1;

/// How the fake behaves. `Options::default()` is a healthy Discord.
#[derive(Debug, Clone)]
pub struct Options {
    /// The application id, which is also the bot user's id (default [`APP`]).
    pub application_id: u64,
    /// Refuse command registration (`PUT .../commands`) with 403 Missing Access.
    pub refuse_registration: bool,
    /// Close the gateway with this code right after IDENTIFY (4004: bad token, 4014:
    /// disallowed intents), instead of sending READY.
    pub close_after_identify: Option<u16>,
    /// Heartbeat interval announced in HELLO, ms (default 41250, as Discord).
    pub heartbeat_interval_ms: Option<u64>,
    /// Drop this many gateway connections right after the websocket handshake.
    pub refuse_connections: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            application_id: APP,
            refuse_registration: false,
            close_after_identify: None,
            heartbeat_interval_ms: None,
            refuse_connections: 0,
        }
    }
}

/// A REST call the bot made.
#[derive(Debug, Clone)]
pub struct RecordedCall {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    /// The query string without `?`, if any (serenity sends e.g. `&wait=true`).
    pub query: Option<String>,
    /// The JSON body, or `null` (no body, or not JSON).
    pub body: Value,
    /// No route of the fake matched: it answered 404.
    pub unknown: bool,
    /// When the fake received it.
    pub at: Instant,
}

/// The name the first tests used for [`RecordedCall`].
pub type Call = RecordedCall;

/// A gateway frame the bot sent.
#[derive(Debug, Clone)]
pub struct RecordedFrame {
    /// Opcode: 1 heartbeat, 2 identify, 3 presence, 6 resume, ...
    pub op: u64,
    /// The frame's `d`.
    pub d: Value,
    /// Which connection it came on (1 = the first accepted).
    pub connection: u64,
    /// When the fake received it.
    pub at: Instant,
}

/// An injected REST failure: the next call whose path contains `path` gets `status`.
#[derive(Debug, Clone)]
struct Fault {
    path: String,
    status: u16,
    retry_after: Option<f64>,
}

/// What a connection task is told to do.
#[derive(Debug)]
enum Out {
    /// Send this frame.
    Frame(Value),
    /// Send a close frame with this code, then end.
    Close(u16),
    /// End without a close frame (a TCP drop).
    Drop,
}

/// The newest gateway connection.
struct Conn {
    id: u64,
    tx: mpsc::UnboundedSender<Out>,
}

/// Everything mutable, behind one lock.
struct State {
    calls: Vec<RecordedCall>,
    frames: Vec<RecordedFrame>,
    faults: Vec<Fault>,
    /// The last sequence number used in this session.
    seq: u64,
    /// Dispatches of this session (never READY or RESUMED), for RESUME.
    replay: Vec<(u64, Value)>,
    /// Dispatches waiting for READY or RESUMED: `(t, d)`, numbered when sent.
    pending: VecDeque<(String, Value)>,
    /// The newest connection, if still open.
    conn: Option<Conn>,
    /// READY or RESUMED was sent on `conn`: dispatches go out at once.
    live: bool,
    /// The id of the session that can be resumed; `None` after 4007, 4009 or op 9 `false`.
    session: Option<String>,
    next_conn: u64,
    next_id: u64,
    identifies: usize,
    resumes: usize,
    readies: usize,
    connections: usize,
    /// Heartbeats are acknowledged.
    acks: bool,
    /// Interaction token → channel, to answer webhook calls with the right channel.
    interaction_channels: HashMap<String, u64>,
    /// Messages, threads and interaction responses (see [`conversation`]).
    store: conversation::Store,
}

struct Shared {
    state: Mutex<State>,
    changed: Notify,
    opts: Options,
    gateway_url: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the fake from the others.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn app(&self) -> u64 {
        self.opts.application_id
    }

    /// Sends dispatch `t` now if a session is live, else queues it for READY or RESUMED.
    fn dispatch(&self, t: &str, d: Value) {
        let mut st = self.lock();
        if st.live && st.conn.is_some() {
            let frame = st.number(t, d);
            st.send(frame);
        } else {
            st.pending.push_back((t.to_string(), d));
        }
    }
}

impl State {
    /// Numbers a dispatch and keeps it for replay.
    fn number(&mut self, t: &str, d: Value) -> Value {
        self.seq += 1;
        let frame = json!({"op": 0, "t": t, "s": self.seq, "d": d});
        self.replay.push((self.seq, frame.clone()));
        frame
    }

    /// Sends a frame on the newest connection, if any.
    fn send(&self, frame: Value) {
        if let Some(c) = &self.conn {
            let _ = c.tx.send(Out::Frame(frame));
        }
    }

    /// Sends the queued dispatches on the newest connection, numbered.
    fn flush(&mut self) {
        while let Some((t, d)) = self.pending.pop_front() {
            let frame = self.number(&t, d);
            self.send(frame);
        }
    }

    /// Detaches the newest connection and tells it `out`; later dispatches queue.
    fn detach(&mut self, out: Out) {
        if let Some(c) = self.conn.take() {
            let _ = c.tx.send(out);
        }
        self.live = false;
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// The running fake. Dropping it stops its listeners and gateway connections.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    rest: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

impl FakeDiscord {
    /// Starts the REST and gateway listeners on ephemeral ports of 127.0.0.1.
    ///
    /// # Panics
    /// If 127.0.0.1 cannot be bound.
    pub async fn start(opts: Options) -> FakeDiscord {
        let gw = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway");
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind REST");
        let rest_addr = rest.local_addr().expect("REST address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                calls: Vec::new(),
                frames: Vec::new(),
                faults: Vec::new(),
                seq: 0,
                replay: Vec::new(),
                pending: VecDeque::new(),
                conn: None,
                live: false,
                session: None,
                next_conn: 0,
                next_id: 1_000,
                identifies: 0,
                resumes: 0,
                readies: 0,
                connections: 0,
                acks: true,
                interaction_channels: HashMap::new(),
                store: conversation::Store::default(),
            }),
            changed: Notify::new(),
            opts,
            gateway_url: format!("ws://{}", gw.local_addr().expect("gateway address")),
        });
        let (shutdown, stop) = watch::channel(false);
        tokio::spawn(rest::serve(shared.clone(), rest, stop.clone()));
        tokio::spawn(gateway::serve(shared.clone(), gw, stop));
        FakeDiscord {
            shared,
            rest: rest_addr,
            shutdown,
        }
    }

    /// `http://127.0.0.1:PORT`: give it to the bot as `DISCORD_API_BASE` (serenity's proxy).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.rest)
    }

    /// `ws://127.0.0.1:GWPORT`, the URL `GET /api/v10/gateway` answers.
    pub fn gateway_url(&self) -> String {
        self.shared.gateway_url.clone()
    }

    /// The application id, which is also the bot's user id.
    pub fn app_id(&self) -> u64 {
        self.shared.app()
    }

    // ----- events pushed to the bot -------------------------------------------------------

    /// Sends a raw dispatch (`op` 0, event name `t`, payload `d`) now if a session is live,
    /// else as soon as READY or RESUMED has been sent.
    pub fn dispatch(&self, t: &str, d: Value) {
        self.shared.dispatch(t, d);
    }

    fn interaction(&self, spec: InteractionSpec) -> u64 {
        let d = spec.to_json(self.app_id());
        self.shared
            .lock()
            .interaction_channels
            .insert(spec.token(), spec.place.channel());
        self.dispatch("INTERACTION_CREATE", d);
        spec.id
    }

    fn place(guild: bool) -> Place {
        if guild {
            Place::Guild {
                guild: GUILD,
                channel: INTERACTION_CHANNEL,
            }
        } else {
            Place::Dm {
                channel: DM_CHANNEL,
            }
        }
    }

    fn next_id(&self) -> u64 {
        self.shared.lock().next_id()
    }

    /// A slash command (INTERACTION_CREATE, type 2) `name` with `options`
    /// (`[{"name", "type": 3, "value"}]`, or `[]`) used by `user_id`, in [`GUILD`] (as a member
    /// with every permission) or in a DM. Returns the interaction id; the bot answers on
    /// `/api/v10/interactions/{id}/itoken-{id}/callback`.
    pub fn send_interaction_command(
        &self,
        name: &str,
        options: Value,
        user_id: u64,
        guild: bool,
    ) -> u64 {
        let id = self.next_id();
        self.interaction(InteractionSpec {
            id,
            kind: APPLICATION_COMMAND,
            name: name.to_string(),
            options,
            user: user_id,
            place: Self::place(guild),
            permissions: ALL_PERMISSIONS.to_string(),
        })
    }

    /// An autocomplete request (INTERACTION_CREATE, type 4) in [`GUILD`] from [`USER`]: option
    /// `option_name` of command `name` is focused and holds `partial_value`. Returns the id.
    pub fn send_autocomplete(&self, name: &str, option_name: &str, partial_value: &str) -> u64 {
        self.autocomplete(name, option_name, partial_value, USER)
    }

    /// A MESSAGE_CREATE in `channel_id` of [`GUILD`]. `content` is sent as given: to mention
    /// the bot, include `<@APP>` in it and set `mentions_bot`, which lists the bot user in
    /// `mentions`. Returns the message id.
    pub fn send_message(
        &self,
        channel_id: u64,
        author_id: u64,
        author_is_bot: bool,
        content: &str,
        mentions_bot: bool,
    ) -> u64 {
        let id = self.next_id();
        let mentions = if mentions_bot {
            json!([payloads::user(self.app_id(), true)])
        } else {
            json!([])
        };
        let author = payloads::user(author_id, author_is_bot);
        let d = payloads::message(id, channel_id, Some(GUILD), author, content, mentions);
        let d = conversation::dispatched(&mut self.shared.lock(), self.app_id(), d);
        self.dispatch("MESSAGE_CREATE", d);
        id
    }

    /// Shorthand: a slash command from `user` in [`GUILD`].
    pub fn command(&self, name: &str, options: Value, user: u64) -> u64 {
        self.send_interaction_command(name, options, user, true)
    }

    /// A slash command in [`GUILD`] from a member with only `permissions` (a decimal bit set).
    pub fn command_with_permissions(
        &self,
        name: &str,
        options: Value,
        user: u64,
        permissions: &str,
    ) -> u64 {
        let id = self.next_id();
        self.interaction(InteractionSpec {
            id,
            kind: APPLICATION_COMMAND,
            name: name.to_string(),
            options,
            user,
            place: Self::place(true),
            permissions: permissions.to_string(),
        })
    }

    /// An autocomplete request from `user` in [`GUILD`]; see [`Self::send_autocomplete`].
    pub fn autocomplete(&self, name: &str, option: &str, partial: &str, user: u64) -> u64 {
        let id = self.next_id();
        self.interaction(InteractionSpec {
            id,
            kind: AUTOCOMPLETE,
            name: name.to_string(),
            options: payloads::focused_option(option, partial),
            user,
            place: Self::place(true),
            permissions: ALL_PERMISSIONS.to_string(),
        })
    }

    /// Shorthand for [`Self::send_message`].
    pub fn message(
        &self,
        channel: u64,
        author: u64,
        author_is_bot: bool,
        content: &str,
        mentions_bot: bool,
    ) -> u64 {
        self.send_message(channel, author, author_is_bot, content, mentions_bot)
    }

    // ----- gateway faults -----------------------------------------------------------------

    /// Drops the live TCP connection without a close frame. serenity resumes.
    pub fn drop_connection(&self) {
        self.shared.lock().detach(Out::Drop);
    }

    /// Closes the live connection with close `code`. After 4007 or 4009 the session cannot
    /// be resumed (a RESUME gets op 9 `false`), as on Discord.
    pub fn close_with(&self, code: u16) {
        let mut st = self.shared.lock();
        if matches!(code, 4007 | 4009) {
            st.session = None;
        }
        st.detach(Out::Close(code));
    }

    /// Sends op 7 RECONNECT. serenity reconnects and resumes.
    pub fn send_reconnect(&self) {
        self.send_op(7, Value::Null);
    }

    /// Sends op 9 INVALID SESSION. `true`: serenity resumes; `false`: the session is gone and
    /// serenity identifies anew, after a pause of about 5 s.
    pub fn send_invalid_session(&self, resumable: bool) {
        self.send_op(9, json!(resumable));
    }

    /// Sends a raw frame `{"op": op, "d": d}` on the live connection. Ops 7 and 9 end the
    /// session's connection (dispatches queue until the bot is back); op 9 `false` also makes
    /// the session unresumable.
    pub fn send_op(&self, op: u8, d: Value) {
        let mut st = self.shared.lock();
        let frame = json!({"op": op, "d": d});
        if op == 7 || op == 9 {
            if op == 9 && d == json!(false) {
                st.session = None;
            }
            st.detach(Out::Frame(frame));
        } else {
            st.send(frame);
        }
    }

    /// Stops (`false`) or resumes acknowledging heartbeats. serenity reconnects when an ACK
    /// is missing at its next beat.
    pub fn set_heartbeat_acks(&self, on: bool) {
        self.shared.lock().acks = on;
    }

    /// The next REST call whose path contains `path` fails with `status` (and, for 429, a
    /// `retry_after` in seconds, in the body and the headers).
    pub fn fail_next(&self, path: &str, status: u16, retry_after: Option<f64>) {
        self.shared.lock().faults.push(Fault {
            path: path.to_string(),
            status,
            retry_after,
        });
    }

    // ----- what the bot did ---------------------------------------------------------------

    /// Every REST call so far.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.lock().calls.clone()
    }

    /// How many REST calls so far.
    pub fn call_count(&self) -> usize {
        self.shared.lock().calls.len()
    }

    /// REST calls from index `from` on (see [`Self::call_count`]).
    pub fn calls_since(&self, from: usize) -> Vec<RecordedCall> {
        let st = self.shared.lock();
        st.calls[from.min(st.calls.len())..].to_vec()
    }

    /// REST calls no route matched (answered 404): a fake that needs another route.
    pub fn unknown_routes(&self) -> Vec<RecordedCall> {
        let st = self.shared.lock();
        st.calls.iter().filter(|c| c.unknown).cloned().collect()
    }

    /// Every gateway frame the bot sent, heartbeats included.
    pub fn frames(&self) -> Vec<RecordedFrame> {
        self.shared.lock().frames.clone()
    }

    /// IDENTIFY frames (op 2) received.
    pub fn identify_count(&self) -> usize {
        self.shared.lock().identifies
    }

    /// RESUME frames (op 6) received, whether the session could be resumed or not.
    pub fn resume_count(&self) -> usize {
        self.shared.lock().resumes
    }

    /// READY dispatches sent.
    pub fn ready_count(&self) -> usize {
        self.shared.lock().readies
    }

    /// `(IDENTIFY frames, RESUME frames)` received.
    pub fn sessions(&self) -> (usize, usize) {
        let st = self.shared.lock();
        (st.identifies, st.resumes)
    }

    /// Gateway connections accepted so far, refused ones included.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// Whether READY or RESUMED was sent on the open connection (dispatches go out at once).
    pub fn is_live(&self) -> bool {
        let st = self.shared.lock();
        st.live && st.conn.is_some()
    }

    // ----- waiting ------------------------------------------------------------------------

    /// Waits until `check` returns `Some` (it is run on every change of the state);
    /// `None` after `timeout`.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&State) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before the check, so a change between the two is not missed.
            let changed = self.shared.changed.notified();
            if let Some(v) = check(&self.shared.lock()) {
                return Some(v);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return check(&self.shared.lock());
            }
        }
    }

    /// Waits for the first REST call (recorded at any time, before the wait too) that
    /// satisfies `predicate`; `None` after `timeout`.
    pub async fn wait_for_call(
        &self,
        timeout: Duration,
        predicate: impl Fn(&RecordedCall) -> bool,
    ) -> Option<RecordedCall> {
        self.wait_until(timeout, |st| {
            st.calls.iter().find(|c| predicate(c)).cloned()
        })
        .await
    }

    /// Waits for the first gateway frame from the bot that satisfies `predicate`.
    pub async fn wait_for_frame(
        &self,
        timeout: Duration,
        predicate: impl Fn(&RecordedFrame) -> bool,
    ) -> Option<RecordedFrame> {
        self.wait_until(timeout, |st| {
            st.frames.iter().find(|f| predicate(f)).cloned()
        })
        .await
    }

    /// Waits for the first IDENTIFY; returns its `d` (token, intents, shard, properties).
    pub async fn wait_for_identify(&self, timeout: Duration) -> Option<Value> {
        self.wait_for_frame(timeout, |f| f.op == 2)
            .await
            .map(|f| f.d)
    }

    /// Waits until a READY has been sent; `false` after `timeout`.
    pub async fn wait_ready_sent(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |st| (st.readies > 0).then_some(()))
            .await
            .is_some()
    }

    /// Waits until a session is live and `(IDENTIFY frames, RESUME frames)` satisfy `f`.
    pub async fn wait_for_sessions(
        &self,
        timeout: Duration,
        f: impl Fn(usize, usize) -> bool,
    ) -> bool {
        self.wait_until(timeout, |st| {
            (st.live && st.conn.is_some() && f(st.identifies, st.resumes)).then_some(())
        })
        .await
        .is_some()
    }

    /// Waits for the callback of interaction `id`; returns its body.
    pub async fn wait_for_callback(&self, id: u64, timeout: Duration) -> Option<Value> {
        let prefix = format!("/api/v10/interactions/{id}/");
        self.wait_for_call(timeout, |c| {
            c.path.starts_with(&prefix) && c.path.ends_with("/callback")
        })
        .await
        .map(|c| c.body)
    }

    /// Waits for a message the bot posts in `channel`; returns its body.
    pub async fn wait_for_message(&self, channel: u64, timeout: Duration) -> Option<Value> {
        let path = format!("/api/v10/channels/{channel}/messages");
        self.wait_for_call(timeout, |c| c.method == "POST" && c.path == path)
            .await
            .map(|c| c.body)
    }
}
