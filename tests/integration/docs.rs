//! The replies shown in `docs/discord.md` are the bot's own: this test runs the built binary
//! against the fake Discord, renders what it sent as the guide shows it, and compares each
//! `<!-- example: NAME -->` … `<!-- /example -->` block of the guide with it. When they
//! differ, the test fails naming the examples; `UPDATE_DOCS=1 cargo test --test integration
//! docs` writes the new replies into the guide.

use serde_json::{json, Value};

use crate::conversations::{ask, callback, id_of, reply_to, MENU};
use crate::discord::{registered, spawn, CHAT, LISTEN, WAIT};
use crate::fake_discord::{FakeDiscord, Options, APP, INTERACTION_CHANNEL};
use crate::support::root;
use interview_bot::render::discord::notice;

/// The examples, in the order the guide shows them.
#[derive(Default)]
struct Examples(Vec<(String, String)>);

impl Examples {
    fn add(&mut self, name: &str, text: String) {
        self.0.push((name.to_string(), text));
    }
}

/// `text` as a block quote.
fn quoted(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A message (a REST message, or an interaction callback's `data`) as a person sees it:
/// whether only they see it, the text, each embed (the question line, title, description,
/// fields, footer), and the buttons, a greyed-out one struck through.
fn shown(m: &Value) -> String {
    let mut parts = Vec::new();
    if m["flags"].as_u64().unwrap_or(0) & 64 != 0 {
        parts.push("*Only you can see this · 只有你看得到*".to_string());
    }
    if let Some(c) = m["content"].as_str().filter(|c| !c.is_empty()) {
        parts.push(c.to_string());
    }
    for e in m["embeds"].as_array().into_iter().flatten() {
        if let Some(a) = e["author"]["name"].as_str() {
            parts.push(a.to_string());
        }
        if let Some(t) = e["title"].as_str() {
            parts.push(format!("**{t}**"));
        }
        if let Some(d) = e["description"].as_str() {
            parts.push(d.to_string());
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            parts.push(format!(
                "**{}**\n{}",
                f["name"].as_str().unwrap_or(""),
                f["value"].as_str().unwrap_or("")
            ));
        }
        if let Some(f) = e["footer"]["text"].as_str() {
            parts.push(format!("*{f}*"));
        }
    }
    for row in m["components"].as_array().into_iter().flatten() {
        let buttons: Vec<String> = row["components"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| {
                let label = format!("`{}`", b["label"].as_str().unwrap_or(""));
                if b["disabled"] == true {
                    format!("~~{label}~~")
                } else {
                    label
                }
            })
            .collect();
        parts.push(buttons.join(" "));
    }
    quoted(&parts.join("\n"))
}

/// The blocks of the guide: `(name, text)` in order.
fn blocks(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find("<!-- example: ") {
        let after = &rest[i + "<!-- example: ".len()..];
        let Some(end_name) = after.find(" -->") else {
            break;
        };
        let name = after[..end_name].to_string();
        let body = &after[end_name + " -->".len()..];
        let Some(close) = body.find("<!-- /example -->") else {
            break;
        };
        out.push((name, body[..close].trim_matches('\n').to_string()));
        rest = &body[close..];
    }
    out
}

/// The guide with each named block's text replaced.
fn rewritten(doc: &str, examples: &Examples) -> String {
    let mut out = String::new();
    let mut rest = doc;
    while let Some(i) = rest.find("<!-- example: ") {
        let after = &rest[i + "<!-- example: ".len()..];
        let end_name = after.find(" -->").expect("a named block");
        let name = &after[..end_name];
        let body = &after[end_name + " -->".len()..];
        let close = body.find("<!-- /example -->").expect("a closed block");
        out.push_str(&rest[..i]);
        out.push_str(&format!("<!-- example: {name} -->\n"));
        if let Some((_, text)) = examples.0.iter().find(|(n, _)| n == name) {
            out.push_str(text);
            out.push('\n');
        }
        rest = &body[close..];
    }
    out.push_str(rest);
    out
}

/// Runs every example against the built binary.
async fn record() -> Examples {
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[("INTERVIEW_BOT_DUPLICATE_WINDOW_SECS", "600")]).await;
    registered(&fake, &bot).await;
    let mut ex = Examples::default();
    let user = 71;
    let command = |name: &str, options: Value| fake.command(name, options, user);

    // Slash commands.
    let gpu = command("ask", ask("零一萬物是不是把GPU賣給了阿里?"));
    ex.add("ask", shown(&callback(&fake, &bot, gpu).await["data"]));
    crate::conversations::answered_times(&bot, "ask", 1).await;
    let id = command(
        "ask",
        ask("Does 01.AI still train trillion-parameter models?"),
    );
    ex.add(
        "ask-english",
        shown(&callback(&fake, &bot, id).await["data"]),
    );
    let id = command("ask", ask("零一萬物的估值是多少?"));
    ex.add(
        "ask-abstains",
        shown(&callback(&fake, &bot, id).await["data"]),
    );
    let id = fake.autocomplete("quote", "id", "卡", user);
    let choices = callback(&fake, &bot, id).await["data"]["choices"].clone();
    let lines: Vec<String> = choices
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect();
    ex.add("autocomplete", format!("```\n{}\n```", lines.join("\n")));
    let id = command("quote", json!([{"name": "id", "type": 3, "value": "Q5"}]));
    ex.add("quote", shown(&callback(&fake, &bot, id).await["data"]));
    let id = command(
        "search",
        json!([{"name": "keywords", "type": 3, "value": "To B"}]),
    );
    ex.add("search", shown(&callback(&fake, &bot, id).await["data"]));
    let id = command("topics", json!([]));
    ex.add("topics", shown(&callback(&fake, &bot, id).await["data"]));
    let id = command("about", json!([]));
    ex.add("about", shown(&callback(&fake, &bot, id).await["data"]));
    for locale in ["en-US", "zh-TW"] {
        let id = fake.command_in(INTERACTION_CHANNEL, "help", json!([]), user, locale);
        ex.add(
            &format!("help-{locale}"),
            shown(&callback(&fake, &bot, id).await["data"]),
        );
    }
    // The same passage again in the channel.
    let id = command("ask", ask("零一萬物賣卡了嗎?"));
    ex.add(
        "duplicate-ask",
        shown(&callback(&fake, &bot, id).await["data"]),
    );

    // The buttons under the first answer.
    let answer = id_of(&fake.original_of(gpu).unwrap());
    let press = fake.press(answer, &format!("next:{user}:Q5"), user);
    callback(&fake, &bot, press).await;
    ex.add("next", shown(&fake.message_by_id(answer).unwrap()));
    let press = fake.press(answer, &format!("prev:{user}:Q6"), 72);
    ex.add(
        "prev-other",
        shown(&callback(&fake, &bot, press).await["data"]),
    );
    let press = fake.press(answer, "full:Q6", 72);
    ex.add("full", shown(&callback(&fake, &bot, press).await["data"]));
    let press = fake.press(answer, "hans:Q6", 72);
    ex.add("hans", shown(&callback(&fake, &bot, press).await["data"]));
    let press = fake.press(answer, "why:Q5", 72);
    ex.add("why", shown(&callback(&fake, &bot, press).await["data"]));

    // Mentions, the listen channel, a reply, a duplicate.
    let m = fake.message(CHAT, 72, false, &format!("<@{APP}> 零一綠洲是什麼?"), true);
    ex.add("mention", shown(&reply_to(&fake, &bot, CHAT, m).await));
    crate::conversations::answered_times(&bot, "mention", 1).await;
    let m = fake.message(LISTEN, 73, false, "后发劣势怎么弥补？", false);
    ex.add("listen", shown(&reply_to(&fake, &bot, LISTEN, m).await));
    let m = fake.message(
        CHAT,
        75,
        false,
        &format!("<@{APP}> 零一綠洲是做什麼的?"),
        true,
    );
    ex.add(
        "duplicate-mention",
        shown(&reply_to(&fake, &bot, CHAT, m).await),
    );
    let elsewhere = 557;
    let asked = "零一萬物是不是把GPU賣給了阿里?";
    let m = fake.message(elsewhere, 74, false, &format!("<@{APP}> {asked}"), true);
    let answer = reply_to(&fake, &bot, elsewhere, m).await;
    let m = fake.reply_to(elsewhere, 74, id_of(&answer), "他還說了什麼?", false);
    ex.add("reply", shown(&reply_to(&fake, &bot, elsewhere, m).await));

    // A thread: /ask thread:true, the bot's first message there, a question in it.
    let options = json!([
        {"name": "question", "type": 3, "value": asked},
        {"name": "thread", "type": 5, "value": true}
    ]);
    let id = fake.command_in(558, "ask", options, user, "zh-TW");
    callback(&fake, &bot, id).await;
    let thread = id_of(&fake.original_of(id).unwrap());
    let intro = fake
        .wait_for_post(thread, WAIT, |_| true)
        .await
        .expect("intro");
    let name = fake
        .threads()
        .into_iter()
        .find(|t| crate::conversations::is(&t["id"], thread))
        .map(|t| t["name"].as_str().unwrap_or("").to_string())
        .unwrap_or_default();
    ex.add("thread", format!("🧵 **{name}**\n\n{}", shown(&intro)));
    let q = fake.message(thread, 76, false, "還有呢?", false);
    ex.add(
        "thread-question",
        shown(&reply_to(&fake, &bot, thread, q).await),
    );

    // The message menu, then 公開.
    let said = fake.message(CHAT, 77, false, "聽說零一萬物把卡賣給阿里了", false);
    let id = fake.message_command(MENU, said, user);
    ex.add("menu", shown(&callback(&fake, &bot, id).await["data"]));
    let private = id_of(&fake.original_of(id).unwrap());
    let press = fake.press(private, &format!("post:{user}:Q5"), user);
    ex.add(
        "menu-post",
        shown(&callback(&fake, &bot, press).await["data"]),
    );

    // Over the limit (the wording; the seconds depend on when one asks).
    ex.add(
        "wait",
        quoted(&format!(
            "*Only you can see this · 只有你看得到*\n{}",
            notice::wait(7)
        )),
    );
    ex.add("queue-full", quoted(&notice::queue_full(3, 25)));
    ex
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_shows_what_the_bot_says() {
    let path = root().join("docs/discord.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let examples = record().await;
    let in_doc = blocks(&doc);
    let names: Vec<&str> = in_doc.iter().map(|(n, _)| n.as_str()).collect();
    let made: Vec<&str> = examples.0.iter().map(|(n, _)| n.as_str()).collect();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, rewritten(&doc, &examples)).unwrap();
        let missing: Vec<&&str> = made.iter().filter(|n| !names.contains(n)).collect();
        assert!(
            missing.is_empty(),
            "add a block for {missing:?} to the guide"
        );
        return;
    }
    let stale: Vec<&str> = names
        .iter()
        .filter(|n| !made.contains(n))
        .copied()
        .collect();
    let missing: Vec<&str> = made
        .iter()
        .filter(|n| !names.contains(n))
        .copied()
        .collect();
    let differ: Vec<String> = in_doc
        .iter()
        .filter_map(|(name, text)| {
            let (_, want) = examples.0.iter().find(|(n, _)| n == name)?;
            (want != text)
                .then(|| format!("--- {name}: the guide has\n{text}\n--- the bot says\n{want}"))
        })
        .collect();
    assert!(
        stale.is_empty() && missing.is_empty() && differ.is_empty(),
        "docs/discord.md is out of date (UPDATE_DOCS=1 cargo test --test integration docs \
         rewrites it): blocks no example makes {stale:?}, examples without a block \
         {missing:?}\n{}",
        differ.join("\n")
    );
}

#[test]
fn blocks_are_read_and_rewritten() {
    let doc = "a\n<!-- example: one -->\nold\n<!-- /example -->\nb\n<!-- example: two -->\n<!-- /example -->\n";
    assert_eq!(
        blocks(doc),
        [
            ("one".to_string(), "old".to_string()),
            ("two".into(), String::new())
        ]
    );
    let mut ex = Examples::default();
    ex.add("one", "new\n> x".into());
    let out = rewritten(doc, &ex);
    assert_eq!(out, "a\n<!-- example: one -->\nnew\n> x\n<!-- /example -->\nb\n<!-- example: two -->\n<!-- /example -->\n");
    assert_eq!(quoted("a\n\nb"), "> a\n>\n> b");
}
