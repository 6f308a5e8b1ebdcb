/*!
`interview-bot calibrate`: fits the decision's gate to labelled questions instead of setting
its numbers by hand.

For each question the engine gathers its evidence exactly as when answering (a follow-up after
its context question), takes the candidate the decision would choose, and labels it 1 when that
passage answers the question (it holds a gold string), 0 otherwise (a wrong passage, or any
passage for a question the interview does not answer). A logistic model of the candidate's
features ([`crate::retrieval::decide::FEATURE_NAMES`]) is fitted with L2 regularisation by
Newton's method on standardized features, then written back in raw units.

The thresholds are chosen on k-fold cross-validated predictions, never on the questions a model
was fitted on: for questions somebody asked, the one that maximises hit@1 + abstention on
unanswerable questions − false abstention; for overheard questions, the lowest whose answers
are right at least [`UNASKED_PRECISION`] of the time. The report gives the cross-validated
figures at both.
*/

use std::fmt::Write;

use crate::retrieval::decide::{FEATURES, FEATURE_NAMES, FIGURE_MISSING};
use crate::retrieval::policy::Policy;
use crate::retrieval::{Engine, Request};
use crate::tools::eval::{context, is_gold, Question};

/// Precision wanted of answers to overheard questions.
pub const UNASKED_PRECISION: f64 = 0.9;
/// L2 penalty on the standardized weights.
const RIDGE: f64 = 1.0;

/// One question's candidates for the gate.
#[derive(Debug, Clone)]
pub struct Example {
    /// Each candidate's features (the figure feature cleared, as the gate judges them).
    pub candidates: Vec<[f32; FEATURES]>,
    /// Whether each candidate answers the question.
    pub right: Vec<bool>,
    /// Whether the question has an answer in the interview.
    pub answerable: bool,
}

/// The examples of `questions`: the first candidates the gate chooses from.
pub fn examples(engine: &Engine, questions: &[Question]) -> Vec<Example> {
    let policy = engine.policy();
    questions
        .iter()
        .map(|q| {
            let context = context(engine, q);
            let (evidence, ranked) = engine.gather(&Request::new(&q.query).after(context.as_ref()));
            let n = evidence.candidates.len().min(policy.rerank_candidates);
            Example {
                candidates: (0..n)
                    .map(|i| {
                        let mut x = evidence.candidates[i].features;
                        x[FIGURE_MISSING] = 0.0;
                        x
                    })
                    .collect(),
                right: (0..n)
                    .map(|i| !q.gold.is_empty() && is_gold(engine, q, ranked[i].passage))
                    .collect(),
                answerable: !q.gold.is_empty(),
            }
        })
        .collect()
}

/// The candidate a model chooses for an example, with its confidence.
fn choose(model: &Model, e: &Example) -> Option<(usize, f64)> {
    e.candidates
        .iter()
        .enumerate()
        .map(|(i, x)| (i, model.predict(x)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
}

/// A fitted logistic model in raw feature units.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// One weight per feature.
    pub weights: [f64; FEATURES],
    /// The bias.
    pub bias: f64,
}

impl Model {
    /// The probability that answering is right.
    pub fn predict(&self, x: &[f32; FEATURES]) -> f64 {
        let z = self.bias
            + self
                .weights
                .iter()
                .zip(x)
                .map(|(w, &v)| w * f64::from(v))
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// Solves `a · x = b` for a small dense system by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let p = a[col][col];
        if p.abs() < 1e-12 {
            continue;
        }
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / p;
            for (x, y) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * y;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = if a[row][row].abs() < 1e-12 {
            0.0
        } else {
            (b[row] - s) / a[row][row]
        };
    }
    x
}

/// Fits the gate to every candidate of `examples`: right or not.
pub fn fit(examples: &[&Example]) -> Model {
    let rows: Vec<([f32; FEATURES], bool)> = examples
        .iter()
        .flat_map(|e| e.candidates.iter().copied().zip(e.right.iter().copied()))
        .collect();
    fit_rows(&rows)
}

/// Fits a logistic model to (features, label) rows.
fn fit_rows(rows: &[([f32; FEATURES], bool)]) -> Model {
    let n = rows.len().max(1) as f64;
    let mut mean = [0.0f64; FEATURES];
    let mut std = [0.0f64; FEATURES];
    for (x, _) in rows {
        for k in 0..FEATURES {
            mean[k] += f64::from(x[k]) / n;
        }
    }
    for (x, _) in rows {
        for k in 0..FEATURES {
            std[k] += (f64::from(x[k]) - mean[k]).powi(2) / n;
        }
    }
    for s in &mut std {
        *s = s.sqrt().max(1e-6);
    }
    let z = |x: &[f32; FEATURES]| -> Vec<f64> {
        let mut v: Vec<f64> = (0..FEATURES)
            .map(|k| (f64::from(x[k]) - mean[k]) / std[k])
            .collect();
        v.push(1.0);
        v
    };
    let d = FEATURES + 1;
    let mut w = vec![0.0f64; d];
    for _ in 0..50 {
        let mut grad = vec![0.0; d];
        let mut hess = vec![vec![0.0; d]; d];
        for (raw, right) in rows {
            let x = z(raw);
            let s: f64 = x.iter().zip(&w).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-s).exp());
            let y = f64::from(u8::from(*right));
            for i in 0..d {
                grad[i] += (p - y) * x[i];
                for j in 0..d {
                    hess[i][j] += p * (1.0 - p) * x[i] * x[j];
                }
            }
        }
        // The bias is not penalised.
        for i in 0..FEATURES {
            grad[i] += RIDGE * w[i];
            hess[i][i] += RIDGE;
        }
        let step = solve(hess, grad);
        let mut moved = 0.0f64;
        for (wi, si) in w.iter_mut().zip(&step) {
            *wi -= si;
            moved = moved.max(si.abs());
        }
        if moved < 1e-9 {
            break;
        }
    }
    let mut weights = [0.0; FEATURES];
    let mut bias = w[FEATURES];
    for k in 0..FEATURES {
        weights[k] = w[k] / std[k];
        bias -= w[k] * mean[k] / std[k];
    }
    Model { weights, bias }
}

/// Figures at one threshold over predictions `p` (None: nothing could be shown).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AtThreshold {
    /// The threshold.
    pub threshold: f64,
    /// Right answers over answerable questions.
    pub hit1: f64,
    /// Abstentions over answerable questions.
    pub false_abstention: f64,
    /// Abstentions over unanswerable questions.
    pub abstention: f64,
    /// Right answers over all answers.
    pub precision: f64,
    /// Answerable questions answered rightly, over answerable questions (for overheard ones).
    pub caught: f64,
}

/// A held-out prediction: whether the chosen candidate is right, and the confidence in it.
pub type Prediction = Option<(bool, f64)>;

fn at(examples: &[Example], p: &[Prediction], t: f64) -> AtThreshold {
    let (mut answerable, mut none, mut right, mut fa, mut abst, mut answered) =
        (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    for (e, p) in examples.iter().zip(p) {
        let answers = p.is_some_and(|(_, p)| p >= t);
        let is_right = p.is_some_and(|(r, _)| r);
        answered += usize::from(answers);
        if e.answerable {
            answerable += 1;
            right += usize::from(answers && is_right);
            fa += usize::from(!answers);
        } else {
            none += 1;
            abst += usize::from(!answers);
        }
    }
    let per = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    AtThreshold {
        threshold: t,
        hit1: per(right, answerable),
        false_abstention: per(fa, answerable),
        abstention: per(abst, none),
        precision: per(right, answered),
        caught: per(right, answerable),
    }
}

/// Cross-validated predictions: each example predicted by a model fitted on the other folds.
pub fn cross_validate(examples: &[Example], folds: usize) -> Vec<Prediction> {
    let folds = folds.max(2);
    let mut p = vec![None; examples.len()];
    for f in 0..folds {
        let train: Vec<&Example> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != f)
            .map(|(_, e)| e)
            .collect();
        let model = fit(&train);
        for (i, e) in examples.iter().enumerate() {
            if i % folds == f {
                p[i] = choose(&model, e).map(|(c, conf)| (e.right[c], conf));
            }
        }
    }
    p
}

/// The thresholds chosen on predictions `p`: (asked, overheard).
pub fn thresholds(examples: &[Example], p: &[Prediction]) -> (AtThreshold, AtThreshold) {
    let grid: Vec<f64> = (1..100).map(|i| f64::from(i) / 100.0).collect();
    let figures: Vec<AtThreshold> = grid.iter().map(|&t| at(examples, p, t)).collect();
    let asked = figures
        .iter()
        .copied()
        .max_by(|a, b| {
            let u = |x: &AtThreshold| x.hit1 + x.abstention - x.false_abstention;
            u(a).total_cmp(&u(b))
                .then(b.threshold.total_cmp(&a.threshold))
        })
        .unwrap_or_default();
    let overheard = figures
        .iter()
        .copied()
        .find(|x| x.precision >= UNASKED_PRECISION)
        .unwrap_or_else(|| figures.last().copied().unwrap_or_default());
    (asked, overheard)
}

/// Runs calibration: fits on every example, chooses thresholds by cross-validation, and
/// returns the policy found with a report.
pub fn run(engine: &Engine, questions: &[Question], folds: usize) -> (Policy, String) {
    let ex = examples(engine, questions);
    let p = cross_validate(&ex, folds);
    let (asked, overheard) = thresholds(&ex, &p);
    let all: Vec<&Example> = ex.iter().collect();
    let model = fit(&all);
    let mut policy = engine.policy().clone();
    policy.gate_weights = model.weights.iter().map(|&w| w as f32).collect();
    policy.gate_bias = model.bias as f32;
    policy.gate_threshold = asked.threshold as f32;
    policy.gate_unasked_threshold = overheard.threshold as f32;
    let mut s = String::new();
    let answerable = ex.iter().filter(|e| e.answerable).count();
    let _ = writeln!(
        s,
        "# {} questions ({} answerable), {}-fold cross-validation; a right passage among the candidates for {}, the chosen one right for {}",
        ex.len(),
        answerable,
        folds,
        ex.iter().filter(|e| e.right.iter().any(|&r| r)).count(),
        p.iter().filter(|p| p.is_some_and(|(r, _)| r)).count()
    );
    for (name, x) in [("asked", asked), ("overheard", overheard)] {
        let _ = writeln!(
            s,
            "# {name:<9} threshold {:.2}: hit@1 {:.2}, false abstention {:.2}, abstains on {:.2} of unanswerable, precision {:.2}",
            x.threshold, x.hit1, x.false_abstention, x.abstention, x.precision
        );
    }
    let _ = writeln!(s, "# weights (raw units):");
    for (n, w) in FEATURE_NAMES.iter().zip(&model.weights) {
        let _ = writeln!(s, "#   {n:<16} {w:+.3}");
    }
    let _ = writeln!(s, "[policy]");
    let weights: Vec<String> = policy
        .gate_weights
        .iter()
        .map(|w| format!("{w:.4}"))
        .collect();
    let _ = writeln!(s, "gate_weights = [{}]", weights.join(", "));
    let _ = writeln!(s, "gate_bias = {:.4}", policy.gate_bias);
    let _ = writeln!(s, "gate_threshold = {:.2}", policy.gate_threshold);
    let _ = writeln!(
        s,
        "gate_unasked_threshold = {:.2}",
        policy.gate_unasked_threshold
    );
    (policy, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_separates_what_a_feature_separates() {
        let ex: Vec<Example> = (0..200)
            .map(|i| {
                let mut x = [0.0f32; FEATURES];
                x[0] = (i % 10) as f32 / 10.0;
                Example {
                    candidates: vec![x],
                    right: vec![i % 10 >= 5],
                    answerable: true,
                }
            })
            .collect();
        let refs: Vec<&Example> = ex.iter().collect();
        let m = fit(&refs);
        assert!(m.weights[0] > 0.0, "{m:?}");
        let mut low = [0.0f32; FEATURES];
        low[0] = 0.1;
        let mut high = [0.0f32; FEATURES];
        high[0] = 0.9;
        assert!(m.predict(&low) < 0.2 && m.predict(&high) > 0.8);
    }

    #[test]
    fn solve_table() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]);
        assert!(
            (x[0] - 0.8).abs() < 1e-9 && (x[1] - 1.4).abs() < 1e-9,
            "{x:?}"
        );
    }
}
