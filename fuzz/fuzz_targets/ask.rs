//! Fuzzes the whole answering path: any bytes, as a question, through analysis, retrieval,
//! quoting and every renderer. Checks that nothing panics, every quote is verbatim, Discord
//! replies fit Discord's limits, and no reply holds a mention Discord would parse.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use interview_bot::config::Config;
use interview_bot::render::{discord, json, terminal};
use interview_bot::Engine;
use libfuzzer_sys::fuzz_target;

struct World {
    engine: Engine,
    corpus_text: String,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let config = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/bot.toml"))
            .expect("config");
        let engine = interview_bot::load::engine(&config).expect("engine");
        let corpus_text = engine.corpus().passages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n");
        World { engine, corpus_text }
    })
}

fn live_mention(s: &str) -> bool {
    s.contains("@everyone") || s.contains("@here") || {
        let b = s.as_bytes();
        (0..b.len().saturating_sub(1))
            .any(|i| b[i] == b'<' && (b[i + 1] == b'@' || b[i + 1] == b'#') && (i == 0 || b[i - 1] != b'\\'))
    }
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let question = String::from_utf8_lossy(data);
    let answer = w.engine.ask(&question);
    for hit in answer.hits() {
        for piece in hit.quote.plain().split('…').filter(|p| !p.is_empty()) {
            assert!(w.corpus_text.contains(piece), "quote not verbatim: {piece:?}");
        }
    }
    let corpus = w.engine.corpus();
    let message = discord::message(&answer, corpus);
    assert!(message.chars().count() <= discord::MAX_CONTENT);
    assert!(!live_mention(&message), "{message}");
    let embed = discord::embed(&answer, corpus);
    assert!(embed.total_chars() <= discord::MAX_EMBED_TOTAL);
    assert!(!live_mention(&embed.title) && !live_mention(&embed.description));
    let _ = terminal::render(&answer, corpus, true);
    let _ = json::render(&answer, corpus, 3);
    let _ = w.engine.search(&question, 10);
    let _ = w.engine.complete(&question, 25);
});
