/*!
From the platform-neutral [`Embed`](crate::render::discord::Embed) to serenity's builders,
with mentions disabled on every message the bot sends.
*/

use poise::serenity_prelude as serenity;

use super::buttons::{Button, Style};
use crate::render::discord::Embed;

/// Mentions allowed in the bot's messages: none, not even the user it replies to.
pub fn no_mentions() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
        .everyone(false)
        .all_users(false)
        .all_roles(false)
        .replied_user(false)
}

/// The embed as serenity's builder.
pub fn embed(e: &Embed) -> serenity::CreateEmbed {
    let mut b = serenity::CreateEmbed::new().colour(0x2f6f4f);
    if !e.author.is_empty() {
        b = b.author(serenity::CreateEmbedAuthor::new(&e.author));
    }
    if !e.title.is_empty() {
        b = b.title(&e.title);
    }
    if !e.description.is_empty() {
        b = b.description(&e.description);
    }
    for (name, value) in &e.fields {
        b = b.field(name, value, false);
    }
    if !e.footer.is_empty() {
        b = b.footer(serenity::CreateEmbedFooter::new(&e.footer));
    }
    b
}

/// A slash-command reply holding `embeds`, ephemeral when `private`.
pub fn reply(embeds: &[Embed], private: bool) -> poise::CreateReply {
    let mut r = poise::CreateReply::default()
        .ephemeral(private)
        .allowed_mentions(no_mentions());
    for e in embeds {
        r = r.embed(embed(e));
    }
    r
}

/// Rows of buttons as serenity's builders.
pub fn rows(rows: &[Vec<Button>]) -> Vec<serenity::CreateActionRow> {
    rows.iter()
        .map(|row| {
            serenity::CreateActionRow::Buttons(
                row.iter()
                    .map(|b| {
                        serenity::CreateButton::new(&b.custom_id)
                            .label(b.label)
                            .style(match b.style {
                                Style::Primary => serenity::ButtonStyle::Primary,
                                Style::Secondary => serenity::ButtonStyle::Secondary,
                            })
                            .disabled(b.disabled)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// An interaction response (to a command or a button press) holding `embeds` and `buttons`,
/// ephemeral when `private`.
pub fn response(
    embeds: &[Embed],
    buttons: &[Vec<Button>],
    private: bool,
) -> serenity::CreateInteractionResponseMessage {
    serenity::CreateInteractionResponseMessage::new()
        .embeds(embeds.iter().map(embed).collect())
        .components(rows(buttons))
        .ephemeral(private)
        .allowed_mentions(no_mentions())
}

/// A short ephemeral interaction response.
pub fn private_text(text: &str) -> serenity::CreateInteractionResponseMessage {
    serenity::CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(no_mentions())
}

/// A short ephemeral notice (cooldowns, unknown ids).
pub fn notice(text: &str) -> poise::CreateReply {
    poise::CreateReply::default()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(no_mentions())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_parse_nothing() {
        let v = serde_json::to_value(no_mentions()).unwrap();
        assert_eq!(v["parse"], serde_json::json!([]), "{v}");
        assert_eq!(v["replied_user"], false, "{v}");
        assert!(v["users"].as_array().is_none_or(|a| a.is_empty()), "{v}");
        assert!(v["roles"].as_array().is_none_or(|a| a.is_empty()), "{v}");
    }

    #[test]
    fn buttons_become_rows() {
        let rows = crate::serve::discord::buttons::answer_rows(
            "Q5",
            7,
            crate::serve::discord::buttons::Neighbours::default(),
            crate::serve::discord::buttons::Layout {
                thread: true,
                post: false,
            },
        );
        let v = serde_json::to_value(super::rows(&rows)).unwrap();
        assert_eq!(v[0]["type"], 1);
        assert_eq!(v[0]["components"][0]["type"], 2);
        assert_eq!(v[0]["components"][0]["custom_id"], "prev:7:Q5");
        assert_eq!(v[0]["components"][0]["disabled"], true);
        assert_eq!(v[0]["components"][2]["label"], "全文 · Full passage");
        assert_eq!(v[1]["components"][0]["custom_id"], "thread:Q5");
        assert_eq!(v[1]["components"][0]["style"], 2);
    }

    #[test]
    fn embed_maps_every_part_and_skips_empty_ones() {
        let e = Embed {
            author: "❓ 賣卡了嗎?".into(),
            title: "Q5 · 標題".into(),
            description: "「引文」".into(),
            fields: vec![("另見".into(), "`P5` …".into())],
            footer: "李開複, 《智能湧現》".into(),
        };
        let v = serde_json::to_value(embed(&e)).unwrap();
        assert_eq!(v["author"]["name"], "❓ 賣卡了嗎?");
        assert_eq!(v["title"], "Q5 · 標題");
        assert_eq!(v["description"], "「引文」");
        assert_eq!(v["fields"][0]["name"], "另見");
        assert_eq!(v["fields"][0]["value"], "`P5` …");
        assert_eq!(v["fields"][0]["inline"], false);
        assert_eq!(v["footer"]["text"], "李開複, 《智能湧現》");
        let bare = serde_json::to_value(embed(&Embed {
            title: "only a title".into(),
            ..Embed::default()
        }))
        .unwrap();
        for absent in ["author", "description", "fields", "footer"] {
            let empty = bare
                .get(absent)
                .is_none_or(|f| f.as_array().is_some_and(|a| a.is_empty()));
            assert!(empty, "{absent}: {bare}");
        }
    }
}
