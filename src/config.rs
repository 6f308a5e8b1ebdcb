/*!
Configuration: committed defaults in `config/bot.toml`, overridden by environment variables.

The file refuses unknown keys, so a typo is an error naming the file and line rather than a
setting silently ignored. It never holds secrets: the Discord token is read from the
environment by the front end and never stored here. This module reads no environment itself;
the binary passes a look-up function to [`Config::apply_env`].
*/

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::retrieval::policy::Policy;

/// Everything in `bot.toml`, with relative paths resolved against the file's directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Directory of interview files.
    pub corpus_dir: PathBuf,
    /// Directory of the lexicon word lists.
    pub lexicon_dir: PathBuf,
    /// English → Chinese glossary file.
    pub glossary: PathBuf,
    /// Where large libraries keep their index between starts (unset: always in RAM).
    #[serde(default)]
    pub index_dir: Option<PathBuf>,
    /// Libraries with at least this many passages use `index_dir`.
    #[serde(default = "default_persist_above")]
    pub persist_above: usize,
    /// The sentence encoder's model file; unset or empty: no semantic matching.
    #[serde(default)]
    pub model: Option<PathBuf>,
    /// Where passage vectors are kept; unset: computed at every start, kept nowhere.
    #[serde(default)]
    pub vectors_dir: Option<PathBuf>,
    /// How answers are shaped.
    #[serde(default)]
    pub answer: AnswerConfig,
    /// The Discord front end.
    #[serde(default)]
    pub discord: DiscordConfig,
    /// Retrieval's tunable numbers (defaults in code, see [`Policy`]).
    #[serde(default)]
    pub policy: Policy,
}

fn default_persist_above() -> usize {
    20_000
}

/// How answers are shaped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnswerConfig {
    /// Further passages listed after the best one.
    pub further: usize,
    /// Sentences quoted from the best passage.
    pub quote_sentences: usize,
    /// Closest questions suggested when abstaining.
    pub suggestions: usize,
}

impl Default for AnswerConfig {
    fn default() -> Self {
        AnswerConfig {
            further: 2,
            quote_sentences: 3,
            suggestions: 3,
        }
    }
}

/// Settings of the Discord front end (no secrets).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Guild to register commands in; 0 registers them globally.
    pub guild_id: u64,
    /// Channels where questions are answered without a mention.
    pub listen_channels: Vec<u64>,
    /// Requests a user can make at once (a token bucket of this size); 0 turns limiting off.
    pub burst: u32,
    /// One more request every this many seconds.
    pub refill_secs: u64,
    /// Mentions a user over the limit can have waiting (⏳) before the bot says when to ask
    /// again.
    pub queue: usize,
    /// The same passage answered in the same channel within this many seconds gets a link to
    /// the earlier answer instead of a second copy; 0 turns it off.
    pub duplicate_window_secs: u64,
    /// Ask for the privileged Message Content intent even without listen channels: replies to
    /// the bot with the ping off and questions in its threads that do not mention it need it.
    pub message_content: bool,
    /// Total shards of the bot; 0 = let Discord decide (autosharding).
    pub shard_total: u32,
    /// First shard this process runs (with `shard_total` > 0).
    pub shard_first: u32,
    /// Last shard this process runs (with `shard_total` > 0).
    pub shard_last: u32,
    /// Users allowed to run admin commands besides members with Manage Server.
    pub owner_ids: Vec<u64>,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            guild_id: 0,
            listen_channels: Vec::new(),
            burst: 3,
            refill_secs: 10,
            queue: 3,
            duplicate_window_secs: 600,
            message_content: false,
            shard_total: 0,
            shard_first: 0,
            shard_last: 0,
            owner_ids: Vec::new(),
        }
    }
}

impl Config {
    /// Reads and checks `path`; relative paths inside become relative to its directory.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::io(path, source))?;
        Config::parse(path, &text)
    }

    /// Parses config text as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                1 + text[..s.start.min(text.len())].matches('\n').count()
            });
            Error::config(path, line, e.message().to_string())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut config.corpus_dir,
            &mut config.lexicon_dir,
            &mut config.glossary,
        ] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        for p in [&mut config.model, &mut config.vectors_dir]
            .into_iter()
            .flatten()
        {
            if p.as_os_str().is_empty() {
                continue;
            }
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if config
            .model
            .as_ref()
            .is_some_and(|m| m.as_os_str().is_empty())
        {
            config.model = None;
        }
        if config.discord.shard_total > 0
            && (config.discord.shard_first > config.discord.shard_last
                || config.discord.shard_last >= config.discord.shard_total)
        {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("shard_"))
                .map_or(1, |i| i + 1);
            return Err(Error::config(
                path,
                line,
                "shards: need shard_first <= shard_last < shard_total",
            ));
        }
        Ok(config)
    }

    /// Applies `INTERVIEW_BOT_<KEY>` overrides found by `var` (the binary passes
    /// `std::env::var`). Lists are comma-separated. A bad value is an error naming the variable.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        let num = |name: &str, v: &str| -> Result<u64> {
            v.trim().parse().map_err(|_| Error::Env {
                name: name.to_string(),
                value: v.to_string(),
                message: "expected a whole number".into(),
            })
        };
        let get = |key: &str| {
            let name = format!("INTERVIEW_BOT_{key}");
            var(&name).map(|v| (name, v))
        };
        if let Some((_, v)) = get("CORPUS_DIR") {
            self.corpus_dir = v.into();
        }
        if let Some((_, v)) = get("LEXICON_DIR") {
            self.lexicon_dir = v.into();
        }
        if let Some((_, v)) = get("GLOSSARY") {
            self.glossary = v.into();
        }
        if let Some((_, v)) = get("MODEL") {
            self.model = (!v.is_empty()).then(|| v.into());
        }
        if let Some((_, v)) = get("VECTORS_DIR") {
            self.vectors_dir = (!v.is_empty()).then(|| v.into());
        }
        if let Some((_, v)) = get("INDEX_DIR") {
            self.index_dir = (!v.is_empty()).then(|| v.into());
        }
        if let Some((n, v)) = get("PERSIST_ABOVE") {
            self.persist_above = num(&n, &v)? as usize;
        }
        if let Some((n, v)) = get("GUILD_ID") {
            self.discord.guild_id = num(&n, &v)?;
        }
        if let Some((n, v)) = get("COOLDOWN_SECS") {
            return Err(Error::Env {
                name: n,
                value: v,
                message: "no longer used: the fixed cooldown became a token bucket, set INTERVIEW_BOT_BURST and INTERVIEW_BOT_REFILL_SECS".into(),
            });
        }
        if let Some((n, v)) = get("BURST") {
            self.discord.burst = u32::try_from(num(&n, &v)?).map_err(|_| Error::Env {
                name: n.clone(),
                value: v.clone(),
                message: "too large".into(),
            })?;
        }
        if let Some((n, v)) = get("REFILL_SECS") {
            self.discord.refill_secs = num(&n, &v)?;
        }
        if let Some((n, v)) = get("QUEUE") {
            self.discord.queue = num(&n, &v)? as usize;
        }
        if let Some((n, v)) = get("DUPLICATE_WINDOW_SECS") {
            self.discord.duplicate_window_secs = num(&n, &v)?;
        }
        if let Some((n, v)) = get("MESSAGE_CONTENT") {
            self.discord.message_content = match v.trim() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" | "" => false,
                _ => {
                    return Err(Error::Env {
                        name: n,
                        value: v,
                        message: "expected true or false".into(),
                    })
                }
            };
        }
        for (key, list) in [
            ("LISTEN_CHANNELS", &mut self.discord.listen_channels),
            ("OWNER_IDS", &mut self.discord.owner_ids),
        ] {
            if let Some((n, v)) = get(key) {
                *list = v
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| num(&n, s))
                    .collect::<Result<_>>()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_defaults_load() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/bot.toml");
        let c = Config::load(&path).unwrap();
        assert!(c.corpus_dir.join("kaifu-lee-01ai-2025-01-07.md").exists());
        assert_eq!((c.discord.burst, c.discord.refill_secs), (3, 10));
        assert_eq!(c.discord.duplicate_window_secs, 600);
        assert!(c.discord.listen_channels.is_empty());
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let text = "corpus_dir = \"c\"\nlexicon_dir = \".\"\nglossary = \"g\"\ntoken = \"x\"\n";
        let e = Config::parse(Path::new("bot.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bot.toml:4: "), "{e}");
        assert!(e.contains("unknown field"), "{e}");
        let e = Config::parse(Path::new("bot.toml"), "corpus_dir = [\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bot.toml:"), "{e}");
        let minimal = "corpus_dir = \"c\"\nlexicon_dir = \".\"\nglossary = \"g\"\n";
        let c = Config::parse(Path::new("bot.toml"), minimal).unwrap();
        assert_eq!(
            (c.discord.burst, c.discord.queue),
            (3, 3),
            "the default holds without a [discord] table"
        );
        assert_eq!(c.persist_above, 20_000);
    }

    #[test]
    fn env_overrides() {
        let text = "corpus_dir = \"c\"\nlexicon_dir = \".\"\nglossary = \"g\"\n";
        let mut c = Config::parse(Path::new("conf/bot.toml"), text).unwrap();
        assert_eq!(c.corpus_dir, Path::new("conf/c"));
        c.apply_env(|k| match k {
            "INTERVIEW_BOT_LISTEN_CHANNELS" => Some("1, 2".into()),
            "INTERVIEW_BOT_GUILD_ID" => Some("7".into()),
            "INTERVIEW_BOT_BURST" => Some("5".into()),
            "INTERVIEW_BOT_REFILL_SECS" => Some("2".into()),
            "INTERVIEW_BOT_QUEUE" => Some("1".into()),
            "INTERVIEW_BOT_DUPLICATE_WINDOW_SECS" => Some("0".into()),
            "INTERVIEW_BOT_MESSAGE_CONTENT" => Some("true".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.discord.listen_channels, [1, 2]);
        assert_eq!(c.discord.guild_id, 7);
        let d = &c.discord;
        assert_eq!((d.burst, d.refill_secs, d.queue), (5, 2, 1));
        assert_eq!((d.duplicate_window_secs, d.message_content), (0, true));
        let e = c
            .apply_env(|k| (k == "INTERVIEW_BOT_MESSAGE_CONTENT").then(|| "maybe".into()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("INTERVIEW_BOT_MESSAGE_CONTENT") && e.contains("maybe"),
            "{e}"
        );
        let e = c
            .apply_env(|k| (k == "INTERVIEW_BOT_COOLDOWN_SECS").then(|| "soon".into()))
            .unwrap_err();
        let e = e.to_string();
        assert!(
            e.contains("INTERVIEW_BOT_COOLDOWN_SECS") && e.contains("soon"),
            "{e}"
        );
        assert!(
            e.contains("INTERVIEW_BOT_BURST"),
            "says what replaced it: {e}"
        );
    }
}
