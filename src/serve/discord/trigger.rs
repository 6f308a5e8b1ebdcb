/*!
When a channel message deserves an answer: the pure rule behind mentions and listen channels.

- Never answer bots, webhooks or the bot itself.
- A message that mentions the bot is answered, the mention removed from the question.
- In a listen channel, a message ending in `?` or `？` is answered without a mention; if the
  interview does not cover it, the bot stays silent there (no noise).
*/

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Answer it, abstention included (the bot was mentioned).
    Mention(String),
    /// Answer it only if the interview covers it (a listen channel).
    Listen(String),
    /// Say nothing.
    Ignore,
}

/// The facts about a message that the rule needs.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// Message text.
    pub content: &'a str,
    /// The author is a bot (this one or another).
    pub from_bot: bool,
    /// The message came through a webhook.
    pub from_webhook: bool,
    /// Discord lists the bot among the message's mentions.
    pub mentions_bot: bool,
    /// The channel is one of `listen_channels`.
    pub in_listen_channel: bool,
}

/// Decides what to do with a message for the bot `bot_id`.
pub fn trigger(m: Incoming<'_>, bot_id: u64) -> Trigger {
    if m.from_bot || m.from_webhook {
        return Trigger::Ignore;
    }
    let tags = [format!("<@{bot_id}>"), format!("<@!{bot_id}>")];
    let tagged = tags.iter().any(|t| m.content.contains(t.as_str()));
    if m.mentions_bot || tagged {
        return Trigger::Mention(without_mentions(m.content));
    }
    let text = m.content.trim();
    if m.in_listen_channel && (text.ends_with('?') || text.ends_with('？')) {
        return Trigger::Listen(without_mentions(text));
    }
    Trigger::Ignore
}

/// The question without Discord's mention syntax (`<@id>`, `<@!id>`, `<@&id>`, `<#id>`,
/// `@everyone`, `@here`): those address people, they are not part of what is asked.
pub fn without_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['<', '@']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let skip = if let Some(body) = tail.strip_prefix('<') {
            let inner = body.trim_start_matches(['@', '!', '&', '#']);
            let digits = inner.len() - inner.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let marker = body.len() - inner.len();
            (marker > 0 && digits > 0 && inner[digits..].starts_with('>'))
                .then_some(1 + marker + digits + 1)
        } else {
            ["@everyone", "@here"]
                .iter()
                .find(|m| tail.starts_with(**m))
                .map(|m| m.len())
        };
        match skip {
            Some(n) => {
                out.push(' ');
                rest = &tail[n..];
            }
            None => {
                let c = tail.chars().next().map_or(1, char::len_utf8);
                out.push_str(&tail[..c]);
                rest = &tail[c..];
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(content: &str) -> Incoming<'_> {
        Incoming {
            content,
            from_bot: false,
            from_webhook: false,
            mentions_bot: false,
            in_listen_channel: false,
        }
    }

    #[test]
    fn mention_syntax_is_not_part_of_the_question() {
        let cases = [
            (
                "@everyone <@123> <@!4> <@&456> <#7> 零一萬物賣卡了嗎?",
                "零一萬物賣卡了嗎?",
            ),
            ("a<b @here c", "a<b c"),
            ("email@example.com <@x> <>", "email@example.com <@x> <>"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(without_mentions(input), want, "{input}");
        }
    }

    #[test]
    fn trigger_table() {
        let bot = 42;
        let cases: Vec<(Incoming, Trigger)> = vec![
            (
                msg("<@42> 零一萬物賣卡了嗎?"),
                Trigger::Mention("零一萬物賣卡了嗎?".into()),
            ),
            (
                msg("請問 <@!42> PopAi是什么"),
                Trigger::Mention("請問 PopAi是什么".into()),
            ),
            (
                Incoming {
                    mentions_bot: true,
                    ..msg("hi")
                },
                Trigger::Mention("hi".into()),
            ),
            (msg("<@43> 零一萬物?"), Trigger::Ignore),
            (msg("零一萬物賣卡了嗎?"), Trigger::Ignore),
            (
                Incoming {
                    in_listen_channel: true,
                    ..msg("零一萬物賣卡了嗎？ ")
                },
                Trigger::Listen("零一萬物賣卡了嗎？".into()),
            ),
            (
                Incoming {
                    in_listen_channel: true,
                    ..msg("just chatting")
                },
                Trigger::Ignore,
            ),
            (
                Incoming {
                    from_bot: true,
                    ..msg("<@42> hi?")
                },
                Trigger::Ignore,
            ),
            (
                Incoming {
                    from_webhook: true,
                    in_listen_channel: true,
                    ..msg("hi?")
                },
                Trigger::Ignore,
            ),
        ];
        for (m, want) in cases {
            assert_eq!(trigger(m, bot), want, "{m:?}");
        }
    }
}
