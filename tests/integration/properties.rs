//! Properties over hostile text: whatever a user types, the engine and every renderer reply
//! without panicking, quotes stay verbatim, Discord replies fit Discord's limits, and nothing
//! in a reply is a mention Discord would parse.

use proptest::prelude::*;

use interview_bot::render::{discord, json, terminal};

use crate::support::{corpus_text, engine, quote_is_verbatim};

/// Characters that stress analysis: corpus Chinese, both scripts, Latin, query syntax,
/// invisible and bidi marks, combining marks, emoji, other scripts, controls.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select("零一萬物李開複阿里預訓練團隊卡賣給模型創新工場遊戲收入后发劣势怎么弥补".chars().collect::<Vec<_>>()),
        2 => prop::char::range('a', 'z'),
        2 => prop::sample::select(vec!['"', ':', '(', ')', '*', '~', '?', '？', '!', '@', '<', '>', '&', '#', '`', '|', '\\', '-', ' ', '\n', '\t', '…', '。', ',']),
        1 => prop::sample::select(vec!['\u{200b}', '\u{200d}', '\u{feff}', '\u{202e}', '\u{2066}', '\u{301}', '\u{0}', '\u{7}', '\u{1b}', '\u{85}', '\u{2028}']),
        1 => prop::sample::select(vec!['😀', '🤖', '🏽', 'ש', 'م', 'Я', 'ก', '한', 'ﬁ', 'Ａ', '①', '𠀀', '\u{10ffff}']),
        1 => any::<char>(),
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(hostile_char(), 0..80).prop_map(|v| v.into_iter().collect()),
        1 => prop::collection::vec(hostile_char(), 500..3000).prop_map(|v| v.into_iter().collect()),
        1 => any::<String>(),
        1 => prop::sample::select(vec!["@everyone", "@here", "<@123456789012345678>", "<@&42>", "<#1>"])
            .prop_flat_map(|m| prop::collection::vec(hostile_char(), 0..20).prop_map(move |v| format!("{m} {} 零一萬物?", v.into_iter().collect::<String>()))),
    ]
}

/// Whether `s` holds something Discord would parse as a mention.
fn has_live_mention(s: &str) -> bool {
    s.contains("@everyone") || s.contains("@here") || {
        let b = s.as_bytes();
        (0..b.len().saturating_sub(1)).any(|i| {
            b[i] == b'<' && (b[i + 1] == b'@' || b[i + 1] == b'#') && (i == 0 || b[i - 1] != b'\\')
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_text_gets_a_safe_verbatim_reply(q in hostile_text()) {
        let e = engine();
        let corpus = corpus_text();
        let a = e.ask(&q);
        for h in a.hits() {
            prop_assert!(quote_is_verbatim(&h.quote.plain(), &corpus), "{:?}", h.quote);
        }
        let msg = discord::message(&a, e.corpus());
        prop_assert!(msg.chars().count() <= discord::MAX_CONTENT);
        prop_assert!(!has_live_mention(&msg), "{msg}");
        let embed = discord::embed(&a, e.corpus());
        prop_assert!(embed.total_chars() <= discord::MAX_EMBED_TOTAL);
        prop_assert!(embed.title.chars().count() <= discord::MAX_TITLE);
        prop_assert!(embed.description.chars().count() <= discord::MAX_DESCRIPTION);
        for (name, value) in &embed.fields {
            prop_assert!(name.chars().count() <= discord::MAX_FIELD_NAME);
            prop_assert!(value.chars().count() <= discord::MAX_FIELD_VALUE);
            prop_assert!(!has_live_mention(value));
        }
        prop_assert!(!has_live_mention(&embed.title) && !has_live_mention(&embed.description));
        let _ = terminal::render(&a, e.corpus(), true);
        let v: serde_json::Value = serde_json::from_str(&json::render(&a, e.corpus(), 3)).unwrap();
        prop_assert_eq!(v["query"].as_str(), Some(q.as_str()));
        let _ = e.search(&q, 10);
        let _ = e.complete(&q, 25);
    }

    #[test]
    fn escaped_text_never_mentions(s in hostile_text()) {
        prop_assert!(!has_live_mention(&discord::escape(&s)));
    }
}
