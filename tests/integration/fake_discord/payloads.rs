//! The JSON the fake sends, built in one place so that the unit tests in `tests.rs` can feed
//! exactly these payloads to serenity's own types.
//!
//! Each builder carries every field serenity 0.12.5 requires: a payload serenity cannot read
//! becomes `Event::Unknown` (a dispatch) or an HTTP error (a REST answer), silently for the
//! former. Ids are sent as strings, as Discord does.

use serde_json::{json, Value};

/// The timestamp on every message the fake makes (RFC 3339, as Discord sends it).
pub const TIMESTAMP: &str = "2025-01-07T00:00:00.000000+00:00";

/// Every permission bit Discord defined when serenity 0.12.5 was released, as a decimal string.
pub const ALL_PERMISSIONS: &str = "2251799813685247";

/// A user object; `bot` marks bot accounts (the bot itself, other bots).
pub fn user(id: u64, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": if bot { format!("bot{id}") } else { format!("user{id}") },
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": bot
    })
}

/// `d` of READY for application (and bot user) `app`.
pub fn ready(app: u64, session_id: &str, resume_gateway_url: &str, shard: &Value) -> Value {
    let mut d = json!({
        "v": 10,
        "user": user(app, true),
        "guilds": [],
        "session_id": session_id,
        "resume_gateway_url": resume_gateway_url,
        "application": {"id": app.to_string(), "flags": 0}
    });
    if shard.is_array() {
        d["shard"] = shard.clone();
    }
    d
}

/// `d` of RESUMED: serenity needs an object, even an empty one (`null` is `Unknown`).
pub fn resumed() -> Value {
    json!({})
}

/// Interaction type 2: a slash command.
pub const APPLICATION_COMMAND: u8 = 2;
/// Interaction type 4: an autocomplete request.
pub const AUTOCOMPLETE: u8 = 4;

/// Where an interaction comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A guild channel: the user arrives as `member`, with `permissions`.
    Guild {
        /// The guild id.
        guild: u64,
        /// The channel id.
        channel: u64,
    },
    /// A direct message with the bot: the user arrives as `user`.
    Dm {
        /// The DM channel id.
        channel: u64,
    },
}

impl Place {
    /// The channel the interaction was used in.
    pub fn channel(self) -> u64 {
        match self {
            Place::Guild { channel, .. } | Place::Dm { channel } => channel,
        }
    }
}

/// Everything that varies between the interactions a test sends.
#[derive(Debug, Clone)]
pub struct InteractionSpec {
    /// Interaction id (also in the token).
    pub id: u64,
    /// [`APPLICATION_COMMAND`] or [`AUTOCOMPLETE`].
    pub kind: u8,
    /// Command name.
    pub name: String,
    /// `data.options`: `[{"name", "type": 3, "value"}]`; autocomplete marks one `"focused": true`.
    pub options: Value,
    /// The user who used it.
    pub user: u64,
    /// Guild or DM.
    pub place: Place,
    /// The member's permissions in a guild (decimal string); ignored in a DM.
    pub permissions: String,
}

impl InteractionSpec {
    /// The token the bot answers with: `POST /interactions/{id}/{token}/callback`.
    pub fn token(&self) -> String {
        interaction_token(self.id)
    }

    /// `d` of INTERACTION_CREATE from application `app`.
    pub fn to_json(&self, app: u64) -> Value {
        let mut d = json!({
            "id": self.id.to_string(),
            "application_id": app.to_string(),
            "type": self.kind,
            "token": self.token(),
            "version": 1,
            "channel_id": self.place.channel().to_string(),
            "locale": "zh-TW",
            "entitlements": [],
            "attachment_size_limit": 8_388_608,
            "app_permissions": ALL_PERMISSIONS,
            "data": {
                "id": command_id(&self.name).to_string(),
                "name": self.name,
                "type": 1,
                "options": self.options
            }
        });
        match self.place {
            Place::Guild { guild, .. } => {
                d["guild_id"] = json!(guild.to_string());
                d["guild_locale"] = json!("zh-TW");
                d["context"] = json!(0);
                d["member"] = json!({
                    "user": user(self.user, false),
                    "roles": [],
                    "deaf": false,
                    "mute": false,
                    "flags": 0,
                    "joined_at": TIMESTAMP,
                    "permissions": self.permissions
                });
            }
            Place::Dm { .. } => {
                d["context"] = json!(1);
                d["user"] = user(self.user, false);
            }
        }
        d
    }
}

/// The token of interaction `id`.
pub fn interaction_token(id: u64) -> String {
    format!("itoken-{id}")
}

/// A stable, non-zero command id per command name (Discord's ids are per command, too).
pub fn command_id(name: &str) -> u64 {
    let h = name.bytes().fold(1_469_598_103_934_665_603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211)
    });
    800_000_000_000_000_000 + h % 100_000_000_000_000_000
}

/// The options of an autocomplete request: `option` is being typed and holds `partial`.
pub fn focused_option(option: &str, partial: &str) -> Value {
    json!([{"name": option, "type": 3, "value": partial, "focused": true}])
}

/// A message object: `d` of MESSAGE_CREATE, and every message the fake answers over REST.
/// `guild` is `None` over REST (Discord omits `guild_id` there) and in DMs.
pub fn message(
    id: u64,
    channel: u64,
    guild: Option<u64>,
    author: Value,
    content: &str,
    mentions: Value,
) -> Value {
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": author,
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": mentions,
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0
    });
    if let Some(g) = guild {
        m["guild_id"] = json!(g.to_string());
    }
    m
}

/// `GET /oauth2/applications/@me`: the application, owned by `owner`.
pub fn application(app: u64, owner: u64) -> Value {
    json!({
        "id": app.to_string(),
        "name": "interview-bot",
        "icon": null,
        "description": "",
        "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": "00",
        "owner": user(owner, false),
        "team": null,
        "flags": 0
    })
}

/// `GET /users/@me`: the bot user.
pub fn current_user(app: u64) -> Value {
    let mut u = user(app, true);
    u["verified"] = json!(true);
    u["mfa_enabled"] = json!(false);
    u
}

/// `GET /gateway`.
pub fn gateway(url: &str) -> Value {
    json!({"url": url})
}

/// `GET /gateway/bot`: one shard, plenty of session starts left.
pub fn gateway_bot(url: &str) -> Value {
    json!({
        "url": url,
        "shards": 1,
        "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
    })
}

/// A Discord JSON error body.
pub fn error(message: &str, code: u64) -> Value {
    json!({"message": message, "code": code})
}
