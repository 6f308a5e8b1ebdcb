//! Hot reload through Discord: `/reload` by a manager swaps in the edited corpus while the bot
//! keeps answering; a broken corpus leaves the old one serving and tells the admin why; a
//! member without Manage Server is refused; SIGHUP reloads too.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use crate::discord::{embed_text, registered, spawn, WAIT};
use crate::fake_discord::{FakeDiscord, Options};
use crate::support::root;

fn temp_corpus(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ib-reload-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(root().join("corpus")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

/// A vectors directory beside a temporary corpus, with the committed interview's vectors in
/// it: the bot computes those of a new interview there, not in the repository.
fn temp_vectors(corpus: &std::path::Path) -> String {
    let dir = corpus.with_extension("vectors");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let committed = root().join("vectors");
    for e in std::fs::read_dir(committed).unwrap() {
        let path = e.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir.to_str().unwrap().to_string()
}

const EXTRA: &str = "---\ntitle: 測試訪談\npublication: 《測試報》\ndate: 2025-02-01\ninterviewer: 記者\ninterviewee: 受訪者\nlanguage: zh-Hant\nid: extra\n---\n\n記者:量子計算機什麼時候普及?\n\n受訪者:量子計算機還要十年才會普及到企業。\n";

async fn reload_reply(fake: &FakeDiscord, user: u64, permissions: &str) -> String {
    let id = fake.command_with_permissions("reload", json!([]), user, permissions);
    let body = fake
        .wait_for_callback(id, Duration::from_secs(20))
        .await
        .expect("reload reply");
    assert_eq!(
        body["data"]["flags"], 64,
        "admin replies are private: {body}"
    );
    if body["type"] == 5 {
        // A reload slower than 2 s (a busy machine) is acknowledged first ("thinking…");
        // the outcome follows through the interaction's token.
        let token = format!("/itoken-{id}");
        let outcome = fake
            .wait_for_call(Duration::from_secs(20), |c| {
                c.method != "GET" && c.path.contains(&token) && c.body["content"].is_string()
            })
            .await
            .expect("the reload's outcome");
        return outcome.body["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    }
    body["data"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_swaps_the_corpus_and_survives_a_broken_one() {
    let dir = temp_corpus("cmd");
    let fake = FakeDiscord::start(Options::default()).await;
    let corpus = dir.to_str().unwrap().to_string();
    let vectors = temp_vectors(&dir);
    let bot = spawn(
        &fake,
        &[
            ("INTERVIEW_BOT_CORPUS_DIR", &corpus),
            ("INTERVIEW_BOT_VECTORS_DIR", &vectors),
        ],
    )
    .await;
    registered(&fake, &bot).await;

    // A member without Manage Server is refused.
    let refused = reload_reply(&fake, 51, "0").await;
    assert!(refused.contains("Only server managers"), "{refused}");

    // A new interview appears after /reload.
    std::fs::write(dir.join("extra.md"), EXTRA).unwrap();
    let done = reload_reply(&fake, 52, "32").await;
    assert!(
        done.contains("Reloaded: 2 interview(s), 37 passages"),
        "{done}; log:\n{}",
        bot.log()
    );
    let id = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "量子計算機什麼時候普及?"}]),
        53,
    );
    let body = fake
        .wait_for_callback(id, WAIT)
        .await
        .expect("answer from the new corpus");
    assert!(
        embed_text(&body).contains("量子計算機還要十年才會普及到企業"),
        "{body}"
    );

    // A broken file: the admin is told where, and the previous corpus keeps answering.
    std::fs::write(dir.join("broken.md"), "no front matter\n").unwrap();
    let failed = reload_reply(&fake, 52, "32").await;
    assert!(
        failed.contains("Reload failed") && failed.contains("broken.md:1"),
        "{failed}"
    );
    assert!(
        bot.wait_for_log("reload failed", WAIT).await,
        "log:\n{}",
        bot.log()
    );
    let id = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "量子計算機什麼時候普及?"}]),
        54,
    );
    let body = fake
        .wait_for_callback(id, WAIT)
        .await
        .expect("still answering");
    assert!(embed_text(&body).contains("量子計算機"), "{body}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads() {
    let dir = temp_corpus("hup");
    let fake = FakeDiscord::start(Options::default()).await;
    let corpus = dir.to_str().unwrap().to_string();
    let vectors = temp_vectors(&dir);
    let bot = spawn(
        &fake,
        &[
            ("INTERVIEW_BOT_CORPUS_DIR", &corpus),
            ("INTERVIEW_BOT_VECTORS_DIR", &vectors),
        ],
    )
    .await;
    registered(&fake, &bot).await;
    std::fs::write(dir.join("extra.md"), EXTRA).unwrap();
    let pid = bot.child.id().unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    assert!(
        bot.wait_for_log("reloaded on SIGHUP", Duration::from_secs(20))
            .await,
        "log:\n{}",
        bot.log()
    );
    let id = fake.command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "量子計算機什麼時候普及?"}]),
        55,
    );
    let body = fake
        .wait_for_callback(id, WAIT)
        .await
        .expect("answer after SIGHUP");
    assert!(embed_text(&body).contains("量子計算機還要十年"), "{body}");
    std::fs::remove_dir_all(&dir).unwrap();
}
