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
    serde_json::to_string(&v).unwrap()
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
    insta::assert_snapshot!(all_renderings("@everyone **零一綠洲** `是什麼`?"));
}
