/*!
What one of the bot's answers says about itself, read back from the Discord message: the
passage it quotes and the question it answered. This is where follow-ups get their context,
so it survives a restart: nothing is remembered that the message does not show.

The passage id comes from the buttons' custom ids (the most exact), else from the citation,
which ends with it (`… · 超大模型,交給阿里訓 · Q5`) in an embed's footer or a message's last
line. The question comes from the line above an answer embed (`❓ …`), else from the message
the answer replied to.
*/

use poise::serenity_prelude as serenity;

use super::buttons;
use super::trigger::without_mentions;
use crate::render::discord::{question_asked, Embed};

/// The passage id an answer quotes, as shown (`Q5`, `doc/Q5`).
pub fn passage_id(m: &serenity::Message) -> Option<String> {
    let from_buttons = m
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|c| match c {
            serenity::ActionRowComponent::Button(serenity::Button {
                data: serenity::ButtonKind::NonLink { custom_id, .. },
                ..
            }) => buttons::passage_in(custom_id).map(str::to_string),
            _ => None,
        });
    from_buttons
        .or_else(|| {
            m.embeds
                .iter()
                .find_map(|e| e.footer.as_ref().and_then(|f| cited(&f.text)))
        })
        .or_else(|| m.content.lines().last().and_then(cited))
}

/// The id at the end of a citation line (`— *李開複, … · Q5*`).
fn cited(line: &str) -> Option<String> {
    let (_, id) = line.trim().trim_end_matches('*').rsplit_once(" · ")?;
    let id = id.trim();
    let looks_like_id = !id.is_empty()
        && id.len() <= 100
        && !id.contains(char::is_whitespace)
        && id.ends_with(|c: char| c.is_ascii_digit());
    looks_like_id.then(|| id.to_string())
}

/// The question an answer answered, when the message shows it.
pub fn question(m: &serenity::Message) -> Option<String> {
    let shown = m
        .embeds
        .iter()
        .find_map(|e| e.author.as_ref().and_then(|a| question_asked(&a.name)));
    if let Some(q) = shown {
        return Some(q.to_string());
    }
    let replied = m.referenced_message.as_deref()?;
    let q = without_mentions(&replied.content);
    (!q.is_empty()).then_some(q)
}

/// An embed of a message as the platform-neutral [`Embed`] (to show it again, converted).
pub fn embed_of(e: &serenity::Embed) -> Embed {
    Embed {
        author: e
            .author
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_default(),
        title: e.title.clone().unwrap_or_default(),
        description: e.description.clone().unwrap_or_default(),
        fields: e
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect(),
        footer: e
            .footer
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(v: serde_json::Value) -> serenity::Message {
        let mut m = serde_json::json!({
            "id": "1", "channel_id": "2",
            "author": {"id": "3", "username": "bot", "discriminator": "0", "bot": true},
            "content": "", "timestamp": "2025-01-07T00:00:00.000000+00:00", "tts": false,
            "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": false, "type": 0
        });
        for (k, x) in v.as_object().unwrap() {
            m[k] = x.clone();
        }
        serde_json::from_value(m).unwrap()
    }

    #[test]
    fn read_back_from_buttons_footer_or_content() {
        let buttons = message(serde_json::json!({
            "components": [{"type": 1, "components": [
                {"type": 2, "style": 2, "custom_id": "fb:up:Q1", "label": "👍"},
                {"type": 2, "style": 2, "custom_id": "next:10:Q6", "label": "▶"}
            ]}],
            "embeds": [{"footer": {"text": "李開複 · Q5"}}]
        }));
        assert_eq!(passage_id(&buttons).as_deref(), Some("Q6"));
        let footer = message(serde_json::json!({
            "embeds": [{"author": {"name": "❓ 零一萬物賣卡了嗎?"}, "footer": {"text": "李開複, 《智能湧現》, 2025-01-07 · 超大模型,交給阿里訓 · Q5"}}]
        }));
        assert_eq!(passage_id(&footer).as_deref(), Some("Q5"));
        assert_eq!(question(&footer).as_deref(), Some("零一萬物賣卡了嗎?"));
        let content = message(serde_json::json!({
            "content": "> 《智能湧現》: 問題\n「引文」\n— *李開複, 《智能湧現》, 2025-01-07 · 七成收入來自B端 · doc/Q12*",
            "referenced_message": {
                "id": "9", "channel_id": "2",
                "author": {"id": "4", "username": "u", "discriminator": "0"},
                "content": "<@3>  后发劣势怎么弥补？", "timestamp": "2025-01-07T00:00:00.000000+00:00",
                "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
                "attachments": [], "embeds": [], "pinned": false, "type": 0
            }
        }));
        assert_eq!(passage_id(&content).as_deref(), Some("doc/Q12"));
        assert_eq!(question(&content).as_deref(), Some("后发劣势怎么弥补？"));
        let plain = message(serde_json::json!({"content": "Please wait 3 s · 請稍候"}));
        assert_eq!(passage_id(&plain), None);
        assert_eq!(question(&plain), None);
    }
}
