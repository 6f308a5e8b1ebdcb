//! Conversations with the real binary against the fake Discord: buttons under answers pressed
//! by the asker and by others, the message menu, threads opened by `/ask thread:true` and by
//! the button and questions in them, replies to answers, DMs, the bot's role, a restart between
//! an answer and a press of its button, a burst of mentions answered in order as the bucket
//! refills, and the link to an earlier answer. Every assertion is about what a user would see:
//! the calls the fake received, never how long they took.

use std::time::Duration;

use serde_json::{json, Value};

use crate::discord::{
    acknowledged_first, allowed_mentions_are_off, assert_every_message_allows_no_mentions,
    embed_text, registered, spawn, Bot, CHAT, WAIT,
};
use crate::fake_discord::conversation::BOT_ROLE;
use crate::fake_discord::{FakeDiscord, Options, APP, DM_CHANNEL, GUILD, INTERACTION_CHANNEL};
use crate::support::engine;
use interview_bot::answer::Quoting;
use interview_bot::retrieval::{Asking, Context, Request};

/// The passage the engine answers `q` with after the answer `previous` (its question, its
/// passage id) — what the bot must reply when it reads `q` in that context — and, to show the
/// context matters, what it answers `q` with alone. "-" for an abstention.
pub fn read_after(q: &str, previous: (&str, &str), asking: Asking) -> (String, String) {
    let e = engine();
    let c = e.corpus();
    let id = |a: &interview_bot::answer::Answer| {
        if a.is_found() {
            c.display_id(&c.passages[a.hits()[0].passage])
        } else {
            "-".to_string()
        }
    };
    let context = Context {
        question: previous.0.to_string(),
        passage: c.find(previous.1).unwrap(),
    };
    let request = Request::new(q).asking(asking).quoting(Quoting::Best);
    let with = id(&e.answer(&request.after(Some(&context))));
    let alone = id(&e.answer(&request));
    assert_ne!(with, alone, "{q}: choose a question the context changes");
    (with, alone)
}

/// Waits until the bot's log has `n` lines saying it answered `command`.
pub async fn answered_times(bot: &Bot, command: &str, n: usize) {
    let line = format!("answered command=\"{command}\"");
    let deadline = tokio::time::Instant::now() + WAIT;
    while bot.log().matches(&line).count() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{line} × {n}:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The name of the message menu command, as Discord sends it.
pub const MENU: &str = "Ask the interview";

pub fn ask(q: &str) -> Value {
    json!([{"name": "question", "type": 3, "value": q}])
}

/// The callback of interaction `id`, which must come first (the acknowledgement).
pub async fn callback(fake: &FakeDiscord, bot: &Bot, id: u64) -> Value {
    let body = fake
        .wait_for_callback(id, WAIT)
        .await
        .unwrap_or_else(|| panic!("no callback for {id}; log:\n{}", bot.log()));
    assert!(acknowledged_first(fake, id), "{id}: {:?}", fake.calls());
    assert!(
        body["type"] == 6 || body["type"] == 8 || allowed_mentions_are_off(&body),
        "{body}"
    );
    body
}

/// The custom ids of a message's (or a callback's) buttons, row by row.
pub fn custom_ids(message: &Value) -> Vec<Vec<String>> {
    let rows = message["components"]
        .as_array()
        .or_else(|| message["data"]["components"].as_array())
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .map(|r| {
            r["components"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| b["custom_id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .collect()
}

/// Whether a JSON id (a string, as Discord sends ids) is `id`.
pub fn is(v: &Value, id: u64) -> bool {
    v.as_str().and_then(|s| s.parse().ok()) == Some(id)
}

/// The id of a message as the fake sends it.
pub fn id_of(m: &Value) -> u64 {
    m["id"].as_str().unwrap().parse().unwrap()
}

/// The passage id at the end of an answer's citation (embed footer or message content).
pub fn cited(m: &Value) -> String {
    let footer = m["embeds"][0]["footer"]["text"]
        .as_str()
        .or_else(|| m["data"]["embeds"][0]["footer"]["text"].as_str())
        .map(str::to_string);
    let text = footer.unwrap_or_else(|| {
        m["content"]
            .as_str()
            .unwrap_or("")
            .lines()
            .find(|l| l.starts_with("— *"))
            .unwrap_or("")
            .trim_end_matches('*')
            .to_string()
    });
    text.rsplit(" · ").next().unwrap_or("").to_string()
}

/// The bot's reply (a channel message) to message `to`.
pub async fn reply_to(fake: &FakeDiscord, bot: &Bot, channel: u64, to: u64) -> Value {
    let to = to.to_string();
    fake.wait_for_post(channel, WAIT, |m| {
        m["message_reference"]["message_id"] == to.as_str()
    })
    .await
    .unwrap_or_else(|| panic!("no reply to {to} in {channel}; log:\n{}", bot.log()))
}

/// Whether the bot posted anything in `channel` replying to `to` (checked after a later
/// round trip, so "nothing" means nothing).
fn replied(fake: &FakeDiscord, channel: u64, to: u64) -> bool {
    let to = to.to_string();
    fake.messages_in(channel)
        .iter()
        .any(|m| m["message_reference"]["message_id"] == to.as_str() && is(&m["author"]["id"], APP))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_under_an_answer_for_the_asker_and_for_others() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    let asker = 11;
    let id = fake.command("ask", ask("零一萬物是不是把GPU賣給了阿里?"), asker);
    let body = callback(&fake, &bot, id).await;
    assert_eq!(body["type"], 4);
    assert_eq!(
        body["data"]["embeds"][0]["author"]["name"], "❓ 零一萬物是不是把GPU賣給了阿里?",
        "the question shows above the answer"
    );
    let ids = custom_ids(&body);
    assert_eq!(
        ids,
        [
            vec![
                format!("prev:{asker}:Q5"),
                format!("next:{asker}:Q5"),
                "full:Q5".into(),
                "hans:Q5".into(),
                "why:Q5".into()
            ],
            vec!["thread:Q5".into()]
        ]
    );
    let answer = fake.original_of(id).expect("the answer message");
    let answer_id = id_of(&answer);

    // ▶ by the asker: the answer itself turns into the next passage, with its own buttons.
    let press = fake.press(answer_id, &format!("next:{asker}:Q5"), asker);
    let body = callback(&fake, &bot, press).await;
    assert_eq!(body["type"], 7, "{body}");
    let now = fake.message_by_id(answer_id).unwrap();
    assert_eq!(cited(&now), "Q6", "{now}");
    assert!(embed_text(&now).contains("Q6 · 不自己買卡建集群"), "{now}");
    assert_eq!(
        now["embeds"][0]["author"]["name"],
        "❓ 零一萬物是不是把GPU賣給了阿里?"
    );
    assert_eq!(custom_ids(&now)[0][0], format!("prev:{asker}:Q6"));
    assert_eq!(
        custom_ids(&now)[1],
        ["thread:Q6"],
        "the thread button stays"
    );

    // ◀ by someone else: the passage before, only for them; the answer stays as it is.
    let other = 12;
    let press = fake.press(answer_id, &format!("prev:{asker}:Q6"), other);
    let body = callback(&fake, &bot, press).await;
    assert_eq!(
        (body["type"].as_u64(), body["data"]["flags"].as_u64()),
        (Some(4), Some(64))
    );
    assert!(
        embed_text(&body).contains("Q5 · 傳聞中零一萬物的卡"),
        "{body}"
    );
    assert_eq!(
        custom_ids(&body)[0][1],
        format!("next:{other}:Q5"),
        "their own copy, theirs to page"
    );
    assert_eq!(custom_ids(&body).len(), 1, "no thread on a private copy");
    assert_eq!(cited(&fake.message_by_id(answer_id).unwrap()), "Q6");

    // 全文: the whole passage, privately.
    let press = fake.press(answer_id, "full:Q6", other);
    let body = callback(&fake, &bot, press).await;
    assert_eq!(body["data"]["flags"], 64);
    let text = embed_text(&body);
    assert!(
        text.contains("《智能湧現》:不自己買卡建集群") && text.contains("李開複:"),
        "{text}"
    );

    // 简体: the message converted, privately, marked; the public message stays verbatim.
    let press = fake.press(answer_id, "hans:Q6", other);
    let body = callback(&fake, &bot, press).await;
    assert_eq!(body["data"]["flags"], 64);
    let content = body["data"]["content"].as_str().unwrap();
    assert!(content.starts_with("简体 · "), "{content}");
    let converted = embed_text(&body);
    assert!(converted.contains("不自己买卡建集群"), "{converted}");
    assert!(!converted.contains("買卡"), "{converted}");
    assert!(embed_text(&fake.message_by_id(answer_id).unwrap()).contains("不自己買卡建集群"));

    // 為什麼: the terms it holds and the evidence, privately.
    let press = fake.press(answer_id, "why:Q5", asker);
    let body = callback(&fake, &bot, press).await;
    assert_eq!(body["data"]["flags"], 64);
    let why = embed_text(&body);
    for part in [
        "為什麼是 Q5? · Why this passage?",
        "零一萬物是不是把GPU賣給了阿里?",
        "coverage",
        "gpu",
        "#1 of",
    ] {
        assert!(why.contains(part), "{part}: {why}");
    }

    // A button the bot does not know (an old kind): a private notice, never silence.
    let press = fake.press(answer_id, "zz:Q5", other);
    let body = callback(&fake, &bot, press).await;
    assert_eq!(body["data"]["flags"], 64);
    assert!(body["data"]["content"]
        .as_str()
        .unwrap()
        .contains("no longer works"));

    // ◀ at the first passage: disabled, and if pressed anyway, a notice.
    let first = fake.command(
        "quote",
        json!([{"name": "id", "type": 3, "value": "P1"}]),
        asker,
    );
    callback(&fake, &bot, first).await;
    let press = fake.press(answer_id, &format!("prev:{asker}:P1"), asker);
    let body = callback(&fake, &bot, press).await;
    assert!(
        body["data"]["content"]
            .as_str()
            .unwrap()
            .contains("No passage there"),
        "{body}"
    );
    assert!(
        fake.unknown_routes().is_empty(),
        "{:?}",
        fake.unknown_routes()
    );
    assert_every_message_allows_no_mentions(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_menu_answers_privately_and_posts_on_request() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    // Someone's message that never addressed the bot; another member asks the interview.
    let said = fake.message(CHAT, 30, false, "聽說零一萬物把卡賣給阿里了", false);
    let member = 31;
    let id = fake.message_command(MENU, said, member);
    let body = callback(&fake, &bot, id).await;
    assert_eq!(
        (body["type"].as_u64(), body["data"]["flags"].as_u64()),
        (Some(4), Some(64))
    );
    assert_eq!(cited(&body), "Q5", "{body}");
    assert_eq!(
        body["data"]["embeds"][0]["author"]["name"],
        "❓ 聽說零一萬物把卡賣給阿里了"
    );
    let ids = custom_ids(&body);
    assert_eq!(ids[1], [format!("post:{member}:Q5")], "{ids:?}");
    let private = fake.original_of(id).unwrap();

    // 公開: the same answer, in the channel for everyone, with a thread button.
    let press = fake.press(id_of(&private), &format!("post:{member}:Q5"), member);
    let body = callback(&fake, &bot, press).await;
    assert_eq!(body["type"], 4);
    assert!(
        body["data"]["flags"].as_u64().unwrap_or(0) & 64 == 0,
        "public: {body}"
    );
    assert_eq!(
        body["data"]["embeds"], private["embeds"],
        "what was previewed"
    );
    assert_eq!(custom_ids(&body)[1], ["thread:Q5"]);
    assert_eq!(custom_ids(&body)[0][0], format!("prev:{member}:Q5"));

    // A message with no text: said so, privately.
    let empty = fake.message(CHAT, 30, false, "<@&1>", false);
    let id = fake.message_command(MENU, empty, member);
    let body = callback(&fake, &bot, id).await;
    assert_eq!(body["data"]["flags"], 64);
    assert!(
        body["data"]["content"]
            .as_str()
            .unwrap()
            .contains("no text"),
        "{body}"
    );
    assert_every_message_allows_no_mentions(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_from_ask_and_from_the_button() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    let asker = 40;
    let options = json!([
        {"name": "question", "type": 3, "value": "零一萬物是不是把GPU賣給了阿里?"},
        {"name": "thread", "type": 5, "value": true}
    ]);
    let id = fake.command("ask", options, asker);
    let body = callback(&fake, &bot, id).await;
    assert_eq!(cited(&body), "Q5");
    let answer = id_of(&fake.original_of(id).unwrap());
    let threads = format!("/api/v10/channels/{INTERACTION_CHANNEL}/messages/{answer}/threads");
    let opened = fake
        .wait_for_call(WAIT, |c| c.method == "POST" && c.path == threads)
        .await
        .unwrap_or_else(|| panic!("no thread; log:\n{}", bot.log()));
    assert_eq!(opened.body["name"], "零一萬物是不是把GPU賣給了阿里?");
    // A thread opened on a message has the message's id.
    let thread = answer;
    let intro = fake
        .wait_for_post(thread, WAIT, |_| true)
        .await
        .expect("the bot's first message in the thread");
    assert!(intro["content"]
        .as_str()
        .unwrap()
        .contains("Ask follow-up questions here"));
    assert!(allowed_mentions_are_off(&opened.body) || opened.body.get("content").is_none());

    // In the thread, a question ending in ? is read against the answer the thread is on
    // (a conversation with the bot: judged as asked).
    let asked = "零一萬物是不是把GPU賣給了阿里?";
    let (want, _) = read_after("那Infra團隊呢?", (asked, "Q5"), Asking::Asked);
    let q = fake.message(thread, 41, false, "那Infra團隊呢?", false);
    let reply = reply_to(&fake, &bot, thread, q).await;
    assert_eq!(cited(&reply), want, "{reply}");
    assert!(
        !custom_ids(&reply)
            .iter()
            .flatten()
            .any(|i| i.starts_with("thread:")),
        "no thread inside a thread"
    );
    // Small talk without a question mark is left alone; a mention is always answered, in
    // the context of the thread's last answer, the one just given.
    let chat = fake.message(thread, 41, false, "謝謝", false);
    let (want, _) = read_after("他還說了什麼?", ("那Infra團隊呢?", &want), Asking::Asked);
    let mention = fake.message(thread, 41, false, &format!("<@{APP}> 他還說了什麼?"), true);
    let reply = reply_to(&fake, &bot, thread, mention).await;
    assert_eq!(cited(&reply), want, "{reply}");
    assert!(!replied(&fake, thread, chat));

    // The button on a mention's answer in a channel: a thread, and the button goes.
    let asked = fake.message(
        CHAT,
        42,
        false,
        &format!("<@{APP}> 后发劣势怎么弥补?"),
        true,
    );
    let answer = reply_to(&fake, &bot, CHAT, asked).await;
    assert_eq!(cited(&answer), "Q12");
    let answer_id = id_of(&answer);
    let press = fake.press(answer_id, "thread:Q12", 43);
    let body = callback(&fake, &bot, press).await;
    assert_eq!(body["type"], 6, "acknowledged, then the thread: {body}");
    let intro = fake
        .wait_for_post(answer_id, WAIT, |_| true)
        .await
        .unwrap_or_else(|| panic!("no thread from the button; log:\n{}", bot.log()));
    assert!(intro["content"].as_str().unwrap().contains("💬"));
    let edited = fake
        .wait_for_call(WAIT, |c| {
            c.method == "PATCH"
                && c.path
                    .contains(&format!("itoken-{press}/messages/@original"))
        })
        .await
        .expect("the answer's buttons updated");
    let left: Vec<String> = custom_ids(&edited.body).into_iter().flatten().collect();
    assert!(
        !left.is_empty() && !left.iter().any(|i| i.starts_with("thread:")),
        "{left:?}"
    );
    let thread = fake
        .threads()
        .into_iter()
        .find(|t| is(&t["id"], answer_id))
        .expect("the thread");
    assert_eq!(
        thread["name"], "后发劣势怎么弥补?",
        "named after the question"
    );
    // In this thread, "那To C呢?" is read after the answer it is on.
    let (want, _) = read_after("那To C呢?", ("后发劣势怎么弥补?", "Q12"), Asking::Asked);
    let q = fake.message(answer_id, 44, false, "那To C呢?", false);
    assert_eq!(cited(&reply_to(&fake, &bot, answer_id, q).await), want);

    // Pressed again (an old copy of the message still shows it): the thread is already there.
    let press = fake.press(answer_id, "thread:Q12", 45);
    callback(&fake, &bot, press).await;
    let notice = fake
        .wait_for_call(WAIT, |c| {
            c.method == "POST" && c.path.ends_with(&format!("/itoken-{press}"))
        })
        .await
        .expect("a follow-up notice");
    assert_eq!(notice.body["flags"], 64);
    assert!(notice.body["content"]
        .as_str()
        .unwrap()
        .contains(&format!("<#{answer_id}>")));

    // /ask thread:true privately: no thread, and the asker is told.
    let options = json!([
        {"name": "question", "type": 3, "value": "PopAi是什么产品?"},
        {"name": "private", "type": 5, "value": true},
        {"name": "thread", "type": 5, "value": true}
    ]);
    let id = fake.command("ask", options, asker);
    callback(&fake, &bot, id).await;
    let told = fake
        .wait_for_call(WAIT, |c| {
            c.method == "POST" && c.path.ends_with(&format!("/itoken-{id}"))
        })
        .await
        .expect("told why there is no thread");
    assert!(told.body["content"]
        .as_str()
        .unwrap()
        .contains("No thread here"));
    assert_eq!(fake.threads().len(), 2);

    // Discord refuses the thread (no permission): the presser is told, after the ack.
    let asked = fake.message(CHAT, 46, false, &format!("<@{APP}> PopAi是什么产品?"), true);
    let answer = id_of(&reply_to(&fake, &bot, CHAT, asked).await);
    fake.fail_next(&format!("/messages/{answer}/threads"), 403, None);
    let press = fake.press(answer, "thread:Q7", 46);
    assert_eq!(callback(&fake, &bot, press).await["type"], 6);
    let told = fake
        .wait_for_call(WAIT, |c| {
            c.method == "POST" && c.path.ends_with(&format!("/itoken-{press}"))
        })
        .await
        .expect("told the thread failed");
    assert_eq!(told.body["flags"], 64);
    assert!(told.body["content"]
        .as_str()
        .unwrap()
        .contains("Could not open a thread"));
    assert_every_message_allows_no_mentions(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_dms_and_the_bots_role() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    let asked = fake.message(
        CHAT,
        50,
        false,
        &format!("<@{APP}> 零一萬物是不是把GPU賣給了阿里?"),
        true,
    );
    let answer = reply_to(&fake, &bot, CHAT, asked).await;
    assert_eq!(cited(&answer), "Q5");

    // A reply to the answer, no mention, ping off: a follow-up of that answer, its question
    // read from the message it replied to. Alone, "他還說了什麼?" has no topic.
    let asked_text = "零一萬物是不是把GPU賣給了阿里?";
    let (want, alone) = read_after("他還說了什麼?", (asked_text, "Q5"), Asking::Asked);
    assert_eq!(alone, "-");
    let follow = fake.reply_to(CHAT, 51, id_of(&answer), "他還說了什麼?", false);
    let reply = reply_to(&fake, &bot, CHAT, follow).await;
    assert_eq!(cited(&reply), want, "{reply}");
    assert!(allowed_mentions_are_off(&reply_json(&fake, follow)));
    // A reply to someone else's message is no follow-up.
    let other = fake.reply_to(CHAT, 52, asked, "他還說了什麼?", false);

    // A DM needs no mention, and continues from the last answer there.
    let dm = fake.dm(53, "零一綠洲是什麼?");
    let reply = reply_to(&fake, &bot, DM_CHANNEL, dm).await;
    assert_eq!(cited(&reply), "Q15");
    assert!(
        !custom_ids(&reply)
            .iter()
            .flatten()
            .any(|i| i.starts_with("thread:")),
        "no threads in a DM"
    );
    let (want, _) = read_after("它賺錢嗎?", ("零一綠洲是什麼?", "Q15"), Asking::Asked);
    let dm = fake.dm(53, "它賺錢嗎?");
    assert_eq!(cited(&reply_to(&fake, &bot, DM_CHANNEL, dm).await), want);

    // The role Discord made for the bot counts as a mention of the bot; another role does not.
    let role = fake.role_mention(
        CHAT,
        54,
        BOT_ROLE,
        &format!("<@&{BOT_ROLE}> PopAi是什么产品?"),
    );
    assert_eq!(cited(&reply_to(&fake, &bot, CHAT, role).await), "Q7");
    let not_ours = fake.role_mention(CHAT, 55, 1, "<@&1> PopAi是什么产品?");
    let last = fake.message(CHAT, 56, false, &format!("<@{APP}> PopAi是什么产品?"), true);
    reply_to(&fake, &bot, CHAT, last).await;
    assert!(!replied(&fake, CHAT, other), "not a reply to the bot");
    assert!(!replied(&fake, CHAT, not_ours), "not the bot's role");
    assert_every_message_allows_no_mentions(&fake);
}

/// The bot's reply to `to` as it was sent (the REST body).
fn reply_json(fake: &FakeDiscord, to: u64) -> Value {
    fake.calls()
        .into_iter()
        .find(|c| c.method == "POST" && is(&c.body["message_reference"]["message_id"], to))
        .map(|c| c.body)
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_message_content_a_reply_needs_its_ping() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[("INTERVIEW_BOT_LISTEN_CHANNELS", "")]).await;
    registered(&fake, &bot).await;
    let identify = fake.wait_for_identify(WAIT).await.unwrap();
    assert_eq!(
        identify["intents"].as_u64().unwrap() & (1 << 15),
        0,
        "no privileged intent"
    );
    let asked = fake.message(
        CHAT,
        60,
        false,
        &format!("<@{APP}> 零一萬物是不是把GPU賣給了阿里?"),
        true,
    );
    let answer = id_of(&reply_to(&fake, &bot, CHAT, asked).await);
    // Ping off: Discord withholds the text, there is nothing to answer.
    let quiet = fake.reply_to(CHAT, 61, answer, "他還說了什麼?", false);
    // Ping on (Discord's default for a reply): a mention, so the text comes.
    let (want, _) = read_after(
        "他還說了什麼?",
        ("零一萬物是不是把GPU賣給了阿里?", "Q5"),
        Asking::Asked,
    );
    let pinged = fake.reply_to(CHAT, 61, answer, "他還說了什麼?", true);
    assert_eq!(cited(&reply_to(&fake, &bot, CHAT, pinged).await), want);
    assert!(!replied(&fake, CHAT, quiet));

    // With message_content on, the bot asks for the intent and reads replies without a ping.
    let fake = FakeDiscord::start(Options::default()).await;
    let env = [
        ("INTERVIEW_BOT_LISTEN_CHANNELS", ""),
        ("INTERVIEW_BOT_MESSAGE_CONTENT", "true"),
    ];
    let bot = spawn(&fake, &env).await;
    registered(&fake, &bot).await;
    let identify = fake.wait_for_identify(WAIT).await.unwrap();
    assert_ne!(identify["intents"].as_u64().unwrap() & (1 << 15), 0);
    let asked = fake.message(
        CHAT,
        60,
        false,
        &format!("<@{APP}> 零一萬物是不是把GPU賣給了阿里?"),
        true,
    );
    let answer = id_of(&reply_to(&fake, &bot, CHAT, asked).await);
    let quiet = fake.reply_to(CHAT, 61, answer, "他還說了什麼?", false);
    assert_eq!(cited(&reply_to(&fake, &bot, CHAT, quiet).await), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_replies_and_threads_survive_a_restart() {
    let fake = FakeDiscord::start(Options::default()).await;
    let mut first = spawn(&fake, &[]).await;
    registered(&fake, &first).await;
    let asker = 70;
    let id = fake.command("ask", ask("零一萬物是不是把GPU賣給了阿里?"), asker);
    callback(&fake, &first, id).await;
    let slash_answer = id_of(&fake.original_of(id).unwrap());
    let asked = fake.message(
        CHAT,
        asker,
        false,
        &format!("<@{APP}> 后发劣势怎么弥补?"),
        true,
    );
    let mention_answer = id_of(&reply_to(&fake, &first, CHAT, asked).await);
    let press = fake.press(mention_answer, "thread:Q12", asker);
    callback(&fake, &first, press).await;
    let thread = mention_answer;
    fake.wait_for_post(thread, WAIT, |_| true)
        .await
        .expect("thread opened");
    let (in_thread, _) = read_after("那To C呢?", ("后发劣势怎么弥补?", "Q12"), Asking::Asked);
    let q = fake.message(thread, 71, false, "那To C呢?", false);
    assert_eq!(cited(&reply_to(&fake, &first, thread, q).await), in_thread);

    // The bot dies and comes back: it remembers nothing.
    first.child.kill().await.unwrap();
    let puts = |f: &FakeDiscord| {
        f.calls()
            .iter()
            .filter(|c| c.method == "PUT" && c.path.ends_with("/commands"))
            .count()
    };
    let second = spawn(&fake, &[]).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while puts(&fake) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        fake.wait_for_sessions(WAIT, |identifies, _| identifies >= 2)
            .await,
        "{}",
        second.log()
    );

    // Its buttons still work: the asker's ▶ edits the answer in place.
    let press = fake.press(slash_answer, &format!("next:{asker}:Q5"), asker);
    let body = callback(&fake, &second, press).await;
    assert_eq!(body["type"], 7);
    assert_eq!(cited(&fake.message_by_id(slash_answer).unwrap()), "Q6");
    let press = fake.press(slash_answer, "why:Q5", 72);
    assert!(embed_text(&callback(&fake, &second, press).await)
        .contains("零一萬物是不是把GPU賣給了阿里?"));
    // A reply to an answer given before the restart is read in its context.
    let follow = fake.reply_to(CHAT, 73, mention_answer, "那To C呢?", false);
    assert_eq!(cited(&reply_to(&fake, &second, CHAT, follow).await), "Q12");
    // The thread is still the bot's (asked of Discord), its last answer read from its history.
    let q = fake.message(thread, 74, false, &format!("<@{APP}> 他還說了什麼?"), true);
    let reply = reply_to(&fake, &second, thread, q).await;
    assert!(
        reply["content"].as_str().unwrap().contains("— *"),
        "answered: {reply}"
    );
    assert_ne!(cited(&reply), "Q12", "more than what was shown");
    let looked = format!("/api/v10/channels/{thread}");
    assert!(fake
        .calls()
        .iter()
        .any(|c| c.method == "GET" && c.path == looked));
    // /ask inside that thread: no thread button (the interaction says it is a thread).
    let id = fake.command_in(thread, "ask", ask("PopAi是什么产品?"), 75, "en-US");
    let body = callback(&fake, &second, id).await;
    assert_eq!(cited(&body), "Q7");
    assert_eq!(custom_ids(&body).len(), 1, "{:?}", custom_ids(&body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_mentions_is_answered_in_order_as_the_bucket_refills() {
    let fake = FakeDiscord::start(Options::default()).await;
    let env = [
        ("INTERVIEW_BOT_BURST", "1"),
        // Long enough that the fourth mention is sent before the bucket refills, even on a
        // loaded machine with a debug build; short enough for the queue to drain within WAIT.
        ("INTERVIEW_BOT_REFILL_SECS", "8"),
        ("INTERVIEW_BOT_QUEUE", "2"),
    ];
    let bot = spawn(&fake, &env).await;
    registered(&fake, &bot).await;
    let user = 80;
    let mention = |q: &str| fake.message(CHAT, user, false, &format!("<@{APP}> {q}"), true);
    let reaction =
        |m: u64| format!("/api/v10/channels/{CHAT}/messages/{m}/reactions/%E2%8F%B3/@me");
    let m1 = mention("零一綠洲是什麼?");
    assert_eq!(cited(&reply_to(&fake, &bot, CHAT, m1).await), "Q15");
    // Over the limit: marked ⏳ and queued, in order.
    let m2 = mention("PopAi是什么产品?");
    let r2 = reaction(m2);
    fake.wait_for_call(WAIT, |c| c.method == "PUT" && c.path == r2)
        .await
        .unwrap_or_else(|| panic!("no ⏳ on the second; {:?}", fake.calls()));
    let m3 = mention("后发劣势怎么弥补?");
    let r3 = reaction(m3);
    fake.wait_for_call(WAIT, |c| c.method == "PUT" && c.path == r3)
        .await
        .expect("⏳ on the third");
    // Beyond the queue: a short reply saying when to ask again.
    let m4 = mention("零一萬物賣卡了嗎?");
    let notice = reply_to(&fake, &bot, CHAT, m4).await;
    let text = notice["content"].as_str().unwrap();
    assert!(
        text.contains("2 of your questions are waiting: ask again in"),
        "{text}"
    );
    // The queued ones come as the bucket refills, in the order they were asked, each losing
    // its ⏳ once answered.
    let a2 = reply_to(&fake, &bot, CHAT, m2).await;
    let a3 = reply_to(&fake, &bot, CHAT, m3).await;
    assert_eq!(
        (cited(&a2), cited(&a3)),
        ("Q7".to_string(), "Q12".to_string())
    );
    let order: Vec<String> = fake
        .calls()
        .iter()
        .filter(|c| c.method == "POST" && c.path == format!("/api/v10/channels/{CHAT}/messages"))
        .map(|c| {
            c.body["message_reference"]["message_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(order, [m1, m4, m2, m3].map(|m| m.to_string()));
    let index = |method: &str, path: &str| {
        fake.calls()
            .iter()
            .position(|c| c.method == method && c.path == path)
    };
    for (m, r) in [(m2, &r2), (m3, &r3)] {
        let answered = fake
            .calls()
            .iter()
            .position(|c| is(&c.body["message_reference"]["message_id"], m));
        let removed = fake
            .wait_for_call(WAIT, |c| c.method == "DELETE" && c.path == *r)
            .await
            .map(|_| index("DELETE", r));
        assert!(index("PUT", r) < answered, "⏳ before the answer");
        assert!(removed.flatten() > answered, "⏳ removed after it");
    }
    assert_eq!(crate::faults::waiting_marks(&fake, CHAT), Vec::<u64>::new());
    assert_every_message_allows_no_mentions(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_passage_again_gets_a_link_to_the_earlier_answer() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[("INTERVIEW_BOT_DUPLICATE_WINDOW_SECS", "600")]).await;
    registered(&fake, &bot).await;
    let first = fake.message(
        CHAT,
        90,
        false,
        &format!("<@{APP}> 零一萬物是不是把GPU賣給了阿里?"),
        true,
    );
    let answer = id_of(&reply_to(&fake, &bot, CHAT, first).await);
    answered_times(&bot, "mention", 1).await;
    // Another question, the same passage, the same channel: a link, not the quote again.
    let again = fake.message(
        CHAT,
        91,
        false,
        &format!("<@{APP}> 零一萬物賣卡了嗎?"),
        true,
    );
    let link = reply_to(&fake, &bot, CHAT, again).await;
    let text = link["content"].as_str().unwrap();
    let url = format!("https://discord.com/channels/{GUILD}/{CHAT}/{answer}");
    assert!(
        text.contains(&url) && text.contains("`Q5`"),
        "{text}\nlog:\n{}",
        bot.log()
    );
    assert!(
        !text.contains("卡的事情"),
        "no second copy of the quote: {text}"
    );
    assert_eq!(custom_ids(&link), [["full:Q5"]]);
    // Another channel gets the answer in full.
    let elsewhere = fake.message(557, 91, false, &format!("<@{APP}> 零一萬物賣卡了嗎?"), true);
    let full = reply_to(&fake, &bot, 557, elsewhere).await;
    assert_eq!(cited(&full), "Q5", "{full}");
    assert!(
        full["content"].as_str().unwrap().contains("**卡**的事情"),
        "{full}"
    );

    // /ask: the second public answer of the passage in the channel is a private link.
    let one = fake.command("ask", ask("零一萬物是不是把GPU賣給了阿里?"), 92);
    callback(&fake, &bot, one).await;
    answered_times(&bot, "ask", 1).await;
    let original = fake
        .wait_for_call(WAIT, |c| {
            c.method == "GET" && c.path.contains(&format!("itoken-{one}/messages/@original"))
        })
        .await;
    assert!(
        original.is_some(),
        "the answer's id was fetched to link to it"
    );
    let first_answer = id_of(&fake.original_of(one).unwrap());
    let two = fake.command("ask", ask("零一萬物賣卡了嗎?"), 93);
    let body = callback(&fake, &bot, two).await;
    assert_eq!(body["data"]["flags"], 64, "{body}");
    let url = format!("https://discord.com/channels/{GUILD}/{INTERACTION_CHANNEL}/{first_answer}");
    assert!(
        body["data"]["content"].as_str().unwrap().contains(&url),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_speaks_the_users_language() {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[]).await;
    registered(&fake, &bot).await;
    for (locale, expect) in [
        ("zh-TW", "`/提問` (/ask) — 向訪談提問"),
        ("zh-CN", "`/提问` (/ask) — 向访谈提问"),
        ("en-US", "`/ask` — Ask the interview a question"),
    ] {
        let id = fake.command_in(INTERACTION_CHANNEL, "help", json!([]), 95, locale);
        let body = callback(&fake, &bot, id).await;
        assert_eq!(body["data"]["flags"], 64);
        let text = embed_text(&body);
        assert!(text.contains(expect), "{locale}: {text}");
    }
}
