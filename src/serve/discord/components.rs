/*!
Button presses (message components): one dispatcher routes a press by its custom id's kind,
the part before the first `:` (see [`buttons`]), to a handler. Adding a kind is one more match
arm in [`press`].

Every handler answers the interaction first — Discord drops one not acknowledged within 3 s —
and reads everything else from the custom id and the message the button is on, so a button
works the same after a restart.
*/

use std::time::Instant;

use poise::serenity_prelude as serenity;

use super::answered;
use super::buttons::{self, Layout};
use super::conversation::{self, Opened};
use super::memory::Previous;
use super::reply::{self, no_mentions, private_text, response};
use super::{log_request, Data, Error};
use crate::render::discord::{self as render, notice, Embed, MAX_CONTENT};
use crate::render::{label, shorten};

/// Handles a button press.
pub async fn press(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let t = Instant::now();
    let (kind, rest) = buttons::split(&c.data.custom_id);
    match kind {
        buttons::PREV => navigate(ctx, data, c, rest, false).await?,
        buttons::NEXT => navigate(ctx, data, c, rest, true).await?,
        buttons::FULL => full(ctx, data, c, rest).await?,
        buttons::HANS => simplified(ctx, c).await?,
        buttons::WHY => why(ctx, data, c, rest).await?,
        buttons::THREAD => thread(ctx, data, c, rest).await?,
        buttons::POST => post(ctx, data, c, rest).await?,
        _ => {
            respond(ctx, c, private_text(notice::UNKNOWN_BUTTON)).await?;
        }
    }
    let shown: Vec<String> = buttons::passage_in(&c.data.custom_id)
        .map(str::to_string)
        .into_iter()
        .collect();
    log_request(&format!("button:{kind}"), t, &shown, false);
    Ok(())
}

/// A new message in answer to the press (ephemeral or not, as `message` says).
async fn respond(
    ctx: &serenity::Context,
    c: &serenity::ComponentInteraction,
    message: serenity::CreateInteractionResponseMessage,
) -> Result<(), Error> {
    c.create_response(
        &ctx.http,
        serenity::CreateInteractionResponse::Message(message),
    )
    .await?;
    Ok(())
}

/// The passage a custom id names, or a private notice when the interview no longer has it.
async fn passage(
    ctx: &serenity::Context,
    c: &serenity::ComponentInteraction,
    corpus: &crate::corpus::Corpus,
    id: &str,
) -> Result<Option<usize>, Error> {
    match corpus.find(id) {
        Some(i) => Ok(Some(i)),
        None => {
            respond(ctx, c, private_text(&notice::no_passage(id))).await?;
            Ok(None)
        }
    }
}

/// The message-level buttons a message has (a thread button, a post button).
fn layout_of(m: &serenity::Message) -> Layout {
    let kinds: Vec<&str> = custom_ids(m).map(|id| buttons::split(id).0).collect();
    Layout {
        thread: kinds.contains(&buttons::THREAD),
        post: kinds.contains(&buttons::POST),
    }
}

fn custom_ids(m: &serenity::Message) -> impl Iterator<Item = &str> {
    m.components
        .iter()
        .flat_map(|row| &row.components)
        .filter_map(|c| match c {
            serenity::ActionRowComponent::Button(serenity::Button {
                data: serenity::ButtonKind::NonLink { custom_id, .. },
                ..
            }) => Some(custom_id.as_str()),
            _ => None,
        })
}

/// ◀ ▶: the passage before or after. The asker's press turns the answer into it; anyone
/// else gets it privately, with buttons of their own.
async fn navigate(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    rest: &str,
    forward: bool,
) -> Result<(), Error> {
    let Some((asker, id)) = buttons::asker_and_passage(rest) else {
        return respond(ctx, c, private_text(notice::UNKNOWN_BUTTON)).await;
    };
    let engine = data.engine();
    let corpus = engine.corpus();
    let Some(here) = passage(ctx, c, corpus, id).await? else {
        return Ok(());
    };
    let Some(there) = buttons::neighbour(corpus, here, forward) else {
        return respond(ctx, c, private_text(notice::NO_NEIGHBOUR)).await;
    };
    let mut page = render::passage_pages(corpus, there).remove(0);
    // The question stays above: it is what was asked, whatever passage is shown.
    page.author = c
        .message
        .embeds
        .iter()
        .find_map(|e| e.author.as_ref().map(|a| a.name.clone()))
        .unwrap_or_default();
    let shown = corpus.display_id(&corpus.passages[there]);
    let presser = c.user.id.get();
    let mine = presser == asker;
    let layout = if mine {
        layout_of(&c.message)
    } else {
        Layout::default()
    };
    let rows = buttons::answer_rows(&shown, presser, buttons::neighbours(corpus, there), layout);
    let message = response(&[page], &rows, !mine);
    let r = if mine {
        serenity::CreateInteractionResponse::UpdateMessage(message.content(""))
    } else {
        serenity::CreateInteractionResponse::Message(message)
    };
    c.create_response(&ctx.http, r).await?;
    Ok(())
}

/// 全文: the passage in full, privately (a long one in several messages).
async fn full(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    id: &str,
) -> Result<(), Error> {
    let engine = data.engine();
    let corpus = engine.corpus();
    let Some(i) = passage(ctx, c, corpus, id).await? else {
        return Ok(());
    };
    let mut groups = render::group_for_messages(render::passage_pages(corpus, i)).into_iter();
    let first = groups.next().unwrap_or_default();
    respond(ctx, c, response(&first, &[], true)).await?;
    for group in groups {
        let followup = serenity::CreateInteractionResponseFollowup::new()
            .embeds(group.iter().map(reply::embed).collect())
            .ephemeral(true)
            .allowed_mentions(no_mentions());
        c.create_followup(&ctx.http, followup).await?;
    }
    Ok(())
}

/// 简体: the message it is on in Simplified script, privately, marked as converted. The public
/// message stays the verbatim original.
async fn simplified(
    ctx: &serenity::Context,
    c: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let m = &c.message;
    let embeds: Vec<Embed> = m
        .embeds
        .iter()
        .map(|e| answered::embed_of(e).map(render::simplified))
        .collect();
    let mut content = String::from(render::CONVERTED);
    if !m.content.trim().is_empty() {
        content.push_str("\n\n");
        content.push_str(&render::simplified(&m.content));
    }
    let message = serenity::CreateInteractionResponseMessage::new()
        .content(shorten(&content, MAX_CONTENT))
        .embeds(embeds.iter().map(reply::embed).collect())
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    respond(ctx, c, message).await
}

/// 為什麼: the question's terms the passage holds, and the evidence, privately.
async fn why(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    id: &str,
) -> Result<(), Error> {
    let engine = data.engine();
    let corpus = engine.corpus();
    let Some(i) = passage(ctx, c, corpus, id).await? else {
        return Ok(());
    };
    let question =
        answered::question(&c.message).unwrap_or_else(|| label(&corpus.passages[i], 300));
    let evidence = engine.passage_evidence(&question, i);
    // Whether the question reads as a follow-up of whatever came before it.
    let follow_up = !matches!(
        crate::retrieval::followup::read(&question, Some("…")),
        crate::retrieval::followup::Reading::Alone
    );
    let embed = render::why(corpus, i, &question, follow_up, &evidence);
    respond(ctx, c, response(&[embed], &[], true)).await
}

/// 討論串: opens a thread on the answer; its button goes, the rest stay.
async fn thread(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    id: &str,
) -> Result<(), Error> {
    let kind = conversation::quick_kind(&data.shared, c.channel_id, c.channel.as_ref(), c.guild_id);
    if c.guild_id.is_none() || !kind.can_thread() {
        return respond(ctx, c, private_text(notice::NO_THREAD_HERE)).await;
    }
    // Acknowledged at once: opening a thread is two more calls to Discord.
    c.create_response(&ctx.http, serenity::CreateInteractionResponse::Acknowledge)
        .await?;
    let question = answered::question(&c.message);
    let name = match &question {
        Some(q) => q.clone(),
        None => {
            let engine = data.engine();
            let corpus = engine.corpus();
            corpus
                .find(id)
                .map(|i| label(&corpus.passages[i], 100))
                .unwrap_or_default()
        }
    };
    let previous = Previous {
        question: question.unwrap_or_default(),
        passage: id.to_string(),
    };
    let opened = conversation::open_thread(
        &ctx.http,
        &data.shared,
        c.channel_id,
        c.message.id,
        &name,
        previous,
    )
    .await;
    let opened = match opened {
        Ok(o) => o,
        Err(e) => {
            // Already acknowledged: the failure is told with a follow-up, not left silent.
            let id = super::error_id();
            tracing::error!(error_id = %id, error = %e, "opening a thread failed");
            let followup = serenity::CreateInteractionResponseFollowup::new()
                .content(format!(
                    "Could not open a thread (error {id}). 無法開啟討論串,請稍後再試。"
                ))
                .ephemeral(true)
                .allowed_mentions(no_mentions());
            c.create_followup(&ctx.http, followup).await?;
            return Ok(());
        }
    };
    match opened {
        Opened::New(_) => {
            let rows: Vec<serenity::CreateActionRow> = c
                .message
                .components
                .iter()
                .map(|row| {
                    row.components
                        .iter()
                        .filter_map(|b| match b {
                            serenity::ActionRowComponent::Button(b) => Some(b.clone()),
                            _ => None,
                        })
                        .filter(|b| match &b.data {
                            serenity::ButtonKind::NonLink { custom_id, .. } => {
                                buttons::split(custom_id).0 != buttons::THREAD
                            }
                            _ => true,
                        })
                        .map(serenity::CreateButton::from)
                        .collect::<Vec<_>>()
                })
                .filter(|row| !row.is_empty())
                .map(serenity::CreateActionRow::Buttons)
                .collect();
            let edit = serenity::EditInteractionResponse::new()
                .components(rows)
                .allowed_mentions(no_mentions());
            c.edit_response(&ctx.http, edit).await?;
        }
        Opened::Exists => {
            let link = format!("<#{}>", c.message.id.get());
            let followup = serenity::CreateInteractionResponseFollowup::new()
                .content(notice::thread_exists(&link))
                .ephemeral(true)
                .allowed_mentions(no_mentions());
            c.create_followup(&ctx.http, followup).await?;
        }
    }
    Ok(())
}

/// 公開: posts a private answer (from the message menu) in the channel, with the buttons of a
/// public answer, for the one who posts it.
async fn post(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    rest: &str,
) -> Result<(), Error> {
    let Some((_, id)) = buttons::asker_and_passage(rest) else {
        return respond(ctx, c, private_text(notice::UNKNOWN_BUTTON)).await;
    };
    let engine = data.engine();
    let corpus = engine.corpus();
    let Some(i) = passage(ctx, c, corpus, id).await? else {
        return Ok(());
    };
    let kind = conversation::quick_kind(&data.shared, c.channel_id, c.channel.as_ref(), c.guild_id);
    let layout = Layout {
        thread: c.guild_id.is_some() && kind.can_thread(),
        post: false,
    };
    let rows = buttons::answer_rows(id, c.user.id.get(), buttons::neighbours(corpus, i), layout);
    let message = serenity::CreateInteractionResponseMessage::new()
        .embeds(
            c.message
                .embeds
                .iter()
                .cloned()
                .map(serenity::CreateEmbed::from)
                .collect(),
        )
        .components(reply::rows(&rows))
        .allowed_mentions(no_mentions());
    respond(ctx, c, message).await?;
    if data.config.duplicate_window_secs > 0 {
        let posted = c.get_response(&ctx.http).await?;
        data.shared.recent.lock().expect("recent lock").record(
            c.channel_id.get(),
            id,
            posted.id.get(),
            Instant::now(),
        );
    }
    Ok(())
}
