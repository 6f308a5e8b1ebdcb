/*!
Follow-ups: whether a question refers back to the previous answer, and how to read it then.

People in a chat ask "他還說了什麼?", "那Infra團隊呢?", "why?", "anything else?" after an
answer. Read alone, such a question has no topic (or the wrong one). With the previous exchange
at hand it reads as one of:
- **alone**: it has a topic of its own and no word pointing back; the context is ignored;
- **joined**: it points back (他, 這, 那…呢, that, it) and adds something: it is read together
  with the previous question, so the topic carries over;
- **more**: it only asks for more ("還有呢?", "anything else?"): the previous question again,
  answered by the next passage on the topic, not the one already shown.
*/

use crate::analysis::fold;

/// Words that only ask for more, once folded (Simplified, lowercase). A question made of
/// these, stop words and punctuation has no topic of its own.
const MORE: &[&str] = &[
    "还有呢",
    "还有吗",
    "还有",
    "然后呢",
    "然后",
    "其他呢",
    "其他的呢",
    "其他",
    "另外呢",
    "另外",
    "别的呢",
    "别的",
    "再说说",
    "多说点",
    "继续",
    "详细点",
    "展开说说",
    "仲有呢",
    "仲有",
    "仲有乜嘢",
    "之后呢",
    "还说了什么",
    "他还说了什么",
    "还讲了什么",
    "他还讲了啥",
    "还说了啥",
    "还有啥",
    "还有什么",
    "anything else",
    "what else",
    "more",
    "tell me more",
    "go on",
    "and",
    "else",
    "what else did he say",
    "what else did he say about that",
    "anything more",
    "more please",
    "and then",
    "what about it",
    "continue",
];

/// Words that point back to what was just said, once folded. Chinese ones are matched
/// inside the question; English ones as whole words.
const BACK_ZH: &[&str] = &[
    "他",
    "她",
    "它",
    "他们",
    "这个",
    "那个",
    "这件事",
    "那件事",
    "这样",
    "那样",
    "这点",
    "那点",
    "这些",
    "那些",
    "此事",
    "上面",
    "刚才",
    "之前说",
    "你说的",
    "佢",
    "佢哋",
    "呢个",
    "嗰个",
    "咁",
];
const BACK_EN: &[&str] = &[
    "he", "him", "his", "she", "her", "they", "them", "their", "it", "its", "that", "this",
    "those", "these", "there", "why", "how come",
];

/// Chinese openings that continue the conversation ("那…呢", "所以…").
const OPENINGS: &[&str] = &["那", "那么", "所以", "然后", "但是", "可是", "咁", "噉"];

/// How a question relates to the previous answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// A question of its own.
    Alone,
    /// Read together with the previous question: this text.
    Joined(String),
    /// Only asks for more on the previous topic.
    More,
}

/// Folded text with punctuation and spaces dropped and emoji gone: what is left to judge.
fn bare(folded: &str) -> String {
    folded
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `question` only asks for more (no topic of its own), whatever came before.
pub fn asks_only_for_more(question: &str) -> bool {
    let b = bare(&fold(question));
    let mut rest = b.replace(' ', "");
    // The particles and politeness around the request say nothing either.
    for filler in [
        "请", "麻烦", "吗", "呢", "啊", "呀", "吧", "嘛", "了", "please", "pls", "lol",
    ] {
        rest = rest.replace(filler, "");
    }
    !b.is_empty()
        && (MORE.contains(&b.as_str())
            || MORE.iter().any(|m| m.replace(' ', "") == rest)
            || rest.is_empty())
}

/// Whether `question` points back at the previous exchange.
pub fn refers_back(question: &str) -> bool {
    let folded = fold(question);
    let b = bare(&folded);
    if BACK_ZH.iter().any(|w| b.contains(w)) {
        return true;
    }
    let words: Vec<&str> = b.split(' ').collect();
    if words.iter().any(|w| BACK_EN.contains(w)) {
        return true;
    }
    let han_only: String = b.chars().filter(|c| !c.is_ascii()).collect();
    // "那Infra團隊呢?" / "所以呢": a continuation, or a short question ending in 呢.
    let short = han_only.chars().count() <= 12;
    short
        && (OPENINGS.iter().any(|o| b.starts_with(o))
            || folded
                .trim_end_matches(['?', '？', ' ', '!', '！'])
                .ends_with('呢'))
}

/// How to read `question` after `previous` (the previous question; empty when unknown).
pub fn read(question: &str, previous: Option<&str>) -> Reading {
    let Some(previous) = previous else {
        return Reading::Alone;
    };
    if asks_only_for_more(question) {
        Reading::More
    } else if refers_back(question) && !previous.trim().is_empty() {
        Reading::Joined(format!("{previous} {question}"))
    } else {
        Reading::Alone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_table() {
        let previous = "零一萬物為什麼不再訓練超大模型?";
        let prev = Some(previous);
        let joined = |q: &str| Reading::Joined(format!("{previous} {q}"));
        let cases = [
            ("還有呢?", Reading::More),
            ("还有吗", Reading::More),
            ("然後呢？？", Reading::More),
            ("anything else?", Reading::More),
            ("What else did he say about that?", Reading::More),
            ("仲有呢", Reading::More),
            ("他還說了什麼?", Reading::More),
            ("那Infra團隊呢?", joined("那Infra團隊呢?")),
            ("他們的預訓練團隊去哪了", joined("他們的預訓練團隊去哪了")),
            ("why did they do that?", joined("why did they do that?")),
            ("零一萬物的收入來自哪裡?", Reading::Alone),
            ("What is a teacher model?", Reading::Alone),
            ("PopAi是什么产品?", Reading::Alone),
        ];
        for (q, want) in cases {
            assert_eq!(read(q, prev), want, "{q}");
        }
        assert_eq!(
            read("還有呢?", None),
            Reading::Alone,
            "no context, no follow-up"
        );
        assert!(asks_only_for_more("還有呢?"));
        assert!(!asks_only_for_more("零一萬物"));
    }
}
