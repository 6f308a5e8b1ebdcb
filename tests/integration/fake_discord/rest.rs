//! The REST side: one axum fallback that records every call, applies injected faults and
//! answers from [`route`], which maps a method and path to a [`Reply`].

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::payloads;
use super::{RecordedCall, Shared, State};

/// An answer before it becomes an HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Reply {
    /// A status with a JSON body.
    Json(StatusCode, Value),
    /// A status without a body (204).
    Empty(StatusCode),
    /// No route matched: 404 with a JSON error.
    Unknown,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(status, v) => (status, axum::Json(v)).into_response(),
            Reply::Empty(status) => status.into_response(),
            Reply::Unknown => (
                StatusCode::NOT_FOUND,
                axum::Json(payloads::error("404: Not Found", 0)),
            )
                .into_response(),
        }
    }
}

/// Serves REST until `stop` turns true.
pub(super) async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let shared = shared.clone();
        async move { handle(&shared, method, uri, body) }
    });
    let _ = axum::serve(listener, app)
        .tcp_nodelay(true)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        })
        .await;
}

fn handle(shared: &Shared, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let reply = {
        let mut st = shared.lock();
        let reply = route(shared, &mut st, &method, &path, &body);
        st.calls.push(RecordedCall {
            method: method.to_string(),
            path: path.clone(),
            query: uri.query().map(str::to_string),
            body,
            unknown: reply == Reply::Unknown,
            at: Instant::now(),
        });
        let fault = st.faults.iter().position(|f| path.contains(&f.path));
        fault.map(|i| st.faults.remove(i)).map_or(Ok(reply), Err)
    };
    shared.changed.notify_waiters();
    match reply {
        Ok(reply) => reply.into_response(),
        Err(fault) => {
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut body = payloads::error("injected failure", 0);
            let Some(after) = fault.retry_after else {
                return (status, axum::Json(body)).into_response();
            };
            body["retry_after"] = json!(after);
            body["global"] = json!(false);
            let mut r = (status, axum::Json(body)).into_response();
            let headers = r.headers_mut();
            // Discord: whole seconds in Retry-After, fractions in X-RateLimit-Reset-After.
            if let Ok(v) = HeaderValue::from_str(&format!("{}", after.ceil() as u64)) {
                headers.insert("retry-after", v);
            }
            if let Ok(v) = HeaderValue::from_str(&format!("{after:.3}")) {
                headers.insert("x-ratelimit-reset-after", v);
            }
            headers.insert("x-ratelimit-scope", HeaderValue::from_static("user"));
            headers.insert("x-ratelimit-global", HeaderValue::from_static("false"));
            r
        }
    }
}

/// The answer to `method path` with JSON `body`.
pub(super) fn route(
    shared: &Shared,
    st: &mut State,
    method: &Method,
    path: &str,
    body: &Value,
) -> Reply {
    let app = shared.app();
    let ok = |v: Value| Reply::Json(StatusCode::OK, v);
    let Some(p) = path.strip_prefix("/api/v10/") else {
        return Reply::Unknown;
    };
    let segments: Vec<&str> = p.trim_end_matches('/').split('/').collect();
    let is_app = |s: &str| s.parse::<u64>() == Ok(app);
    if let Some(reply) = super::conversation::route(shared, st, method, &segments, body) {
        return reply;
    }
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => ok(payloads::gateway(&shared.gateway_url)),
        ("GET", ["gateway", "bot"]) => ok(payloads::gateway_bot(&shared.gateway_url)),
        ("GET", ["oauth2", "applications", "@me"]) => ok(payloads::application(app, super::OWNER)),
        ("GET", ["users", "@me"]) => ok(payloads::current_user(app)),
        ("GET", ["applications", a, "commands"])
        | ("GET", ["applications", a, "guilds", _, "commands"])
            if is_app(a) =>
        {
            ok(json!([]))
        }
        ("PUT", ["applications", a, "commands"])
        | ("PUT", ["applications", a, "guilds", _, "commands"])
            if is_app(a) =>
        {
            if shared.opts.refuse_registration {
                Reply::Json(
                    StatusCode::FORBIDDEN,
                    payloads::error("Missing Access", 50001),
                )
            } else {
                ok(json!([]))
            }
        }
        ("POST", ["interactions", _id, _token, "callback"]) => Reply::Empty(StatusCode::NO_CONTENT),
        ("DELETE", ["webhooks", a, _token, "messages", _]) if is_app(a) => {
            Reply::Empty(StatusCode::NO_CONTENT)
        }
        ("POST", ["webhooks", a, token])
        | ("GET" | "PATCH", ["webhooks", a, token, "messages", _])
            if is_app(a) =>
        {
            let channel = st
                .interaction_channels
                .get(*token)
                .copied()
                .unwrap_or(super::INTERACTION_CHANNEL);
            let id = st.next_id();
            let mut m = echo(app, id, channel, body);
            m["webhook_id"] = json!(app.to_string());
            m["application_id"] = json!(app.to_string());
            ok(m)
        }
        ("POST", ["channels", channel, "messages"]) => match channel.parse::<u64>() {
            Ok(channel) => {
                let id = st.next_id();
                ok(echo(app, id, channel, body))
            }
            Err(_) => Reply::Unknown,
        },
        ("POST", ["channels", _, "typing"]) => Reply::Empty(StatusCode::NO_CONTENT),
        _ => Reply::Unknown,
    }
}

/// The message the bot just sent, as Discord answers it: the bot as author, the content,
/// embeds and flags it sent, and the reply's `message_reference` (type 19, a reply).
pub(super) fn echo(app: u64, id: u64, channel: u64, body: &Value) -> Value {
    let content = body["content"].as_str().unwrap_or("");
    let mut m = payloads::message(
        id,
        channel,
        None,
        payloads::user(app, true),
        content,
        json!([]),
    );
    if let Some(embeds) = body.get("embeds").filter(|e| e.is_array()) {
        m["embeds"] = embeds.clone();
    }
    if let Some(flags) = body.get("flags").filter(|f| f.is_u64()) {
        m["flags"] = flags.clone();
    }
    if let Some(components) = body.get("components").filter(|c| c.is_array()) {
        m["components"] = components.clone();
    }
    if let Some(reference) = body.get("message_reference").filter(|r| r.is_object()) {
        let mut reference = reference.clone();
        if reference.get("channel_id").is_none_or(Value::is_null) {
            reference["channel_id"] = json!(channel.to_string());
        }
        m["message_reference"] = reference;
        m["type"] = json!(19);
    }
    m
}
