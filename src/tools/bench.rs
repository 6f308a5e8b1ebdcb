/*!
Benchmarks that print figures: start-up, question latency, memory.

`interview-bot bench` measures the real path — `Engine::load` for start-up, and for each
question what the Discord front end does: `Engine::ask_quoting` with [`Quoting::Best`] (the
embed lists further passages by label) and the Discord rendering — over a question set
repeated to at least 10,000 questions. Figures are printed, never asserted: tests do not
time things.
*/

use std::time::Instant;

use serde::Serialize;

use crate::answer::Quoting;
use crate::config::Config;
use crate::corpus::{Corpus, PassageKind};
use crate::error::Result;
use crate::render;
use crate::retrieval::Engine;

/// The figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Passages indexed.
    pub passages: usize,
    /// Config + corpus + analyzer + index, milliseconds.
    pub startup_ms: f64,
    /// Questions timed.
    pub questions: usize,
    /// Median latency of retrieve + render, microseconds.
    pub query_p50_us: f64,
    /// 99th percentile, microseconds.
    pub query_p99_us: f64,
    /// Slowest question, microseconds.
    pub query_max_us: f64,
    /// Median latency of a question asked for the first time (its vector computed by the
    /// encoder; the repeated ones above come from the bounded cache), microseconds.
    pub new_query_p50_us: f64,
    /// 99th percentile of first-time questions, microseconds.
    pub new_query_p99_us: f64,
    /// Whether semantic matching (the encoder) was in the path.
    pub semantic: bool,
    /// Peak resident memory of the process, MiB.
    pub rss_mib: f64,
    /// With `--scale`: seconds to build the engine for the synthetic library.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_s: Option<f64>,
    /// With `--scale`: bytes of the search index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_bytes: Option<u64>,
}

/// What `interview-bot bench` measures: the committed library, or with `scale` a synthetic
/// one of that many interviews built from it.
pub fn measure(config: &Config, questions: &[String], scale: Option<usize>) -> Result<Figures> {
    Ok(match scale {
        None => run(config, questions, 10_000)?.1,
        Some(n) => {
            let real = crate::load::corpus(&config.corpus_dir)?;
            let library = synthetic_library(&real, n)?;
            let t = Instant::now();
            let engine = crate::load::engine_with_corpus(config, library)?;
            let build_ms = t.elapsed().as_secs_f64() * 1e3;
            let mut f = time_questions(&engine, questions, 2_000, build_ms);
            f.build_s = Some(build_ms / 1e3);
            f.index_bytes = Some(engine.index_bytes());
            f
        }
    })
}

/// Loads the engine from `config` and times `questions`, repeated to at least `min_total`.
pub fn run(config: &Config, questions: &[String], min_total: usize) -> Result<(Engine, Figures)> {
    let t = Instant::now();
    let engine = crate::load::engine(config)?;
    let startup_ms = t.elapsed().as_secs_f64() * 1e3;
    let figures = time_questions(&engine, questions, min_total, startup_ms);
    Ok((engine, figures))
}

/// Times ask + render of each question over an already loaded engine.
pub fn time_questions(
    engine: &Engine,
    questions: &[String],
    min_total: usize,
    startup_ms: f64,
) -> Figures {
    let mut times: Vec<f64> = Vec::with_capacity(min_total + questions.len());
    // One warm-up pass: first touches of pages and caches are not what users see.
    for q in questions {
        std::hint::black_box(render::discord::embed(
            &engine.ask_quoting(q, Quoting::Best),
            engine.corpus(),
        ));
    }
    while !questions.is_empty() && times.len() < min_total {
        for q in questions {
            let t = Instant::now();
            let answer = engine.ask_quoting(q, Quoting::Best);
            let embed = render::discord::embed(&answer, engine.corpus());
            std::hint::black_box(embed);
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    // First-time questions: the cache forgotten before each, a few rounds.
    let mut fresh: Vec<f64> = Vec::new();
    for _ in 0..3 {
        for q in questions {
            if let Some(d) = engine.dense() {
                d.forget_questions();
            }
            let t = Instant::now();
            let answer = engine.ask_quoting(q, Quoting::Best);
            std::hint::black_box(render::discord::embed(&answer, engine.corpus()));
            fresh.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    fresh.sort_by(f64::total_cmp);
    let at = |v: &[f64], p: f64| {
        if v.is_empty() {
            0.0
        } else {
            v[((v.len() - 1) as f64 * p).round() as usize]
        }
    };
    let pct = |p: f64| at(&times, p);
    Figures {
        passages: engine.corpus().passages.len(),
        startup_ms,
        questions: times.len(),
        query_p50_us: pct(0.50),
        query_p99_us: pct(0.99),
        query_max_us: times.last().copied().unwrap_or(0.0),
        new_query_p50_us: at(&fresh, 0.50),
        new_query_p99_us: at(&fresh, 0.99),
        semantic: engine.dense().is_some_and(|d| d.is_ready()),
        rss_mib: peak_rss_mib(),
        build_s: None,
        index_bytes: None,
    }
}

/// A library of `n` synthetic interviews made from `real`: each keeps the real questions and
/// narrative but pairs them with answers and paragraphs of other passages, rotated per
/// interview, so the vocabulary stays real Chinese while the documents differ. They are
/// written as corpus files and parsed, like any interview.
pub fn synthetic_library(real: &Corpus, n: usize) -> Result<Corpus> {
    let mut library = Corpus::default();
    let dialogue: Vec<_> = real
        .passages
        .iter()
        .filter(|p| p.kind == PassageKind::Dialogue)
        .collect();
    let narrative: Vec<_> = real
        .passages
        .iter()
        .filter(|p| p.kind == PassageKind::Narrative)
        .collect();
    let Some(doc) = real.documents.first() else {
        return Ok(library);
    };
    let m = &doc.meta;
    for i in 0..n {
        let mut text = format!(
            "---\ntitle: {} ({i})\npublication: {}\ndate: {}\ninterviewer: {}\ninterviewee: {}\nlanguage: {}\n---\n\n",
            m.title, m.publication, m.date, m.interviewer, m.interviewee, m.language
        );
        for (j, p) in narrative.iter().enumerate() {
            let _ = p;
            text.push_str(&narrative[(j + 2 * i) % narrative.len()].answer);
            text.push_str("\n\n");
        }
        for (j, p) in dialogue.iter().enumerate() {
            if j % 7 == 0 {
                text.push_str(&format!("## 第{}部分\n\n", j / 7 + 1));
            }
            let answer = &dialogue[(j + i) % dialogue.len()].answer;
            text.push_str(&format!(
                "{}:{}\n\n{}:{}\n\n",
                m.interviewer,
                p.question.as_deref().unwrap_or_default(),
                m.interviewee,
                answer
            ));
        }
        let path = std::path::PathBuf::from(format!("synthetic/interview-{i:05}.md"));
        library.add_file(&path, text.as_bytes())?;
    }
    Ok(library)
}

/// Peak resident set size of this process (Linux `VmHWM`), MiB; 0 where unknown.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "passages      {}", self.passages)?;
        writeln!(f, "start-up      {:.1} ms", self.startup_ms)?;
        writeln!(f, "questions     {}", self.questions)?;
        writeln!(f, "latency p50   {:.1} µs", self.query_p50_us)?;
        writeln!(f, "latency p99   {:.1} µs", self.query_p99_us)?;
        writeln!(f, "latency max   {:.1} µs", self.query_max_us)?;
        writeln!(f, "semantic      {}", self.semantic)?;
        writeln!(f, "first-time p50 {:.1} µs", self.new_query_p50_us)?;
        writeln!(f, "first-time p99 {:.1} µs", self.new_query_p99_us)?;
        write!(f, "peak RSS      {:.1} MiB", self.rss_mib)?;
        if let Some(b) = self.build_s {
            write!(f, "\nbuild         {b:.2} s")?;
        }
        if let Some(b) = self.index_bytes {
            write!(f, "\nindex         {:.1} MiB", b as f64 / 1_048_576.0)?;
        }
        Ok(())
    }
}
