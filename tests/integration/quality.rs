//! Retrieval quality on the dev set and on our own held-out set (`tests/data/extra.jsonl`,
//! written from the source without looking at the engine), measured through `Engine::ask` —
//! the path every front end uses. The floors are what the engine reaches today, a little
//! below (see the README's evaluation section); a change that makes retrieval worse fails
//! here. The engine issue's bar for hit@1 (0.90) is higher: raise the floors as retrieval
//! improves.

use interview_bot::eval;

use crate::support::{corpus_text, engine, quote_is_verbatim, root};

#[test]
fn dev_set_meets_the_quality_bar() {
    let shared = root().join("../shared/eval/dev.jsonl");
    let path = if shared.exists() {
        shared
    } else {
        root().join("tests/data/dev.jsonl")
    };
    let questions = eval::read_questions(&path).unwrap();
    let outcomes = eval::run(engine(), &questions);
    let scores = eval::by_kind(&outcomes);
    let report = eval::report(&outcomes);
    let answerable: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.question.gold.is_empty())
        .cloned()
        .collect();
    let a = eval::score(&answerable);
    assert!(a.hit1 >= 0.86, "hit@1 {:.2}\n{report}", a.hit1);
    assert!(a.hit3 >= 0.97, "hit@3 {:.2}\n{report}", a.hit3);
    assert!(
        a.false_abstention <= 0.05,
        "false abstention {:.2}\n{report}",
        a.false_abstention
    );
    assert!(
        scores["none"].abstention >= 0.95,
        "abstention {:.2}\n{report}",
        scores["none"].abstention
    );
    assert!(
        scores["en"].hit3 >= 0.85,
        "English hit@3 {:.2}\n{report}",
        scores["en"].hit3
    );
}

/// Harder than the dev set (colloquial paraphrases, numbers the interview never gives): the
/// floors guard against regressions, they are no target.
#[test]
fn held_out_set_does_not_regress() {
    let questions = eval::read_questions(&root().join("tests/data/extra.jsonl")).unwrap();
    let outcomes = eval::run(engine(), &questions);
    let scores = eval::by_kind(&outcomes);
    let report = eval::report(&outcomes);
    let answerable: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.question.gold.is_empty())
        .cloned()
        .collect();
    let a = eval::score(&answerable);
    assert!(a.hit1 >= 0.62, "hit@1 {:.2}\n{report}", a.hit1);
    assert!(a.hit3 >= 0.73, "hit@3 {:.2}\n{report}", a.hit3);
    assert!(
        a.false_abstention <= 0.16,
        "false abstention {:.2}\n{report}",
        a.false_abstention
    );
    assert!(
        scores["none"].abstention >= 0.45,
        "abstention {:.2}\n{report}",
        scores["none"].abstention
    );
}

#[test]
fn every_quote_is_verbatim() {
    let corpus = corpus_text();
    let text = std::fs::read_to_string(root().join("tests/data/dev.jsonl")).unwrap();
    let mut questions: Vec<String> = eval::read_questions(&root().join("tests/data/dev.jsonl"))
        .unwrap()
        .into_iter()
        .map(|q| q.query)
        .collect();
    questions.extend(
        eval::read_questions(&root().join("tests/data/extra.jsonl"))
            .unwrap()
            .into_iter()
            .map(|q| q.query),
    );
    // Every passage's own question, and some keywords, as further questions.
    let e = engine();
    questions.extend(
        e.corpus()
            .passages
            .iter()
            .filter_map(|p| p.question.clone()),
    );
    questions.extend(["卡", "阿里", "To B", "teacher model", "2024"].map(String::from));
    assert!(!text.is_empty());
    for q in questions {
        let answer = e.ask(&q);
        for h in answer.hits() {
            assert!(
                quote_is_verbatim(&h.quote.plain(), &corpus),
                "{q}: {:?}",
                h.quote
            );
            for f in &h.quote.fragments {
                for r in &f.highlights {
                    assert!(f.text.get(r.clone()).is_some(), "{q}: bad highlight {r:?}");
                }
            }
        }
    }
}
