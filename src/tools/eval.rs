/*!
Retrieval evaluation on a question set with gold passages (`../shared/eval/` format).

Each line is `{"id", "kind", "query", "gold"}`. A returned passage is a hit when its whole
text, folded (NFKC, lowercase, only letters and digits kept), contains one gold string folded
the same way. `gold: []` means the right reply is to abstain. Questions go through
[`Engine::ask`] — the path every front end uses (Discord and the console quote fewer of the
hits, with the same passages: [`crate::answer::Quoting`]) — and only the hits the user would
see count.
*/

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::answer::Answer;
use crate::error::{Error, Result};
use crate::retrieval::{Context, Engine, Request};

/// One question of the set.
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    /// Question id.
    pub id: String,
    /// hant, hans, en, keyword or none.
    pub kind: String,
    /// The question text.
    pub query: String,
    /// Gold strings; empty when the interview does not answer.
    pub gold: Vec<String>,
    /// How it is written (short, chat, english, followup…), when the set says.
    #[serde(default)]
    pub style: Option<String>,
    /// `fit` (tuned on) or `test` (reported), when the set is split.
    #[serde(default)]
    pub split: Option<String>,
    /// For a follow-up: the question asked before it, answered first and given as context.
    #[serde(default)]
    pub context: Option<String>,
}

/// Reads a JSONL question set; a bad line is an error naming file and line.
pub fn read_questions(path: &Path) -> Result<Vec<Question>> {
    let text = crate::load::text(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| Error::QuestionSet {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// The eval fold: NFKC, lowercase, letters and digits only.
pub fn fold(s: &str) -> String {
    s.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The outcome of one question.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The question.
    pub question: Question,
    /// Whether the bot answered.
    pub answered: bool,
    /// Shown passage ids, best first.
    pub shown: Vec<String>,
    /// 1-based rank of the first hit among the shown passages, if any.
    pub rank: Option<usize>,
    /// Coverage of the best passage (shown or suggested).
    pub coverage: f32,
    /// 1-based rank of the first hit in the engine's ranking before the decision (what the
    /// decision chose from), if in the first five.
    pub ranked: Option<usize>,
}

/// Scores of one kind of question (or all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    /// Questions counted.
    pub n: usize,
    /// Answerable questions.
    pub answerable: usize,
    /// hit@1 over answerable questions.
    pub hit1: f64,
    /// hit@3 over answerable questions.
    pub hit3: f64,
    /// MRR@5 over answerable questions.
    pub mrr5: f64,
    /// Share of unanswerable questions abstained on.
    pub abstention: f64,
    /// Share of answerable questions abstained on.
    pub false_abstention: f64,
    /// hit@1 of the ranking before the decision, over answerable questions.
    pub ranked1: f64,
    /// hit@3 of the ranking before the decision.
    pub ranked3: f64,
}

/// The questions of `split` (`fit`, `test`; `all` or none keeps every one).
pub fn select(questions: Vec<Question>, split: Option<&str>) -> Vec<Question> {
    match split {
        None | Some("all") => questions,
        Some(s) => questions
            .into_iter()
            .filter(|q| q.split.as_deref() == Some(s))
            .collect(),
    }
}

/// The context of a follow-up: its context question's answer, as a chat would have it (a
/// follow-up is asked after its context question).
pub fn context(engine: &Engine, q: &Question) -> Option<Context> {
    q.context.as_deref().and_then(|before| {
        match engine.ask_quoting(before, crate::answer::Quoting::Best) {
            Answer::Found { best, .. } => Some(Context {
                question: before.to_string(),
                passage: best.passage,
            }),
            Answer::Abstained { .. } => None,
        }
    })
}

/// Whether a passage's text holds one of the question's gold strings.
pub fn is_gold(engine: &Engine, q: &Question, passage: usize) -> bool {
    let text = fold(&engine.corpus().passages[passage].text);
    q.gold.iter().any(|g| text.contains(fold(g).as_str()))
}

/// Runs every question through the engine.
pub fn run(engine: &Engine, questions: &[Question]) -> Vec<Outcome> {
    let corpus = engine.corpus();
    questions
        .iter()
        .map(|q| {
            // The context question is asked once, for both the answer and the ranking.
            let context = context(engine, q);
            let request = Request::new(&q.query).after(context.as_ref());
            let answer = engine.answer(&request);
            let answered = answer.is_found();
            let hits = match &answer {
                Answer::Found { .. } => answer.hits(),
                Answer::Abstained { .. } => Vec::new(),
            };
            let rank = hits
                .iter()
                .position(|h| is_gold(engine, q, h.passage))
                .map(|i| i + 1);
            Outcome {
                question: q.clone(),
                answered,
                shown: hits
                    .iter()
                    .map(|h| corpus.display_id(&corpus.passages[h.passage]))
                    .collect(),
                rank,
                coverage: answer.hits().first().map_or(0.0, |h| h.coverage),
                ranked: engine
                    .ranking(&request)
                    .iter()
                    .take(5)
                    .position(|r| is_gold(engine, q, r.passage))
                    .map(|i| i + 1),
            }
        })
        .collect()
}

/// Scores over a set of outcomes.
pub fn score<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Scores {
    let mut s = Scores::default();
    let (mut none, mut abstained_none, mut false_abst) = (0usize, 0usize, 0usize);
    for o in outcomes {
        s.n += 1;
        if o.question.gold.is_empty() {
            none += 1;
            abstained_none += usize::from(!o.answered);
            continue;
        }
        s.answerable += 1;
        false_abst += usize::from(!o.answered);
        if let Some(r) = o.ranked {
            s.ranked1 += f64::from(u8::from(r == 1));
            s.ranked3 += f64::from(u8::from(r <= 3));
        }
        if let Some(r) = o.rank {
            s.hit1 += f64::from(u8::from(r == 1));
            s.hit3 += f64::from(u8::from(r <= 3));
            if r <= 5 {
                s.mrr5 += 1.0 / r as f64;
            }
        }
    }
    let per = |x: f64, n: usize| if n == 0 { 0.0 } else { x / n as f64 };
    s.hit1 = per(s.hit1, s.answerable);
    s.hit3 = per(s.hit3, s.answerable);
    s.mrr5 = per(s.mrr5, s.answerable);
    s.ranked1 = per(s.ranked1, s.answerable);
    s.ranked3 = per(s.ranked3, s.answerable);
    s.false_abstention = per(false_abst as f64, s.answerable);
    s.abstention = per(abstained_none as f64, none);
    s
}

/// Scores per kind, plus `all` (answerable kinds only count toward hit@k).
pub fn by_kind(outcomes: &[Outcome]) -> BTreeMap<String, Scores> {
    by(outcomes, |q| Some(q.kind.clone()))
}

/// Scores per style (for sets that give one), plus `all`.
pub fn by_style(outcomes: &[Outcome]) -> BTreeMap<String, Scores> {
    by(outcomes, |q| q.style.clone())
}

fn by(outcomes: &[Outcome], key: impl Fn(&Question) -> Option<String>) -> BTreeMap<String, Scores> {
    let mut kinds: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        if let Some(k) = key(&o.question) {
            kinds.entry(k).or_default().push(o);
        }
    }
    let mut out: BTreeMap<String, Scores> = kinds.into_iter().map(|(k, v)| (k, score(v))).collect();
    out.insert("all".into(), score(outcomes));
    out
}

/// The report printed by `interview-bot eval`: a table per kind (and per style, when the set
/// gives styles), then the misses.
pub fn report(outcomes: &[Outcome]) -> String {
    let mut s = table("kind", &by_kind(outcomes));
    let styles = by_style(outcomes);
    if styles.len() > 1 {
        s.push('\n');
        s.push_str(&table("style", &styles));
    }
    s.push_str(&details(outcomes));
    s
}

fn table(title: &str, rows: &BTreeMap<String, Scores>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<12} {:>4} {:>6} {:>6} {:>6} {:>8} {:>9} {:>7} {:>7}",
        title, "n", "hit@1", "hit@3", "MRR@5", "abstain", "false-abs", "rank@1", "rank@3"
    );
    for (kind, sc) in rows {
        let na = |x: f64, ok: bool| if ok { format!("{x:.2}") } else { "-".into() };
        let _ = writeln!(
            s,
            "{:<12} {:>4} {:>6} {:>6} {:>6} {:>8} {:>9} {:>7} {:>7}",
            kind,
            sc.n,
            na(sc.hit1, sc.answerable > 0),
            na(sc.hit3, sc.answerable > 0),
            na(sc.mrr5, sc.answerable > 0),
            na(sc.abstention, sc.n > sc.answerable),
            na(sc.false_abstention, sc.answerable > 0),
            na(sc.ranked1, sc.answerable > 0),
            na(sc.ranked3, sc.answerable > 0),
        );
    }
    s
}

fn details(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    let cov = |none: bool| {
        outcomes
            .iter()
            .filter(move |o| o.question.gold.is_empty() == none)
            .map(|o| o.coverage)
    };
    let _ = writeln!(
        s,
        "\nbest-passage coverage: unanswerable max {:.2}; answerable min {:.2}, median {:.2}",
        cov(true).fold(0.0, f32::max),
        cov(false).fold(1.0, f32::min),
        median(cov(false).collect()),
    );
    let misses: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| {
            if o.question.gold.is_empty() {
                o.answered
            } else {
                o.rank != Some(1)
            }
        })
        .collect();
    if !misses.is_empty() {
        let _ = writeln!(
            s,
            "\nmisses (not first, or answered when it should abstain):"
        );
        for o in misses {
            let _ = writeln!(
                s,
                "  {} [{}] {} → {} (gold rank {}, coverage {:.2})",
                o.question.id,
                o.question.kind,
                o.question.query,
                if o.answered {
                    o.shown.join(",")
                } else {
                    "abstained".into()
                },
                o.rank.map_or("-".into(), |r| r.to_string()),
                o.coverage,
            );
        }
    }
    s
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_table() {
        assert_eq!(
            fold("「將卡和預訓練團隊賣給了阿里」"),
            "將卡和預訓練團隊賣給了阿里"
        );
        assert_eq!(fold("50%做大家通用的工具鏈"), "50做大家通用的工具鏈");
        assert_eq!(fold("Ｔｏ Ｂ"), "tob");
    }
}
