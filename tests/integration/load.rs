//! A load run through the fake Discord — a benchmark that prints figures, not a timed test:
//! 1,000 `/ask` interactions with 50 in flight; every one must be answered exactly once.
//! Run it with `cargo test --release --test integration load -- --ignored --nocapture`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::discord::{registered, spawn};
use crate::fake_discord::{FakeDiscord, Options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn thousand_asks_with_fifty_in_flight() {
    const TOTAL: usize = 1000;
    const IN_FLIGHT: usize = 50;
    let questions: Vec<String> = interview_bot::tools::eval::read_questions(
        &crate::support::root().join("tests/data/dev.jsonl"),
    )
    .unwrap()
    .into_iter()
    .map(|q| q.query)
    .collect();
    let fake = FakeDiscord::start(Options::default()).await;
    let bot = spawn(&fake, &[("RUST_LOG", "warn")]).await;
    registered(&fake, &bot).await;

    let mut started: HashMap<u64, Instant> = HashMap::new();
    let mut answered: HashMap<u64, usize> = HashMap::new();
    let mut latencies: Vec<f64> = Vec::with_capacity(TOTAL);
    let mut seen = fake.call_count();
    let mut sent = 0;
    let t0 = Instant::now();
    while latencies.len() < TOTAL {
        while sent < TOTAL && started.len() - latencies.len() < IN_FLIGHT {
            let q = &questions[sent % questions.len()];
            let at = Instant::now();
            let id = fake.command(
                "ask",
                json!([{"name": "question", "type": 3, "value": q}]),
                1000 + (sent % 500) as u64,
            );
            started.insert(id, at);
            sent += 1;
        }
        let new = fake.calls_since(seen);
        seen += new.len();
        for c in new {
            let Some(id) = c
                .path
                .strip_prefix("/api/v10/interactions/")
                .and_then(|r| r.split('/').next())
                .and_then(|i| i.parse::<u64>().ok())
            else {
                continue;
            };
            *answered.entry(id).or_default() += 1;
            if answered[&id] == 1 {
                if let Some(s) = started.get(&id) {
                    latencies.push(c.at.duration_since(*s).as_secs_f64() * 1e3);
                }
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "stalled at {} of {TOTAL}; log:\n{}",
            latencies.len(),
            bot.log()
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for c in fake.calls_since(seen) {
        if let Some(id) = c
            .path
            .strip_prefix("/api/v10/interactions/")
            .and_then(|r| r.split('/').next())
            .and_then(|i| i.parse::<u64>().ok())
        {
            *answered.entry(id).or_default() += 1;
        }
    }
    assert_eq!(answered.len(), TOTAL);
    assert!(
        answered.values().all(|&n| n == 1),
        "an interaction was answered twice"
    );
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    println!(
        "load: {TOTAL} /ask, {IN_FLIGHT} in flight, {:.2} s: INTERACTION_CREATE → callback p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        t0.elapsed().as_secs_f64(),
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
}
