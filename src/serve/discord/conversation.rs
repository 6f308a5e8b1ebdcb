/*!
Channel messages: mentions, replies to the bot, direct messages, questions in the bot's threads
and in listen channels.

A message is answered in the context of the answer it replies to, or, in a thread the bot
opened or a DM, of the bot's last answer there (see [`answered`](super::answered): the
context is read back from Discord's messages, so it survives a restart). Each user has a token
bucket; a mention over the limit is marked ⏳ and waits in that user's queue, answered in order
as the bucket refills; beyond the queue the user is told when to ask again. The same passage
quoted in the same channel within the window gets a short link to the earlier answer instead.
*/

use std::sync::Arc;
use std::time::Instant;

use poise::serenity_prelude as serenity;

use super::answered;
use super::buttons::{self, Layout};
use super::memory::{ChannelKind, Previous, Pushed};
use super::reply::{self, no_mentions};
use super::trigger::{is_question, trigger, Incoming, Trigger};
use super::{log_answer, send_retrying, Error, Shared};
use crate::answer::{Answer, Quoting};
use crate::render::discord::{self as render, notice};
use crate::retrieval::{Asking, Context, Request};

/// The reaction on a mention that waits for its user's bucket.
pub const WAITING: char = '⏳';

/// How many of a channel's latest messages are read for the last answer after a restart.
const HISTORY: u8 = 50;

/// A message to answer, with what was worked out about it.
#[derive(Debug)]
pub struct Job {
    message: serenity::Message,
    question: String,
    context: Option<Previous>,
    addressed: bool,
    kind: ChannelKind,
    command: &'static str,
    waited: bool,
}

/// Handles a channel message.
pub async fn on_message(
    ctx: &serenity::Context,
    shared: &Arc<Shared>,
    bot: serenity::UserId,
    m: &serenity::Message,
) -> Result<(), Error> {
    if m.author.id == bot || m.author.bot || m.webhook_id.is_some() {
        return Ok(());
    }
    let http = &ctx.http;
    let in_dm = m.guild_id.is_none();
    let replied = m
        .referenced_message
        .as_deref()
        .filter(|r| r.author.id == bot);
    let mut mentions_bot = m.mentions.iter().any(|u| u.id == bot);
    if !mentions_bot && !m.mention_roles.is_empty() {
        if let Some(guild) = m.guild_id {
            let role = bot_role(http, shared, guild, bot).await;
            mentions_bot = role.is_some_and(|r| m.mention_roles.contains(&r));
        }
    }
    let mut incoming = Incoming {
        content: &m.content,
        from_bot: m.author.bot,
        from_webhook: m.webhook_id.is_some(),
        mentions_bot,
        replies_to_bot: replied.is_some(),
        in_dm,
        in_listen_channel: shared.config.listen_channels.contains(&m.channel_id.get()),
        in_bot_thread: false,
    };
    let mut verdict = trigger(incoming, bot.get());
    // What the channel is matters to anything addressed there (its context, its buttons) and
    // to a question that may be overheard in one of the bot's threads: asked once per channel.
    let kind = if in_dm {
        ChannelKind::Dm
    } else if matches!(verdict, Trigger::Addressed(_))
        || (verdict == Trigger::Ignore && is_question(&m.content))
    {
        channel_kind(http, shared, m.channel_id, bot).await
    } else {
        ChannelKind::Plain
    };
    if verdict == Trigger::Ignore && matches!(kind, ChannelKind::BotThread { .. }) {
        incoming.in_bot_thread = true;
        verdict = trigger(incoming, bot.get());
    }
    let (question, addressed) = match verdict {
        Trigger::Addressed(q) => (q, true),
        Trigger::Overheard(q) => (q, false),
        Trigger::Ignore => return Ok(()),
    };
    let command = if replied.is_some() {
        "reply"
    } else if in_dm {
        "dm"
    } else if matches!(kind, ChannelKind::BotThread { .. }) {
        "thread"
    } else if addressed {
        "mention"
    } else {
        "listen"
    };
    let mut context = replied.and_then(|r| {
        answered::passage_id(r).map(|passage| Previous {
            question: answered::question(r).unwrap_or_default(),
            passage,
        })
    });
    if context.is_none() && kind.is_conversation() {
        context = last_answer(http, shared, m.channel_id, kind, bot).await;
    }
    let job = Job {
        message: m.clone(),
        question,
        context,
        addressed,
        kind,
        command,
        waited: false,
    };
    admit(http, shared, job).await
}

/// Answers a job now if its user's bucket allows; else queues it (addressed) or lets it go
/// (overheard: nobody asked the bot, so nobody waits for it).
async fn admit(
    http: &Arc<serenity::Http>,
    shared: &Arc<Shared>,
    mut job: Job,
) -> Result<(), Error> {
    let user = job.message.author.id.get();
    let now = Instant::now();
    let (allowed, full) = {
        let mut limits = shared.limits.lock().expect("limits lock");
        let allowed = !limits.waiting.has(user) && limits.buckets.take(user, now).is_ok();
        let full = limits.waiting.len(user) >= shared.config.queue;
        (allowed, full)
    };
    if allowed {
        return answer(http, shared, job).await;
    }
    if !job.addressed {
        tracing::info!(
            channel = job.message.channel_id.get(),
            "overheard question left: user over the limit"
        );
        return Ok(());
    }
    // Marked before it is queued, so the ⏳ always comes before the answer.
    if !full {
        react(http, &job.message, true).await;
        job.waited = true;
    }
    let (channel, message, waited) = (job.message.channel_id, job.message.id, job.waited);
    let reference = job.message.clone();
    let pushed = {
        let mut limits = shared.limits.lock().expect("limits lock");
        let pushed = limits.waiting.push(user, message.get(), job);
        let wait = match pushed {
            Pushed::Full { waiting, .. } => {
                Some(limits.buckets.wait_for(user, waiting + 1, Instant::now()))
            }
            _ => None,
        };
        (pushed, wait)
    };
    match pushed {
        (Pushed::First, _) => {
            tracing::info!(
                channel = channel.get(),
                "mention waits for the user's bucket"
            );
            spawn_worker(http.clone(), shared.clone(), user);
        }
        (Pushed::Queued, _) => {
            tracing::info!(
                channel = channel.get(),
                "mention waits for the user's bucket"
            );
        }
        (Pushed::Full { tell, waiting }, wait) => {
            if waited {
                react(http, &reference, false).await;
            }
            if tell {
                let secs = wait.unwrap_or_default().as_secs_f32().ceil().max(1.0) as u64;
                let text = notice::queue_full(waiting, secs);
                let reply = serenity::CreateMessage::new()
                    .content(text)
                    .reference_message(&reference)
                    .allowed_mentions(no_mentions());
                send_retrying(http, channel, reply).await?;
            }
            tracing::info!(
                channel = channel.get(),
                told = tell,
                "mention over the limit with a full queue"
            );
        }
    }
    Ok(())
}

/// Answers `user`'s waiting mentions in order, each when the bucket allows, then ends.
fn spawn_worker(http: Arc<serenity::Http>, shared: Arc<Shared>, user: u64) {
    tokio::spawn(async move {
        loop {
            let wait = {
                let mut limits = shared.limits.lock().expect("limits lock");
                if !limits.waiting.ready(user) {
                    return;
                }
                limits.buckets.take(user, Instant::now()).err()
            };
            if let Some(wait) = wait {
                tokio::time::sleep(wait).await;
                continue;
            }
            let job = shared.limits.lock().expect("limits lock").waiting.pop(user);
            let Some(job) = job else { return };
            if let Err(e) = answer(&http, &shared, job).await {
                let id = super::error_id();
                tracing::error!(error_id = %id, error = %e, "answering a waiting mention failed");
            }
        }
    });
}

/// Adds (`on`) or removes the ⏳ reaction; a failure (no Add Reactions permission) is logged,
/// the answer still comes.
async fn react(http: &serenity::Http, m: &serenity::Message, on: bool) {
    let emoji = serenity::ReactionType::Unicode(WAITING.to_string());
    let done = if on {
        http.create_reaction(m.channel_id, m.id, &emoji).await
    } else {
        http.delete_reaction_me(m.channel_id, m.id, &emoji).await
    };
    if let Err(e) = done {
        tracing::warn!(error = %e, on, "the ⏳ reaction failed");
    }
}

/// Answers a message as a reply to it, with buttons; or, if it is a question on its own
/// and its passage was quoted in the channel moments ago, with a link to that answer.
async fn answer(http: &serenity::Http, shared: &Shared, job: Job) -> Result<(), Error> {
    let t = Instant::now();
    let engine = shared.library.engine();
    let corpus = engine.corpus();
    let m = &job.message;
    let context = job.context.as_ref().and_then(|p| {
        corpus.find(&p.passage).map(|passage| Context {
            question: p.question.clone(),
            passage,
        })
    });
    // Overheard is a question in a listen channel: one in the bot's thread or a reply to its
    // answer (it has a context) continues a conversation with the bot, and is judged as
    // asked; it still gets silence rather than "not covered" when nobody mentioned the bot.
    let asking = if job.addressed || context.is_some() {
        Asking::Asked
    } else {
        Asking::Unasked
    };
    let request = Request::new(&job.question)
        .after(context.as_ref())
        .asking(asking)
        .quoting(Quoting::Best);
    let answer = engine.answer(&request);
    if !job.addressed && !answer.is_found() {
        log_answer(job.command, t, &answer, corpus);
        return Ok(());
    }
    let best = match &answer {
        Answer::Found { best, .. } => Some(best.passage),
        Answer::Abstained { .. } => None,
    };
    let passage = best.map(|i| corpus.display_id(&corpus.passages[i]));
    // A question on its own in a channel; a follow-up, or a question in a conversation,
    // continues what is right above it, where a link would say nothing.
    let may_link = context.is_none() && !job.kind.is_conversation();
    if let (true, Some(pid)) = (may_link, &passage) {
        let earlier = shared.recent.lock().expect("recent lock").find(
            m.channel_id.get(),
            pid,
            Instant::now(),
        );
        if let Some((earlier, ago)) = earlier {
            let link = serenity::MessageId::new(earlier).link(m.channel_id, m.guild_id);
            let reply = serenity::CreateMessage::new()
                .content(notice::duplicate(pid, &link, ago.as_secs() / 60))
                .reference_message(m)
                .components(reply::rows(&buttons::link_rows(pid)))
                .allowed_mentions(no_mentions());
            send_retrying(http, m.channel_id, reply).await?;
            finish(http, &job).await;
            super::log_request("duplicate", t, std::slice::from_ref(pid), false);
            return Ok(());
        }
    }
    let rows = match (best, &passage) {
        (Some(i), Some(pid)) => buttons::answer_rows(
            pid,
            m.author.id.get(),
            buttons::neighbours(corpus, i),
            Layout {
                thread: m.guild_id.is_some() && job.kind.can_thread(),
                post: false,
            },
        ),
        _ => Vec::new(),
    };
    let reply = serenity::CreateMessage::new()
        .content(render::message(&answer, corpus))
        .reference_message(m)
        .components(reply::rows(&rows))
        .allowed_mentions(no_mentions());
    // The conversation's last answer is this one from now on: a question that comes as soon as
    // the answer shows is read against it.
    if let (true, Some(pid)) = (job.kind.is_conversation(), &passage) {
        let previous = Previous {
            question: job.question.clone(),
            passage: pid.clone(),
        };
        shared
            .channels
            .lock()
            .expect("channels lock")
            .set_last(m.channel_id.get(), Some(previous));
    }
    let sent = send_retrying(http, m.channel_id, reply).await?;
    if let Some(pid) = passage {
        shared.recent.lock().expect("recent lock").record(
            m.channel_id.get(),
            &pid,
            sent.id.get(),
            Instant::now(),
        );
    }
    finish(http, &job).await;
    log_answer(job.command, t, &answer, corpus);
    Ok(())
}

/// After answering a job: its ⏳ goes.
async fn finish(http: &serenity::Http, job: &Job) {
    if job.waited {
        react(http, &job.message, false).await;
    }
}

/// What `channel` is as far as it can be told without asking Discord: remembered, else from
/// the channel an interaction carries, else a server channel (or a DM without a guild). For
/// interactions, which must be answered before anything else is done.
pub fn quick_kind(
    shared: &Shared,
    channel: serenity::ChannelId,
    carried: Option<&serenity::PartialChannel>,
    guild: Option<serenity::GuildId>,
) -> ChannelKind {
    if let Some(kind) = shared
        .channels
        .lock()
        .expect("channels lock")
        .kind(channel.get())
    {
        return kind;
    }
    match carried.map(|c| c.kind) {
        Some(
            serenity::ChannelType::PublicThread
            | serenity::ChannelType::PrivateThread
            | serenity::ChannelType::NewsThread,
        ) => ChannelKind::OtherThread,
        Some(serenity::ChannelType::Private) => ChannelKind::Dm,
        _ if guild.is_none() => ChannelKind::Dm,
        _ => ChannelKind::Plain,
    }
}

/// What `channel` is: asked of Discord once, then remembered.
pub async fn channel_kind(
    http: &serenity::Http,
    shared: &Shared,
    channel: serenity::ChannelId,
    bot: serenity::UserId,
) -> ChannelKind {
    if let Some(kind) = shared
        .channels
        .lock()
        .expect("channels lock")
        .kind(channel.get())
    {
        return kind;
    }
    let kind = match http.get_channel(channel).await {
        Ok(serenity::Channel::Guild(c)) => {
            let thread = c.thread_metadata.is_some()
                || matches!(
                    c.kind,
                    serenity::ChannelType::PublicThread
                        | serenity::ChannelType::PrivateThread
                        | serenity::ChannelType::NewsThread
                );
            match (thread, c.owner_id == Some(bot), c.parent_id) {
                (true, true, Some(parent)) => ChannelKind::BotThread {
                    parent: parent.get(),
                },
                (true, _, _) => ChannelKind::OtherThread,
                _ => ChannelKind::Plain,
            }
        }
        Ok(serenity::Channel::Private(_)) => ChannelKind::Dm,
        Ok(_) => ChannelKind::Plain,
        Err(e) => {
            tracing::warn!(channel = channel.get(), error = %e, "could not look up a channel");
            ChannelKind::Plain
        }
    };
    shared
        .channels
        .lock()
        .expect("channels lock")
        .set_kind(channel.get(), kind);
    kind
}

/// The bot's last answer in a conversation channel: remembered, else read from the channel's
/// latest messages, else (a thread) the answer the thread was opened on.
async fn last_answer(
    http: &serenity::Http,
    shared: &Shared,
    channel: serenity::ChannelId,
    kind: ChannelKind,
    bot: serenity::UserId,
) -> Option<Previous> {
    if let Some(known) = shared
        .channels
        .lock()
        .expect("channels lock")
        .last(channel.get())
    {
        return known;
    }
    let of = |m: &serenity::Message| {
        answered::passage_id(m).map(|passage| Previous {
            question: answered::question(m).unwrap_or_default(),
            passage,
        })
    };
    let history = channel
        .messages(http, serenity::GetMessages::new().limit(HISTORY))
        .await
        .unwrap_or_default();
    let mut found = history.iter().filter(|m| m.author.id == bot).find_map(&of);
    if let (None, ChannelKind::BotThread { parent }) = (&found, kind) {
        // A thread opened on a message has that message's id.
        let starter = serenity::ChannelId::new(parent)
            .message(http, serenity::MessageId::new(channel.get()))
            .await;
        found = starter.ok().and_then(|m| of(&m));
    }
    shared
        .channels
        .lock()
        .expect("channels lock")
        .set_last(channel.get(), found.clone());
    found
}

/// The role Discord made for the bot in `guild` (managed, tagged with the bot's id): asked once.
async fn bot_role(
    http: &serenity::Http,
    shared: &Shared,
    guild: serenity::GuildId,
    bot: serenity::UserId,
) -> Option<serenity::RoleId> {
    if let Some(known) = shared.roles.lock().expect("roles lock").get(&guild.get()) {
        return known.map(serenity::RoleId::new);
    }
    let role = match http.get_guild_roles(guild).await {
        Ok(roles) => roles
            .iter()
            .find(|r| r.tags.bot_id == Some(bot))
            .map(|r| r.id),
        Err(e) => {
            tracing::warn!(guild = guild.get(), error = %e, "could not read the guild's roles");
            None
        }
    };
    shared
        .roles
        .lock()
        .expect("roles lock")
        .insert(guild.get(), role.map(serenity::RoleId::get));
    role
}

/// What opening a thread did.
#[derive(Debug)]
pub enum Opened {
    /// A new thread.
    New(serenity::ChannelId),
    /// The message already has one (Discord's error 160004): its id is the message's.
    Exists,
}

/// Opens a thread on the bot's answer `message` in `channel`, named after the question;
/// remembers it as the bot's, with `previous` as its last answer; posts the first message.
pub async fn open_thread(
    http: &serenity::Http,
    shared: &Shared,
    channel: serenity::ChannelId,
    message: serenity::MessageId,
    name: &str,
    previous: Previous,
) -> Result<Opened, Error> {
    let name = crate::render::shorten(
        name.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str(),
        100,
    );
    let name = if name.is_empty() {
        "討論 · Discussion".to_string()
    } else {
        name
    };
    let builder = serenity::CreateThread::new(name)
        .auto_archive_duration(serenity::AutoArchiveDuration::OneDay);
    let thread = match channel
        .create_thread_from_message(http, message, builder)
        .await
    {
        Ok(t) => t,
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)))
            if r.error.code == 160_004 =>
        {
            return Ok(Opened::Exists)
        }
        Err(e) => return Err(e.into()),
    };
    {
        let mut channels = shared.channels.lock().expect("channels lock");
        channels.set_kind(
            thread.id.get(),
            ChannelKind::BotThread {
                parent: channel.get(),
            },
        );
        channels.set_last(thread.id.get(), Some(previous));
    }
    let intro = serenity::CreateMessage::new()
        .content(notice::THREAD_INTRO)
        .allowed_mentions(no_mentions());
    send_retrying(http, thread.id, intro).await?;
    tracing::info!(thread = thread.id.get(), "thread opened");
    Ok(Opened::New(thread.id))
}
