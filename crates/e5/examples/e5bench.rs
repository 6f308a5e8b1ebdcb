//! `e5bench`: load time, query latency, per-passage cost and peak memory of
//! the encoder, printed as one JSON object.
//!
//! usage: e5bench [--model PATH] [--kernel scalar|avx2|avxvnni|avx512vnni]
//!                [--repeats N] [--passage-repeats N]
//!
//! Queries: 30 interview questions (Traditional and Simplified Chinese,
//! English, mixed), each encoded `repeats` times after one warm-up pass; the
//! percentiles are over all those calls. Passages: texts cut to about 64, 128,
//! 256 and 510 tokens, each encoded `passage-repeats` times. Peak memory is the
//! process's VmHWM from /proc/self/status.

use std::time::Instant;

use e5::{Encoder, InputKind, Kernel};

const QUESTIONS: [&str; 30] = [
    "零一萬物是不是把GPU賣給了阿里?",
    "預訓練團隊後來去了哪裡?",
    "李開複怎麼看Scaling Law?",
    "零一萬物以後還會訓練比Yi-Lightning更大的模型嗎?",
    "為什麼需要跟大廠合作訓練超大模型?",
    "公司現在還在虧本嗎?",
    "他們的企業生意主要賣給誰?",
    "零一萬物今年最重要的目標是什麼?",
    "遊戲和金融業務為什麼要拆分出去?",
    "李開複對年輕創業者有什麼建議?",
    "零一萬物有沒有自己的顯卡?",
    "開源模型的價格戰對他們有什麼影響?",
    "零一万物和阿里成立的联合实验室做什么?",
    "李开复说创业公司应该怎么花钱?",
    "他们在海外的消费级产品增长怎么样?",
    "零一万物会考虑上市吗?",
    "Did 01.AI sell its GPUs to Alibaba?",
    "What happened to the pre-training team at 01.AI?",
    "Will 01.AI keep training models larger than Yi-Lightning?",
    "Why did the company split off its gaming and finance businesses?",
    "How does Kai-Fu Lee see the scaling law now?",
    "Is 01.AI profitable, and when does it expect to break even?",
    "What is the company's main source of revenue in 2025?",
    "What advice does Kai-Fu Lee give to young founders?",
    "To B 業務和 To C 業務哪個比較賺錢?",
    "DeepSeek 出來以後,零一萬物的策略有變嗎?",
    "Yi-Lightning 的推理成本大概是多少?",
    "李開複說的 teacher model 是什麼意思?",
    "零一萬物的 AGI 夢想還在嗎?",
    "阿里雲和零一萬物是什麼合作關係?",
];

const PASSAGE_PARTS: [&str; 8] = [
    "這家創業公司在成立第二年調整了方向,從追求最大的模型轉向做小參數、適中的行業模型。",
    "創始人認為,超大模型的預訓練成本太高,只有大廠才燒得起,初創公司應該把每一塊錢用在刀口上。",
    "他們把遊戲和金融兩條業務線拆分出去,讓團隊聚焦在一個垂直領域,獨立運營並尋找新的投資人。",
    "The company never owned its accelerators; it rented compute from a cloud provider.",
    "公司並不擁有自己的顯卡,而是通過雲服務的模式租用算力,所以外界關於賣卡的傳言並不成立。",
    "在國內市場,企業客戶更在意交付速度與價格;在海外市場,訂閱制的消費級產品反而增長得更快。",
    "Open-source models have started a fierce price war, but good data remains a real moat.",
    "今年被視為商業化的決勝之年,收入、毛利和現金流成了管理層每週都要檢查的三個數字。",
];

struct Args {
    model: String,
    kernel: Option<Kernel>,
    repeats: usize,
    passage_repeats: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        model: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/e5-small-zh-en-q4.bin"
        )
        .to_string(),
        kernel: None,
        repeats: 10,
        passage_repeats: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => a.model = value()?,
            "--kernel" => {
                let v = value()?;
                a.kernel = Some(Kernel::from_name(&v).ok_or(format!("unknown kernel {v}"))?);
            }
            "--repeats" => a.repeats = value()?.parse().map_err(|e| format!("{e}"))?,
            "--passage-repeats" => {
                a.passage_repeats = value()?.parse().map_err(|e| format!("{e}"))?
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(a)
}

fn proc_status_field(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A passage of about `tokens` content tokens (prefix included).
fn passage_of(enc: &Encoder, tokens: usize) -> String {
    let mut text = String::new();
    let mut i = 0;
    loop {
        let next = format!("{text}{}", PASSAGE_PARTS[i % PASSAGE_PARTS.len()]);
        let n = enc
            .tokenizer()
            .content_ids_with_prefix(InputKind::Passage, &next)
            .len();
        if n > tokens && !text.is_empty() {
            return text;
        }
        text = next;
        i += 1;
        if n >= tokens {
            return text;
        }
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("e5bench: {e}");
            std::process::exit(2);
        }
    };
    let t0 = Instant::now();
    let loaded = match args.kernel {
        Some(k) => Encoder::load_with_kernel(&args.model, k),
        None => Encoder::load(&args.model),
    };
    let enc = match loaded {
        Ok(e) => e,
        Err(e) => {
            eprintln!("e5bench: {e}");
            std::process::exit(1);
        }
    };
    let load_ms = ms(t0.elapsed());
    let rss_after_load = proc_status_field("VmRSS:").unwrap_or(0);

    // Queries.
    let token_counts: Vec<usize> = QUESTIONS
        .iter()
        .map(|q| enc.tokenizer().encode(InputKind::Query, q).len())
        .collect();
    let t = Instant::now();
    for q in QUESTIONS {
        std::hint::black_box(enc.encode_query(q));
    }
    let first_pass_ms = ms(t.elapsed()) / QUESTIONS.len() as f64;
    let mut lat = Vec::with_capacity(QUESTIONS.len() * args.repeats);
    for _ in 0..args.repeats {
        for q in QUESTIONS {
            let t = Instant::now();
            std::hint::black_box(enc.encode_query(q));
            lat.push(ms(t.elapsed()));
        }
    }
    lat.sort_by(f64::total_cmp);
    let tok_t = Instant::now();
    for _ in 0..10 {
        for q in QUESTIONS {
            std::hint::black_box(enc.tokenizer().encode(InputKind::Query, q));
        }
    }
    let tokenize_us = tok_t.elapsed().as_secs_f64() * 1e6 / (10 * QUESTIONS.len()) as f64;

    // Passages.
    let mut passages = Vec::new();
    for target in [64, 128, 256, 510] {
        let text = passage_of(&enc, target);
        let n = enc.tokenizer().encode(InputKind::Passage, &text).len();
        std::hint::black_box(enc.encode_passage(&text));
        let mut times = Vec::new();
        for _ in 0..args.passage_repeats.max(1) {
            let t = Instant::now();
            std::hint::black_box(enc.encode_passage(&text));
            times.push(ms(t.elapsed()));
        }
        times.sort_by(f64::total_cmp);
        passages.push(format!(
            "{{\"tokens\": {n}, \"median_ms\": {:.2}, \"min_ms\": {:.2}, \"max_ms\": {:.2}}}",
            percentile(&times, 0.5),
            times[0],
            times[times.len() - 1]
        ));
    }

    // Short passages, one by one and batched (the batch shares forward passes).
    let shorts: Vec<&str> = QUESTIONS.to_vec();
    let t = Instant::now();
    for s in &shorts {
        std::hint::black_box(enc.encode_passage(s));
    }
    let single_ms = ms(t.elapsed()) / shorts.len() as f64;
    let t = Instant::now();
    std::hint::black_box(enc.encode_passages(&shorts));
    let batched_ms = ms(t.elapsed()) / shorts.len() as f64;

    let peak = proc_status_field("VmHWM:").unwrap_or(0);
    let threads = proc_status_field("Threads:").unwrap_or(0);
    let rss = proc_status_field("VmRSS:").unwrap_or(0);
    println!("{{");
    println!("  \"model\": {:?},", args.model);
    println!("  \"kernel\": \"{}\",", enc.kernel().name());
    println!("  \"threads_in_process\": {threads},");
    println!("  \"load_ms\": {load_ms:.1},");
    println!(
        "  \"query\": {{\"questions\": {}, \"repeats\": {}, \"tokens_min\": {}, \"tokens_max\": {}, \"tokens_mean\": {:.1}, \"first_pass_mean_ms\": {first_pass_ms:.2}, \"p50_ms\": {:.2}, \"p90_ms\": {:.2}, \"p99_ms\": {:.2}, \"min_ms\": {:.2}, \"max_ms\": {:.2}, \"tokenize_us\": {tokenize_us:.1}}},",
        QUESTIONS.len(),
        args.repeats,
        token_counts.iter().min().unwrap_or(&0),
        token_counts.iter().max().unwrap_or(&0),
        token_counts.iter().sum::<usize>() as f64 / token_counts.len() as f64,
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        lat[0],
        lat[lat.len() - 1],
    );
    println!("  \"passages\": [{}],", passages.join(", "));
    println!(
        "  \"short_passages\": {{\"count\": {}, \"one_by_one_ms_each\": {single_ms:.2}, \"batched_ms_each\": {batched_ms:.2}}},",
        shorts.len()
    );
    println!(
        "  \"memory\": {{\"model_heap_mib\": {:.1}, \"rss_after_load_mib\": {:.1}, \"rss_mib\": {:.1}, \"peak_rss_mib\": {:.1}}}",
        enc.heap_bytes() as f64 / 1048576.0,
        rss_after_load as f64 / 1024.0,
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    println!("}}");
}
