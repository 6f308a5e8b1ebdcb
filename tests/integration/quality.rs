//! Retrieval quality on the dev set and on our own held-out set (`tests/data/extra.jsonl`,
//! written from the source without looking at the engine), measured through `Engine::ask` —
//! the path every front end uses. The floors are what the engine reaches today, a little
//! below (see the README's evaluation section); a change that makes retrieval worse fails
//! here. The engine issue's bar for hit@1 (0.90) is higher: raise the floors as retrieval
//! improves.

use interview_bot::answer::Quoting;
use interview_bot::tools::eval;

use crate::support::{corpus_text, engine, quote_is_verbatim, root};

/// The least figures a question set must reach; `None` where a kind is not checked.
struct Floors {
    hit1: f64,
    hit3: f64,
    max_false_abstention: f64,
    abstention: f64,
    english_hit3: Option<f64>,
}

/// Runs the questions of `path` through the engine and checks them against `floors`; a
/// failure prints the whole report with the misses.
fn assert_floors(path: &std::path::Path, floors: Floors) {
    assert_split_floors(path, None, floors);
}

/// Like [`assert_floors`], over one split of a split set.
fn assert_split_floors(path: &std::path::Path, split: Option<&str>, floors: Floors) {
    let questions = eval::select(eval::read_questions(path).unwrap(), split);
    let outcomes = eval::run(engine(), &questions);
    let scores = eval::by_kind(&outcomes);
    let report = eval::report(&outcomes);
    let a = eval::score(outcomes.iter().filter(|o| !o.question.gold.is_empty()));
    let checks = [
        ("hit@1", a.hit1, floors.hit1 <= a.hit1),
        ("hit@3", a.hit3, floors.hit3 <= a.hit3),
        (
            "false abstention",
            a.false_abstention,
            a.false_abstention <= floors.max_false_abstention,
        ),
        (
            "abstention",
            scores["none"].abstention,
            floors.abstention <= scores["none"].abstention,
        ),
        (
            "English hit@3",
            scores["en"].hit3,
            floors.english_hit3.is_none_or(|f| f <= scores["en"].hit3),
        ),
    ];
    for (name, value, ok) in checks {
        assert!(ok, "{}: {name} {value:.2}\n{report}", path.display());
    }
}

#[test]
fn dev_set_meets_the_quality_bar() {
    let shared = root().join("../shared/eval/dev.jsonl");
    let path = if shared.exists() {
        shared
    } else {
        root().join("tests/data/dev.jsonl")
    };
    // With the calibrated decision (fitted on tests/data/own*.jsonl's fit split, never on
    // this set) hit@1 is 0.84 here, below the 0.91 of the rules tuned to this set.
    let floors = Floors {
        hit1: 0.82,
        hit3: 0.92,
        max_false_abstention: 0.08,
        abstention: 0.85,
        english_hit3: Some(0.85),
    };
    assert_floors(&path, floors);
}

/// The test halves of our own question sets, written from the source in every style people
/// use and never tuned on: floors against regressions, a little below today's figures.
#[test]
fn own_test_splits_do_not_regress() {
    let own = Floors {
        hit1: 0.59,
        hit3: 0.64,
        max_false_abstention: 0.30,
        abstention: 0.60,
        english_hit3: Some(0.55),
    };
    assert_split_floors(&root().join("tests/data/own.jsonl"), Some("test"), own);
    let own2 = Floors {
        hit1: 0.71,
        hit3: 0.77,
        max_false_abstention: 0.19,
        abstention: 0.70,
        english_hit3: Some(0.5),
    };
    assert_split_floors(&root().join("tests/data/own2.jsonl"), Some("test"), own2);
}

/// Harder than the dev set (colloquial paraphrases, numbers the interview never gives): the
/// floors guard against regressions, they are no target.
#[test]
fn held_out_set_does_not_regress() {
    let floors = Floors {
        hit1: 0.76,
        hit3: 0.87,
        max_false_abstention: 0.10,
        abstention: 0.35,
        english_hit3: Some(0.8),
    };
    assert_floors(&root().join("tests/data/extra.jsonl"), floors);
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

/// Quoting only the best passage (what Discord and the terminal show) answers with the same
/// passages, scores and best quote as quoting every hit; only the other quotes are left out.
#[test]
fn quoting_the_best_only_changes_nothing_else() {
    let e = engine();
    let questions = eval::read_questions(&root().join("tests/data/dev.jsonl")).unwrap();
    let mut further_quoted = 0;
    for q in questions {
        let all = e.ask_quoting(&q.query, Quoting::All);
        let best = e.ask_quoting(&q.query, Quoting::Best);
        assert_eq!(all.is_found(), best.is_found(), "{}", q.query);
        let (all_hits, best_hits) = (all.hits(), best.hits());
        assert_eq!(all_hits.len(), best_hits.len(), "{}", q.query);
        for (i, (a, b)) in all_hits.iter().zip(&best_hits).enumerate() {
            assert_eq!((a.passage, a.score), (b.passage, b.score), "{}", q.query);
            if i == 0 && all.is_found() {
                assert_eq!(a.quote, b.quote, "{}", q.query);
            } else {
                assert!(b.quote.fragments.is_empty(), "{}", q.query);
                further_quoted += usize::from(!a.quote.fragments.is_empty());
            }
        }
    }
    assert!(further_quoted > 0, "Quoting::All quotes further passages");
}
