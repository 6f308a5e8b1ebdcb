/*!
When a channel message deserves an answer: the pure rule behind mentions, replies, DMs,
threads and listen channels.

- Never answer bots, webhooks or the bot itself.
- A message *addressed* to the bot is answered, abstention included: one that mentions it (its
  user, or the role Discord made for it), a reply to one of its messages, a direct message.
- A question the bot *overhears* — ending in `?` or `？` in a listen channel or in a thread the
  bot opened — is answered only if the interview covers it, with a stricter threshold
  ([`Asking::Unasked`](crate::retrieval::Asking)): no noise.
- A reply whose text Discord withheld (no Message Content intent, ping off) says nothing to
  answer: it is left alone.
*/

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Answer it, abstention included (someone addressed the bot).
    Addressed(String),
    /// Answer it only if the interview covers it (the bot overheard a question).
    Overheard(String),
    /// Say nothing.
    Ignore,
}

/// The facts about a message that the rule needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Incoming<'a> {
    /// Message text.
    pub content: &'a str,
    /// The author is a bot (this one or another).
    pub from_bot: bool,
    /// The message came through a webhook.
    pub from_webhook: bool,
    /// Discord lists the bot among the message's mentions, or the bot's managed role among its
    /// role mentions.
    pub mentions_bot: bool,
    /// It replies to one of the bot's messages.
    pub replies_to_bot: bool,
    /// It is a direct message with the bot.
    pub in_dm: bool,
    /// The channel is one of `listen_channels`.
    pub in_listen_channel: bool,
    /// The channel is a thread the bot opened.
    pub in_bot_thread: bool,
}

/// Whether text ends like a question (`?` or `？`).
pub fn is_question(text: &str) -> bool {
    let t = text.trim_end();
    t.ends_with('?') || t.ends_with('？')
}

/// Decides what to do with a message for the bot `bot_id`.
pub fn trigger(m: Incoming<'_>, bot_id: u64) -> Trigger {
    if m.from_bot || m.from_webhook {
        return Trigger::Ignore;
    }
    let tags = [format!("<@{bot_id}>"), format!("<@!{bot_id}>")];
    let tagged = tags.iter().any(|t| m.content.contains(t.as_str()));
    if m.mentions_bot || tagged || m.in_dm {
        return Trigger::Addressed(without_mentions(m.content));
    }
    if m.replies_to_bot {
        return if m.content.trim().is_empty() {
            Trigger::Ignore
        } else {
            Trigger::Addressed(without_mentions(m.content))
        };
    }
    if (m.in_listen_channel || m.in_bot_thread) && is_question(m.content) {
        return Trigger::Overheard(without_mentions(m.content));
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
            ..Incoming::default()
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
        let addressed = |q: &str| Trigger::Addressed(q.into());
        let cases: Vec<(Incoming, Trigger)> = vec![
            (
                msg("<@42> 零一萬物賣卡了嗎?"),
                addressed("零一萬物賣卡了嗎?"),
            ),
            (
                msg("請問 <@!42> PopAi是什么"),
                addressed("請問 PopAi是什么"),
            ),
            (
                Incoming {
                    mentions_bot: true,
                    ..msg("<@&7> hi")
                },
                addressed("hi"),
            ),
            (msg("<@43> 零一萬物?"), Trigger::Ignore),
            (msg("零一萬物賣卡了嗎?"), Trigger::Ignore),
            (
                Incoming {
                    in_dm: true,
                    ..msg("零一綠洲是什麼")
                },
                addressed("零一綠洲是什麼"),
            ),
            (
                Incoming {
                    replies_to_bot: true,
                    ..msg("他還說了什麼")
                },
                addressed("他還說了什麼"),
            ),
            (
                Incoming {
                    replies_to_bot: true,
                    ..msg("  ")
                },
                Trigger::Ignore,
            ),
            (
                Incoming {
                    in_listen_channel: true,
                    ..msg("零一萬物賣卡了嗎？ ")
                },
                Trigger::Overheard("零一萬物賣卡了嗎？".into()),
            ),
            (
                Incoming {
                    in_bot_thread: true,
                    ..msg("那Infra團隊呢?")
                },
                Trigger::Overheard("那Infra團隊呢?".into()),
            ),
            (
                Incoming {
                    in_bot_thread: true,
                    ..msg("謝謝")
                },
                Trigger::Ignore,
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
            (
                Incoming {
                    from_bot: true,
                    in_dm: true,
                    ..msg("hi")
                },
                Trigger::Ignore,
            ),
        ];
        for (m, want) in cases {
            assert_eq!(trigger(m, bot), want, "{m:?}");
        }
    }
}
