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
        let mut question = m.content.to_string();
        for t in &tags {
            question = question.replace(t.as_str(), " ");
        }
        return Trigger::Mention(question.trim().to_string());
    }
    let text = m.content.trim();
    if m.in_listen_channel && (text.ends_with('?') || text.ends_with('？')) {
        return Trigger::Listen(text.to_string());
    }
    Trigger::Ignore
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
    fn trigger_table() {
        let bot = 42;
        let cases: Vec<(Incoming, Trigger)> = vec![
            (
                msg("<@42> 零一萬物賣卡了嗎?"),
                Trigger::Mention("零一萬物賣卡了嗎?".into()),
            ),
            (
                msg("請問 <@!42> PopAi是什么"),
                Trigger::Mention("請問   PopAi是什么".into()),
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
