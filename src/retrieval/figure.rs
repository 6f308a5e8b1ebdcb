/*!
Questions that ask for a figure, and text that states one.

"零一萬物有多少員工?" shares its words with many passages about staff, but only a passage
that gives a number answers it; quoting one that does not would pass off a near miss as an
answer. So a question that asks how many or how much is answered only by a quote stating a
figure, and otherwise gets a plain "the interview gives no such figure".

Both tests read folded text (see [`crate::analysis::normalize`]: Simplified, lowercase).
*/

/// Phrases that ask for a figure, folded.
const ASKING: &[&str] = &[
    "多少",
    "几个",
    "几位",
    "几家",
    "几张",
    "几人",
    "几名",
    "几年",
    "几成",
    "几倍",
    "几次",
    "几款",
    "几条",
    "第几",
    "多大比例",
    "how many",
    "how much",
    "what percentage",
    "what proportion",
    "what share",
];

/// Characters that state a number on their own.
const NUMERALS: &str = "0123456789两二三四五六七八九十百千万亿%";

/// What may follow 一 for it to be a number (一成, 一半, 一百), not an article (一個, 一家:
/// "a", as in 有一個機會).
const AFTER_ONE: &str = "成倍半亿万千百";

/// Units of dates and durations: 2024年, 12月, 一年半 are not the figures people ask for.
const TIME_UNITS: &str = "年月日号天周岁点";

/// The names among `words` (folded) that hold a numeral, for [`states_figure`].
pub fn names_with_numerals(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| {
            w.chars()
                .any(|c| NUMERALS.contains(c) || c == '一' || c == '零')
        })
        .cloned()
        .collect()
}

/// Whether a folded question asks for a figure.
pub fn asks_figure(folded_question: &str) -> bool {
    ASKING.iter().any(|p| folded_question.contains(p))
}

/// Whether folded text states a figure: a run of numerals not followed by a unit of time,
/// outside the `names` given (零一萬物 is a name, not ten thousand of anything).
pub fn states_figure(folded_text: &str, names: &[String]) -> bool {
    let mut text = folded_text.to_string();
    for name in names {
        if text.contains(name.as_str()) {
            text = text.replace(name.as_str(), " ");
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = NUMERALS.contains(c)
            || c == '一' && chars.get(i + 1).is_some_and(|n| AFTER_ONE.contains(*n));
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < chars.len()
            && (NUMERALS.contains(chars[end]) || "一多半.,".contains(chars[end]))
        {
            end += 1;
        }
        if !chars.get(end).is_some_and(|u| TIME_UNITS.contains(*u)) {
            return true;
        }
        i = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_asking_for_a_figure() {
        let cases = [
            ("零一万物现在有多少员工?", true),
            ("预训练团队有几个人去了阿里?", true),
            ("yi-lightning在排行榜上排第几?", true),
            ("how many gpus does 01.ai rent?", true),
            ("how much revenue did 01.ai make?", true),
            ("零一万物为什么拆分游戏业务?", false),
            ("李开复怎么看scaling law?", false),
            ("what does kai-fu lee think about scaling laws?", false),
            ("", false),
        ];
        for (q, want) in cases {
            assert_eq!(asks_figure(q), want, "{q}");
        }
    }

    #[test]
    fn text_stating_a_figure() {
        let cases = [
            ("确认收入已经有一个多亿了", true),
            ("七成的收入来自b端", true),
            ("雇300个销售", true),
            ("那些有上万张卡的小公司", true),
            ("增长了50%", true),
            ("一成", true),
            ("现在有一个做超级大模型的巨大机会", false),
            ("在过去的一年半里", false),
            ("2025年1月7日", false),
            ("一半的收入", true),
            ("我们做的是商业公司", false),
            ("一开始我们肯定带着追求agi的理想", false),
            ("", false),
        ];
        for (t, want) in cases {
            assert_eq!(states_figure(t, &[]), want, "{t}");
        }
        let names = names_with_numerals(&["零一万物".into(), "李开复".into(), "01.ai".into()]);
        assert_eq!(names, ["零一万物", "01.ai"]);
        assert!(states_figure("零一万物的对话", &[]));
        assert!(!states_figure("零一万物的对话", &names));
        assert!(states_figure("零一万物有300个销售", &names));
    }
}
