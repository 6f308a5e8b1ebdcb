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

    #[test]
    fn rule_table() {
        let p = Policy::default();
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
        let mut p = Policy::default();
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
}
