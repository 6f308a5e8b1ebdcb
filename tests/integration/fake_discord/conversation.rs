//! What conversations need from the fake: it remembers every message (the bot's and the
//! users'), so that a button press carries the message it was on, a reply carries the message it
//! refers to, an interaction's original response can be fetched and edited, and a channel's
//! history can be read; threads opened on a message; reactions; the guild's roles with the
//! bot's managed role; and Discord's rule that message text is withheld from a bot without the
//! Message Content intent.
//!
//! Everything here is in its own functions, called from `rest::route` (first, so these routes
//! win) and from the builders below; the rest of the fake only stores messages it dispatches.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::payloads::{self, InteractionSpec, Place, ALL_PERMISSIONS, APPLICATION_COMMAND};
use super::rest::Reply;
use super::{FakeDiscord, Shared, State, DM_CHANNEL, GUILD};

/// The id of the role Discord creates for the bot when it joins [`GUILD`] (managed, tagged
/// with the bot's id).
pub const BOT_ROLE: u64 = 900_000_000_000_000_200;

/// Interaction type 3: a button press (message component).
pub const MESSAGE_COMPONENT: u8 = 3;

/// The `MESSAGE_CONTENT` intent bit.
const MESSAGE_CONTENT: u64 = 1 << 15;

/// Messages, threads and interaction responses, as Discord keeps them.
#[derive(Debug, Default)]
pub(super) struct Store {
    /// Every message by id, as it stands now (edits applied).
    messages: HashMap<u64, Value>,
    /// Message ids in the order they were made.
    order: Vec<u64>,
    /// Interaction token → the message of its original response.
    originals: HashMap<String, u64>,
    /// Interaction token of a button press → the message the button was on.
    pressed: HashMap<String, u64>,
    /// Threads by id (a thread opened on a message has that message's id).
    threads: HashMap<u64, Value>,
}

impl Store {
    fn add(&mut self, m: Value) {
        if let Some(id) = id_of(&m) {
            if self.messages.insert(id, m).is_none() {
                self.order.push(id);
            }
        }
    }

    /// Applies the fields of an edit (`content`, `embeds`, `components`, `flags`) to a message.
    fn edit(&mut self, id: u64, body: &Value) -> Option<Value> {
        let m = self.messages.get_mut(&id)?;
        for field in ["content", "embeds", "components"] {
            if let Some(v) = body.get(field).filter(|v| !v.is_null()) {
                m[field] = v.clone();
            }
        }
        m["edited_timestamp"] = json!(payloads::TIMESTAMP);
        Some(m.clone())
    }
}

fn id_of(m: &Value) -> Option<u64> {
    m["id"].as_str().and_then(|s| s.parse().ok())
}

fn num(s: &str) -> Option<u64> {
    s.parse().ok()
}

/// Whether a JSON id (a string, as Discord sends them) is `id`.
fn is_id(v: &Value, id: u64) -> bool {
    v.as_str().and_then(num) == Some(id)
}

/// Stores a message the fake is about to dispatch, and withholds its text when Discord would
/// (see [`withheld`]); returns the message as it is sent.
pub(super) fn dispatched(st: &mut State, app: u64, mut m: Value) -> Value {
    st.store.add(m.clone());
    if withheld(st, app, &m) {
        m["content"] = json!("");
        m["embeds"] = json!([]);
        m["attachments"] = json!([]);
        m["components"] = json!([]);
    }
    m
}

/// Discord withholds the text of a guild message from a bot that did not ask for the
/// Message Content intent, unless the message mentions the bot or is the bot's own.
fn withheld(st: &State, app: u64, m: &Value) -> bool {
    let intents = st
        .frames
        .iter()
        .rev()
        .find(|f| f.op == 2)
        .and_then(|f| f.d["intents"].as_u64());
    let Some(intents) = intents else {
        return false;
    };
    let mentioned = m["mentions"]
        .as_array()
        .is_some_and(|a| a.iter().any(|u| is_id(&u["id"], app)));
    let own = is_id(&m["author"]["id"], app);
    intents & MESSAGE_CONTENT == 0 && m.get("guild_id").is_some() && !mentioned && !own
}

/// The routes of this file, tried before the others; `None` when none matches.
pub(super) fn route(
    shared: &Shared,
    st: &mut State,
    method: &Method,
    segments: &[&str],
    body: &Value,
) -> Option<Reply> {
    let app = shared.app();
    let ok = |v: Value| Some(Reply::Json(StatusCode::OK, v));
    let is_app = |s: &str| num(s) == Some(app);
    match (method.as_str(), segments) {
        ("POST", ["interactions", _, token, "callback"]) => {
            callback(st, app, token, body);
            Some(Reply::Empty(StatusCode::NO_CONTENT))
        }
        ("GET" | "PATCH", ["webhooks", a, token, "messages", "@original"]) if is_app(a) => {
            let id = st
                .store
                .originals
                .get(*token)
                .or_else(|| st.store.pressed.get(*token))
                .copied()?;
            if method == Method::PATCH {
                st.store.edit(id, body);
            }
            st.store
                .messages
                .get(&id)
                .cloned()
                .map(|m| webhook(app, m))
                .and_then(ok)
        }
        ("POST", ["webhooks", a, token]) if is_app(a) => {
            let channel = st.interaction_channels.get(*token).copied()?;
            let id = st.next_id();
            let m = webhook(app, super::rest::echo(app, id, channel, body));
            st.store.add(m.clone());
            ok(m)
        }
        ("POST", ["channels", channel, "messages"]) => {
            let channel = num(channel)?;
            let id = st.next_id();
            let mut m = super::rest::echo(app, id, channel, body);
            if let Some(r) = m["message_reference"]["message_id"].as_str().and_then(num) {
                if let Some(referenced) = st.store.messages.get(&r) {
                    m["referenced_message"] = referenced.clone();
                }
            }
            st.store.add(m.clone());
            ok(m)
        }
        ("PATCH", ["channels", _, "messages", message]) => {
            let m = st.store.edit(num(message)?, body)?;
            ok(m)
        }
        ("GET", ["channels", channel, "messages", message]) => {
            let m = st.store.messages.get(&num(message)?)?;
            (m["channel_id"] == *channel)
                .then(|| m.clone())
                .and_then(ok)
        }
        ("GET", ["channels", channel, "messages"]) => {
            let newest_first: Vec<Value> = st
                .store
                .order
                .iter()
                .rev()
                .filter_map(|id| st.store.messages.get(id))
                .filter(|m| m["channel_id"] == *channel && m["flags"] != 64)
                .take(50)
                .cloned()
                .collect();
            ok(json!(newest_first))
        }
        ("POST", ["channels", channel, "messages", message, "threads"]) => {
            let (channel, message) = (num(channel)?, num(message)?);
            if st.store.threads.contains_key(&message) {
                return Some(Reply::Json(
                    StatusCode::BAD_REQUEST,
                    payloads::error("A thread has already been created for this message", 160004),
                ));
            }
            let name = body["name"].as_str().unwrap_or("thread");
            let thread = thread(message, channel, app, name);
            st.store.threads.insert(message, thread.clone());
            ok(thread)
        }
        ("GET", ["channels", channel]) => {
            let channel = num(channel)?;
            let c = st
                .store
                .threads
                .get(&channel)
                .cloned()
                .unwrap_or_else(|| text_channel(channel));
            ok(c)
        }
        ("PUT" | "DELETE", ["channels", _, "messages", _, "reactions", _, "@me"]) => {
            Some(Reply::Empty(StatusCode::NO_CONTENT))
        }
        ("GET", ["guilds", _, "roles"]) => ok(json!([
            role(GUILD, "@everyone", None),
            role(BOT_ROLE, "interview-bot", Some(app))
        ])),
        _ => None,
    }
}

/// An interaction callback: type 4 makes the original response, type 7 edits the message the
/// button was on, type 5 makes a "thinking…" original to be edited later.
fn callback(st: &mut State, app: u64, token: &str, body: &Value) {
    let data = &body["data"];
    match body["type"].as_u64() {
        Some(4 | 5) => {
            let Some(&channel) = st.interaction_channels.get(token) else {
                return;
            };
            let id = st.next_id();
            let m = webhook(app, super::rest::echo(app, id, channel, data));
            st.store.add(m);
            st.store.originals.insert(token.to_string(), id);
        }
        Some(7) => {
            if let Some(&id) = st.store.pressed.get(token) {
                st.store.edit(id, data);
            }
        }
        _ => {}
    }
}

/// A message made through an interaction: Discord marks it with the application.
fn webhook(app: u64, mut m: Value) -> Value {
    m["webhook_id"] = json!(app.to_string());
    m["application_id"] = json!(app.to_string());
    m
}

/// A public thread opened by `owner` on message `id` of `parent`.
pub fn thread(id: u64, parent: u64, owner: u64, name: &str) -> Value {
    json!({
        "id": id.to_string(),
        "type": 11,
        "guild_id": GUILD.to_string(),
        "parent_id": parent.to_string(),
        "owner_id": owner.to_string(),
        "name": name,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "thread_metadata": {
            "archived": false,
            "auto_archive_duration": 1440,
            "archive_timestamp": payloads::TIMESTAMP,
            "locked": false
        },
        "flags": 0,
        "total_message_sent": 0
    })
}

/// A guild text channel.
pub fn text_channel(id: u64) -> Value {
    json!({
        "id": id.to_string(),
        "type": 0,
        "guild_id": GUILD.to_string(),
        "name": format!("channel-{id}"),
        "position": 0,
        "permission_overwrites": [],
        "nsfw": false,
        "parent_id": null,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "flags": 0
    })
}

/// A role of [`GUILD`]; `bot` tags the managed role of that bot.
pub fn role(id: u64, name: &str, bot: Option<u64>) -> Value {
    let mut r = json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": 0,
        "permissions": "0",
        "managed": bot.is_some(),
        "mentionable": true,
        "flags": 0
    });
    if let Some(bot) = bot {
        r["tags"] = json!({"bot_id": bot.to_string()});
        r["position"] = json!(1);
    }
    r
}

/// A user's message in `channel` (`guild` None: a DM).
fn user_message(
    id: u64,
    channel: u64,
    guild: Option<u64>,
    author: u64,
    content: &str,
    mentions: Value,
) -> Value {
    payloads::message(
        id,
        channel,
        guild,
        payloads::user(author, false),
        content,
        mentions,
    )
}

/// The partial channel an interaction carries: its id and type (11 for a thread the fake
/// opened, 1 for the DM channel, else 0, a text channel).
fn carried_channel(st: &State, channel: u64) -> Value {
    let kind = if st.store.threads.contains_key(&channel) {
        11
    } else if channel == DM_CHANNEL {
        1
    } else {
        0
    };
    json!({"id": channel.to_string(), "type": kind})
}

impl FakeDiscord {
    fn dispatch_message(&self, m: Value) {
        let m = dispatched(&mut self.shared.lock(), self.app_id(), m);
        self.dispatch("MESSAGE_CREATE", m);
    }

    fn bot_mention(&self, on: bool) -> Value {
        if on {
            json!([payloads::user(self.app_id(), true)])
        } else {
            json!([])
        }
    }

    /// A reply by `author` in `channel` to message `to`, as Discord sends it: the
    /// `message_reference`, type 19, and the referenced message in full. With `ping` (Discord's
    /// default for a reply) the replied-to author is among the mentions. Returns its id.
    pub fn reply_to(&self, channel: u64, author: u64, to: u64, content: &str, ping: bool) -> u64 {
        let id = self.next_id();
        let referenced = self.shared.lock().store.messages.get(&to).cloned();
        let to_bot = referenced
            .as_ref()
            .is_some_and(|r| is_id(&r["author"]["id"], self.app_id()));
        let mentions = self.bot_mention(ping && to_bot);
        let mut m = user_message(id, channel, Some(GUILD), author, content, mentions);
        m["type"] = json!(19);
        m["message_reference"] = json!({
            "message_id": to.to_string(),
            "channel_id": channel.to_string(),
            "guild_id": GUILD.to_string()
        });
        m["referenced_message"] = referenced.unwrap_or(Value::Null);
        self.dispatch_message(m);
        id
    }

    /// A message by `author` in a direct message with the bot (no guild). Returns its id.
    pub fn dm(&self, author: u64, content: &str) -> u64 {
        let id = self.next_id();
        self.dispatch_message(user_message(
            id,
            DM_CHANNEL,
            None,
            author,
            content,
            json!([]),
        ));
        id
    }

    /// A message in `channel` of [`GUILD`] that mentions `role` (e.g. [`BOT_ROLE`], the bot's
    /// managed role), not the bot's user; `content` should hold `<@&ROLE>`. Returns its id.
    pub fn role_mention(&self, channel: u64, author: u64, role: u64, content: &str) -> u64 {
        let id = self.next_id();
        let mut m = user_message(id, channel, Some(GUILD), author, content, json!([]));
        m["mention_roles"] = json!([role.to_string()]);
        self.dispatch_message(m);
        id
    }

    /// `user` presses the button `custom_id` on message `message` (INTERACTION_CREATE type 3,
    /// carrying the message as it stands). Returns the interaction id.
    ///
    /// # Panics
    /// If the fake has no such message.
    pub fn press(&self, message: u64, custom_id: &str, user: u64) -> u64 {
        let m = self
            .message_by_id(message)
            .unwrap_or_else(|| panic!("no message {message} to press a button on"));
        let channel = m["channel_id"].as_str().and_then(num).unwrap_or(0);
        let guild = m.get("guild_id").is_some() || channel != DM_CHANNEL;
        let id = self.next_id();
        let spec = InteractionSpec {
            id,
            kind: MESSAGE_COMPONENT,
            name: String::new(),
            options: json!([]),
            user,
            place: if guild {
                Place::Guild {
                    guild: GUILD,
                    channel,
                }
            } else {
                Place::Dm { channel }
            },
            permissions: ALL_PERMISSIONS.to_string(),
        };
        let mut d = spec.to_json(self.app_id());
        d["data"] = json!({"custom_id": custom_id, "component_type": 2});
        d["message"] = m;
        {
            let mut st = self.shared.lock();
            d["channel"] = carried_channel(&st, channel);
            st.store.pressed.insert(spec.token(), message);
            st.interaction_channels.insert(spec.token(), channel);
        }
        self.dispatch("INTERACTION_CREATE", d);
        id
    }

    /// `user` runs the message command `name` (right-click → Apps) on message `target`:
    /// interaction type 2 with `data.type` 3, `data.target_id`, and the message in
    /// `data.resolved.messages`. Returns the interaction id.
    ///
    /// # Panics
    /// If the fake has no such message.
    pub fn message_command(&self, name: &str, target: u64, user: u64) -> u64 {
        let m = self
            .message_by_id(target)
            .unwrap_or_else(|| panic!("no message {target}"));
        let channel = m["channel_id"].as_str().and_then(num).unwrap_or(0);
        let id = self.next_id();
        let spec = InteractionSpec {
            id,
            kind: APPLICATION_COMMAND,
            name: name.to_string(),
            options: json!([]),
            user,
            place: Place::Guild {
                guild: GUILD,
                channel,
            },
            permissions: ALL_PERMISSIONS.to_string(),
        };
        let mut d = spec.to_json(self.app_id());
        d["data"] = json!({
            "id": payloads::command_id(name).to_string(),
            "name": name,
            "type": 3,
            "target_id": target.to_string(),
            "resolved": {"messages": {target.to_string(): m}}
        });
        let mut st = self.shared.lock();
        d["channel"] = carried_channel(&st, channel);
        st.interaction_channels.insert(spec.token(), channel);
        drop(st);
        self.dispatch("INTERACTION_CREATE", d);
        id
    }

    /// A slash command from `user` in [`GUILD`], in channel `channel`, with the Discord client in
    /// `locale` (`en-US`, `zh-TW`, `zh-CN`). Returns the interaction id.
    pub fn command_in(
        &self,
        channel: u64,
        name: &str,
        options: Value,
        user: u64,
        locale: &str,
    ) -> u64 {
        let id = self.next_id();
        let spec = InteractionSpec {
            id,
            kind: APPLICATION_COMMAND,
            name: name.to_string(),
            options,
            user,
            place: Place::Guild {
                guild: GUILD,
                channel,
            },
            permissions: ALL_PERMISSIONS.to_string(),
        };
        let mut d = spec.to_json(self.app_id());
        d["locale"] = json!(locale);
        let mut st = self.shared.lock();
        d["channel"] = carried_channel(&st, channel);
        st.interaction_channels.insert(spec.token(), channel);
        drop(st);
        self.dispatch("INTERACTION_CREATE", d);
        id
    }

    // ----- what the fake holds ----------------------------------------------------------

    /// A message as it stands now (edits applied), the bot's or a user's.
    pub fn message_by_id(&self, id: u64) -> Option<Value> {
        self.shared.lock().store.messages.get(&id).cloned()
    }

    /// The messages of `channel`, oldest first, ephemeral ones included.
    pub fn messages_in(&self, channel: u64) -> Vec<Value> {
        let st = self.shared.lock();
        st.store
            .order
            .iter()
            .filter_map(|id| st.store.messages.get(id))
            .filter(|m| is_id(&m["channel_id"], channel))
            .cloned()
            .collect()
    }

    /// The message made by the original response of interaction `id` (its callback, type 4).
    pub fn original_of(&self, interaction: u64) -> Option<Value> {
        let st = self.shared.lock();
        let token = payloads::interaction_token(interaction);
        let id = st.store.originals.get(&token)?;
        st.store.messages.get(id).cloned()
    }

    /// The threads opened so far.
    pub fn threads(&self) -> Vec<Value> {
        self.shared.lock().store.threads.values().cloned().collect()
    }

    /// Waits for the first message the bot posts in `channel` (a REST call, not an interaction
    /// response) that satisfies `predicate`; returns the message as stored.
    pub async fn wait_for_post(
        &self,
        channel: u64,
        timeout: std::time::Duration,
        predicate: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let app = self.app_id();
        self.wait_until(timeout, |st| {
            st.store
                .order
                .iter()
                .filter_map(|id| st.store.messages.get(id))
                .find(|m| {
                    is_id(&m["channel_id"], channel)
                        && is_id(&m["author"]["id"], app)
                        && m.get("webhook_id").is_none()
                        && predicate(m)
                })
                .cloned()
        })
        .await
    }
}
