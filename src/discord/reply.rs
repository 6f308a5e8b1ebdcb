/*!
From the platform-neutral [`Embed`](crate::render::discord::Embed) to serenity's builders,
with mentions disabled on every message the bot sends.
*/

use poise::serenity_prelude as serenity;

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

/// A short ephemeral notice (cooldowns, unknown ids).
pub fn notice(text: &str) -> poise::CreateReply {
    poise::CreateReply::default()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(no_mentions())
}
