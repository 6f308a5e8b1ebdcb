/*!
The decision: from the evidence about the best-ranked candidates, answer with one of them (and
which further passages to list) or abstain, and why. A pure function of [`Policy`] and
[`Evidence`], so its rules can be read and tested in one place; the engine gathers the
evidence and turns the decision into an [`crate::Answer`].

The rules:
1. Only the first [`Policy::covering_candidates`] of the ranking are considered, and of those
   only the ones covering at least [`Policy::min_coverage`] of the question
   ([`Policy::unasked_min_coverage`] for a question nobody addressed to the bot).
2. The first of those answers, unless another covers clearly more
   ([`Policy::clearly_more_coverage`]): then the one covering most (the better ranked of equals).
3. A question asking for a figure is answered only if the chosen passage states one; otherwise
   the answer is "no such figure" (when something covered the question) or "not covered".
4. Further passages: every other ranked candidate covering at least
   [`Policy::min_further_coverage`] and [`Policy::further_share_of_best`] of what the answer
   covers, in rank order, at most `max_further`.
*/

use super::policy::Policy;
use super::request::Asking;
use crate::answer::Abstention;

/// What the decision knows of one ranked candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateEvidence {
    /// Share of the question the passage covers (0..=1).
    pub coverage: f32,
    /// Whether the passage, as it would be shown, states a figure. Only looked at when the
    /// question asks for one.
    pub states_figure: bool,
    /// The features the calibrated gate reads (see [`features`]).
    pub features: [f32; FEATURES],
}

/// Facts about the question itself that the gate reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuestionFacts {
    /// Share of the question's weight the corpus has a word for (0..=1).
    pub known_share: f32,
    /// Share of its letters that are Latin (1 for English).
    pub latin: f32,
    /// Whether it asks for a figure.
    pub asks_figure: bool,
    /// Share of its weight in its heaviest Chinese concept the corpus never uses.
    pub absent_topic: f32,
}

/// How many features the gate reads.
pub const FEATURES: usize = 13;

/// The names of the features, in order (for `calibrate` and `explain`).
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "coverage",
    "bigram_coverage",
    "bm25",
    "dense",
    "dense_margin",
    "score_margin",
    "known_share",
    "latin",
    "figure_missing",
    "taught",
    "score",
    "rank",
    "absent_topic",
];

/// The features of candidate `i` of `ranked`: its own signals, its margins over the best of
/// the other first five candidates, and facts about the question.
pub fn features(
    ranked: &[super::Ranked],
    i: usize,
    question: &QuestionFacts,
    states_figure: bool,
) -> [f32; FEATURES] {
    let r = &ranked[i];
    let others = ranked.iter().take(5).enumerate().filter(|&(j, _)| j != i);
    let (best_dense, best_score) = others
        .fold((f32::NEG_INFINITY, f32::NEG_INFINITY), |(d, s), (_, o)| {
            (d.max(o.dense), s.max(o.score))
        });
    let margin = |x: f32, best: f32| if best.is_finite() { x - best } else { x };
    [
        r.coverage,
        r.bigram_coverage,
        r.lexical,
        r.dense,
        margin(r.dense, best_dense),
        margin(r.score, best_score),
        question.known_share,
        question.latin,
        f32::from(u8::from(question.asks_figure && !states_figure)),
        r.taught,
        r.score,
        i as f32,
        question.absent_topic,
    ]
}

/// The calibrated gate's estimate that answering with a candidate is right (0..=1): a
/// logistic model of its features, fitted by `interview-bot calibrate`.
pub fn confidence(policy: &Policy, features: &[f32; FEATURES]) -> f32 {
    let z: f32 = policy.gate_bias
        + policy
            .gate_weights
            .iter()
            .zip(features)
            .map(|(w, x)| w * x)
            .sum::<f32>();
    1.0 / (1.0 + (-z).exp())
}

/// Everything the decision is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The question asks for a figure (how many, how much).
    pub asks_figure: bool,
    /// Who asked: an overheard question needs more coverage.
    pub asking: Asking,
    /// The ranked candidates, best first.
    pub candidates: Vec<CandidateEvidence>,
    /// Most further passages listed.
    pub max_further: usize,
}

/// What the bot does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Answer with candidate `best` (an index into [`Evidence::candidates`]) and list
    /// `further`.
    Answer {
        /// The answering candidate.
        best: usize,
        /// Further candidates to list, in order.
        further: Vec<usize>,
    },
    /// Say the interview does not answer it.
    Abstain(Abstention),
}

/// Decides, by the rules of the module note.
pub fn decide(policy: &Policy, evidence: &Evidence) -> Decision {
    if policy.gate_weights.len() == FEATURES {
        return decide_calibrated(policy, evidence);
    }
    let min_coverage = policy.min_coverage_for(evidence.asking);
    let covering: Vec<usize> = (0..evidence.candidates.len())
        .take(policy.covering_candidates)
        .filter(|&i| evidence.candidates[i].coverage >= min_coverage)
        .collect();
    let coverage = |i: usize| evidence.candidates[i].coverage;
    let chosen = covering.first().map(|&first| {
        covering
            .iter()
            .copied()
            .filter(|&i| coverage(i) >= coverage(first) + policy.clearly_more_coverage)
            .min_by(|&a, &b| coverage(b).total_cmp(&coverage(a)))
            .unwrap_or(first)
    });
    let best = chosen.filter(|&i| !evidence.asks_figure || evidence.candidates[i].states_figure);
    match best {
        Some(best) => {
            let floor = policy
                .min_further_coverage
                .max(policy.further_share_of_best * coverage(best));
            let further = (0..evidence.candidates.len())
                .filter(|&i| i != best && coverage(i) >= floor)
                .take(evidence.max_further)
                .collect();
            Decision::Answer { best, further }
        }
        None => Decision::Abstain(if evidence.asks_figure && !covering.is_empty() {
            Abstention::NoFigure
        } else {
            Abstention::NotCovered
        }),
    }
}

/// The calibrated decision: of the first [`Policy::rerank_candidates`], the one the gate is
/// most confident in is chosen (the gate is fitted to tell the right passage from the others,
/// so it reranks as well as it gates), and answered only if that confidence reaches the
/// threshold of who asked. A question asking for a figure is answered only by a passage that
/// covers it as the coverage rule asks and states one; one that covers it and states none
/// gives "no such figure".
fn decide_calibrated(policy: &Policy, evidence: &Evidence) -> Decision {
    let n = evidence.candidates.len().min(policy.rerank_candidates);
    // Judged as if the figure were there: a passage good enough otherwise says "no such
    // figure", a poor one "not covered".
    let judged = |i: usize| {
        let mut x = evidence.candidates[i].features;
        x[FIGURE_MISSING] = 0.0;
        confidence(policy, &x)
    };
    let Some((chosen, sure)) = (0..n)
        .map(|i| (i, judged(i)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    else {
        return Decision::Abstain(Abstention::NotCovered);
    };
    let threshold = match evidence.asking {
        Asking::Asked => policy.gate_threshold,
        Asking::Unasked => policy.gate_unasked_threshold,
    };
    let c = &evidence.candidates[chosen];
    // A figure is answered from words, not from meaning alone: the passage must cover the
    // question as the coverage rule asks, and state a figure. One that covers it without
    // one is "no such figure".
    let covers = c.coverage >= policy.min_coverage_for(evidence.asking);
    if evidence.asks_figure && covers && !c.states_figure {
        return Decision::Abstain(Abstention::NoFigure);
    }
    if sure < threshold || (evidence.asks_figure && !covers) {
        return Decision::Abstain(Abstention::NotCovered);
    }
    let coverage = |i: usize| evidence.candidates[i].coverage;
    let floor = policy
        .min_further_coverage
        .max(policy.further_share_of_best * coverage(chosen));
    let further = (0..evidence.candidates.len())
        .filter(|&i| i != chosen && (coverage(i) >= floor || (i < n && judged(i) >= threshold)))
        .take(evidence.max_further)
        .collect();
    Decision::Answer {
        best: chosen,
        further,
    }
}

/// The place of the figure feature in [`FEATURE_NAMES`].
pub const FIGURE_MISSING: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(asks_figure: bool, candidates: &[(f32, bool)]) -> Evidence {
        Evidence {
            asks_figure,
            asking: Asking::Asked,
            candidates: candidates
                .iter()
                .map(|&(coverage, states_figure)| CandidateEvidence {
                    coverage,
                    states_figure,
                    features: [0.0; FEATURES],
                })
                .collect(),
            max_further: 2,
        }
    }

    fn answer(best: usize, further: &[usize]) -> Decision {
        Decision::Answer {
            best,
            further: further.to_vec(),
        }
    }

    /// A case: its name, whether a figure is asked, (coverage, states a figure) of each
    /// ranked candidate, and the decision.
    type Case<'a> = (&'a str, bool, &'a [(f32, bool)], Decision);

    /// The policy of the coverage rule alone (no calibrated gate).
    fn coverage_rule() -> Policy {
        Policy {
            gate_weights: Vec::new(),
            ..Policy::default()
        }
    }

    #[test]
    fn rule_table() {
        let p = coverage_rule();
        let cases: &[Case] = &[
            (
                "nothing ranked",
                false,
                &[],
                Decision::Abstain(Abstention::NotCovered),
            ),
            (
                "the first covers enough",
                false,
                &[(0.8, false), (0.5, false), (0.1, false)],
                answer(0, &[1]),
            ),
            (
                "too little coverage anywhere",
                false,
                &[(0.39, false), (0.2, false)],
                Decision::Abstain(Abstention::NotCovered),
            ),
            (
                "a lower-ranked passage covering clearly more answers",
                false,
                &[(0.5, false), (0.9, false), (0.56, false)],
                answer(1, &[0, 2]),
            ),
            (
                "a small difference is a tie the ranking decides",
                false,
                &[(0.5, false), (0.54, false)],
                answer(0, &[1]),
            ),
            (
                "of equal coverages the better ranked answers",
                false,
                &[(0.4, false), (0.9, false), (0.9, false)],
                answer(1, &[0, 2]),
            ),
            (
                "only the first three are candidates for the answer",
                false,
                &[(0.1, false), (0.1, false), (0.1, false), (0.9, false)],
                Decision::Abstain(Abstention::NotCovered),
            ),
            (
                "a figure asked and stated",
                true,
                &[(0.6, true)],
                answer(0, &[]),
            ),
            (
                "a figure asked and not stated",
                true,
                &[(0.6, false), (0.6, true)],
                Decision::Abstain(Abstention::NoFigure),
            ),
            (
                "a figure asked of nothing that covers it",
                true,
                &[(0.2, true)],
                Decision::Abstain(Abstention::NotCovered),
            ),
            (
                "further passages need a share of the answer's coverage",
                false,
                &[(1.0, false), (0.39, false), (0.41, false), (0.9, false)],
                answer(0, &[2, 3]),
            ),
        ];
        for (name, asks_figure, candidates, want) in cases {
            let got = decide(&p, &evidence(*asks_figure, candidates));
            assert_eq!(&got, want, "{name}");
        }
    }

    #[test]
    fn the_policy_moves_the_threshold() {
        let mut p = coverage_rule();
        let e = evidence(false, &[(0.35, false)]);
        assert_eq!(decide(&p, &e), Decision::Abstain(Abstention::NotCovered));
        p.min_coverage = 0.3;
        assert_eq!(decide(&p, &e), answer(0, &[]));
        let overheard = Evidence {
            asking: Asking::Unasked,
            ..e
        };
        assert_eq!(
            decide(&p, &overheard),
            Decision::Abstain(Abstention::NotCovered),
            "an overheard question needs more"
        );
    }

    /// A gate that reads coverage only: confidence = sigmoid(10 · (coverage − 0.5)).
    fn coverage_gate() -> Policy {
        let mut weights = vec![0.0; FEATURES];
        weights[0] = 10.0;
        Policy {
            gate_weights: weights,
            gate_bias: -5.0,
            gate_threshold: 0.5,
            gate_unasked_threshold: 0.9,
            ..Policy::default()
        }
    }

    fn gated(asks_figure: bool, asking: Asking, candidates: &[(f32, bool)]) -> Evidence {
        let mut e = evidence(asks_figure, candidates);
        e.asking = asking;
        for c in &mut e.candidates {
            c.features[0] = c.coverage;
            c.features[FIGURE_MISSING] = f32::from(u8::from(asks_figure && !c.states_figure));
        }
        e
    }

    /// A gate case: name, figure asked, who asked, candidates, the decision.
    type GateCase<'a> = (&'a str, bool, Asking, &'a [(f32, bool)], Decision);

    #[test]
    fn calibrated_gate_table() {
        let p = coverage_gate();
        let cases: &[GateCase] = &[
            (
                "nothing ranked",
                false,
                Asking::Asked,
                &[],
                Decision::Abstain(Abstention::NotCovered),
            ),
            (
                "confident",
                false,
                Asking::Asked,
                &[(0.8, false)],
                answer(0, &[]),
            ),
            (
                "not confident",
                false,
                Asking::Asked,
                &[(0.4, false)],
                Decision::Abstain(Abstention::NotCovered),
            ),
            (
                "the most confident of the first five answers",
                false,
                Asking::Asked,
                &[(0.6, false), (0.9, false)],
                answer(1, &[0]),
            ),
            (
                "overheard needs more",
                false,
                Asking::Unasked,
                &[(0.6, false)],
                Decision::Abstain(Abstention::NotCovered),
            ),
            (
                "overheard and sure",
                false,
                Asking::Unasked,
                &[(0.95, false)],
                answer(0, &[]),
            ),
            (
                "a figure asked of a good passage that lacks it",
                true,
                Asking::Asked,
                &[(0.8, false)],
                Decision::Abstain(Abstention::NoFigure),
            ),
            (
                "a figure asked and stated",
                true,
                Asking::Asked,
                &[(0.8, true)],
                answer(0, &[]),
            ),
        ];
        for (name, asks_figure, asking, candidates, want) in cases {
            let got = decide(&p, &gated(*asks_figure, *asking, candidates));
            assert_eq!(&got, want, "{name}");
        }
    }
}
