/*!
The interactive console (`interview-bot chat`): the same answers as Discord, in a terminal.

Line editing and history come from rustyline when both ends are a terminal; piped input is
read line by line. Besides questions it knows `/quote ID`, `/topics`, `/help` and `/quit`.
*/

use std::io::{BufRead, Write};

use crate::answer::{Answer, Quoting};
use crate::render::terminal;
use crate::retrieval::Engine;
use crate::retrieval::{Context, Request};

/// The console's help text.
pub const HELP: &str = "\
Ask anything about the interview, in Chinese (either script) or English.
  /quote ID   show a passage in full (ids: Q1… questions, P1… narrative)
  /topics     list the sections and their questions
  /help       this help
  /quit       leave (or Ctrl-D)";

/// The reply to `/quote` without an id.
const WHICH_PASSAGE: &str =
    "Which passage? Give its id, e.g. /quote Q5 (Q1… questions, P1… narrative; /topics lists them).";

/// What one console line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A question.
    Ask(&'a str),
    /// `/quote ID`; the id is empty when none was given.
    Quote(&'a str),
    /// `/topics`.
    Topics,
    /// `/help`.
    Help,
    /// A command the console does not know, as typed (without the `/`).
    Unknown(&'a str),
    /// `/quit` or `/exit`.
    Quit,
    /// Nothing typed.
    Empty,
}

/// Reads one console line.
pub fn parse(line: &str) -> Line<'_> {
    let line = line.trim();
    if line.is_empty() {
        return Line::Empty;
    }
    let Some(command) = line.strip_prefix('/') else {
        return Line::Ask(line);
    };
    let (name, arg) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    match name.to_ascii_lowercase().as_str() {
        "quote" | "q" => Line::Quote(arg.trim()),
        "topics" | "t" => Line::Topics,
        "quit" | "exit" => Line::Quit,
        "help" | "h" | "?" => Line::Help,
        _ => Line::Unknown(name),
    }
}

/// The console's reply to one line, a question asked on its own; `None` means quit.
pub fn reply(engine: &Engine, line: &str, colour: bool) -> Option<String> {
    reply_after(engine, &mut None, line, colour)
}

/// The console's reply to one line, a question read after the previous answer `previous`
/// (a follow-up such as "他還說了什麼?"), which an answer replaces; `None` means quit.
pub fn reply_after(
    engine: &Engine,
    previous: &mut Option<Context>,
    line: &str,
    colour: bool,
) -> Option<String> {
    let corpus = engine.corpus();
    Some(match parse(line) {
        Line::Ask(q) => {
            let request = Request::new(q)
                .after(previous.as_ref())
                .quoting(Quoting::Best);
            let answer = engine.answer(&request);
            if let Answer::Found { best, .. } = &answer {
                *previous = Some(Context {
                    question: q.to_string(),
                    passage: best.passage,
                });
            }
            terminal::render(&answer, corpus, colour)
        }
        Line::Quote("") => format!("{WHICH_PASSAGE}\n"),
        Line::Quote(id) => match corpus.find(id) {
            Some(i) => terminal::passage(corpus, i),
            None => terminal::no_passage(id),
        },
        Line::Topics => terminal::topics(corpus),
        Line::Help => format!("{HELP}\n"),
        Line::Unknown(name) => format!("Unknown command /{}.\n{HELP}\n", terminal::shown(name)),
        Line::Empty => String::new(),
        Line::Quit => return None,
    })
}

/// Runs the console until `/quit` or end of input. With `interactive`, uses line editing.
pub fn run(engine: &Engine, interactive: bool, colour: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut previous: Option<Context> = None;
    if interactive {
        if let Ok(mut editor) = rustyline::DefaultEditor::new() {
            loop {
                match editor.readline("問 › ") {
                    Ok(line) => {
                        if !line.trim().is_empty() {
                            let _ = editor.add_history_entry(line.as_str());
                        }
                        match reply_after(engine, &mut previous, &line, colour) {
                            Some(text) => {
                                writeln!(out, "{text}")?;
                                out.flush()?;
                            }
                            None => return Ok(()),
                        }
                    }
                    Err(rustyline::error::ReadlineError::Interrupted) => continue,
                    Err(_) => return Ok(()),
                }
            }
        }
    }
    let stdin = std::io::stdin().lock();
    for line in stdin.split(b'\n') {
        let line = line?;
        let line = String::from_utf8_lossy(&line);
        match reply_after(engine, &mut previous, &line, colour) {
            Some(text) => {
                writeln!(out, "{text}")?;
                out.flush()?;
            }
            None => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_table() {
        let cases = [
            ("  ", Line::Empty),
            ("誰?", Line::Ask("誰?")),
            ("/quote Q3", Line::Quote("Q3")),
            ("/QUOTE  q3 ", Line::Quote("q3")),
            ("/topics", Line::Topics),
            ("/quit", Line::Quit),
            ("/exit", Line::Quit),
            ("/help", Line::Help),
            ("/quote", Line::Quote("")),
            ("/quote   ", Line::Quote("")),
            ("/what", Line::Unknown("what")),
            ("/Foo bar", Line::Unknown("Foo")),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), want, "{input:?}");
        }
    }

    /// A follow-up is read against the console's previous answer, and only after one.
    #[test]
    fn a_follow_up_follows_the_previous_answer() {
        let engine = crate::load::engine(
            &crate::config::Config::load(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/bot.toml"),
            )
            .unwrap(),
        )
        .unwrap();
        let alone = reply(&engine, "還有呢?", false).unwrap();
        let mut previous = None;
        let first = reply_after(
            &engine,
            &mut previous,
            "零一萬物是不是把GPU賣給了阿里?",
            false,
        )
        .unwrap();
        assert!(previous.is_some(), "{first}");
        let more = reply_after(&engine, &mut previous, "還有呢?", false).unwrap();
        assert_ne!(more, alone, "read after the answer, not alone");
        assert!(
            !more.contains(" · Q5\n"),
            "the next passage, not the same one: {more}"
        );
    }
}
