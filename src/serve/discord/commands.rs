/*!
The slash commands. Each is a few lines that call the engine and a renderer; the `///` doc
of each command is its help text in Discord.
*/

use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use super::reply::{notice, reply};
use super::{Context, Error};
use crate::answer::Quoting;
use crate::render::discord as render;
use crate::render::{label, shorten};

/// Autocomplete choices: at most 25, each at most 100 characters.
const MAX_CHOICES: usize = 25;

/// How long `/reload` may take before it acknowledges the interaction first (Discord
/// drops interactions not acknowledged within 3 s).
const RELOAD_REPLY_WITHIN: Duration = Duration::from_secs(2);

/// Ask the interview a question; get the interviewee's exact words, cited.
#[poise::command(
    slash_command,
    description_localized("zh-TW", "向訪談提問,取得受訪者的原話與出處"),
    description_localized("zh-CN", "向访谈提问,获得受访者的原话与出处")
)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question, in Chinese or English"]
    #[description_localized("zh-TW", "你的問題,中文或英文皆可")]
    #[description_localized("zh-CN", "你的问题,中文或英文均可")]
    #[max_length = 300]
    question: String,
    #[description = "Only you see the reply"]
    #[description_localized("zh-TW", "只有你看得到回覆")]
    #[description_localized("zh-CN", "只有你看得到回复")]
    private: Option<bool>,
) -> Result<(), Error> {
    if !super::take_cooldown(ctx).await? {
        return Ok(());
    }
    let t = Instant::now();
    let engine = ctx.data().engine();
    let answer = engine.ask_quoting(&super::trigger::without_mentions(&question), Quoting::Best);
    let embed = render::embed(&answer, engine.corpus());
    ctx.send(reply(&[embed], private.unwrap_or(false))).await?;
    super::log_answer("ask", t, &answer, engine.corpus());
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
    description_localized("zh-TW", "依編號顯示訪談段落全文"),
    description_localized("zh-CN", "按编号显示访谈段落全文")
)]
pub async fn quote(
    ctx: Context<'_>,
    #[description = "Passage id, or a few words of its question"]
    #[description_localized("zh-TW", "段落編號,或問題中的幾個字")]
    #[description_localized("zh-CN", "段落编号,或问题中的几个字")]
    #[autocomplete = "complete_id"]
    id: String,
    #[description = "Only you see the reply"]
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
    description_localized("zh-TW", "以關鍵詞搜尋段落(最多 10 個)"),
    description_localized("zh-CN", "按关键词搜索段落(最多 10 个)")
)]
pub async fn search(
    ctx: Context<'_>,
    #[description = "Keywords"]
    #[description_localized("zh-TW", "關鍵詞")]
    #[description_localized("zh-CN", "关键词")]
    #[max_length = 300]
    keywords: String,
    #[description = "Only you see the reply"]
    #[description_localized("zh-TW", "只有你看得到回覆")]
    #[description_localized("zh-CN", "只有你看得到回复")]
    private: Option<bool>,
) -> Result<(), Error> {
    if !super::take_cooldown(ctx).await? {
        return Ok(());
    }
    let t = Instant::now();
    let engine = ctx.data().engine();
    let corpus = engine.corpus();
    let hits = engine.search(&super::trigger::without_mentions(&keywords), 10);
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
    description_localized("zh-TW", "使用說明"),
    description_localized("zh-CN", "使用说明")
)]
pub async fn help(ctx: Context<'_>) -> Result<(), Error> {
    let t = Instant::now();
    let embed = help_embed(
        &ctx.framework().options().commands,
        &ctx.data().config.listen_channels,
    );
    ctx.send(reply(&[embed], true)).await?;
    super::log_request("help", t, &[], false);
    Ok(())
}

/// The `/help` text: each command with its description (its `///` doc), the other ways to
/// ask, and how the bot answers.
pub fn help_embed(
    commands: &[poise::Command<super::Data, Error>],
    listen_channels: &[u64],
) -> render::Embed {
    let mut text = String::new();
    for c in commands {
        text.push_str(&format!(
            "`/{}` — {}\n",
            c.name,
            c.description.as_deref().unwrap_or_default()
        ));
    }
    text.push_str("\n`private:true` on /ask, /quote and /search: only you see the reply. 加上 private:true 只有你看得到回覆。\n");
    text.push_str("Mention the bot with a question, too. 也可以 @ 機器人直接提問。\n");
    if !listen_channels.is_empty() {
        let channels: Vec<String> = listen_channels.iter().map(|c| format!("<#{c}>")).collect();
        text.push_str(&format!(
            "In {}, a question ending in ? is answered without a mention. 在這些頻道,以問號結尾的問題會直接得到回答。\n",
            channels.join(" ")
        ));
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
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_command_and_the_listen_channels() {
        let commands = all();
        let quiet = help_embed(&commands, &[]);
        for c in &commands {
            assert!(quiet.description.contains(&format!("`/{}` — ", c.name)));
        }
        assert!(!quiet.description.contains("<#"));
        let open = help_embed(&commands, &[555, 556]);
        assert!(open
            .description
            .contains("In <#555> <#556>, a question ending in ?"));
        assert!(open.description.chars().count() <= render::MAX_DESCRIPTION);
    }
}
