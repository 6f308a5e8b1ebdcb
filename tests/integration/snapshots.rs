//! Snapshots of rendered replies: what a person sees in the console, in Discord, and in JSON.

use interview_bot::render::{discord, json, terminal};

use crate::support::engine;

fn all_renderings(question: &str) -> String {
    let e = engine();
    let a = e.ask(question);
    format!(
        "--- terminal ---\n{}\n--- discord ---\n{}\n--- json ---\n{}\n",
        terminal::render(&a, e.corpus(), false),
        discord::message(&a, e.corpus()),
        without_scores(&json::render(&a, e.corpus(), 3))
    )
}

/// The JSON with scores and coverage blanked: they move with every tuning; the passages,
/// quotes and citations are what a person sees.
fn without_scores(json: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    for h in v["hits"].as_array_mut().unwrap() {
        h["score"] = serde_json::Value::Null;
        h["coverage"] = serde_json::Value::Null;
    }
    serde_json::to_string_pretty(&v).unwrap()
}

/// Where the user's own text comes back to them: the console's reply to `/quote` with an id
/// that names no passage, and the title of a Discord `/search` reply. Both must show it as
/// typed and harmless: control characters written out for the terminal, markdown and
/// mentions escaped for Discord.
fn user_text_renderings(typed: &str) -> String {
    let e = engine();
    let console = interview_bot::serve::console::reply(e, &format!("/quote {typed}"), false)
        .expect("a reply, not quit");
    let search = discord::search(typed, &e.search(typed, 10), e.corpus());
    format!(
        "--- terminal: /quote {{typed}} ---\n{console}--- discord: /search {{typed}}, title ---\n{}\n",
        search.title
    )
}

#[test]
fn answered_in_traditional() {
    insta::assert_snapshot!(all_renderings("零一萬物是不是把GPU賣給了阿里?"));
}

#[test]
fn answered_in_simplified() {
    insta::assert_snapshot!(all_renderings("后发劣势怎么弥补?"));
}

#[test]
fn answered_in_english() {
    insta::assert_snapshot!(all_renderings("What is a teacher model?"));
}

#[test]
fn abstained_with_suggestions() {
    insta::assert_snapshot!(all_renderings("零一萬物的估值是多少?"));
}

#[test]
fn hostile_question_is_escaped() {
    let question = "@everyone **零一綠洲** `是什麼`?";
    let typed = "@everyone **零一綠洲** `是什麼`?\u{1b}[2J\u{202e}<@123>";
    insta::assert_snapshot!(format!(
        "{}{}",
        all_renderings(question),
        user_text_renderings(typed)
    ));
}

#[test]
fn follow_up_without_context() {
    insta::assert_snapshot!(all_renderings("還有呢?"));
}

/// The console session in the README is what the console says today.
#[test]
fn the_readme_console_session_is_current() {
    let readme = std::fs::read_to_string(crate::support::root().join("README.md")).unwrap();
    let start = readme
        .find("```console\n$ cargo run --release\n")
        .expect("the README shows a console session");
    let session = &readme[start..];
    let session = &session[..session[3..].find("```").unwrap() + 3];
    let mut turns = session.split("問 › ").skip(1).peekable();
    assert!(turns.peek().is_some(), "no question in {session}");
    for turn in turns {
        let (question, shown) = turn.split_once('\n').unwrap();
        let shown = shown.trim_end_matches("```").trim_end();
        let reply = interview_bot::serve::console::reply(engine(), question, false).unwrap();
        assert_eq!(reply.trim_end(), shown, "{question}");
    }
}
