//! The real bot binary against the fake Discord: registration, slash commands, autocomplete,
//! mentions, listen channels, silence where due, no pings, resume, cooldowns, bad token,
//! refused registration, and a token that never shows in the output.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

use crate::fake_discord::{FakeDiscord, Options, APP, GUILD};
use crate::support::{config_path, corpus_text, quote_is_verbatim};

pub const TOKEN: &str = "fake-token.Zm9vYmFy.c2VjcmV0LXZhbHVl";
pub const WAIT: Duration = Duration::from_secs(10);
pub const LISTEN: u64 = 555;
pub const CHAT: u64 = 556;

pub struct Bot {
    pub child: tokio::process::Child,
    log: Arc<Mutex<String>>,
}

impl Bot {
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log holds `text`.
    pub async fn wait_for_log(&self, text: &str, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.log().contains(text) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// Waits for the process to end; its exit code, or `None` on timeout.
    pub async fn exit_code(&mut self, timeout: Duration) -> Option<i32> {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => status.code(),
            _ => None,
        }
    }
}

pub async fn spawn(fake: &FakeDiscord, env: &[(&str, &str)]) -> Bot {
    spawn_with(
        &["serve"],
        &fake.base_url(),
        &[("DISCORD_TOKEN", TOKEN)],
        env,
    )
}

/// The bot with `args`, its token given by `token_env`, talking to `api_base`.
pub fn spawn_with(
    args: &[&str],
    api_base: &str,
    token_env: &[(&str, &str)],
    env: &[(&str, &str)],
) -> Bot {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_interview-bot"));
    cmd.arg("--config")
        .arg(config_path())
        .args(args)
        .env_remove("DISCORD_TOKEN")
        .env_remove("DISCORD_TOKEN_FILE")
        .env("DISCORD_API_BASE", api_base)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("RUST_LOG", "info")
        .env("INTERVIEW_BOT_GUILD_ID", GUILD.to_string())
        // No rate limit and no duplicate links unless a test asks for them: the tests ask
        // the same questions again and again.
        .env("INTERVIEW_BOT_BURST", "0")
        .env("INTERVIEW_BOT_DUPLICATE_WINDOW_SECS", "0")
        .env("INTERVIEW_BOT_LISTEN_CHANNELS", LISTEN.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in token_env.iter().chain(env) {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn the bot");
    let log = Arc::new(Mutex::new(String::new()));
    for mut pipe in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let log = log.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                log.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    Bot { child, log }
}

/// Waits for the bot to register its commands in the guild and be ready for events.
pub async fn registered(fake: &FakeDiscord, bot: &Bot) -> Value {
    registered_within(fake, bot, WAIT).await
}

/// [`registered`], waiting at most `timeout`.
pub async fn registered_within(fake: &FakeDiscord, bot: &Bot, timeout: Duration) -> Value {
    let path = format!("/api/v10/applications/{APP}/guilds/{GUILD}/commands");
    let call = fake
        .wait_for_call(timeout, |c| c.method == "PUT" && c.path == path)
        .await
        .unwrap_or_else(|| panic!("no command registration; bot log:\n{}", bot.log()));
    call.body
}

pub fn allowed_mentions_are_off(body: &Value) -> bool {
    let am = body
        .get("allowed_mentions")
        .or_else(|| body["data"].get("allowed_mentions"));
    am.is_some_and(|am| {
        am["parse"].as_array().is_some_and(|p| p.is_empty())
            && am.get("replied_user") != Some(&json!(true))
    })
}

/// A MESSAGE_CREATE payload built here, for what `FakeDiscord::message` cannot say: a
/// webhook's message, or one from the bot itself.
fn raw_message(id: u64, channel: u64, author: u64, content: &str, webhook: bool) -> Value {
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "guild_id": GUILD.to_string(),
        "author": {"id": author.to_string(), "username": format!("user{author}"), "discriminator": "0", "global_name": null, "avatar": null, "bot": author == APP},
        "content": content,
        "timestamp": "2025-01-07T00:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [{"id": APP.to_string(), "username": "interview-bot", "discriminator": "0", "bot": true, "avatar": null, "global_name": null}],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0
    });
    if webhook {
        m["webhook_id"] = json!("880000000000000001");
    }
    m
}

/// `log` without terminal colour codes (`ESC [ … m`).
fn without_ansi(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The message ids the bot's posts in `channel` reply to, in order.
fn replied_to(fake: &FakeDiscord, channel: u64) -> Vec<String> {
    let path = format!("/api/v10/channels/{channel}/messages");
    fake.calls()
        .iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .map(|c| {
            c.body["message_reference"]["message_id"]
                .as_str()
                .unwrap_or("none")
                .to_string()
        })
        .collect()
}

/// Checks that every message the bot sent, edited or answered an interaction with — channel
/// messages, thread messages, callbacks, follow-ups, edits — allows no mentions.
pub fn assert_every_message_allows_no_mentions(fake: &FakeDiscord) {
    for c in fake.calls() {
        let data = c.body.get("data").filter(|d| d.is_object());
        let message = ["content", "embeds", "components"]
            .iter()
            .any(|k| c.body.get(k).is_some() || data.is_some_and(|d| d.get(k).is_some()));
        if c.method == "GET" || !message || c.path.ends_with("/commands") || c.body["type"] == 8 {
            continue; // look-ups, registration, autocomplete choices: no message
        }
        assert!(
            allowed_mentions_are_off(&c.body),
            "{} {} {}",
            c.method,
            c.path,
            c.body
        );
    }
}

/// Whether interaction `id` was answered by its callback before any other call about it (a
/// follow-up or an edit through its token): Discord drops interactions not acknowledged within
/// 3 s, and the way to be sure of that without timing is to acknowledge first.
pub fn acknowledged_first(fake: &FakeDiscord, id: u64) -> bool {
    let callback = format!("/api/v10/interactions/{id}/itoken-{id}/callback");
    let token = format!("/itoken-{id}");
    let about: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.path.contains(&token))
        .collect();
    about
        .first()
        .is_some_and(|c| c.method == "POST" && c.path == callback)
}

pub fn embed_text(body: &Value) -> String {
    let embeds = body["data"]["embeds"]
        .as_array()
        .or_else(|| body["embeds"].as_array())
        .cloned()
        .unwrap_or_default();
    // Bold markers and escapes removed: what a person reads.
    embeds
        .iter()
        .map(|e| {
            format!(
                "{}\n{}\n{}\n{}",
                e["title"],
                e["description"].as_str().unwrap_or(""),
                e["fields"],
                e["footer"]["text"]
            )
        })
        .collect::<String>()
        .replace("**", "")
        .replace('\\', "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_commands_mentions_and_listen_channels() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    let schema = registered(&fake, &bot).await;

    // The registered schema: names, options, localizations.
    let names: Vec<&str> = schema
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
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
    for c in schema.as_array().unwrap() {
        for locale in ["zh-TW", "zh-CN"] {
            assert!(c["name_localizations"][locale].is_string(), "{c}");
            if c["type"] == 3 {
                continue; // the message menu has a name only
            }
            assert!(c["description_localizations"][locale].is_string(), "{c}");
            for o in c["options"].as_array().into_iter().flatten() {
                assert!(o["name_localizations"][locale].is_string(), "{o}");
                assert!(o["description_localizations"][locale].is_string(), "{o}");
            }
        }
    }
    assert_eq!(schema[0]["name_localizations"]["zh-TW"], "提問");
    assert_eq!(schema[7]["name_localizations"]["zh-CN"], "问访谈");
    for (command, options) in [
        ("ask", &["question", "private", "thread"][..]),
        ("quote", &["id", "private"]),
        ("search", &["keywords", "private"]),
    ] {
        let c = schema
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == command)
            .unwrap();
        let names: Vec<&str> = c["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, options, "{c}");
        assert_eq!(c["options"][0]["required"], true, "{c}");
        assert_eq!(c["options"][1]["type"], 5, "{c}");
    }
    assert_eq!(schema[0]["options"][0]["name"], "question");
    assert_eq!(schema[0]["options"][0]["max_length"], 300);

    // /ask → a verbatim quote and its citation, acknowledged before anything else is done.
    let id = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "零一萬物是不是把GPU賣給了阿里?"}]),
        11,
    );
    let callback = format!("/api/v10/interactions/{id}/itoken-{id}/callback");
    let call = fake
        .wait_for_call(WAIT, |c| c.path == callback)
        .await
        .unwrap_or_else(|| panic!("no /ask reply; log:\n{}", bot.log()));
    assert!(acknowledged_first(&fake, id), "{:?}", fake.calls());
    let body = call.body;
    assert_eq!(body["type"], 4);
    let text = embed_text(&body);
    assert!(text.contains("卡的事情我不知道是哪裡出來的"), "{text}");
    assert!(text.contains("李開複, 《智能湧現》, 2025-01-07"), "{text}");
    let description = body["data"]["embeds"][0]["description"].as_str().unwrap();
    let corpus = corpus_text();
    let plain = description
        .trim_start_matches('「')
        .trim_end_matches('」')
        .replace('\\', "");
    assert!(quote_is_verbatim(&plain, &corpus), "{plain}");
    assert!(allowed_mentions_are_off(&body), "{body}");
    assert_ne!(body["data"]["flags"], 64, "public by default");

    // private:true → ephemeral.
    let id = fake.command("ask", json!([{"name": "question", "type": 3, "value": "PopAi是什么产品?"}, {"name": "private", "type": 5, "value": true}]), 11);
    let body = fake
        .wait_for_callback(id, WAIT)
        .await
        .expect("private /ask");
    assert_eq!(body["data"]["flags"], 64);

    // An unanswerable /ask → the plain abstention with suggestions.
    let id = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "零一萬物的估值是多少?"}]),
        11,
    );
    let body = fake.wait_for_callback(id, WAIT).await.expect("abstention");
    assert!(
        embed_text(&body).contains("The interview doesn't cover that."),
        "{body}"
    );

    // /quote autocomplete → choices within Discord's limits.
    let id = fake.autocomplete("quote", "id", "卡", 11);
    let body = fake
        .wait_for_callback(id, WAIT)
        .await
        .expect("autocomplete reply");
    assert_eq!(body["type"], 8);
    let choices = body["data"]["choices"].as_array().unwrap();
    assert!(!choices.is_empty() && choices.len() <= 25, "{body}");
    assert!(choices
        .iter()
        .all(|c| c["name"].as_str().unwrap().chars().count() <= 100));
    assert!(choices.iter().any(|c| c["value"] == "Q5"), "{body}");

    // /quote, /topics, /about, /search, /help.
    let id = fake.command(
        "quote",
        json!([{"name": "id", "type": 3, "value": "q5"}]),
        11,
    );
    let body = fake.wait_for_callback(id, WAIT).await.expect("/quote");
    assert!(
        embed_text(&body).contains("卡的事情我不知道是哪裡出來的"),
        "{body}"
    );
    let id = fake.command(
        "quote",
        json!([{"name": "id", "type": 3, "value": "Z99 <@123>"}]),
        11,
    );
    let body = fake.wait_for_callback(id, WAIT).await.expect("/quote Z99");
    assert_eq!(body["data"]["flags"], 64, "{body}");
    let notice = body["data"]["content"].as_str().unwrap();
    assert!(notice.contains("No passage"), "{body}");
    assert!(
        !notice.contains("<@123>"),
        "echoed text is escaped: {notice}"
    );
    let id = fake.command("topics", json!([]), 11);
    let body = fake.wait_for_callback(id, WAIT).await.expect("/topics");
    assert!(embed_text(&body).contains("七成收入來自B端"), "{body}");
    let id = fake.command("about", json!([]), 11);
    let body = fake.wait_for_callback(id, WAIT).await.expect("/about");
    assert!(embed_text(&body).contains("never invents"), "{body}");
    let id = fake.command(
        "search",
        json!([{"name": "keywords", "type": 3, "value": "To B"}]),
        11,
    );
    let body = fake.wait_for_callback(id, WAIT).await.expect("/search");
    assert!(embed_text(&body).contains("`Q"), "{body}");
    assert_ne!(body["data"]["flags"], 64, "public by default");
    let id = fake.command(
        "search",
        json!([{"name": "keywords", "type": 3, "value": "To B"}, {"name": "private", "type": 5, "value": true}]),
        11,
    );
    let body = fake
        .wait_for_callback(id, WAIT)
        .await
        .expect("private /search");
    assert_eq!(body["data"]["flags"], 64, "{body}");
    let id = fake.command("help", json!([]), 11);
    assert!(fake.wait_for_callback(id, WAIT).await.is_some(), "/help");

    // Messages from another bot, a webhook and the bot itself are ignored; the mention after
    // them gets the reply.
    fake.message(CHAT, 77, true, &format!("<@{APP}> 零一綠洲是什麼?"), true);
    let q = format!("<@{APP}> 零一綠洲是什麼?");
    fake.dispatch("MESSAGE_CREATE", raw_message(9_001, CHAT, 78, &q, true));
    fake.dispatch("MESSAGE_CREATE", raw_message(9_002, CHAT, APP, &q, false));
    let mention = fake.message(CHAT, 12, false, &format!("<@{APP}> 零一綠洲是什麼?"), true);
    let body = fake
        .wait_for_message(CHAT, WAIT)
        .await
        .unwrap_or_else(|| panic!("no mention reply; log:\n{}", bot.log()));
    assert_eq!(
        body["message_reference"]["message_id"],
        mention.to_string(),
        "replies to the user, not the bot"
    );
    assert!(
        body["content"].as_str().unwrap().contains("零一綠洲"),
        "{body}"
    );
    assert!(allowed_mentions_are_off(&body), "{body}");

    // A listen channel: an unanswerable question stays silent; the next one is answered.
    fake.message(LISTEN, 13, false, "今天天氣怎麼樣?", false);
    let asked = fake.message(LISTEN, 14, false, "后发劣势怎么弥补？", false);
    let body = fake
        .wait_for_message(LISTEN, WAIT)
        .await
        .expect("listen-channel answer");
    assert_eq!(
        body["message_reference"]["message_id"],
        asked.to_string(),
        "the unanswerable one got no reply"
    );
    assert!(body["content"].as_str().unwrap().contains("Q12"), "{body}");

    // Hostile mentions in questions ping no one.
    let hostile = "@everyone <@123> <@&456> 零一萬物賣卡了嗎?";
    let id = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": hostile}]),
        15,
    );
    fake.wait_for_callback(id, WAIT)
        .await
        .expect("hostile /ask");
    let hostile_mention = fake.message(CHAT, 15, false, &format!("<@{APP}> {hostile}"), true);
    let path = format!("/api/v10/channels/{CHAT}/messages");
    let first_mention = mention.to_string();
    fake.wait_for_call(WAIT, |c| {
        c.path == path
            && c.body["content"].as_str().is_some_and(|s| s.contains("卡"))
            && c.body["message_reference"]["message_id"] != first_mention.as_str()
    })
    .await
    .expect("hostile mention reply");
    assert_every_message_allows_no_mentions(&fake);
    assert!(!bot.log().contains(TOKEN), "the token leaked into the log");

    // Silence where due, checked after every other round trip: the bot replied to the two
    // mentions and the one answerable listen-channel question, and to nothing else.
    assert_eq!(
        replied_to(&fake, CHAT),
        [mention.to_string(), hostile_mention.to_string()]
    );
    assert_eq!(replied_to(&fake, LISTEN), [asked.to_string()]);

    // One structured line per answered request.
    let log = without_ansi(&bot.log());
    for command in [
        "ask", "quote", "search", "topics", "about", "help", "mention", "listen",
    ] {
        assert!(
            log.contains(&format!("command=\"{command}\"")),
            "no log line for {command}:\n{log}"
        );
    }
    assert!(
        log.contains("latency_us=") && log.contains("passages=Q5,"),
        "{log}"
    );
    assert!(log.contains("abstained=true") && log.contains("abstained=false"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_command_serves_with_a_token_or_a_token_file() {
    let file = std::env::temp_dir().join(format!("ib-token-{}", std::process::id()));
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let file = file.to_str().unwrap().to_string();
    for token_env in [
        ("DISCORD_TOKEN", TOKEN),
        ("DISCORD_TOKEN_FILE", file.as_str()),
    ] {
        let fake = FakeDiscord::start(Options::default()).await;
        // No subcommand: with a token, `interview-bot` serves Discord.
        let bot = spawn_with(&[], &fake.base_url(), &[token_env], &[]);
        registered(&fake, &bot).await;
        let id = fake.command(
            "ask",
            json!([{"name": "question", "type": 3, "value": "PopAi是什么产品?"}]),
            61,
        );
        let body = fake
            .wait_for_callback(id, WAIT)
            .await
            .unwrap_or_else(|| panic!("{}: no answer; log:\n{}", token_env.0, bot.log()));
        assert!(embed_text(&body).contains("PopAi"), "{body}");
        assert!(!bot.log().contains(TOKEN), "{}", token_env.0);
    }
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_token_file_fails_clearly() {
    let mut bot = spawn_with(
        &["serve"],
        "http://127.0.0.1:9",
        &[("DISCORD_TOKEN_FILE", "/nonexistent/ib-discord-token")],
        &[],
    );
    assert_eq!(bot.exit_code(WAIT).await, Some(2), "{}", bot.log());
    assert!(
        bot.wait_for_log("cannot read the token file", WAIT).await,
        "{}",
        bot.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_discord_prints_the_cause() {
    // Nothing listens on port 9: the error must say so, not only "Error while sending HTTP
    // request".
    let mut bot = spawn_with(
        &["serve"],
        "http://127.0.0.1:9",
        &[("DISCORD_TOKEN", TOKEN)],
        &[],
    );
    assert_eq!(bot.exit_code(WAIT).await, Some(2), "{}", bot.log());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = bot.log();
    let last = log
        .lines()
        .find(|l| l.starts_with("interview-bot: "))
        .unwrap_or_else(|| panic!("no error line:\n{log}"));
    assert!(
        last.contains("Discord connection failed: Error while sending HTTP request"),
        "{last}"
    );
    assert!(
        last.to_lowercase().contains("connection refused"),
        "the cause is missing: {last}"
    );
    assert!(!log.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_a_dropped_connection_and_answers_once() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    let first = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "PopAi是什么产品?"}]),
        21,
    );
    fake.wait_for_callback(first, WAIT)
        .await
        .expect("first answer");

    fake.drop_connection();
    let queued = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "零一綠洲是什麼?"}]),
        21,
    );
    assert!(
        fake.wait_for_sessions(Duration::from_secs(15), |_, resumes| resumes >= 1)
            .await,
        "no RESUME; log:\n{}",
        bot.log()
    );
    fake.wait_for_callback(queued, WAIT)
        .await
        .unwrap_or_else(|| panic!("no answer after resume; log:\n{}", bot.log()));
    let last = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "后发劣势怎么弥补?"}]),
        22,
    );
    fake.wait_for_callback(last, WAIT)
        .await
        .expect("answer after resume");
    for id in [first, queued, last] {
        let n = fake
            .calls()
            .iter()
            .filter(|c| c.path.starts_with(&format!("/api/v10/interactions/{id}/")))
            .count();
        assert_eq!(n, 1, "interaction {id} answered {n} times");
    }
    assert_eq!(fake.sessions().0, 1, "resumed, not re-identified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_limit_a_command_gets_a_private_notice() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(
        &fake,
        &[
            ("INTERVIEW_BOT_BURST", "1"),
            ("INTERVIEW_BOT_REFILL_SECS", "30"),
        ],
    )
    .await;
    registered(&fake, &bot).await;
    let a = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "PopAi是什么产品?"}]),
        31,
    );
    let first = fake.wait_for_callback(a, WAIT).await.expect("first");
    assert!(embed_text(&first).contains("PopAi"));
    let b = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "零一綠洲是什麼?"}]),
        31,
    );
    let second = fake.wait_for_callback(b, WAIT).await.expect("second");
    assert_eq!(second["data"]["flags"], 64, "{second}");
    // The seconds until the bucket has a token again: at most the refill time.
    let notice = second["data"]["content"].as_str().unwrap();
    let secs: u64 = notice
        .strip_prefix("Please wait ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{notice}"));
    assert!((1..=30).contains(&secs), "{notice}");
    let c = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "零一綠洲是什麼?"}]),
        32,
    );
    let other = fake.wait_for_callback(c, WAIT).await.expect("another user");
    assert!(
        embed_text(&other).contains("零一綠洲"),
        "other users are not held back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_token_exits_non_zero() {
    let fake = FakeDiscord::start(Options {
        close_after_identify: Some(4004),
        ..Options::default()
    })
    .await;
    let mut bot = spawn(&fake, &[]).await;
    let code = bot.exit_code(Duration::from_secs(20)).await;
    assert!(
        matches!(code, Some(c) if c != 0),
        "exit {code:?}; log:\n{}",
        bot.log()
    );
    assert!(
        bot.wait_for_log("rejected the bot token", WAIT).await,
        "{}",
        bot.log()
    );
    assert!(!bot.log().contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_refused_over_rest_exits_non_zero() {
    // A bad token meets Discord's REST API first: 401 on `GET /gateway/bot`.
    let fake = FakeDiscord::start(Options::default()).await;
    fake.fail_next("/gateway/bot", 401, None);
    let mut bot = spawn(&fake, &[]).await;
    assert_eq!(
        bot.exit_code(Duration::from_secs(20)).await,
        Some(2),
        "{}",
        bot.log()
    );
    assert!(
        bot.wait_for_log("rejected the bot token", WAIT).await,
        "{}",
        bot.log()
    );
    assert!(!bot.log().contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_message_content_intent_exits_non_zero() {
    let fake = FakeDiscord::start(Options {
        close_after_identify: Some(4014),
        ..Options::default()
    })
    .await;
    let mut bot = spawn(&fake, &[]).await;
    let code = bot.exit_code(Duration::from_secs(20)).await;
    assert_eq!(code, Some(2), "log:\n{}", bot.log());
    assert!(
        bot.wait_for_log("enable it under Bot → Privileged Gateway Intents", WAIT)
            .await,
        "{}",
        bot.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_registration_exits_non_zero() {
    let fake = FakeDiscord::start(Options {
        refuse_registration: true,
        ..Options::default()
    })
    .await;
    let mut bot = spawn(&fake, &[]).await;
    let code = bot.exit_code(Duration::from_secs(20)).await;
    assert!(
        matches!(code, Some(c) if c != 0),
        "exit {code:?}; log:\n{}",
        bot.log()
    );
    assert!(
        bot.wait_for_log("registering the slash commands failed", WAIT)
            .await,
        "{}",
        bot.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_never_appears_even_at_trace_level() {
    let fake = FakeDiscord::start(Options::default()).await;
    let mut bot = spawn(&fake, &[("RUST_LOG", "trace")]).await;
    registered(&fake, &bot).await;
    let id = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "PopAi是什么产品?"}]),
        41,
    );
    fake.wait_for_callback(id, WAIT).await.expect("answer");
    // Stop the bot and read everything it wrote, shutdown included.
    let pid = bot.child.id().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert_eq!(bot.exit_code(WAIT).await, Some(0));
    assert!(bot.wait_for_log("shutting down", WAIT).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = bot.log();
    assert!(
        log.contains("TRACE") || log.contains("trace"),
        "trace logging was on"
    );
    assert!(!log.contains(TOKEN), "the token leaked at trace level");
    assert!(
        !log.contains("c2VjcmV0LXZhbHVl"),
        "part of the token leaked"
    );
}
