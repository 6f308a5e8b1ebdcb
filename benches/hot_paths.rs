//! Criterion benches of the hot paths: analysis, retrieval (plan + rank + quote), rendering.
//! `cargo bench` prints the figures; nothing here is asserted.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use interview_bot::answer::Quoting;
use interview_bot::config::Config;
use interview_bot::render::{discord, json, terminal};
use interview_bot::Engine;

fn engine() -> Engine {
    let config =
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/bot.toml")).unwrap();
    interview_bot::load::engine(&config).unwrap()
}

fn hot_paths(c: &mut Criterion) {
    let e = engine();
    let questions = [
        "零一萬物是不是把GPU賣給了阿里?",
        "后发劣势怎么弥补?",
        "Why did 01.AI spin off its gaming business?",
        "零一萬物的估值是多少?",
    ];
    let long = e
        .corpus()
        .passages
        .iter()
        .map(|p| p.answer.len())
        .max()
        .unwrap_or(0);
    let longest = e
        .corpus()
        .passages
        .iter()
        .find(|p| p.answer.len() == long)
        .unwrap()
        .answer
        .clone();
    c.bench_function("analysis: words of the longest answer", |b| {
        b.iter(|| e.analyzer().words(std::hint::black_box(&longest)))
    });
    c.bench_function("analysis: bigrams of the longest answer", |b| {
        b.iter(|| e.analyzer().bigrams(std::hint::black_box(&longest)))
    });
    for q in questions {
        c.bench_function(&format!("plan: {q}"), |b| {
            b.iter(|| e.plan(std::hint::black_box(q)))
        });
        c.bench_function(&format!("ask: {q}"), |b| {
            b.iter(|| e.ask(std::hint::black_box(q)))
        });
        c.bench_function(&format!("ask, best quoted (Discord): {q}"), |b| {
            b.iter(|| e.ask_quoting(std::hint::black_box(q), Quoting::Best))
        });
    }
    let answer = e.ask(questions[0]);
    c.bench_function("render: discord embed", |b| {
        b.iter(|| discord::embed(&answer, e.corpus()))
    });
    c.bench_function("render: discord message", |b| {
        b.iter(|| discord::message(&answer, e.corpus()))
    });
    c.bench_function("render: terminal", |b| {
        b.iter(|| terminal::render(&answer, e.corpus(), true))
    });
    c.bench_function("render: json", |b| {
        b.iter(|| json::render(&answer, e.corpus(), 3))
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
