//! The gateway side: a plain TCP listener, one task per websocket connection, and the
//! session logic (IDENTIFY → READY, RESUME → replay + RESUMED, heartbeat ACKs) in
//! [`on_frame`], which runs under the state lock.
//!
//! Every frame a connection sends goes through its channel of [`Out`], filled while the lock is
//! held: the order the lock gives (READY, then the queued dispatches, then later ones) is the
//! order on the wire.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use super::payloads;
use super::{Conn, Out, RecordedFrame, Shared, State};

/// Default heartbeat interval, ms, as Discord announces it.
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

/// Accepts gateway connections until `stop` turns true; then every connection is dropped.
pub(super) async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Without it every round trip waits for delayed ACKs: 42–45 ms, not 2–3.
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(shared.clone(), stream));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stopped(&mut stop) => break,
        }
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// One websocket connection: HELLO, then frames both ways until either side ends it.
async fn connection(shared: Arc<Shared>, stream: TcpStream) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
    let id = {
        let mut st = shared.lock();
        st.next_conn += 1;
        st.connections += 1;
        let id = st.next_conn;
        if id as usize > shared.opts.refuse_connections {
            // The newest connection is the one faults and dispatches go to; dispatches queue
            // until it gets READY or RESUMED.
            st.conn = Some(Conn { id, tx: tx.clone() });
            st.live = false;
        }
        id
    };
    shared.changed.notify_waiters();
    if id as usize <= shared.opts.refuse_connections {
        return;
    }
    let interval = shared
        .opts
        .heartbeat_interval_ms
        .unwrap_or(HEARTBEAT_INTERVAL_MS);
    let hello = json!({"op": 10, "d": {"heartbeat_interval": interval}});
    if ws.send(Message::text(hello.to_string())).await.is_ok() {
        loop {
            tokio::select! {
                incoming = ws.next() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                        Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                        Some(Ok(_)) => continue,
                    };
                    if let Ok(frame) = serde_json::from_str::<Value>(&text) {
                        on_frame(&shared, &mut shared.lock(), id, &tx, &frame);
                        shared.changed.notify_waiters();
                    }
                }
                out = rx.recv() => match out {
                    Some(Out::Frame(v)) => {
                        if ws.send(Message::text(v.to_string())).await.is_err() {
                            break;
                        }
                    }
                    Some(Out::Close(code)) => {
                        let frame = CloseFrame { code: CloseCode::from(code), reason: "".into() };
                        if ws.send(Message::Close(Some(frame))).await.is_ok() {
                            // Let the peer answer the close handshake, briefly.
                            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                                while let Some(Ok(_)) = ws.next().await {}
                            })
                            .await;
                        }
                        break;
                    }
                    // A TCP drop: the socket closes without a websocket close frame.
                    Some(Out::Drop) | None => break,
                },
            }
        }
    }
    drop(ws);
    {
        let mut st = shared.lock();
        if st.conn.as_ref().is_some_and(|c| c.id == id) {
            st.conn = None;
            st.live = false;
        }
    }
    shared.changed.notify_waiters();
}

/// Handles one frame from the bot on connection `conn` (whose sender is `tx`).
fn on_frame(
    shared: &Shared,
    st: &mut State,
    conn: u64,
    tx: &mpsc::UnboundedSender<Out>,
    frame: &Value,
) {
    let op = frame["op"].as_u64().unwrap_or(u64::MAX);
    let d = frame.get("d").cloned().unwrap_or(Value::Null);
    st.frames.push(RecordedFrame {
        op,
        d: d.clone(),
        connection: conn,
        at: Instant::now(),
    });
    let send = |v: Value| {
        let _ = tx.send(Out::Frame(v));
    };
    match op {
        // Heartbeat.
        1 if st.acks => send(json!({"op": 11})),
        // IDENTIFY: a new session, numbered from 1 again.
        2 => {
            st.identifies += 1;
            if let Some(code) = shared.opts.close_after_identify {
                let _ = tx.send(Out::Close(code));
                if st.conn.as_ref().is_some_and(|c| c.id == conn) {
                    st.conn = None;
                    st.live = false;
                }
                return;
            }
            let session = format!("session-{}", st.identifies);
            st.session = Some(session.clone());
            st.conn = Some(Conn {
                id: conn,
                tx: tx.clone(),
            });
            st.replay.clear();
            st.seq = 1;
            let ready = payloads::ready(shared.app(), &session, &shared.gateway_url, &d["shard"]);
            send(json!({"op": 0, "t": "READY", "s": 1, "d": ready}));
            st.readies += 1;
            st.live = true;
            st.flush();
        }
        // RESUME: replay what the bot has not seen, then RESUMED, then what waited.
        6 => {
            st.resumes += 1;
            let resumable =
                st.session.is_some() && d["session_id"].as_str() == st.session.as_deref();
            if !resumable {
                // As Discord: "invalid session, identify anew".
                send(json!({"op": 9, "d": false}));
                return;
            }
            st.conn = Some(Conn {
                id: conn,
                tx: tx.clone(),
            });
            let seen = d["seq"].as_u64().unwrap_or(0);
            for (_, f) in st.replay.iter().filter(|(s, _)| *s > seen) {
                send(f.clone());
            }
            st.seq += 1;
            send(json!({"op": 0, "t": "RESUMED", "s": st.seq, "d": payloads::resumed()}));
            st.live = true;
            st.flush();
        }
        _ => {}
    }
}
