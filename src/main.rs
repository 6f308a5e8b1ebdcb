//! The `interview-bot` binary: thin glue between the command line and the library.
//!
//! Exit codes: 0 answered (or done), 1 not found / abstained, 2 error. A closed pipe on
//! standard output (`interview-bot topics | head`) ends the program quietly.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use interview_bot::config::Config;
use interview_bot::render::terminal;
use interview_bot::retrieval::Engine;
use interview_bot::serve::batch::{self, Format};
use interview_bot::tools::eval;

/// mimalloc, tuned by `interview_bot::allocator::tune` (see there why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Answers questions about a published interview by quoting it, with citations.
#[derive(Parser)]
#[command(name = "interview-bot", version, about)]
struct Cli {
    /// Config file [default: config/bot.toml here, else the one beside the sources].
    #[arg(long, global = true, env = "INTERVIEW_BOT_CONFIG")]
    config: Option<PathBuf>,
    /// Corpus directory (overrides the config's corpus_dir).
    #[arg(long, global = true)]
    corpus: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Interactive console: ask questions, /quote ID, /topics, /help, /quit.
    #[cfg(feature = "console")]
    Chat,
    /// Answer one question (exit 0 answered, 1 abstained, 2 error), or each line of stdin
    /// (exit 0 unless reading or writing fails).
    Ask {
        /// The question (or a passage id such as Q16, to show that passage); without it,
        /// questions are read from stdin, one per line.
        question: Option<String>,
        /// Print one JSON object per question.
        #[arg(long)]
        json: bool,
        /// Hits in the JSON output (at least 1).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
        top: u16,
        /// Also print how the question was read and ranked (to stderr).
        #[arg(long)]
        explain: bool,
    },
    /// Show a passage in full by its id (Q1…, P1…).
    Quote {
        /// Passage id.
        id: String,
    },
    /// List the sections and their questions with ids.
    Topics,
    /// Score retrieval on a question set (JSONL with gold passages).
    Eval {
        /// The question set, e.g. tests/data/dev.jsonl.
        file: PathBuf,
        /// Override a policy field for this run, e.g. `--set policy.min_coverage=0.35`
        /// (repeatable).
        #[arg(long = "set", value_name = "policy.FIELD=VALUE")]
        set: Vec<String>,
        /// Only the questions of this split (`fit`, `test`) of a split set.
        #[arg(long)]
        split: Option<String>,
    },
    /// Fit the decision's gate to labelled question sets; print the `[policy]` it found, with
    /// cross-validated figures.
    Calibrate {
        /// Question sets (JSONL with gold passages).
        files: Vec<PathBuf>,
        /// Only the questions of this split (`fit`).
        #[arg(long)]
        split: Option<String>,
        /// Folds of the cross-validation.
        #[arg(long, default_value_t = 5)]
        folds: usize,
    },
    /// Load config and corpus, build the index, print counts.
    Check,
    /// Measure start-up, question latency (retrieve + render) and peak memory.
    Bench {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Questions to time (JSONL with a "query" field) [default: the dev questions].
        #[arg(long)]
        questions: Option<PathBuf>,
        /// Build a synthetic library of this many interviews from the corpus and measure it.
        #[arg(long)]
        scale: Option<usize>,
    },
    /// Regenerate the English→Chinese glossary from CC-CEDICT, filtered to the corpus and the
    /// synonym lists, into the config's glossary file (or stdout with `--stdout`).
    Glossary {
        /// CC-CEDICT file (.txt or .txt.gz).
        #[arg(long)]
        cedict: PathBuf,
        /// Print the glossary instead of writing the file.
        #[arg(long)]
        stdout: bool,
    },
    /// Serve Discord (needs DISCORD_TOKEN).
    #[cfg(feature = "discord")]
    Serve,
}

fn main() -> ExitCode {
    interview_bot::allocator::tune();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // The whole chain: "Error while sending HTTP request" alone says nothing.
            let mut message = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !message.contains(&cause) {
                    message.push_str(": ");
                    message.push_str(&cause);
                }
            }
            eprintln!("interview-bot: {message}");
            ExitCode::from(2)
        }
    }
}

/// Whether an error is standard output closed under us (`| head`): not worth a word.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let path = match &cli.config {
        Some(p) => p.clone(),
        None => {
            let here = Path::new("config/bot.toml");
            if here.exists() {
                here.to_path_buf()
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("config/bot.toml")
            }
        }
    };
    let mut config = Config::load(&path)?;
    config.apply_env(|k| std::env::var(k).ok())?;
    if let Some(c) = &cli.corpus {
        config.corpus_dir = c.clone();
    }
    Ok(config)
}

/// Writes to standard output, an error (a closed pipe) returned rather than panicking.
fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    let command = match cli.command {
        Some(c) => c,
        None => default_command(),
    };
    match command {
        Command::Glossary { cedict, stdout } => glossary_command(&config, &cedict, stdout),
        Command::Bench {
            json: as_json,
            questions,
            scale,
        } => bench_command(&config, questions.as_deref(), as_json, scale),
        Command::Eval { file, set, split } => {
            let mut config = config;
            for s in &set {
                config.policy.set(s)?;
            }
            let engine = interview_bot::load::engine(&config)?;
            let questions = eval::select(eval::read_questions(&file)?, split.as_deref());
            let outcomes = eval::run(&engine, &questions);
            emit(&eval::report(&outcomes))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate {
            files,
            split,
            folds,
        } => {
            let engine = interview_bot::load::engine(&config)?;
            let mut questions = Vec::new();
            for f in &files {
                questions.extend(eval::select(eval::read_questions(f)?, split.as_deref()));
            }
            let (_, report) = interview_bot::tools::calibrate::run(&engine, &questions, folds);
            emit(&report)?;
            Ok(ExitCode::SUCCESS)
        }
        command => {
            // Front ends that serve people answer by words while missing passage vectors
            // are computed; one-shot commands wait for them.
            let embedding = if serves_people(&command) {
                interview_bot::load::Embedding::Background
            } else {
                interview_bot::load::Embedding::Wait
            };
            let engine = interview_bot::load::engine_with(&config, embedding)?;
            serve(command, engine, &config)
        }
    }
}

/// Whether a command serves people for a while (the console, Discord).
fn serves_people(command: &Command) -> bool {
    match command {
        #[cfg(feature = "console")]
        Command::Chat => true,
        #[cfg(feature = "discord")]
        Command::Serve => true,
        _ => false,
    }
}

/// With no subcommand: Discord when a token is set, else the console (or, built without one,
/// questions from stdin).
fn default_command() -> Command {
    #[cfg(feature = "discord")]
    if std::env::var_os("DISCORD_TOKEN").is_some_and(|t| !t.is_empty())
        || std::env::var_os("DISCORD_TOKEN_FILE").is_some()
    {
        return Command::Serve;
    }
    #[cfg(feature = "console")]
    {
        eprintln!(
            "interview-bot: no DISCORD_TOKEN set, so here is the console. Ask about the interview; /help lists commands, /quit leaves."
        );
        Command::Chat
    }
    #[cfg(not(feature = "console"))]
    Command::Ask {
        question: None,
        json: false,
        top: 3,
        explain: false,
    }
}

fn serve(command: Command, engine: Engine, config: &Config) -> anyhow::Result<ExitCode> {
    #[cfg(not(feature = "discord"))]
    let _ = config;
    let corpus = engine.corpus();
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match command {
        #[cfg(feature = "console")]
        Command::Chat => {
            let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
            interview_bot::serve::console::run(&engine, interactive, colour)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ask {
            question: Some(q),
            json: as_json,
            top,
            explain,
        } => {
            // A passage id typed as a question (`ask Q16`) shows that passage.
            if let (false, Some(i)) = (as_json, engine.passage_named(&q)) {
                emit(&terminal::passage(corpus, i))?;
                return Ok(ExitCode::SUCCESS);
            }
            if explain {
                eprint!("{}", engine.explain(&q));
            }
            let format = if as_json {
                Format::Json { top: top.into() }
            } else {
                Format::Text { colour }
            };
            let (mut text, found) = batch::answer(&engine, &q, format);
            if as_json {
                text.push('\n');
            }
            emit(&text)?;
            Ok(if found {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Ask {
            question: None,
            json: as_json,
            top,
            ..
        } => {
            if std::io::stdin().is_terminal() {
                eprintln!(
                    "interview-bot: reading questions from standard input, one per line (Ctrl-D ends). To ask one: interview-bot ask \"QUESTION\"."
                );
            }
            let format = if as_json {
                Format::Json { top: top.into() }
            } else {
                Format::Text { colour }
            };
            batch::run(
                &engine,
                std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
                format,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Quote { id } => match corpus.find(&id) {
            Some(i) => {
                emit(&terminal::passage(corpus, i))?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!(
                    "interview-bot: no passage `{}` (see `interview-bot topics`)",
                    terminal::shown(&id)
                );
                Ok(ExitCode::from(1))
            }
        },
        Command::Topics => {
            emit(&terminal::topics(corpus))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let dialogue = corpus
                .passages
                .iter()
                .filter(|p| p.question.is_some())
                .count();
            emit(&format!(
                "ok: {} document(s), {} passages ({} dialogue, {} narrative), {} sections\n",
                corpus.documents.len(),
                corpus.passages.len(),
                dialogue,
                corpus.passages.len() - dialogue,
                corpus
                    .documents
                    .iter()
                    .map(|d| d.sections.len())
                    .sum::<usize>()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "discord")]
        Command::Serve => {
            use interview_bot::serve::discord;
            let token = match std::env::var("DISCORD_TOKEN") {
                Ok(t) if !t.trim().is_empty() => t,
                _ => match std::env::var_os("DISCORD_TOKEN_FILE") {
                    Some(path) => std::fs::read_to_string(&path).map_err(|e| {
                        anyhow::anyhow!(
                            "{}: cannot read the token file: {e}",
                            Path::new(&path).display()
                        )
                    })?,
                    None => String::new(),
                },
            };
            let Some(token) = discord::Token::new(&token) else {
                anyhow::bail!("no Discord token: set DISCORD_TOKEN (or DISCORD_TOKEN_FILE)");
            };
            let connection = discord::Connection {
                token,
                api_base: std::env::var("DISCORD_API_BASE")
                    .ok()
                    .filter(|b| !b.is_empty()),
            };
            let library = interview_bot::serve::library::Library::new(engine, config.clone());
            discord::serve(library, config.discord.clone(), connection)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Glossary { .. }
        | Command::Bench { .. }
        | Command::Eval { .. }
        | Command::Calibrate { .. } => {
            unreachable!("handled before the engine is loaded")
        }
    }
}

fn bench_command(
    config: &Config,
    questions: Option<&Path>,
    as_json: bool,
    scale: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dev.jsonl");
    let path = questions.unwrap_or(&default);
    let questions: Vec<String> = eval::read_questions(path)?
        .into_iter()
        .map(|q| q.query)
        .collect();
    let figures = interview_bot::tools::bench::measure(config, &questions, scale)?;
    if as_json {
        emit(&format!("{}\n", serde_json::to_string(&figures)?))?;
    } else {
        emit(&format!("{figures}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn glossary_command(config: &Config, cedict: &Path, stdout: bool) -> anyhow::Result<ExitCode> {
    let glossary = interview_bot::load::cedict_glossary(config, cedict)?;
    let tsv = glossary.to_tsv();
    if stdout {
        emit(&tsv)?;
    } else {
        std::fs::write(&config.glossary, tsv)
            .map_err(|e| interview_bot::Error::write(&config.glossary, e))?;
        eprintln!(
            "interview-bot: wrote {} English keys to {}",
            glossary.len(),
            config.glossary.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
