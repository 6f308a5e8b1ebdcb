//! The `interview-bot` binary: thin glue between the command line and the library.
//!
//! Exit codes: 0 answered (or done), 1 not found / abstained, 2 error.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use interview_bot::answer::Quoting;
use interview_bot::config::Config;
use interview_bot::corpus::Corpus;
use interview_bot::engine::Engine;
use interview_bot::render::{json, terminal};
use interview_bot::{console, discord, eval, glossary};

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
    Chat,
    /// Answer one question (or each line of stdin). Exit 0 answered, 1 abstained, 2 error.
    Ask {
        /// The question; without it, questions are read from stdin, one per line.
        question: Option<String>,
        /// Print one JSON object per question.
        #[arg(long)]
        json: bool,
        /// Hits in the JSON output.
        #[arg(long, default_value_t = 3)]
        top: usize,
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
        /// The question set, e.g. ../shared/eval/dev.jsonl.
        file: PathBuf,
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
    /// Print the English→Chinese glossary derived from CC-CEDICT, filtered to the corpus and the synonym lists.
    Glossary {
        /// CC-CEDICT file (.txt or .txt.gz).
        #[arg(long)]
        cedict: PathBuf,
    },
    /// Serve Discord (needs DISCORD_TOKEN).
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
        Err(e) => {
            eprintln!("interview-bot: {e}");
            ExitCode::from(2)
        }
    }
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

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    let has_token = std::env::var_os("DISCORD_TOKEN").is_some_and(|t| !t.is_empty())
        || std::env::var_os("DISCORD_TOKEN_FILE").is_some();
    let command = match cli.command {
        Some(c) => c,
        None if has_token => Command::Serve,
        None => {
            eprintln!(
                "interview-bot: no DISCORD_TOKEN set, so here is the console. Ask about the interview; /help lists commands, /quit leaves."
            );
            Command::Chat
        }
    };
    if let Command::Glossary { cedict } = &command {
        return glossary_command(&config, cedict);
    }
    if let Command::Bench {
        json: as_json,
        questions,
        scale,
    } = &command
    {
        return bench_command(&config, questions.as_deref(), *as_json, *scale);
    }
    let engine = Engine::load(&config)?;
    let corpus = engine.corpus();
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match command {
        Command::Chat => {
            let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
            console::run(&engine, interactive, colour)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ask {
            question: Some(q),
            json: as_json,
            top,
            explain,
        } => {
            if explain {
                eprint!("{}", engine.explain(&q));
            }
            let answer = engine.ask_quoting(&q, quoting(as_json));
            if as_json {
                println!("{}", json::render(&answer, corpus, top));
            } else {
                print!("{}", terminal::render(&answer, corpus, colour));
            }
            Ok(if answer.is_found() {
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
            let mut out = std::io::stdout().lock();
            for line in std::io::stdin().lock().split(b'\n') {
                let bytes = line?;
                let bytes = bytes.strip_suffix(b"\r").unwrap_or(&bytes);
                let text = match std::str::from_utf8(bytes) {
                    Ok(t) => t.to_string(),
                    Err(_) => {
                        let lossy = String::from_utf8_lossy(bytes).into_owned();
                        if as_json {
                            let v = serde_json::json!({"query": lossy, "answered": false, "hits": [], "error": "not valid UTF-8"});
                            writeln!(out, "{v}")?;
                        } else {
                            writeln!(out, "(not valid UTF-8)\n")?;
                        }
                        out.flush()?;
                        continue;
                    }
                };
                let answer = engine.ask_quoting(&text, quoting(as_json));
                if as_json {
                    writeln!(out, "{}", json::render(&answer, corpus, top))?;
                } else {
                    writeln!(out, "{}", terminal::render(&answer, corpus, colour))?;
                }
                out.flush()?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Quote { id } => match corpus.find(&id) {
            Some(i) => {
                print!("{}", terminal::passage(corpus, i));
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("interview-bot: no passage `{id}` (see `interview-bot topics`)");
                Ok(ExitCode::from(1))
            }
        },
        Command::Topics => {
            print!("{}", terminal::topics(corpus));
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { file } => {
            let questions = eval::read_questions(&file)?;
            let outcomes = eval::run(&engine, &questions);
            print!("{}", eval::report(&outcomes));
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let dialogue = corpus
                .passages
                .iter()
                .filter(|p| p.question.is_some())
                .count();
            println!(
                "ok: {} document(s), {} passages ({} dialogue, {} narrative), {} sections",
                corpus.documents.len(),
                corpus.passages.len(),
                dialogue,
                corpus.passages.len() - dialogue,
                corpus
                    .documents
                    .iter()
                    .map(|d| d.sections.len())
                    .sum::<usize>()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => {
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
            let library = interview_bot::library::Library::new(engine, config.clone());
            discord::serve(library, config.discord.clone(), connection)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Glossary { .. } | Command::Bench { .. } => {
            unreachable!("handled before loading the engine")
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
    let figures = match scale {
        None => interview_bot::bench::run(config, &questions, 10_000)?.1,
        Some(n) => {
            let real = Corpus::load_dir(&config.corpus_dir)?;
            let library = interview_bot::bench::synthetic_library(&real, n)?;
            let t = std::time::Instant::now();
            let engine = Engine::with_corpus(config, library)?;
            let build_ms = t.elapsed().as_secs_f64() * 1e3;
            let mut f = interview_bot::bench::time_questions(&engine, &questions, 2_000, build_ms);
            f.build_s = Some(build_ms / 1e3);
            f.index_bytes = Some(engine.index_bytes());
            f
        }
    };
    if as_json {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        println!("{figures}");
    }
    Ok(ExitCode::SUCCESS)
}

/// JSON shows every hit's quote; the terminal lists further passages by label.
fn quoting(as_json: bool) -> Quoting {
    if as_json {
        Quoting::All
    } else {
        Quoting::Best
    }
}

fn glossary_command(config: &Config, cedict: &Path) -> anyhow::Result<ExitCode> {
    let corpus = Corpus::load_dir(&config.corpus_dir)?;
    let lexicon = interview_bot::analysis::Lexicon::load(&config.lexicon_dir)?;
    // The corpus, and the synonyms' members on lines of their own: a translation to 消費者
    // reaches the passages through its group (To C, C端).
    let folded: String = corpus
        .passages
        .iter()
        .map(|p| &p.text)
        .chain(lexicon.synonyms.iter().flatten())
        .map(|t| interview_bot::analysis::fold(t) + "\n")
        .collect();
    let file = std::fs::File::open(cedict)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", cedict.display()))?;
    let reader: Box<dyn BufRead> = if cedict.extension().is_some_and(|e| e == "gz") {
        Box::new(std::io::BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let entries = glossary::parse_cedict(reader)?;
    print!("{}", glossary::Glossary::build(&entries, &folded).to_tsv());
    Ok(ExitCode::SUCCESS)
}
