/*!
The Discord front end (serenity + poise): slash commands, the message menu, buttons under
answers, mentions, replies, DMs, threads and listen channels.

Thin by design: every reply is [`Engine::answer`](crate::Engine::answer) (or a look-up)
rendered by [`render::discord`](crate::render::discord). Every message is sent with mentions
disabled. What a follow-up needs is read back from Discord's messages ([`answered`]), so a
restart loses nothing but the rate limits and the duplicate memory.
The token is held in a [`Token`] that never prints, and is read by the binary from the
environment; this module never logs it.
*/

pub mod answered;
pub mod bucket;
pub mod buttons;
pub mod commands;
pub mod components;
pub mod conversation;
pub mod memory;
pub mod reply;
pub mod trigger;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use crate::answer::Answer;
use crate::config::DiscordConfig;
use crate::corpus::Corpus;
use crate::retrieval::Engine;
use crate::serve::library::Library;
use bucket::Buckets;
use memory::{Channels, Limits, Recent, Waiting};

/// Errors of command handlers.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// The poise context of this bot.
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// The Discord bot token. It has no `Display`, and its `Debug` hides it.
pub struct Token(String);

impl Token {
    /// Wraps a token read from the environment or a file (surrounding whitespace removed).
    pub fn new(raw: &str) -> Option<Token> {
        let t = raw.trim();
        (!t.is_empty()).then(|| Token(t.to_string()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// How to reach Discord.
#[derive(Debug)]
pub struct Connection {
    /// The bot token.
    pub token: Token,
    /// Another API base (`DISCORD_API_BASE`, e.g. a fake Discord for tests): every REST call
    /// goes there, and the gateway URL is asked from it.
    pub api_base: Option<String>,
}

/// What every handler can reach.
pub struct Data {
    /// The engine in service (hot-swappable).
    pub library: Arc<Library>,
    /// Discord settings.
    pub config: DiscordConfig,
    /// What is kept in memory, shared with the tasks that answer waiting mentions.
    pub shared: Arc<Shared>,
}

/// The memory of the front end (see [`memory`]), shared by handlers and background tasks.
pub struct Shared {
    /// The engine in service.
    pub library: Arc<Library>,
    /// Discord settings.
    pub config: DiscordConfig,
    /// Per-user buckets and the mentions waiting for them.
    pub limits: Mutex<Limits<conversation::Job>>,
    /// Answers posted lately, per channel, for the duplicate link.
    pub recent: Mutex<Recent>,
    /// Which channels are the bot's threads, and their last answers.
    pub channels: Mutex<Channels>,
    /// The bot's managed role per guild (`None`: it has none).
    pub roles: Mutex<std::collections::HashMap<u64, Option<u64>>>,
}

impl Shared {
    /// Empty memory for `config`.
    pub fn new(library: Arc<Library>, config: DiscordConfig) -> Shared {
        Shared {
            limits: Mutex::new(Limits {
                buckets: Buckets::new(config.burst, Duration::from_secs(config.refill_secs)),
                waiting: Waiting::new(config.queue),
            }),
            recent: Mutex::new(Recent::new(Duration::from_secs(
                config.duplicate_window_secs,
            ))),
            channels: Mutex::new(Channels::default()),
            roles: Mutex::new(std::collections::HashMap::new()),
            library,
            config,
        }
    }
}

impl Data {
    /// A snapshot of the engine: use one per request.
    pub fn engine(&self) -> Arc<Engine> {
        self.library.engine()
    }
}

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Discord refused the token (gateway close 4004).
    #[error("Discord rejected the bot token (authentication failed): check DISCORD_TOKEN")]
    BadToken,
    /// Discord refused a privileged intent (gateway close 4014): Message Content, asked for
    /// when `listen_channels` is set, is not enabled for the application.
    #[error("Discord refused the Message Content intent (needed for listen_channels): enable it under Bot → Privileged Gateway Intents in the developer portal, or leave listen_channels empty")]
    DisallowedIntents,
    /// Command registration or another part of start-up failed.
    #[error("start-up failed: {0}")]
    Setup(String),
    /// The connection to Discord failed; the source says why, down to the operating system
    /// ("Error while sending HTTP request" alone does not).
    #[error("Discord connection failed")]
    Client(#[source] Cause),
}

/// An error and its causes as text, each level with the token removed, so a caller can print
/// the whole chain without risking the secret.
#[derive(Debug)]
pub struct Cause {
    message: String,
    source: Option<Box<Cause>>,
}

impl Cause {
    /// The chain of `error`, redacted level by level.
    fn new(error: &(dyn std::error::Error + 'static), token: &Token) -> Cause {
        Cause {
            message: redact(&error.to_string(), token),
            source: error.source().map(|s| Box::new(Cause::new(s, token))),
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// Serves Discord until SIGINT/SIGTERM, a fatal start-up error, or a rejected token.
pub fn serve(
    library: Library,
    config: DiscordConfig,
    connection: Connection,
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError::Client(Cause::new(&e, &connection.token)))?;
    runtime.block_on(run(Arc::new(library), config, connection))
}

/// The gateway intents the bot needs: guild and direct messages to see mentions (Discord
/// sends the content of a message that mentions the bot without the privileged intent);
/// message content only when listen channels are configured or `message_content` is set
/// (replies with the ping off, questions in threads without a mention).
pub fn intents(config: &DiscordConfig) -> serenity::GatewayIntents {
    let mut i =
        serenity::GatewayIntents::GUILD_MESSAGES | serenity::GatewayIntents::DIRECT_MESSAGES;
    if config.message_content || !config.listen_channels.is_empty() {
        i |= serenity::GatewayIntents::MESSAGE_CONTENT;
    }
    i
}

async fn run(
    library: Arc<Library>,
    config: DiscordConfig,
    connection: Connection,
) -> Result<(), ServeError> {
    let fatal: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let hup_library = library.clone();
    let data = Data {
        shared: Arc::new(Shared::new(library.clone(), config.clone())),
        library,
        config: config.clone(),
    };
    let guild = config.guild_id;
    let setup_fatal = fatal.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            on_error: |e| Box::pin(on_error(e)),
            event_handler: |fw, event| Box::pin(on_event(fw, event)),
            allowed_mentions: Some(reply::no_mentions()),
            prefix_options: poise::PrefixFrameworkOptions {
                prefix: None,
                mention_as_prefix: false,
                ..Default::default()
            },
            initialize_owners: false,
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let commands = commands::application_commands(&framework.options().commands);
                let registered = if guild != 0 {
                    serenity::GuildId::new(guild).set_commands(ctx, commands).await.map(|_| ())
                } else {
                    serenity::Command::set_global_commands(ctx, commands).await.map(|_| ())
                };
                if let Err(e) = registered {
                    let why = format!("registering the slash commands failed: {e}");
                    *setup_fatal.lock().expect("fatal lock") = Some(why.clone());
                    framework.shard_manager().shutdown_all().await;
                    return Err(why.into());
                }
                tracing::info!(bot = %ready.user.name, guild, shards = ?ready.shard, "ready; commands registered");
                Ok(data)
            })
        })
        .build();

    let intents = intents(&config);
    let builder = match &connection.api_base {
        Some(base) => {
            let http = serenity::HttpBuilder::new(&connection.token.0)
                .proxy(base.trim_end_matches('/'))
                .ratelimiter_disabled(true)
                .build();
            serenity::ClientBuilder::new_with_http(http, intents)
        }
        None => serenity::ClientBuilder::new(&connection.token.0, intents),
    };
    let mut client = builder
        .framework(framework)
        .await
        .map_err(|e| ServeError::Client(Cause::new(&e, &connection.token)))?;

    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            let library = hup_library.clone();
            match tokio::task::spawn_blocking(move || library.reload()).await {
                Ok(Ok(r)) => tracing::info!(
                    documents = r.documents,
                    passages = r.passages,
                    ms = r.millis as u64,
                    "reloaded on SIGHUP"
                ),
                Ok(Err(e)) => tracing::error!(error = %e, "reload on SIGHUP failed"),
                Err(e) => tracing::error!(error = %e, "reload task failed"),
            }
        }
    });

    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        shards.shutdown_all().await;
    });

    let started = if config.shard_total == 0 {
        client.start_autosharded().await
    } else {
        // serenity 0.12 reads the range's end as the last shard *included*.
        #[allow(clippy::range_plus_one)]
        client
            .start_shard_range(config.shard_first..config.shard_last, config.shard_total)
            .await
    };
    if let Some(why) = fatal.lock().expect("fatal lock").take() {
        return Err(ServeError::Setup(why));
    }
    match started {
        Ok(()) => Ok(()),
        Err(serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication)) => {
            Err(ServeError::BadToken)
        }
        // Discord answers REST calls made with a bad token with 401 (`GET /gateway/bot`
        // comes before the gateway is reached).
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)))
            if r.status_code.as_u16() == 401 =>
        {
            Err(ServeError::BadToken)
        }
        Err(serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents)) => {
            Err(ServeError::DisallowedIntents)
        }
        Err(e) => Err(ServeError::Client(Cause::new(&e, &connection.token))),
    }
}

/// Removes the token from a message, should a library ever put it there.
fn redact(message: &str, token: &Token) -> String {
    message.replace(&token.0, "***")
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Takes a token of the user's bucket for a command; answers with a short private notice
/// saying how long to wait when there is none. `Ok(true)` means go on.
async fn take_token(ctx: Context<'_>) -> Result<bool, Error> {
    let verdict = ctx
        .data()
        .shared
        .limits
        .lock()
        .expect("limits lock")
        .buckets
        .take(ctx.author().id.get(), Instant::now());
    match verdict {
        Ok(()) => Ok(true),
        Err(wait) => {
            let secs = wait.as_secs_f32().ceil().max(1.0) as u64;
            ctx.send(reply::notice(&crate::render::discord::notice::wait(secs)))
                .await?;
            Ok(false)
        }
    }
}

/// One structured log line per answered request: the command, the latency, the passages
/// shown and whether the bot abstained — never the author, the question or the token.
fn log_request(command: &str, started: Instant, passages: &[String], abstained: bool) {
    tracing::info!(
        command,
        latency_us = started.elapsed().as_micros() as u64,
        passages = %passages.join(","),
        abstained,
        "answered"
    );
}

/// [`log_request`] for an answer of the engine.
fn log_answer(command: &str, started: Instant, answer: &Answer, corpus: &Corpus) {
    let ids: Vec<String> = answer
        .hits()
        .iter()
        .map(|h| corpus.display_id(&corpus.passages[h.passage]))
        .collect();
    log_request(command, started, &ids, !answer.is_found());
}

async fn on_event(
    fw: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let ctx = fw.serenity_context;
    let data = fw.user_data;
    match event {
        serenity::FullEvent::Message { new_message } => {
            conversation::on_message(ctx, &data.shared, fw.bot_id(), new_message).await
        }
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(c),
        } => {
            let pressed = components::press(ctx, data, c).await;
            if let Err(e) = &pressed {
                // If nothing answered the press yet, this does; otherwise Discord refuses it.
                let id = error_id();
                tracing::error!(error_id = %id, custom_id = %c.data.custom_id, error = %e, "button failed");
                let text = format!("Something went wrong (error {id}). 發生錯誤,請稍後再試。");
                let _ = c
                    .create_response(
                        &ctx.http,
                        serenity::CreateInteractionResponse::Message(reply::private_text(&text)),
                    )
                    .await;
                return Ok(());
            }
            pressed
        }
        _ => Ok(()),
    }
}

/// Attempts at posting a message when Discord answers 429 (too many requests).
const POST_ATTEMPTS: u32 = 3;

/// Posts a message, waiting and trying again on 429 — safe, since Discord did not take the
/// message. Any other failure (a 500 may have posted it) is not retried, so nothing is
/// posted twice.
async fn send_retrying(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    message: serenity::CreateMessage,
) -> Result<serenity::Message, Error> {
    let mut attempt = 1;
    loop {
        match channel.send_message(http, message.clone()).await {
            Ok(m) => return Ok(m),
            Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)))
                if r.status_code.as_u16() == 429 && attempt < POST_ATTEMPTS =>
            {
                tracing::warn!(
                    attempt,
                    channel = channel.get(),
                    "rate limited by Discord; retrying"
                );
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Setup { error, .. } => {
            tracing::error!(error = %error, "start-up failed");
        }
        poise::FrameworkError::Command { error, ctx, .. } => {
            let id = error_id();
            tracing::error!(error_id = %id, command = %ctx.command().name, error = %error, "command failed");
            let _ = ctx
                .send(reply::notice(&format!(
                    "Something went wrong (error {id}). 發生錯誤,請稍後再試。"
                )))
                .await;
        }
        poise::FrameworkError::EventHandler { error, event, .. } => {
            let id = error_id();
            tracing::error!(error_id = %id, event = %event.snake_case_name(), error = %error, "event handler failed");
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error = %e, "error while handling an error");
            }
        }
    }
}

/// A short id that ties a user-facing error to its log line.
fn error_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64 ^ d.as_secs());
    format!("{:08x}", nanos & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_prints() {
        let t = Token::new("  secret.token.value \n").unwrap();
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(redact("bad secret.token.value here", &t), "bad *** here");
        assert!(Token::new("   ").is_none());
    }

    #[test]
    fn a_connection_error_keeps_its_causes_without_the_token() {
        let t = Token::new("secret.token.value").unwrap();
        let io = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connect to secret.token.value refused",
        );
        let e = ServeError::Client(Cause::new(&serenity::Error::Io(io), &t));
        let mut chain = vec![e.to_string()];
        let mut next = std::error::Error::source(&e);
        while let Some(c) = next {
            chain.push(c.to_string());
            next = c.source();
        }
        assert_eq!(
            chain,
            [
                "Discord connection failed",
                "connect to *** refused",
                "connect to *** refused"
            ]
        );
    }

    #[test]
    fn intents_follow_listen_channels() {
        let mut c = DiscordConfig::default();
        assert!(!intents(&c).contains(serenity::GatewayIntents::MESSAGE_CONTENT));
        c.listen_channels = vec![1];
        assert!(intents(&c).contains(serenity::GatewayIntents::MESSAGE_CONTENT));
        assert!(intents(&c).contains(serenity::GatewayIntents::GUILD_MESSAGES));
        let c = DiscordConfig {
            message_content: true,
            ..DiscordConfig::default()
        };
        assert!(intents(&c).contains(serenity::GatewayIntents::MESSAGE_CONTENT));
    }

    #[test]
    fn command_schema_as_discord_receives_it() {
        let commands = commands::all();
        let json: Vec<serde_json::Value> = commands::application_commands(&commands)
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect();
        let names: Vec<&str> = json.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "ask",
                "quote",
                "search",
                "topics",
                "about",
                "help",
                "reload",
                "Ask the interview"
            ]
        );
        for c in &json {
            for locale in ["zh-TW", "zh-CN"] {
                assert!(c["name_localizations"][locale].is_string(), "{c}");
            }
            if c["type"] == 3 {
                // The message menu: a name, no description.
                assert_eq!(c["name_localizations"]["zh-TW"], "問訪談");
                continue;
            }
            let d = c["description"].as_str().unwrap();
            assert!(!d.is_empty() && d.chars().count() <= 100, "{c}");
            for locale in ["zh-TW", "zh-CN"] {
                assert!(c["description_localizations"][locale].is_string(), "{c}");
            }
            for o in c["options"].as_array().into_iter().flatten() {
                for locale in ["zh-TW", "zh-CN"] {
                    assert!(o["name_localizations"][locale].is_string(), "{o}");
                    assert!(o["description_localizations"][locale].is_string(), "{o}");
                }
            }
        }
        let ask = &json[0]["options"];
        assert_eq!(ask[0]["name"], "question");
        assert_eq!(ask[0]["required"], true);
        assert_eq!(ask[0]["max_length"], 300);
        assert_eq!(ask[1]["name"], "private");
        assert_eq!(ask[1]["type"], 5);
        assert_eq!(ask[2]["name"], "thread");
        assert_eq!(ask[2]["type"], 5);
        assert_eq!(json[1]["options"][0]["autocomplete"], true);
    }
}
