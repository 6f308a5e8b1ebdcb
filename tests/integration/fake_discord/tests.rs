//! Tests of the fake itself, before any bot is involved: every frame it sends is read with
//! serenity's own types (a field serenity needs but the fake forgot would turn the event into
//! `Event::Unknown`, which serenity drops silently), its session logic speaks the gateway
//! protocol, its REST answers parse with serenity's `Http`, and a plain serenity `Client`
//! connects, receives events, answers them and resumes after a drop.

use std::sync::Once;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use serenity::all::{
    ApplicationId, AutocompleteChoice, ChannelId, ClientBuilder, Command, CommandInteraction,
    Context, CreateAutocompleteResponse, CreateCommand, CreateEmbed, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, Event, EventHandler, GatewayEvent, GatewayIntents, GuildId,
    HttpBuilder, HttpError, Interaction, InteractionId, Message, MessageId, Permissions, Ready,
    ResumedEvent,
};
use serenity::builder::Builder;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::*;

/// Every wait in these tests; each test takes well under a second when all is well.
const WAIT: Duration = Duration::from_secs(5);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

// ----- a raw gateway client ---------------------------------------------------------------

/// Connects as serenity does (`/?v=10`) and reads HELLO.
async fn connect(fake: &FakeDiscord) -> Ws {
    let url = format!("{}/?v=10", fake.gateway_url());
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("gateway connect timed out")
        .expect("gateway connect");
    let hello = next(&mut ws).await;
    assert_eq!(hello["op"], 10, "HELLO first: {hello}");
    assert!(hello["d"]["heartbeat_interval"].as_u64().unwrap_or(0) > 0);
    ws
}

/// The next text frame; panics after [`WAIT`] or if the connection ends.
async fn next(ws: &mut Ws) -> Value {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Text(t))) => return serde_json::from_str::<Value>(&t).unwrap(),
                Some(Ok(WsMessage::Close(c))) => panic!("closed by the fake: {c:?}"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("gateway error: {e}"),
                None => panic!("gateway connection ended"),
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("no frame from the fake")
}

/// Reads until the connection ends; the close code, if the fake sent a close frame.
async fn end(ws: &mut Ws) -> Option<u16> {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Close(c))) => return c.map(|c| u16::from(c.code)),
                Some(Ok(WsMessage::Text(t))) => panic!("a frame instead of the end: {t}"),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("the connection did not end")
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(WsMessage::text(v.to_string())).await.unwrap();
}

async fn identify(ws: &mut Ws) -> Value {
    let d = json!({"token": "Bot t", "intents": 33281, "properties": {}, "shard": [0, 1]});
    send(ws, json!({"op": 2, "d": d})).await;
    next(ws).await
}

async fn resume(ws: &mut Ws, session_id: &str, seq: u64) {
    let d = json!({"token": "Bot t", "session_id": session_id, "seq": seq});
    send(ws, json!({"op": 6, "d": d})).await;
}

/// Reads a dispatch frame with serenity's own `GatewayEvent`; panics on `Unknown`.
fn event(frame: &Value) -> Event {
    let t = frame["t"].as_str().unwrap_or("?").to_string();
    let parsed: GatewayEvent =
        serde_json::from_value(frame.clone()).unwrap_or_else(|e| panic!("{t}: {e}\n{frame}"));
    match parsed {
        GatewayEvent::Dispatch(seq, ev) => {
            assert_eq!(Some(seq), frame["s"].as_u64(), "{t}: sequence number");
            assert!(
                !matches!(ev, Event::Unknown(_)),
                "{t} is Unknown to serenity — a required field is missing:\n{frame}"
            );
            ev
        }
        other => panic!("{t}: not a dispatch: {other:?}"),
    }
}

fn command(ev: Event) -> CommandInteraction {
    match ev {
        Event::InteractionCreate(e) => match e.interaction {
            Interaction::Command(c) => c,
            other => panic!("not a command: {other:?}"),
        },
        other => panic!("not an interaction: {other:?}"),
    }
}

fn message(ev: Event) -> Message {
    match ev {
        Event::MessageCreate(e) => e.message,
        other => panic!("not a message: {other:?}"),
    }
}

// ----- the payloads -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dispatch_the_fake_sends_is_a_known_serenity_event() {
    let fake = FakeDiscord::start(Options::default()).await;
    let mut ws = connect(&fake).await;

    let ready = identify(&mut ws).await;
    assert_eq!(
        (ready["t"].as_str(), ready["s"].as_u64()),
        (Some("READY"), Some(1))
    );
    let Event::Ready(r) = event(&ready) else {
        panic!("READY")
    };
    assert_eq!(r.ready.user.id.get(), APP);
    assert!(r.ready.user.bot);
    assert_eq!(r.ready.application.id.get(), APP);
    let session = r.ready.session_id.clone();

    // A slash command in the guild, from a member with every permission.
    let question = json!([{"name": "question", "type": 3, "value": "零一萬物是什麼?"}]);
    let id = fake.send_interaction_command("ask", question, 11, true);
    let c = command(event(&next(&mut ws).await));
    assert_eq!(c.id.get(), id);
    assert_eq!(c.application_id.get(), APP);
    assert_eq!(c.token, payloads::interaction_token(id));
    assert_eq!(c.data.name, "ask");
    assert_eq!(c.data.options[0].name, "question");
    assert_eq!(c.data.options[0].value.as_str(), Some("零一萬物是什麼?"));
    assert_eq!(c.user.id.get(), 11, "the member's user becomes `user`");
    assert_eq!(c.guild_id.map(GuildId::get), Some(GUILD));
    assert_eq!(c.channel_id.get(), INTERACTION_CHANNEL);
    let member = c.member.as_ref().expect("a member in a guild");
    assert_eq!(member.permissions, Some(Permissions::all()));
    assert_eq!(c.app_permissions, Some(Permissions::all()));

    // The same in a DM: `user`, no guild, no member.
    let id = fake.send_interaction_command("help", json!([]), 12, false);
    let c = command(event(&next(&mut ws).await));
    assert_eq!(c.id.get(), id);
    assert_eq!(c.user.id.get(), 12);
    assert_eq!((c.guild_id, c.member.is_none()), (None, true));
    assert_eq!(c.channel_id.get(), DM_CHANNEL);

    // A member without permissions.
    fake.command_with_permissions("reload", json!([]), 13, "0");
    let c = command(event(&next(&mut ws).await));
    let member = c.member.as_ref().expect("member");
    assert_eq!(member.permissions, Some(Permissions::empty()));

    // Autocomplete, from the default user and from a named one.
    for (id, user) in [
        (fake.send_autocomplete("quote", "id", "卡"), USER),
        (fake.autocomplete("quote", "id", "Q1", 14), 14),
    ] {
        let Event::InteractionCreate(e) = event(&next(&mut ws).await) else {
            panic!("INTERACTION_CREATE")
        };
        let Interaction::Autocomplete(a) = e.interaction else {
            panic!("not autocomplete: {:?}", e.interaction)
        };
        assert_eq!((a.id.get(), a.user.id.get()), (id, user));
        let focused = a.data.autocomplete().expect("a focused option");
        assert_eq!(focused.name, "id");
        assert!(["卡", "Q1"].contains(&focused.value));
    }

    // A message that mentions the bot, then one from another bot.
    let text = format!("<@{APP}> 零一綠洲是什麼?");
    let id = fake.send_message(900, 15, false, &text, true);
    let m = message(event(&next(&mut ws).await));
    assert_eq!((m.id.get(), m.channel_id.get()), (id, 900));
    assert_eq!(m.content, text);
    assert!(!m.author.bot);
    assert_eq!(m.guild_id.map(GuildId::get), Some(GUILD));
    assert!(m.mentions.iter().any(|u| u.id.get() == APP));
    let id = fake.message(900, 16, true, "beep", false);
    let m = message(event(&next(&mut ws).await));
    assert_eq!(m.id.get(), id);
    assert!(m.author.bot);
    assert!(m.mentions.is_empty());

    // A raw dispatch goes out as given, numbered.
    fake.dispatch(
        "TYPING_START",
        json!({"channel_id": "900", "user_id": "15", "timestamp": 0}),
    );
    let typing = next(&mut ws).await;
    assert!(matches!(event(&typing), Event::TypingStart(_)));
    assert_eq!(typing["s"], 9, "READY, 7 events, then this one");

    // RESUMED, after a drop: `d` is an object.
    fake.drop_connection();
    assert_eq!(end(&mut ws).await, None, "a TCP drop, no close frame");
    let mut ws = connect(&fake).await;
    resume(&mut ws, &session, 9).await;
    let resumed = next(&mut ws).await;
    assert_eq!(
        (resumed["t"].as_str(), resumed["s"].as_u64()),
        (Some("RESUMED"), Some(10))
    );
    assert!(matches!(event(&resumed), Event::Resumed(_)));
}

// ----- the session logic ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_replays_what_was_missed_and_identify_starts_over() {
    let fake = FakeDiscord::start(Options::default()).await;
    let mut ws = connect(&fake).await;
    let ready = identify(&mut ws).await;
    let session = ready["d"]["session_id"].as_str().unwrap().to_string();
    assert_eq!(ready["d"]["shard"], json!([0, 1]));
    assert!(fake.is_live());

    let m2 = fake.send_message(1, 2, false, "two", false);
    let m3 = fake.send_message(1, 2, false, "three", false);
    for (s, id) in [(2, m2), (3, m3)] {
        let f = next(&mut ws).await;
        assert_eq!(
            (f["s"].as_u64(), f["d"]["id"].as_str()),
            (Some(s), Some(&*id.to_string()))
        );
    }

    // Heartbeats are acknowledged.
    send(&mut ws, json!({"op": 1, "d": 3})).await;
    assert_eq!(next(&mut ws).await, json!({"op": 11}));

    // A drop; what is sent meanwhile waits.
    fake.drop_connection();
    assert!(!fake.is_live());
    let m5 = fake.send_message(1, 2, false, "five", false);
    assert_eq!(end(&mut ws).await, None);

    // The bot saw s=2 only: s=3 again, RESUMED, then what waited.
    let mut ws = connect(&fake).await;
    resume(&mut ws, &session, 2).await;
    let replayed = next(&mut ws).await;
    assert_eq!(
        (replayed["s"].as_u64(), replayed["d"]["id"].as_str()),
        (Some(3), Some(&*m3.to_string()))
    );
    let resumed = next(&mut ws).await;
    assert_eq!(
        (resumed["t"].as_str(), resumed["s"].as_u64()),
        (Some("RESUMED"), Some(4))
    );
    assert_eq!(resumed["d"], json!({}));
    let waited = next(&mut ws).await;
    assert_eq!(
        (waited["s"].as_u64(), waited["d"]["id"].as_str()),
        (Some(5), Some(&*m5.to_string()))
    );
    assert!(fake.wait_for_sessions(WAIT, |i, r| (i, r) == (1, 1)).await);

    // A close code reaches the client as a close frame.
    fake.close_with(4000);
    assert_eq!(end(&mut ws).await, Some(4000));

    // Resuming from 0 replays dispatches only, never READY or RESUMED.
    let mut ws = connect(&fake).await;
    resume(&mut ws, &session, 0).await;
    let mut got = Vec::new();
    loop {
        let f = next(&mut ws).await;
        got.push((
            f["t"].as_str().unwrap().to_string(),
            f["s"].as_u64().unwrap(),
        ));
        if f["t"] == "RESUMED" {
            break;
        }
    }
    let m = "MESSAGE_CREATE".to_string();
    assert_eq!(
        got,
        [
            (m.clone(), 2),
            (m.clone(), 3),
            (m, 5),
            ("RESUMED".into(), 6)
        ]
    );

    // op 7, then op 9 `false`: the session is gone and a RESUME is refused.
    fake.send_reconnect();
    assert_eq!(next(&mut ws).await, json!({"op": 7, "d": null}));
    let mut ws = connect(&fake).await;
    resume(&mut ws, &session, 6).await;
    assert_eq!(next(&mut ws).await["t"], "RESUMED");
    fake.send_invalid_session(false);
    assert_eq!(next(&mut ws).await, json!({"op": 9, "d": false}));
    let mut ws = connect(&fake).await;
    resume(&mut ws, &session, 6).await;
    assert_eq!(next(&mut ws).await, json!({"op": 9, "d": false}));
    assert!(!fake.is_live());

    // A new IDENTIFY: a new session, numbered from 1.
    fake.send_message(1, 2, false, "queued for the new session", false);
    let ready = identify(&mut ws).await;
    assert_eq!(
        (ready["t"].as_str(), ready["s"].as_u64()),
        (Some("READY"), Some(1))
    );
    assert_ne!(ready["d"]["session_id"].as_str(), Some(&*session));
    assert_eq!(next(&mut ws).await["s"], 2);
    assert_eq!(fake.sessions(), (2, 4));
    assert_eq!(
        (
            fake.identify_count(),
            fake.resume_count(),
            fake.ready_count()
        ),
        (2, 4, 2)
    );

    // Everything the client sent was recorded.
    let ops: Vec<u64> = fake.frames().iter().map(|f| f.op).collect();
    assert_eq!(ops, [2, 1, 6, 6, 6, 6, 2]);
    let d = fake.wait_for_identify(WAIT).await.expect("IDENTIFY");
    assert_eq!(d["token"], "Bot t");
    assert!(fake.wait_ready_sent(WAIT).await);
    assert_eq!(fake.connections(), 5);

    // Without ACKs, a heartbeat goes unanswered.
    fake.set_heartbeat_acks(false);
    send(&mut ws, json!({"op": 1, "d": 2})).await;
    fake.send_reconnect();
    assert_eq!(next(&mut ws).await["op"], 7, "op 7, no op 11 before it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_after_identify_and_refused_connections() {
    let fake = FakeDiscord::start(Options {
        close_after_identify: Some(4004),
        refuse_connections: 1,
        ..Options::default()
    })
    .await;
    let url = format!("{}/?v=10", fake.gateway_url());
    let (mut refused, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(
        end(&mut refused).await,
        None,
        "the first connection is dropped"
    );
    let mut ws = connect(&fake).await;
    send(&mut ws, json!({"op": 2, "d": {"token": "Bot bad"}})).await;
    assert_eq!(end(&mut ws).await, Some(4004));
    assert_eq!(
        (
            fake.identify_count(),
            fake.ready_count(),
            fake.connections()
        ),
        (1, 0, 2)
    );
    assert!(!fake.wait_ready_sent(Duration::from_millis(50)).await);
}

// ----- the REST side, through serenity's own Http -----------------------------------------

/// serenity's HTTP client pointed at the fake, as the bot builds it. The rate limiter must be
/// off: with it on, serenity sends requests to discord.com whatever the proxy.
fn http(fake: &FakeDiscord) -> serenity::http::Http {
    loopback_bypasses_proxies();
    HttpBuilder::new("t")
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build()
}

/// reqwest would send even 127.0.0.1 through an `HTTP_PROXY` from the environment: when one is
/// set, make sure `NO_PROXY` names the loopback, so these tests do not depend on the caller's.
fn loopback_bypasses_proxies() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let proxied = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .any(|k| std::env::var_os(k).is_some());
        if !proxied {
            return;
        }
        let no = std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .unwrap_or_default();
        if !no.split(',').any(|h| h.trim() == "127.0.0.1") {
            let no = if no.is_empty() {
                String::new()
            } else {
                format!("{no},")
            };
            std::env::set_var("NO_PROXY", format!("{no}127.0.0.1,localhost"));
        }
    });
}

fn status(e: &serenity::Error) -> Option<u16> {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => Some(r.status_code.as_u16()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_answers_parse_with_serenity_and_every_call_is_recorded() {
    let fake = FakeDiscord::start(Options::default()).await;
    let http = http(&fake);

    assert_eq!(http.get_gateway().await.unwrap().url, fake.gateway_url());
    let bot = http.get_bot_gateway().await.unwrap();
    assert_eq!((bot.url, bot.shards), (fake.gateway_url(), 1));
    let app = http.get_current_application_info().await.unwrap();
    assert_eq!(app.id.get(), APP);
    assert_eq!(app.owner.map(|o| o.id.get()), Some(OWNER));
    let me = http.get_current_user().await.unwrap();
    assert_eq!((me.id.get(), me.bot), (APP, true));

    // Registration, global and per guild.
    http.set_application_id(ApplicationId::new(APP));
    let ask = CreateCommand::new("ask").description("Ask the interview");
    let global = Command::set_global_commands(&http, vec![ask.clone()]).await;
    assert!(global.unwrap().is_empty());
    let guild = GuildId::new(GUILD).set_commands(&http, vec![ask]).await;
    assert!(guild.unwrap().is_empty());
    let put = fake
        .wait_for_call(WAIT, |c| {
            c.method == "PUT"
                && c.path == format!("/api/v10/applications/{APP}/guilds/{GUILD}/commands")
        })
        .await
        .expect("guild registration recorded");
    assert_eq!(put.body[0]["name"], "ask");

    // A message, then a reply with an embed: echoed back as full messages.
    let m = ChannelId::new(42).say(&http, "hello").await.unwrap();
    assert_eq!(
        (m.channel_id.get(), m.author.id.get(), m.content.as_str()),
        (42, APP, "hello")
    );
    let reply = CreateMessage::new()
        .content("a reply")
        .embed(CreateEmbed::new().title("Q1"))
        .reference_message((ChannelId::new(42), MessageId::new(7)));
    let m = ChannelId::new(42).send_message(&http, reply).await.unwrap();
    let reference = m.message_reference.expect("message_reference echoed");
    assert_eq!(reference.message_id.map(MessageId::get), Some(7));
    assert_eq!(m.embeds[0].title.as_deref(), Some("Q1"));
    let posted = fake.wait_for_message(42, WAIT).await.expect("recorded");
    assert_eq!(posted["content"], "hello");

    // An interaction: callback (204), then the original response edited, then a follow-up.
    let id = fake.send_interaction_command("ask", json!([]), 11, false);
    let token = payloads::interaction_token(id);
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new())
        .execute(&http, (InteractionId::new(id), &token))
        .await
        .unwrap();
    let callback = fake.wait_for_callback(id, WAIT).await.expect("callback");
    assert_eq!(callback["type"], 5);
    let edited = EditInteractionResponse::new()
        .content("answer")
        .execute(&http, &token)
        .await
        .unwrap();
    assert_eq!(
        (edited.content.as_str(), edited.channel_id.get()),
        ("answer", DM_CHANNEL)
    );
    let followup = CreateInteractionResponseFollowup::new()
        .content("more")
        .ephemeral(true)
        .execute(&http, (None, &token))
        .await
        .unwrap();
    assert_eq!(followup.content, "more");
    let patch = fake
        .wait_for_call(WAIT, |c| {
            c.method == "PATCH" && c.path.ends_with("/messages/@original")
        })
        .await
        .expect("PATCH @original recorded");
    assert_eq!(
        patch.path,
        format!("/api/v10/webhooks/{APP}/{token}/messages/@original")
    );
    assert_eq!(patch.body["content"], "answer");

    // Injected failures, once each.
    fake.fail_next("/channels/42/messages", 500, None);
    let e = ChannelId::new(42).say(&http, "x").await.unwrap_err();
    assert_eq!(status(&e), Some(500));
    fake.fail_next("/channels/42/messages", 429, Some(0.25));
    let e = ChannelId::new(42).say(&http, "x").await.unwrap_err();
    assert_eq!(status(&e), Some(429));
    assert!(ChannelId::new(42).say(&http, "x").await.is_ok());

    // An unknown route: 404, recorded as such.
    let e = http.get_pins(ChannelId::new(5)).await.unwrap_err();
    assert_eq!(status(&e), Some(404));
    let unknown = fake.unknown_routes();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(
        (unknown[0].method.as_str(), unknown[0].path.as_str()),
        ("GET", "/api/v10/channels/5/pins")
    );

    // Every call, in order, with its body.
    let calls = fake.calls();
    assert_eq!(calls.len(), fake.call_count());
    assert_eq!(calls[0].path, "/api/v10/gateway");
    assert_eq!(calls[0].body, Value::Null);
    assert!(fake.calls_since(calls.len()).is_empty());
    assert!(calls.iter().all(|c| !c.path.contains('?')));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_registration_is_a_403() {
    let fake = FakeDiscord::start(Options {
        refuse_registration: true,
        ..Options::default()
    })
    .await;
    let http = http(&fake);
    http.set_application_id(ApplicationId::new(APP));
    let cmd = CreateCommand::new("ask").description("Ask");
    let e = Command::set_global_commands(&http, vec![cmd.clone()])
        .await
        .unwrap_err();
    assert_eq!(status(&e), Some(403));
    let e = GuildId::new(GUILD)
        .set_commands(&http, vec![cmd])
        .await
        .unwrap_err();
    assert_eq!(status(&e), Some(403));
    assert!(fake.unknown_routes().is_empty());
}

// ----- a plain serenity Client ------------------------------------------------------------

/// What the client's handler saw or did.
#[derive(Debug)]
enum Seen {
    Ready(u64),
    Resumed,
    Message(String),
    Replied(Result<Box<Message>, String>),
    Answered(u64, Result<(), String>),
}

struct Handler(mpsc::UnboundedSender<Seen>);

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _: Context, ready: Ready) {
        let _ = self.0.send(Seen::Ready(ready.user.id.get()));
    }

    async fn resume(&self, _: Context, _: ResumedEvent) {
        let _ = self.0.send(Seen::Resumed);
    }

    async fn message(&self, ctx: Context, msg: Message) {
        let _ = self.0.send(Seen::Message(msg.content.clone()));
        if msg.mentions_user_id(ctx.cache.current_user().id) {
            let r = msg.reply(&ctx.http, "pong").await;
            let _ = self
                .0
                .send(Seen::Replied(r.map(Box::new).map_err(|e| e.to_string())));
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let (id, r) = match interaction {
            Interaction::Command(c) => {
                let msg =
                    CreateInteractionResponseMessage::new().content(format!("pong {}", c.user.id));
                let r = c.create_response(&ctx.http, CreateInteractionResponse::Message(msg));
                (c.id, r.await)
            }
            Interaction::Autocomplete(a) => {
                let typed = a.data.autocomplete().map_or("", |o| o.value).to_string();
                let choices = CreateAutocompleteResponse::new()
                    .set_choices(vec![AutocompleteChoice::new(typed.clone(), typed)]);
                let r =
                    a.create_response(&ctx.http, CreateInteractionResponse::Autocomplete(choices));
                (a.id, r.await)
            }
            _ => return,
        };
        let _ = self
            .0
            .send(Seen::Answered(id.get(), r.map_err(|e| e.to_string())));
    }
}

async fn seen(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("the client's handler saw nothing")
        .expect("handler gone")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serenity_client_connects_answers_and_resumes() {
    let fake = FakeDiscord::start(Options::default()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let intents = GatewayIntents::non_privileged() | GatewayIntents::MESSAGE_CONTENT;
    let mut client = tokio::time::timeout(
        WAIT,
        ClientBuilder::new_with_http(http(&fake), intents).event_handler(Handler(tx)),
    )
    .await
    .expect("client build timed out")
    .expect("client build");
    let shards = client.shard_manager.clone();
    let running = tokio::spawn(async move { client.start().await });

    assert!(matches!(seen(&mut rx).await, Seen::Ready(id) if id == APP));
    let identify = fake.wait_for_identify(WAIT).await.expect("IDENTIFY");
    assert_eq!(identify["token"], "Bot t");
    assert_eq!(identify["shard"], json!([0, 1]));
    assert_eq!(identify["intents"], intents.bits());
    assert!(fake.wait_ready_sent(WAIT).await);

    // A mention: the handler sees it and its reply parses.
    let mention = fake.send_message(900, 21, false, &format!("<@{APP}> hello"), true);
    assert!(matches!(seen(&mut rx).await, Seen::Message(c) if c.ends_with("hello")));
    match seen(&mut rx).await {
        Seen::Replied(Ok(m)) => assert_eq!((m.content.as_str(), m.channel_id.get()), ("pong", 900)),
        other => panic!("reply: {other:?}"),
    }
    let body = fake
        .wait_for_message(900, WAIT)
        .await
        .expect("reply recorded");
    assert_eq!(body["message_reference"]["message_id"], mention.to_string());

    // A command in a guild, one in a DM, an autocomplete: each answered through the callback.
    let ids = [
        fake.send_interaction_command("ping", json!([]), 22, true),
        fake.send_interaction_command("ping", json!([]), 23, false),
        fake.send_autocomplete("quote", "id", "Q7"),
    ];
    // serenity runs each event handler in its own task: answers come in any order.
    let mut answered = Vec::new();
    for _ in ids {
        match seen(&mut rx).await {
            Seen::Answered(got, Ok(())) => answered.push(got),
            other => panic!("interaction: {other:?}"),
        }
    }
    answered.sort_unstable();
    assert_eq!(answered, ids);
    let guild = fake.wait_for_callback(ids[0], WAIT).await.unwrap();
    assert_eq!(
        (guild["type"].as_u64(), guild["data"]["content"].as_str()),
        (Some(4), Some("pong 22"))
    );
    let dm = fake.wait_for_callback(ids[1], WAIT).await.unwrap();
    assert_eq!(dm["data"]["content"], "pong 23");
    let ac = fake.wait_for_callback(ids[2], WAIT).await.unwrap();
    assert_eq!(
        (ac["type"].as_u64(), &ac["data"]["choices"][0]["value"]),
        (Some(8), &json!("Q7"))
    );

    // A TCP drop: serenity resumes, and what was sent meanwhile arrives once.
    fake.drop_connection();
    fake.send_message(900, 24, false, "while away", false);
    fake.send_message(900, 24, false, "after", false);
    let count = |seen: &[Seen], text: &str| {
        seen.iter()
            .filter(|s| matches!(s, Seen::Message(c) if c == text))
            .count()
    };
    let mut after_drop = Vec::new();
    while count(&after_drop, "while away") == 0
        || count(&after_drop, "after") == 0
        || !after_drop.iter().any(|s| matches!(s, Seen::Resumed))
    {
        after_drop.push(seen(&mut rx).await);
    }
    // A duplicate would come right behind (serenity does not drop them): give it a moment.
    while let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
        after_drop.push(s);
    }
    assert_eq!(count(&after_drop, "while away"), 1, "{after_drop:?}");
    assert_eq!(count(&after_drop, "after"), 1, "{after_drop:?}");
    assert!(fake.wait_for_sessions(WAIT, |i, r| (i, r) == (1, 1)).await);
    assert!(
        fake.unknown_routes().is_empty(),
        "{:?}",
        fake.unknown_routes()
    );

    tokio::time::timeout(WAIT, shards.shutdown_all())
        .await
        .expect("shutdown");
    running.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_4004_after_identify_makes_a_serenity_client_fail() {
    let fake = FakeDiscord::start(Options {
        close_after_identify: Some(4004),
        ..Options::default()
    })
    .await;
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut client = ClientBuilder::new_with_http(http(&fake), GatewayIntents::non_privileged())
        .event_handler(Handler(tx))
        .await
        .expect("client build");
    let started = tokio::time::timeout(WAIT, client.start())
        .await
        .expect("client.start() must return after 4004");
    assert!(started.is_err(), "4004 is an error");
    assert_eq!((fake.identify_count(), fake.ready_count()), (1, 0));
}

// ----- conversations ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversation_payloads_are_known_serenity_events_and_answers() {
    use serenity::all::{Channel, ChannelType, ComponentInteraction, CreateThread, ReactionType};
    let fake = FakeDiscord::start(Options::default()).await;
    let http = http(&fake);
    let mut ws = connect(&fake).await;
    identify(&mut ws).await;

    // The bot's answer, with a button, as Discord keeps it.
    let answer = CreateMessage::new()
        .content("— *李開複 · Q5*")
        .components(vec![serenity::all::CreateActionRow::Buttons(vec![
            serenity::all::CreateButton::new("full:Q5").label("全文"),
        ])]);
    let answer = ChannelId::new(42)
        .send_message(&http, answer)
        .await
        .unwrap();
    let answer_id = answer.id.get();

    // A reply to it carries it in full.
    let reply = fake.reply_to(42, 15, answer_id, "他還說了什麼?", false);
    let m = message(event(&next(&mut ws).await));
    assert_eq!(m.id.get(), reply);
    let referenced = m.referenced_message.expect("the answer it replies to");
    assert_eq!(referenced.id.get(), answer_id);
    assert_eq!(referenced.components.len(), 1);
    assert!(m.mentions.is_empty(), "ping off");

    // A DM: no guild. A role mention.
    fake.dm(16, "零一綠洲是什麼?");
    let m = message(event(&next(&mut ws).await));
    assert_eq!((m.guild_id, m.channel_id.get()), (None, DM_CHANNEL));
    fake.role_mention(42, 17, conversation::BOT_ROLE, "<@&1> hi");
    let m = message(event(&next(&mut ws).await));
    assert_eq!(m.mention_roles[0].get(), conversation::BOT_ROLE);

    // A button press carries the message it is on.
    let id = fake.press(answer_id, "full:Q5", 18);
    let Event::InteractionCreate(e) = event(&next(&mut ws).await) else {
        panic!("INTERACTION_CREATE")
    };
    let c: ComponentInteraction = match e.interaction {
        Interaction::Component(c) => c,
        other => panic!("not a component: {other:?}"),
    };
    assert_eq!((c.id.get(), c.data.custom_id.as_str()), (id, "full:Q5"));
    assert_eq!((c.message.id.get(), c.user.id.get()), (answer_id, 18));

    // A message command carries its target.
    let id = fake.message_command("Ask the interview", reply, 19);
    let c = command(event(&next(&mut ws).await));
    assert_eq!(
        (c.id.get(), c.data.name.as_str()),
        (id, "Ask the interview")
    );
    assert_eq!(c.data.kind, serenity::all::CommandType::Message);
    assert_eq!(c.data.target_id.map(|t| t.get()), Some(reply));
    let target = c
        .data
        .resolved
        .messages
        .values()
        .next()
        .expect("the target");
    assert_eq!(target.content, "他還說了什麼?");

    // REST: a thread on the answer, once; the channel, its history, the roles, reactions.
    let thread = ChannelId::new(42)
        .create_thread_from_message(&http, answer.id, CreateThread::new("討論"))
        .await
        .unwrap();
    assert_eq!(
        (thread.id.get(), thread.kind),
        (answer_id, ChannelType::PublicThread)
    );
    assert_eq!(thread.owner_id.map(|o| o.get()), Some(APP));
    let again = ChannelId::new(42)
        .create_thread_from_message(&http, answer.id, CreateThread::new("討論"))
        .await
        .unwrap_err();
    assert_eq!(status(&again), Some(400));
    let Channel::Guild(c) = http.get_channel(thread.id).await.unwrap() else {
        panic!("a guild channel")
    };
    assert_eq!(c.parent_id.map(|p| p.get()), Some(42));
    let Channel::Guild(c) = http.get_channel(ChannelId::new(42)).await.unwrap() else {
        panic!("a guild channel")
    };
    assert_eq!(c.kind, ChannelType::Text);
    let history = ChannelId::new(42)
        .messages(&http, serenity::all::GetMessages::new().limit(50))
        .await
        .unwrap();
    assert!(
        history.windows(2).all(|w| w[0].id > w[1].id),
        "newest first"
    );
    assert!(history.iter().any(|m| m.id.get() == reply));
    assert!(history.iter().any(|m| m.id == answer.id));
    let roles = http.get_guild_roles(GuildId::new(GUILD)).await.unwrap();
    assert!(roles
        .iter()
        .any(|r| r.tags.bot_id.map(|b| b.get()) == Some(APP) && r.managed));
    let hourglass = ReactionType::Unicode("⏳".into());
    http.create_reaction(ChannelId::new(42), MessageId::new(reply), &hourglass)
        .await
        .unwrap();
    http.delete_reaction_me(ChannelId::new(42), MessageId::new(reply), &hourglass)
        .await
        .unwrap();
    assert!(
        fake.unknown_routes().is_empty(),
        "{:?}",
        fake.unknown_routes()
    );
}
