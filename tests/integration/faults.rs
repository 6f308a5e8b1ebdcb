//! Network faults and abuse, with the fake Discord: gateway closes, reconnect requests,
//! invalid sessions, missed heartbeat ACKs, REST failures, an unreachable gateway, SIGTERM,
//! and bursts of mentions. Every interaction must be answered exactly once.

use std::time::Duration;

use serde_json::{json, Value};

use crate::discord::{
    allowed_mentions_are_off, embed_text, registered, registered_within, spawn, Bot, CHAT, WAIT,
};
use crate::fake_discord::{FakeDiscord, Options, APP};

/// Slow faults (a full re-IDENTIFY takes about 5 s in serenity) get this long.
const SLOW: Duration = Duration::from_secs(25);

/// A named way of upsetting the connection.
type Fault = (&'static str, fn(&FakeDiscord));

fn ask(q: &str) -> Value {
    json!([{"name": "question", "type": 3, "value": q}])
}

/// Asks once and checks the answer arrives exactly once.
async fn answered_once(fake: &FakeDiscord, bot: &Bot, q: &str, what: &str) -> u64 {
    let id = fake.command("ask", ask(q), 61);
    fake.wait_for_callback(id, SLOW)
        .await
        .unwrap_or_else(|| panic!("{what}: no answer; log:\n{}", bot.log()));
    id
}

fn count_replies(fake: &FakeDiscord, id: u64) -> usize {
    let prefix = format!("/api/v10/interactions/{id}/");
    fake.calls()
        .iter()
        .filter(|c| c.path.starts_with(&prefix))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumable_faults_resume_and_answer_once() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    let mut ids = vec![answered_once(&fake, &bot, "PopAi是什么产品?", "before").await];
    let faults: [Fault; 5] = [
        ("close 1000", |f: &FakeDiscord| f.close_with(1000)),
        ("close 4000", |f: &FakeDiscord| f.close_with(4000)),
        ("TCP drop", |f: &FakeDiscord| f.drop_connection()),
        ("op 7", |f: &FakeDiscord| f.send_op(7, Value::Null)),
        ("op 9 resumable", |f: &FakeDiscord| {
            f.send_op(9, json!(true))
        }),
    ];
    for (i, (what, fault)) in faults.iter().enumerate() {
        fault(&fake);
        // An event queued while the bot is away must still arrive, once.
        let queued = fake.command("ask", ask("零一綠洲是什麼?"), 62);
        assert!(
            fake.wait_for_sessions(SLOW, |_, r| r > i).await,
            "{what}: no RESUME; log:\n{}",
            bot.log()
        );
        fake.wait_for_callback(queued, SLOW)
            .await
            .unwrap_or_else(|| panic!("{what}: queued event lost; log:\n{}", bot.log()));
        ids.push(queued);
        ids.push(answered_once(&fake, &bot, "后发劣势怎么弥补?", what).await);
    }
    for id in ids {
        assert_eq!(count_replies(&fake, id), 1, "interaction {id}");
    }
    assert_eq!(
        fake.sessions().0,
        1,
        "every fault was resumed, none re-identified"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_resumable_faults_reidentify_and_answer() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    let faults: [Fault; 3] = [
        ("close 4007", |f: &FakeDiscord| f.close_with(4007)),
        ("close 4009", |f: &FakeDiscord| f.close_with(4009)),
        ("op 9 not resumable", |f: &FakeDiscord| {
            f.send_op(9, json!(false))
        }),
    ];
    let mut ids = Vec::new();
    for (i, (what, fault)) in faults.iter().enumerate() {
        fault(&fake);
        assert!(
            fake.wait_for_sessions(SLOW, |identifies, _| identifies > i + 1)
                .await,
            "{what}: no new IDENTIFY; log:\n{}",
            bot.log()
        );
        ids.push(answered_once(&fake, &bot, "PopAi是什么产品?", what).await);
    }
    for id in ids {
        assert_eq!(count_replies(&fake, id), 1, "interaction {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_heartbeat_acks_reconnect() {
    let fake = FakeDiscord::start(Options {
        heartbeat_interval_ms: Some(700),
        ..Options::default()
    })
    .await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    fake.set_heartbeat_acks(false);
    assert!(
        fake.wait_for_sessions(SLOW, |identifies, resumes| identifies + resumes >= 2)
            .await,
        "the bot did not notice the missing ACKs; log:\n{}",
        bot.log()
    );
    fake.set_heartbeat_acks(true);
    let id = answered_once(&fake, &bot, "PopAi是什么产品?", "after missed ACKs").await;
    assert_eq!(count_replies(&fake, id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_gateway_at_start_is_retried() {
    let fake = FakeDiscord::start(Options {
        refuse_connections: 2,
        ..Options::default()
    })
    .await;
    let bot = spawn(&fake, &[]).await;
    registered_within(&fake, &bot, SLOW).await;
    assert!(fake.connections() >= 3, "it kept trying");
    answered_once(&fake, &bot, "PopAi是什么产品?", "after retries").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_failures_are_survived_without_double_posts() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;

    // 500 on an interaction callback: logged with an error id, no crash, nothing posted twice.
    let id = fake.command("ask", ask("PopAi是什么产品?"), 71);
    fake.fail_next(&format!("/interactions/{id}/"), 500, None);
    let notice = fake
        .wait_for_call(WAIT, |c| {
            c.path.starts_with(&format!("/api/v10/interactions/{id}/"))
                && c.body["data"]["content"].is_string()
        })
        .await;
    if let Some(n) = notice {
        // The failure notice tells the user an id that the log has too.
        let content = n.body["data"]["content"].as_str().unwrap();
        let error_id = content
            .split("error ")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap();
        assert!(
            bot.wait_for_log(error_id, WAIT).await,
            "error id {error_id} not in the log:\n{}",
            bot.log()
        );
    }
    answered_once(&fake, &bot, "零一綠洲是什麼?", "after a 500").await;

    // 429 on a channel message: retried after the wait, posted once.
    fake.fail_next(&format!("/channels/{CHAT}/messages"), 429, Some(0.3));
    let m = fake.message(CHAT, 72, false, &format!("<@{APP}> 零一綠洲是什麼?"), true);
    let path = format!("/api/v10/channels/{CHAT}/messages");
    let attempts = |f: &FakeDiscord| {
        f.calls()
            .iter()
            .filter(|c| {
                c.path == path
                    && c.body["message_reference"]["message_id"] == m.to_string().as_str()
            })
            .count()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while attempts(&fake) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        attempts(&fake),
        2,
        "one refused attempt, one retry that went through; log:\n{}",
        bot.log()
    );
    assert!(
        bot.wait_for_log("rate limited by Discord; retrying", WAIT)
            .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_cleanly() {
    let fake = FakeDiscord::start(Options::default()).await;
    let mut bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    answered_once(&fake, &bot, "PopAi是什么产品?", "before SIGTERM").await;
    fake.drop_connection();
    let pid = bot.child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = bot.exit_code(Duration::from_secs(15)).await;
    assert_eq!(code, Some(0), "log:\n{}", bot.log());
}

/// The messages that end up with the bot's ⏳ on them (added, and not taken away since).
pub fn waiting_marks(fake: &FakeDiscord, channel: u64) -> Vec<u64> {
    let prefix = format!("/api/v10/channels/{channel}/messages/");
    let mut last: std::collections::BTreeMap<u64, String> = Default::default();
    for c in fake.calls() {
        let Some(rest) = c.path.strip_prefix(&prefix) else {
            continue;
        };
        let mut parts = rest.split('/');
        if let (Some(id), Some("reactions")) = (parts.next(), parts.next()) {
            if let Ok(id) = id.parse() {
                last.insert(id, c.method.clone());
            }
        }
    }
    last.into_iter()
        .filter(|(_, m)| m == "PUT")
        .map(|(id, _)| id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_mentions_are_held_to_the_limit() {
    let fake = FakeDiscord::start(Options::default()).await;
    // One question at once, no refill while the test runs, one waiting at most.
    let env = [
        ("INTERVIEW_BOT_BURST", "1"),
        ("INTERVIEW_BOT_REFILL_SECS", "600"),
        ("INTERVIEW_BOT_QUEUE", "1"),
    ];
    let bot = spawn(&fake, &env).await;
    registered(&fake, &bot).await;
    let channel = 880;
    let path = format!("/api/v10/channels/{channel}/messages");
    // 100 mentions from one user, 5 each from 20 others, and 50 from other bots.
    for _ in 0..100 {
        fake.message(
            channel,
            90,
            false,
            &format!("<@{APP}> 零一綠洲是什麼?"),
            true,
        );
    }
    for user in 100..120 {
        for _ in 0..5 {
            fake.message(
                channel,
                user,
                false,
                &format!("<@{APP}> PopAi是什么产品?"),
                true,
            );
        }
    }
    for _ in 0..50 {
        fake.message(
            channel,
            999,
            true,
            &format!("<@{APP}> 零一綠洲是什麼?"),
            true,
        );
    }
    // A 4,000-character message is answered or refused cleanly.
    let long = format!("<@{APP}> {}", "零一萬物".repeat(1000));
    fake.message(channel, 130, false, &long, true);
    // The bot stays responsive to others meanwhile.
    let id = fake.command("ask", ask("后发劣势怎么弥补?"), 140);
    let body = fake
        .wait_for_callback(id, WAIT)
        .await
        .expect("responsive during the burst");
    assert!(embed_text(&body).contains("Q12"), "{body}");
    // Per user with more than one mention: one answer, one waiting (⏳), and one notice
    // saying when to ask again; the long message's author gets an answer.
    let is_notice = |c: &Value| {
        c["content"]
            .as_str()
            .is_some_and(|s| s.contains("ask again in"))
    };
    let posts = |f: &FakeDiscord| {
        f.calls()
            .into_iter()
            .filter(|c| c.method == "POST" && c.path == path)
            .collect::<Vec<_>>()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while posts(&fake).len() < 43 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = posts(&fake);
    let notices = calls.iter().filter(|c| is_notice(&c.body)).count();
    assert_eq!(notices, 21, "log:\n{}", bot.log());
    assert_eq!(calls.len() - notices, 22, "answers; log:\n{}", bot.log());
    assert_eq!(
        waiting_marks(&fake, channel).len(),
        21,
        "{:?}",
        fake.calls()
    );
    assert!(calls.iter().all(|c| allowed_mentions_are_off(&c.body)));
    assert!(calls
        .iter()
        .all(|c| c.body["content"].as_str().unwrap().chars().count() <= 2000));
}
