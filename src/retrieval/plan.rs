/*!
What a question asks, in the index's terms: the [`QueryPlan`] that expansion makes and every
retriever, coverage and quoting read. It lives apart from both sides so that neither imports
the other.
*/

/// One concept of a question: alternatives that each count as the concept being present.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    /// What the user wrote (folded), for explanations.
    pub surface: String,
    /// Index terms (word field) with their weights, the user's own term first.
    pub alternatives: Vec<(String, f32)>,
    /// How much the concept says about the topic (0..=1), from general-language frequency.
    pub informativeness: f32,
}

/// A question turned into what the index is asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryPlan {
    /// Word concepts.
    pub concepts: Vec<Concept>,
    /// Character bigrams of the question.
    pub bigrams: Vec<String>,
    /// Bigrams of alternatives the corpus has only inside longer words (能源 in 能源行業 for
    /// `energy`), none of them in [`QueryPlan::bigrams`]: the index is asked for them, but
    /// they are not the question's own bigrams.
    pub alternative_bigrams: Vec<String>,
    /// The question asks for a figure (多少, 幾個, how many…): only a passage that states one
    /// answers it.
    pub asks_figure: bool,
    /// The question only asks for more of something said before (還有呢?, what else?): its
    /// words are follow-up words and stop words, so it has no topic of its own.
    pub follow_up_only: bool,
}

impl QueryPlan {
    /// Whether the plan asks for nothing (only stop words, punctuation, emoji…).
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty() && self.bigrams.is_empty()
    }
}

/// ln(total frequency) of jieba's default dictionary (60,101,964 occurrences).
pub const LN_DICTIONARY_TOTAL: f32 = 17.911;

/// The least informativeness: the most common words of Chinese (去, 年, 大) have it.
pub const LEAST_INFORMATIVENESS: f32 = 0.15;

/// Informativeness of a word from its frequency in jieba's dictionary: common words (去, 現在)
/// near [`LEAST_INFORMATIVENESS`], rare ones (估值, 團隊) 1.
pub fn informativeness(freq: f32) -> f32 {
    let surprisal = LN_DICTIONARY_TOTAL - freq.max(1.0).ln();
    ((surprisal - 5.5) / 5.0).clamp(LEAST_INFORMATIVENESS, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn informativeness_orders_common_below_rare() {
        let words = [
            ("去", 123_402.0),
            ("現在", 34_145.0),
            ("員工", 3_748.0),
            ("估值", 177.0),
        ];
        let got: Vec<f32> = words.iter().map(|(_, f)| informativeness(*f)).collect();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        assert_eq!(informativeness(1.0), 1.0);
    }
}
