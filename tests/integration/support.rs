//! Shared helpers: the built binary, the committed config, one engine per test binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use interview_bot::config::Config;
use interview_bot::Engine;

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The committed config.
pub fn config_path() -> PathBuf {
    root().join("config/bot.toml")
}

/// One engine built from the committed config and corpus, shared by the tests.
pub fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| interview_bot::load::engine(&Config::load(&config_path()).unwrap()).unwrap())
}

/// The built `interview-bot` with a clean environment and the committed config.
pub fn bot() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_interview-bot"));
    c.env_remove("DISCORD_TOKEN")
        .env_remove("DISCORD_TOKEN_FILE")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .arg("--config")
        .arg(config_path());
    c
}

/// Runs the bot with `args`, feeding `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = bot()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn interview-bot");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for interview-bot");
    writer.join().unwrap();
    out
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The concatenated text of every corpus file, to check quotes against.
pub fn corpus_text() -> String {
    let mut s = String::new();
    for e in std::fs::read_dir(root().join("corpus")).unwrap() {
        s.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    s
}

/// Whether a quote holds some text and every piece of it (split at `…`, bold markers
/// removed) is in the corpus. An empty quote is no quote: it would pass any corpus.
pub fn quote_is_verbatim(quote: &str, corpus: &str) -> bool {
    let quote = quote.replace("**", "");
    let pieces: Vec<&str> = quote.split('…').filter(|p| !p.is_empty()).collect();
    pieces.iter().any(|p| !p.trim().is_empty()) && pieces.iter().all(|p| corpus.contains(p))
}

#[test]
fn the_verbatim_check_refuses_what_is_not_a_quote() {
    let corpus = "甲乙丙。丁戊己。";
    assert!(quote_is_verbatim("甲乙…**丁戊**己。", corpus));
    assert!(!quote_is_verbatim("甲丙", corpus));
    for empty in ["", "…", "……", "** **", " "] {
        assert!(!quote_is_verbatim(empty, corpus), "{empty:?}");
    }
}
