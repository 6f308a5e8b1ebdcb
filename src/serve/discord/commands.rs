/*!
The slash commands and the message menu. Each is a few lines that call the engine and a
renderer; the `///` doc of each command is its help text in Discord, and every command and
option has its name and description in zh-TW and zh-CN too.
*/

use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use super::buttons::{self, Layout};
use super::conversation;
use super::memory::Previous;
use super::reply::{self, notice, reply};
use super::trigger::without_mentions;
use super::{Context, Error};
use crate::answer::{Answer, Quoting};
use crate::render::discord::{self as render, notice as says};
use crate::render::{label, shorten};
use crate::retrieval::Request;

/// Autocomplete choices: at most 25, each at most 100 characters.
const MAX_CHOICES: usize = 25;

/// How long `/reload` may take before it acknowledges the interaction first (Discord
/// drops interactions not acknowledged within 3 s).
const RELOAD_REPLY_WITHIN: Duration = Duration::from_secs(2);

/// Ask the interview a question; get the interviewee's exact words, cited.
#[poise::command(
    slash_command,
    name_localized("zh-TW", "提問"),
    name_localized("zh-CN", "提问"),
    description_localized("zh-TW", "向訪談提問,取得受訪者的原話與出處"),
    description_localized("zh-CN", "向访谈提问,获得受访者的原话与出处")
)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question, in Chinese or English"]
    #[name_localized("zh-TW", "問題")]
    #[name_localized("zh-CN", "问题")]
    #[description_localized("zh-TW", "你的問題,中文或英文皆可")]
    #[description_localized("zh-CN", "你的问题,中文或英文均可")]
    #[max_length = 300]
    question: String,
    #[description = "Only you see the reply"]
    #[name_localized("zh-TW", "私密")]
    #[name_localized("zh-CN", "私密")]
    #[description_localized("zh-TW", "只有你看得到回覆")]
    #[description_localized("zh-CN", "只有你看得到回复")]
    private: Option<bool>,
    #[description = "Open a thread on the answer to ask follow-up questions"]
    #[name_localized("zh-TW", "討論串")]
    #[name_localized("zh-CN", "讨论串")]
    #[description_localized("zh-TW", "在回答上開一個討論串,繼續追問")]
    #[description_localized("zh-CN", "在回答上开一个讨论串,继续追问")]
    thread: Option<bool>,
) -> Result<(), Error> {
    if !super::take_token(ctx).await? {
        return Ok(());
    }
    let t = Instant::now();
    let data = ctx.data();
    let engine = data.engine();
    let corpus = engine.corpus();
    let question = without_mentions(&question);
    let answer = engine.answer(&Request::new(&question).quoting(Quoting::Best));
    let private = private.unwrap_or(false);
    let want_thread = thread.unwrap_or(false);
    let http = ctx.serenity_context().http.clone();
    let best = match &answer {
        Answer::Found { best, .. } => Some(best.passage),
        Answer::Abstained { .. } => None,
    };
    let passage = best.map(|i| corpus.display_id(&corpus.passages[i]));
    let public = !private && best.is_some();
    // Told without asking Discord: the interaction is answered before anything else.
    let carried = match ctx {
        poise::Context::Application(a) => a.interaction.channel.as_ref(),
        poise::Context::Prefix(_) => None,
    };
    let kind = conversation::quick_kind(&data.shared, ctx.channel_id(), carried, ctx.guild_id());
    let channel = ctx.channel_id();
    if let (true, Some(pid)) = (public, &passage) {
        let earlier = data.shared.recent.lock().expect("recent lock").find(
            channel.get(),
            pid,
            Instant::now(),
        );
        if let Some((earlier, ago)) = earlier {
            let link = serenity::MessageId::new(earlier).link(channel, ctx.guild_id());
            let text = says::duplicate(pid, &link, ago.as_secs() / 60);
            ctx.send(notice(&text).components(reply::rows(&buttons::link_rows(pid))))
                .await?;
            super::log_request("duplicate", t, std::slice::from_ref(pid), false);
            return Ok(());
        }
    }
    let can_thread = public && ctx.guild_id().is_some() && kind.can_thread();
    let mut embed = render::embed(&answer, corpus);
    embed.author = render::asked(&question);
    let rows = match (best, &passage) {
        (Some(i), Some(pid)) => buttons::answer_rows(
            pid,
            ctx.author().id.get(),
            buttons::neighbours(corpus, i),
            Layout {
                thread: can_thread,
                post: false,
            },
        ),
        _ => Vec::new(),
    };
    let handle = ctx
        .send(reply(&[embed], private).components(reply::rows(&rows)))
        .await?;
    let (Some(pid), true) = (passage, public) else {
        super::log_answer("ask", t, &answer, corpus);
        if want_thread && best.is_some() {
            ctx.send(notice(says::NO_THREAD_HERE)).await?;
        }
        return Ok(());
    };
    let record = data.config.duplicate_window_secs > 0;
    let open = want_thread && can_thread;
    if record || open {
        // The answer's id: for the link to it, and to open a thread on it.
        let posted = handle.message().await?;
        if record {
            data.shared.recent.lock().expect("recent lock").record(
                channel.get(),
                &pid,
                posted.id.get(),
                Instant::now(),
            );
        }
        if open {
            let previous = Previous {
                question: question.clone(),
                passage: pid,
            };
            let opened = conversation::open_thread(
                &http,
                &data.shared,
                channel,
                posted.id,
                &question,
                previous,
            )
            .await?;
            tracing::debug!(?opened, "thread on /ask");
        }
    }
    super::log_answer("ask", t, &answer, corpus);
    if want_thread && !open {
        ctx.send(notice(says::NO_THREAD_HERE)).await?;
    }
    Ok(())
}

/// Answer the selected message's text, privately first (with a button to post it).
#[poise::command(
    context_menu_command = "Ask the interview",
    name_localized("zh-TW", "問訪談"),
    name_localized("zh-CN", "问访谈"),
    description_localized("zh-TW", "以這則訊息的文字向訪談提問"),
    description_localized("zh-CN", "以这条消息的文字向访谈提问")
)]
pub async fn ask_message(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    if !super::take_token(ctx).await? {
        return Ok(());
    }
    let t = Instant::now();
    let question = without_mentions(&message.content);
    if question.is_empty() {
        ctx.send(notice(says::NO_TEXT)).await?;
        return Ok(());
    }
    let engine = ctx.data().engine();
    let corpus = engine.corpus();
    // A message that replies to one of the bot's answers is read in that answer's context.
    let bot = ctx.framework().bot_id();
    let context = message
        .referenced_message
        .as_deref()
        .filter(|r| r.author.id == bot)
        .and_then(|r| {
            let passage = corpus.find(&super::answered::passage_id(r)?)?;
            Some(crate::retrieval::Context {
                question: super::answered::question(r).unwrap_or_default(),
                passage,
            })
        });
    let request = Request::new(&question)
        .after(context.as_ref())
        .quoting(Quoting::Best);
    let answer = engine.answer(&request);
    let mut embed = render::embed(&answer, corpus);
    embed.author = render::asked(&question);
    let rows = match &answer {
        Answer::Found { best, .. } => buttons::answer_rows(
            &corpus.display_id(&corpus.passages[best.passage]),
            ctx.author().id.get(),
            buttons::neighbours(corpus, best.passage),
            Layout {
                thread: false,
                post: true,
            },
        ),
        Answer::Abstained { .. } => Vec::new(),
    };
    ctx.send(reply(&[embed], true).components(reply::rows(&rows)))
        .await?;
    super::log_answer("menu", t, &answer, corpus);
    Ok(())
}

async fn complete_id(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let engine = ctx.data().engine();
    let corpus = engine.corpus();
    let choices = engine
        .complete(partial, MAX_CHOICES)
        .into_iter()
        .map(|i| {
            let p = &corpus.passages[i];
            let id = corpus.display_id(p);
            let name = shorten(&format!("{id} {}", label(p, 100)), 100);
            serenity::AutocompleteChoice::new(name, id)
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Show a passage of the interview in full, by its id (Q1… questions, P1… narrative).
#[poise::command(
    slash_command,
    name_localized("zh-TW", "原文"),
    name_localized("zh-CN", "原文"),
    description_localized("zh-TW", "依編號顯示訪談段落全文"),
    description_localized("zh-CN", "按编号显示访谈段落全文")
)]
pub async fn quote(
    ctx: Context<'_>,
    #[description = "Passage id, or a few words of its question"]
    #[name_localized("zh-TW", "編號")]
    #[name_localized("zh-CN", "编号")]
    #[description_localized("zh-TW", "段落編號,或問題中的幾個字")]
    #[description_localized("zh-CN", "段落编号,或问题中的几个字")]
    #[autocomplete = "complete_id"]
    id: String,
    #[description = "Only you see the reply"]
    #[name_localized("zh-TW", "私密")]
    #[name_localized("zh-CN", "私密")]
    #[description_localized("zh-TW", "只有你看得到回覆")]
    #[description_localized("zh-CN", "只有你看得到回复")]
    private: Option<bool>,
) -> Result<(), Error> {
    let t = Instant::now();
    let engine = ctx.data().engine();
    let corpus = engine.corpus();
    // An id, or else the first passage whose question holds what was typed.
    let found = corpus
        .find(&id)
        .or_else(|| engine.complete(&id, 1).first().copied());
    let Some(index) = found else {
        ctx.send(notice(&format!(
            "No passage `{}`. `/topics` lists them. 找不到這個段落。",
            render::escape(&shorten(&id, 50))
        )))
        .await?;
        super::log_request("quote", t, &[], true);
        return Ok(());
    };
    let private = private.unwrap_or(false);
    for page in render::passage_pages(corpus, index) {
        ctx.send(reply(&[page], private)).await?;
    }
    let shown = [corpus.display_id(&corpus.passages[index])];
    super::log_request("quote", t, &shown, false);
    Ok(())
}

/// Find the passages that mention some keywords (up to 10).
#[poise::command(
    slash_command,
    name_localized("zh-TW", "搜尋"),
    name_localized("zh-CN", "搜索"),
    description_localized("zh-TW", "以關鍵詞搜尋段落(最多 10 個)"),
    description_localized("zh-CN", "按关键词搜索段落(最多 10 个)")
)]
pub async fn search(
    ctx: Context<'_>,
    #[description = "Keywords"]
    #[name_localized("zh-TW", "關鍵詞")]
    #[name_localized("zh-CN", "关键词")]
    #[description_localized("zh-TW", "關鍵詞")]
    #[description_localized("zh-CN", "关键词")]
    #[max_length = 300]
    keywords: String,
    #[description = "Only you see the reply"]
    #[name_localized("zh-TW", "私密")]
    #[name_localized("zh-CN", "私密")]
    #[description_localized("zh-TW", "只有你看得到回覆")]
    #[description_localized("zh-CN", "只有你看得到回复")]
    private: Option<bool>,
) -> Result<(), Error> {
    if !super::take_token(ctx).await? {
        return Ok(());
    }
    let t = Instant::now();
    let engine = ctx.data().engine();
    let corpus = engine.corpus();
    let hits = engine.search(&without_mentions(&keywords), 10);
    let embed = render::search(&keywords, &hits, corpus);
    ctx.send(reply(&[embed], private.unwrap_or(false))).await?;
    let ids: Vec<String> = hits
        .iter()
        .map(|h| corpus.display_id(&corpus.passages[h.passage]))
        .collect();
    super::log_request("search", t, &ids, hits.is_empty());
    Ok(())
}

/// List the sections of the interview and their questions with ids.
#[poise::command(
    slash_command,
    name_localized("zh-TW", "目錄"),
    name_localized("zh-CN", "目录"),
    description_localized("zh-TW", "列出訪談的章節與問題編號"),
    description_localized("zh-CN", "列出访谈的章节与问题编号")
)]
pub async fn topics(ctx: Context<'_>) -> Result<(), Error> {
    let t = Instant::now();
    let embeds = render::topics(ctx.data().engine().corpus());
    for e in embeds {
        ctx.send(reply(&[e], false)).await?;
    }
    super::log_request("topics", t, &[], false);
    Ok(())
}

/// What this bot is: the source, the corpus, the version, and how it answers.
#[poise::command(
    slash_command,
    name_localized("zh-TW", "關於"),
    name_localized("zh-CN", "关于"),
    description_localized("zh-TW", "關於本機器人:來源、語料與回答方式"),
    description_localized("zh-CN", "关于本机器人:来源、语料与回答方式")
)]
pub async fn about(ctx: Context<'_>) -> Result<(), Error> {
    let t = Instant::now();
    let embed = render::about(ctx.data().engine().corpus(), env!("CARGO_PKG_VERSION"));
    ctx.send(reply(&[embed], false)).await?;
    super::log_request("about", t, &[], false);
    Ok(())
}

/// How to use the bot.
#[poise::command(
    slash_command,
    name_localized("zh-TW", "說明"),
    name_localized("zh-CN", "帮助"),
    description_localized("zh-TW", "使用說明"),
    description_localized("zh-CN", "使用说明")
)]
pub async fn help(ctx: Context<'_>) -> Result<(), Error> {
    let t = Instant::now();
    let embed = help_embed(
        &ctx.framework().options().commands,
        &ctx.data().config.listen_channels,
        ctx.locale().unwrap_or("en-US"),
    );
    ctx.send(reply(&[embed], true)).await?;
    super::log_request("help", t, &[], false);
    Ok(())
}

/// The languages `/help` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    English,
    Traditional,
    Simplified,
}

impl Language {
    /// The language of a Discord locale (`zh-TW`, `zh-CN`; anything else is English).
    fn of(locale: &str) -> Language {
        match locale {
            "zh-TW" => Language::Traditional,
            "zh-CN" => Language::Simplified,
            _ => Language::English,
        }
    }

    fn locale(self) -> Option<&'static str> {
        match self {
            Language::English => None,
            Language::Traditional => Some("zh-TW"),
            Language::Simplified => Some("zh-CN"),
        }
    }

    /// The other ways to ask, the buttons and the menu, in this language.
    fn ways(self) -> &'static [&'static str] {
        match self {
            Language::English => &[
                "`private:true` on /ask, /quote and /search: only you see the reply.",
                "`thread:true` on /ask opens a thread on the answer; there, every question ending in ? (or mentioning me) is read as a follow-up.",
                "Mention me with a question, reply to one of my answers to follow up, or write to me directly.",
                "Under an answer: ◀ ▶ the passage before and after, Full passage, 简体 (Simplified script), Why this passage?, Discuss in a thread.",
                "Right-click a message → Apps → Ask the interview: I answer its text, privately, with a button to post it.",
            ],
            Language::Traditional => &[
                "在 /提問、/原文、/搜尋 加上 私密:true,只有你看得到回覆。",
                "在 /提問 加上 討論串:true,會在回答上開討論串;在裡面以問號結尾(或 @ 我)的問題都會接著上文回答。",
                "也可以 @ 我提問、回覆我的回答來追問,或直接私訊我。",
                "回答下方的按鈕:◀ ▶ 前後段落、全文、简体(簡體字)、為什麼?、討論串。",
                "在訊息上按右鍵 → 應用程式 → 問訪談:我會私下回答這則訊息,並附上公開的按鈕。",
            ],
            Language::Simplified => &[
                "在 /提问、/原文、/搜索 加上 私密:true,只有你看得到回复。",
                "在 /提问 加上 讨论串:true,会在回答上开讨论串;在里面以问号结尾(或 @ 我)的问题都会接着上文回答。",
                "也可以 @ 我提问、回复我的回答来追问,或直接私信我。",
                "回答下方的按钮:◀ ▶ 前后段落、全文、简体、为什么?、讨论串。",
                "在消息上右键 → 应用 → 问访谈:我会私下回答这条消息,并附上公开的按钮。",
            ],
        }
    }

    fn listen(self, channels: &str) -> String {
        match self {
            Language::English => {
                format!("In {channels}, a question ending in ? is answered without a mention.")
            }
            Language::Traditional => format!("在 {channels},以問號結尾的問題不必 @ 我也會回答。"),
            Language::Simplified => format!("在 {channels},以问号结尾的问题不必 @ 我也会回答。"),
        }
    }
}

/// A command's name or description in `language`, else the English one.
fn localized<'a>(
    localizations: &'a [(
        std::borrow::Cow<'static, str>,
        std::borrow::Cow<'static, str>,
    )],
    language: Language,
    english: &'a str,
) -> &'a str {
    language
        .locale()
        .and_then(|l| localizations.iter().find(|(k, _)| k == l))
        .map_or(english, |(_, v)| v.as_ref())
}

/// The `/help` text in the user's language (`locale` as Discord sends it): each command with
/// its description, the other ways to ask, the buttons, and how the bot answers.
pub fn help_embed(
    commands: &[poise::Command<super::Data, Error>],
    listen_channels: &[u64],
    locale: &str,
) -> render::Embed {
    let language = Language::of(locale);
    let mut text = String::new();
    for c in commands.iter().filter(|c| c.slash_action.is_some()) {
        let english = c.description.as_deref().unwrap_or_default();
        let name = localized(&c.name_localizations, language, &c.name);
        let description = localized(&c.description_localizations, language, english);
        if name == c.name {
            text.push_str(&format!("`/{name}` — {description}\n"));
        } else {
            text.push_str(&format!("`/{name}` (/{}) — {description}\n", c.name));
        }
    }
    text.push('\n');
    for line in language.ways() {
        text.push_str(line);
        text.push('\n');
    }
    if !listen_channels.is_empty() {
        let channels: Vec<String> = listen_channels.iter().map(|c| format!("<#{c}>")).collect();
        text.push_str(&language.listen(&channels.join(" ")));
        text.push('\n');
    }
    text.push('\n');
    text.push_str(crate::render::text::HOW_IT_ANSWERS);
    render::Embed {
        title: "interview-bot".into(),
        description: text,
        ..render::Embed::default()
    }
    .fit()
}

/// Reload the interview files (admins: Manage Server, or owners from the config).
#[poise::command(
    slash_command,
    name_localized("zh-TW", "重新載入"),
    name_localized("zh-CN", "重新加载"),
    description_localized("zh-TW", "重新載入訪談檔案(管理員)"),
    description_localized("zh-CN", "重新加载访谈文件(管理员)")
)]
pub async fn reload(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let owner = data.config.owner_ids.contains(&ctx.author().id.get());
    let manager = ctx
        .author_member()
        .await
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_guild());
    if !owner && !manager {
        ctx.send(notice(
            "Only server managers can reload. 只有伺服器管理員可以重新載入。",
        ))
        .await?;
        return Ok(());
    }
    let library = data.library.clone();
    let mut task = tokio::task::spawn_blocking(move || library.reload());
    // A small corpus reloads in milliseconds: reply at once. A large one may not make
    // Discord's 3-second deadline: acknowledge first ("thinking…"), then send the outcome.
    let outcome = match tokio::time::timeout(RELOAD_REPLY_WITHIN, &mut task).await {
        Ok(joined) => joined?,
        Err(_) => {
            ctx.defer_ephemeral().await?;
            task.await?
        }
    };
    let text = match outcome {
        Ok(r) => {
            tracing::info!(
                documents = r.documents,
                passages = r.passages,
                ms = r.millis as u64,
                "reloaded"
            );
            format!(
                "Reloaded: {} interview(s), {} passages, in {} ms.",
                r.documents, r.passages, r.millis
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "reload failed");
            format!(
                "Reload failed: {}",
                render::escape(&shorten(&e.to_string(), 1500))
            )
        }
    };
    ctx.send(notice(&text)).await?;
    Ok(())
}

/// Every command, in the order Discord lists them.
pub fn all() -> Vec<poise::Command<super::Data, Error>> {
    vec![
        ask(),
        quote(),
        search(),
        topics(),
        about(),
        help(),
        reload(),
        ask_message(),
    ]
}

/// The commands as Discord registers them: slash commands, and the message menu with its
/// localized names (poise leaves those out of a context menu command).
pub fn application_commands(
    commands: &[poise::Command<super::Data, Error>],
) -> Vec<serenity::CreateCommand> {
    let mut out = Vec::new();
    for c in commands {
        if let Some(slash) = c.create_as_slash_command() {
            out.push(slash);
        }
        if let Some(mut menu) = c.create_as_context_menu_command() {
            for (locale, name) in c.name_localizations.iter() {
                menu = menu.name_localized(locale.as_ref(), name.as_ref());
            }
            out.push(menu);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_command_in_the_users_language() {
        let commands = all();
        let quiet = help_embed(&commands, &[], "en-US");
        for c in commands.iter().filter(|c| c.slash_action.is_some()) {
            assert!(quiet.description.contains(&format!("`/{}` — ", c.name)));
        }
        assert!(quiet.description.contains("Ask the interview"));
        assert!(!quiet.description.contains("<#"));
        let open = help_embed(&commands, &[555, 556], "en-GB");
        assert!(open
            .description
            .contains("In <#555> <#556>, a question ending in ?"));
        assert!(open.description.chars().count() <= render::MAX_DESCRIPTION);
        let tw = help_embed(&commands, &[555], "zh-TW");
        assert!(
            tw.description.contains("`/提問` (/ask) — 向訪談提問"),
            "{}",
            tw.description
        );
        assert!(tw.description.contains("在 <#555>,以問號結尾"));
        let cn = help_embed(&commands, &[], "zh-CN");
        assert!(
            cn.description.contains("`/提问` (/ask) — 向访谈提问"),
            "{}",
            cn.description
        );
        assert!(cn.description.contains("问访谈"));
    }

    #[test]
    fn every_name_is_localized_and_valid() {
        let valid = |name: &str| {
            let n = name.chars().count();
            (1..=32).contains(&n)
                && name
                    .chars()
                    .all(|c| c == '-' || c == '_' || c.is_alphanumeric() && !c.is_uppercase())
        };
        for c in all() {
            for locale in ["zh-TW", "zh-CN"] {
                let name = c
                    .name_localizations
                    .iter()
                    .find(|(l, _)| l == locale)
                    .map(|(_, n)| n.to_string())
                    .unwrap_or_else(|| panic!("{}: no {locale} name", c.name));
                if c.slash_action.is_none() {
                    continue;
                }
                assert!(valid(&name), "{}: {name}", c.name);
                for p in &c.parameters {
                    let name = p
                        .name_localizations
                        .iter()
                        .find(|(l, _)| l == locale)
                        .map(|(_, n)| n.to_string())
                        .unwrap_or_else(|| panic!("{}.{}: no {locale} name", c.name, p.name));
                    assert!(valid(&name), "{}.{}: {name}", c.name, p.name);
                }
            }
        }
    }
}
