/*!
The evidence behind one passage for one question, as data: what a "why this passage?" shows.

Read-only over the same plan, ranking and coverage that [`Engine::answer`] uses, so what it
reports is what the decision saw; it decides nothing and changes no answer.
*/

use super::Engine;

/// One concept of the question and whether the passage holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConceptEvidence {
    /// The word as the question has it (folded).
    pub surface: String,
    /// Its share of what the question asks (its weight over all weights), 0..=1.
    pub share: f32,
    /// The alternative the passage holds (the word itself, a synonym, a translation), if any.
    pub matched: Option<String>,
}

/// How one passage stands for one question.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageEvidence {
    /// Its place among the ranked candidates (0 = first), or `None` if no retriever found it.
    pub rank: Option<usize>,
    /// How many candidates were ranked.
    pub candidates: usize,
    /// Its ranking score (comparable within one question only; 0 when not a candidate).
    pub score: f32,
    /// Share of the question's informative content it holds, 0..=1.
    pub coverage: f32,
    /// Share of the question's bigrams it holds (its words standing together), 0..=1.
    pub bigram_coverage: f32,
    /// The coverage an answer needs when someone asked the bot.
    pub min_coverage: f32,
    /// The question's concepts, in the question's order.
    pub concepts: Vec<ConceptEvidence>,
}

impl Engine {
    /// The evidence for `passage` (an index into the corpus) as an answer to `question`.
    pub fn passage_evidence(&self, question: &str, passage: usize) -> PassageEvidence {
        let plan = self.plan(question);
        let resolved = self.resolve(&plan);
        let ranked = self.rank(question, &plan, &resolved, &[]);
        let rank = ranked.iter().position(|r| r.passage == passage);
        let covered = self.covered(&resolved, passage);
        let total: f32 = resolved.weights.iter().sum();
        let concepts = plan
            .concepts
            .iter()
            .zip(&resolved.weights)
            .enumerate()
            .map(|(i, (c, w))| ConceptEvidence {
                surface: c.surface.clone(),
                share: if total > 0.0 { w / total } else { 0.0 },
                matched: self
                    .matched_alternative(&resolved, i, passage)
                    .map(|a| c.alternatives[a].0.clone()),
            })
            .collect();
        PassageEvidence {
            rank,
            candidates: ranked.len(),
            score: rank.map_or(0.0, |r| ranked[r].score),
            coverage: covered.words,
            bigram_coverage: covered.bigrams,
            min_coverage: self.policy.min_coverage_for(super::Asking::Asked),
            concepts,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::answer::Answer;

    fn engine() -> crate::Engine {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = crate::config::Config::load(&root.join("config/bot.toml")).unwrap();
        crate::load::engine(&config).unwrap()
    }

    #[test]
    fn evidence_agrees_with_the_answer() {
        let e = engine();
        let q = "零一萬物是不是把GPU賣給了阿里?";
        let Answer::Found { best, .. } = e.ask(q) else {
            panic!("answered")
        };
        let ev = e.passage_evidence(q, best.passage);
        assert!((ev.coverage - best.coverage).abs() < 1e-6, "{ev:?}");
        assert!((ev.score - best.score).abs() < 1e-6, "{ev:?}");
        assert!(ev.rank.is_some() && ev.candidates > 0);
        assert!(ev.coverage >= ev.min_coverage);
        assert!(ev.concepts.iter().all(|c| c.matched.is_some()), "{ev:?}");
        let shares: f32 = ev.concepts.iter().map(|c| c.share).sum();
        assert!((shares - 1.0).abs() < 1e-4, "{shares}");
        // A passage about something else holds little of it.
        let other = e.corpus().find("Q19").unwrap();
        assert!(e.passage_evidence(q, other).coverage < ev.coverage);
        // English is found through its translation.
        let q = "Does 01.AI still train trillion-parameter models?";
        let Answer::Found { best, .. } = e.ask(q) else {
            panic!("answered")
        };
        let ev = e.passage_evidence(q, best.passage);
        assert!(
            ev.concepts
                .iter()
                .any(|c| c.matched.as_ref().is_some_and(|m| *m != c.surface)),
            "{ev:?}"
        );
    }
}
