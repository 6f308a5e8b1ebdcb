//! The command line through the built binary: exit codes, the JSON contract, stdin batches,
//! look-ups, and errors that name the file and line.

use serde_json::Value;

use crate::support::{bot, corpus_text, quote_is_verbatim, run, stderr, stdout};

#[test]
fn ask_answers_with_a_cited_verbatim_quote() {
    let o = run(&["ask", "零一萬物是不是把GPU賣給了阿里?"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("卡的事情我不知道是哪裡出來的"), "{out}");
    assert!(out.contains("李開複, 《智能湧現》, 2025-01-07"), "{out}");
    assert!(out.contains("Q5"), "{out}");
}

#[test]
fn ask_abstains_with_exit_1_and_suggestions() {
    let o = run(&["ask", "今天天氣怎麼樣?"], b"");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("The interview doesn't cover that."));
}

#[test]
fn a_figure_the_interview_never_gives_is_not_passed_off() {
    // Staff are discussed, but no head count is given.
    let o = run(&["ask", "零一萬物現在有多少員工?"], b"");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("gives no such figure"),
        "{}",
        stdout(&o)
    );
    // The revenue is given (一個多億), in the interviewer's question shown above the quote.
    let o = run(&["ask", "How much revenue did 01.AI make in 2024?"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("一個多億"), "{}", stdout(&o));
}

#[test]
fn json_contract() {
    let o = run(&["ask", "--json", "--top", "2", "零一綠洲是什麼?"], b"");
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["query"], "零一綠洲是什麼?");
    assert_eq!(v["answered"], true);
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 2);
    let corpus = corpus_text();
    for h in hits {
        for key in [
            "id", "document", "section", "question", "text", "quote", "score",
        ] {
            assert!(h.get(key).is_some(), "missing {key} in {h}");
        }
        assert!(corpus.contains(h["text"].as_str().unwrap()));
        assert!(
            quote_is_verbatim(h["quote"].as_str().unwrap(), &corpus),
            "{h}"
        );
    }
    assert!(hits[0]["text"].as_str().unwrap().contains("零一綠洲"));
}

#[test]
fn stdin_batch_answers_every_line_in_order() {
    let mut input = Vec::new();
    input.extend_from_slice("PopAi是什么产品?\n\n".as_bytes());
    input.extend_from_slice(&[0xff, 0xfe, b'\n']);
    input.extend_from_slice("What is the capital of France?\n".as_bytes());
    let o = run(&["ask", "--json"], &input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["answered"], true);
    assert_eq!(lines[0]["query"], "PopAi是什么产品?");
    assert_eq!(lines[1]["answered"], false);
    assert_eq!(lines[1]["query"], "");
    assert_eq!(lines[2]["answered"], false);
    assert_eq!(lines[3]["answered"], false);
    assert_eq!(lines[3]["query"], "What is the capital of France?");
}

#[test]
fn hostile_questions_get_a_reply_never_an_error() {
    let long = "零一萬物".repeat(25_000);
    let questions = [
        "",
        "   ",
        "\u{200b}\u{200d}\u{feff}",
        "\u{7}\u{1b}[31m紅色",
        "\" : ( ) AND * ~ OR NOT field:value",
        "To B: 業務?",
        "😀🙃🤖",
        "@everyone <@123> <@&456> 零一萬物",
        "مرحبا שלום Привет",
        "a\u{301}\u{302}\u{303}",
    ];
    for q in questions {
        let o = run(&["ask", "--json", q], b"");
        let code = o.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "{q:?}: {code:?} {}",
            stderr(&o)
        );
        let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert!(v["answered"].is_boolean());
    }
    // 100 KB does not fit in an argument: send it on stdin.
    let o = run(&["ask", "--json"], format!("{long}\n").as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["query"].as_str().map(str::len), Some(long.len()));
}

#[test]
fn quote_and_topics() {
    let o = run(&["quote", "q5"], b"");
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.starts_with("《智能湧現》:傳聞中零一萬物的卡(指GPU)賣給了阿里,是怎麼回事?"),
        "{out}"
    );
    assert!(
        out.contains("— 李開複, 《智能湧現》, 2025-01-07 · 超大模型,交給阿里訓 · Q5"),
        "{out}"
    );
    let o = run(&["quote", "Q99"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no passage `Q99`"));
    let o = run(&["topics"], b"");
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for s in [
        "超大模型,交給阿里訓",
        "七成收入來自B端",
        "我們是商業初創公司,不是技術實驗室",
        "Q19",
    ] {
        assert!(out.contains(s), "{s} missing from\n{out}");
    }
}

#[test]
fn check_prints_counts() {
    let o = run(&["check"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        "ok: 1 document(s), 36 passages (19 dialogue, 17 narrative), 3 sections"
    );
}

#[test]
fn broken_corpus_is_an_error_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("ib-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("bad.md"),
        "---\ntitle: T\npublication: P\ndate: 2025-01-07\ninterviewer: 問\ninterviewee: 答\nlanguage: zh-Hant\n---\n\n答:沒有問題的回答。\n",
    )
    .unwrap();
    let o = bot()
        .args(["--corpus", dir.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.md:10: an answer by 答 before any question"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn broken_config_is_an_error_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("ib-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bot.toml");
    std::fs::write(
        &path,
        "corpus_dir = \"c\"\nlexicon_dir = \".\"\nglossary = \"g\"\ntoken = \"secret\"\n",
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_interview-bot"))
        .args(["--config", path.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bot.toml:4: unknown field `token`"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn console_answers_piped_lines_and_commands() {
    let o = run(
        &["chat"],
        "/topics\n零一綠洲是什麼?\n/quote P1\n/quit\n零一萬物\n".as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("七成收入來自B端"));
    assert!(out.contains("零一綠洲"));
    assert!(out.contains("「我們做的是商業公司,不是‘零一萬物技術實驗室’。」"));
}

#[test]
fn bare_command_without_token_starts_the_console_with_a_hint() {
    let o = run(&[], "/quit\n".as_bytes());
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("no DISCORD_TOKEN"), "{}", stderr(&o));
}

/// Runs the bot with its standard output already closed, as `interview-bot … | true` does:
/// the reader is gone before the bot writes its first byte.
fn run_with_stdout_closed(args: &[&str]) -> std::process::Output {
    use std::process::Stdio;
    let mut child = bot()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn interview-bot");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait for interview-bot")
}

#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    // `interview-bot topics | true`, `interview-bot ask 卡 | head -c 10`: no panic, no 101.
    for args in [&["topics"][..], &["ask", "卡"], &["quote", "Q5"]] {
        let o = run_with_stdout_closed(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}

#[test]
fn a_single_ask_exits_1_on_an_abstention_and_a_batch_exits_0() {
    // As the README says: one question's exit code says whether it was answered, in text
    // and in JSON; a stdin batch exits 0 whatever its answers.
    for args in [
        &["ask", "今天天氣怎麼樣?"][..],
        &["ask", "--json", "今天天氣怎麼樣?"],
    ] {
        let o = run(args, b"");
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stdout(&o));
    }
    let o = run(&["ask", "--json"], "今天天氣怎麼樣?\n".as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["answered"], false);
}

#[test]
fn a_date_that_is_no_calendar_date_is_refused_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("ib-date-{}", std::process::id()));
    for date in ["2025-13-07", "2025-02-30"] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("bad.md"),
            format!("---\ntitle: T\npublication: P\ndate: {date}\ninterviewer: 問\ninterviewee: 答\nlanguage: zh-Hant\n---\n\n問:一個問題?\n\n答:一個回答。\n"),
        )
        .unwrap();
        let o = bot()
            .args(["--corpus", dir.to_str().unwrap(), "check"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{date}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("bad.md:4: date `{date}` is no calendar date")),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn an_empty_corpus_directory_says_it_holds_no_interview() {
    let dir = std::env::temp_dir().join(format!("ib-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = bot()
        .args(["--corpus", dir.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("no interview files"), "{err}");
    assert!(err.contains(dir.to_str().unwrap()), "{err}");
    assert!(!err.contains(":0:"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_environment_value_names_the_variable_and_the_value() {
    let o = bot()
        .env("INTERVIEW_BOT_BURST", "abc")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("$INTERVIEW_BOT_BURST=\"abc\": expected a whole number"),
        "{err}"
    );
    assert!(!err.contains(":0:"), "{err}");
}

#[test]
fn top_0_is_refused() {
    let o = run(&["ask", "--json", "--top", "0", "零一綠洲是什麼?"], b"");
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("--top"), "{}", stderr(&o));
}

#[test]
fn a_passage_id_asked_as_a_question_shows_that_passage() {
    let o = run(&["ask", "Q16"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let quoted = run(&["quote", "Q16"], b"");
    assert_eq!(out, stdout(&quoted));
    assert!(out.trim_end().ends_with("· Q16"), "{out}");
}

#[test]
fn a_follow_up_with_nothing_to_follow_says_so() {
    for q in [
        "還有呢?",
        "然後呢?",
        "其他呢?",
        "what else?",
        "Anything else?",
    ] {
        let o = run(&["ask", q], b"");
        assert_eq!(o.status.code(), Some(1), "{q}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("A follow-up needs a previous answer"),
            "{q}: {}",
            stdout(&o)
        );
        let o = run(&["ask", "--json", q], b"");
        let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert_eq!(v["answered"], false, "{q}");
        assert_eq!(v["hits"], serde_json::json!([]), "{q}");
    }
    // A follow-up word beside a topic is a question like any other.
    let o = run(&["ask", "還有哪些遊戲業務?"], b"");
    assert!(
        !stdout(&o).contains("A follow-up needs a previous answer"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn console_asks_for_the_id_and_names_an_unknown_command() {
    let o = run(&["chat"], "/quote\n/frobnicate now\n還有呢?\n".as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("No passage ``"), "{out}");
    assert!(out.contains("Give its id, e.g. /quote Q5"), "{out}");
    assert!(out.contains("Unknown command /frobnicate."), "{out}");
    assert!(
        out.contains("/topics     list the sections"),
        "help follows: {out}"
    );
    assert!(out.contains("A follow-up needs a previous answer"), "{out}");
}

#[test]
fn glossary_writes_the_configured_file_or_prints_it() {
    let dir = std::env::temp_dir().join(format!("ib-glossary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = crate::support::root();
    let config = dir.join("bot.toml");
    std::fs::write(
        &config,
        format!(
            "corpus_dir = {:?}\nlexicon_dir = {:?}\nglossary = \"glossary.tsv\"\n",
            root.join("corpus"),
            root.join("config")
        ),
    )
    .unwrap();
    let cedict = dir.join("cedict.txt");
    std::fs::write(
        &cedict,
        "# a tiny CC-CEDICT\n遊戲 游戏 [you2 xi4] /game/CL:場|场[chang3]/\n",
    )
    .unwrap();
    let glossary = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_interview-bot"))
            .args(["--config", config.to_str().unwrap(), "glossary", "--cedict"])
            .arg(&cedict)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = glossary(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "the file is written, not printed");
    let written = std::fs::read_to_string(dir.join("glossary.tsv")).unwrap();
    assert!(written.contains("\ngame\t游戏\n"), "{written}");
    assert!(stderr(&o).contains("glossary.tsv"), "{}", stderr(&o));
    let o = glossary(&["--stdout"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), written);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ask_on_a_terminal_without_a_question_says_how_to_ask() {
    // A terminal needs a pseudo-terminal: `script` (util-linux) gives the bot one.
    let script_works = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !script_works {
        eprintln!("skipped: no `script` to give the bot a terminal");
        return;
    }
    let command = format!(
        "'{}' --config '{}' ask",
        env!("CARGO_BIN_EXE_interview-bot"),
        crate::support::config_path().display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("`ask` on a terminal hung after its input ended");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    let shown = stdout(&o);
    assert!(
        shown.contains("reading questions from standard input"),
        "{shown}"
    );
    assert!(shown.contains("interview-bot ask \"QUESTION\""), "{shown}");
}
