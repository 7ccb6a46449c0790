//! Parses and extracts every file of the given folders and prints per-file and overall figures:
//! how many entries and items, and how often a summary or title breaks an extraction rule.
//! `cargo run --example corpus_figures -- /work/shared/corpus/feeds /work/shared/corpus/bad`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use roundup::config::{Filters, Source, SourceKind};
use roundup::extract::{extract, Context};
use roundup::parse::feed::parse;

#[derive(Default)]
struct Totals {
    files: usize,
    failed: usize,
    items: usize,
    real_author: usize,
    fallback_author: usize,
    lt: usize,
    entity: usize,
    ellipsis_brackets: usize,
    appeared_first: usize,
    continue_reading: usize,
    double_space: usize,
    over_cap: usize,
    empty_title: usize,
    empty_summary: usize,
    non_http: usize,
    time: Duration,
    parse_time: Duration,
    panics: usize,
}

/// With FUZZ set: every file is also cut at many points and has bytes flipped; parse and extract
/// must never panic on any of it. Returns the number of panics.
fn fuzz(bytes: &[u8]) -> usize {
    let mut panics = 0;
    let base = url::Url::parse("https://corpus.example/f").expect("static URL");
    let source = Source {
        name: "fuzz".to_owned(),
        url: base.clone(),
        kind: SourceKind::Feed,
        author: None,
        filters: Filters::default(),
    };
    let run = |body: &[u8]| {
        std::panic::catch_unwind(|| {
            if let Ok(feed) = parse(body, Some(&base)) {
                let cx = Context {
                    source: &source,
                    global: &Filters::default(),
                    aliases: &BTreeMap::new(),
                    base: Some(&base),
                    now: chrono::Utc::now(),
                    max_items: 1000,
                };
                extract(&feed, &cx);
            }
        })
        .is_err()
    };
    let n = bytes.len();
    for i in 1..40 {
        let cut = n * i / 40;
        panics += usize::from(run(&bytes[..cut]));
        let mut flipped = bytes.to_vec();
        if let Some(b) = flipped.get_mut(cut) {
            *b = [b'<', b'&', b'>', 0xff, b'"'][i % 5];
        }
        panics += usize::from(run(&flipped));
    }
    panics
}

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let entity =
        regex::Regex::new(r"&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);").expect("valid regex");
    let mut t = Totals::default();
    let now = chrono::Utc::now();
    let aliases = BTreeMap::new();
    let global = Filters::default();
    for dir in dirs {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                eprintln!("cannot read {}: {e}", dir.display());
                continue;
            }
        };
        files.sort();
        println!("== {}", dir.display());
        for path in files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            t.files += 1;
            if std::env::var_os("FUZZ").is_some() {
                t.panics += fuzz(&bytes);
            }
            let base = url::Url::parse(&format!("https://corpus.example/{name}"))
                .expect("file names make URLs");
            let source = Source {
                name: name.clone(),
                url: base.clone(),
                kind: SourceKind::Feed,
                author: None,
                filters: Filters::default(),
            };
            let start = Instant::now();
            let parsed = parse(&bytes, Some(&base));
            let parse_elapsed = start.elapsed();
            t.parse_time += parse_elapsed;
            let out = parsed.as_ref().ok().map(|feed| {
                let cx = Context {
                    source: &source,
                    global: &global,
                    aliases: &aliases,
                    base: Some(&base),
                    now,
                    max_items: 1000,
                };
                extract(feed, &cx)
            });
            t.time += start.elapsed();
            if std::env::var_os("TIMES").is_some() {
                println!(
                    "    time {:?} extract {:?}",
                    start.elapsed(),
                    start.elapsed().saturating_sub(parse_elapsed)
                );
            }
            match (&parsed, out) {
                (Ok(feed), Some(out)) => {
                    println!(
                        "{name:60} entries {:4} items {:4}{}",
                        feed.entries.len(),
                        out.items.len(),
                        if out.dropped.is_empty() {
                            String::new()
                        } else {
                            format!("  dropped: {}", out.dropped.join("; "))
                        }
                    );
                    for item in &out.items {
                        t.items += 1;
                        if item.author == source.name {
                            t.fallback_author += 1
                        } else {
                            t.real_author += 1
                        }
                        let s = &item.summary;
                        let mut bad = Vec::new();
                        if s.contains('<') || item.title.contains('<') {
                            t.lt += 1;
                            bad.push("<")
                        }
                        if entity.is_match(s) || entity.is_match(&item.title) {
                            t.entity += 1;
                            bad.push("entity")
                        }
                        if s.contains("[…]") || s.contains("[...]") {
                            t.ellipsis_brackets += 1;
                            bad.push("[…]")
                        }
                        if s.contains("appeared first on") {
                            t.appeared_first += 1;
                            bad.push("appeared first")
                        }
                        if s.contains("Continue reading") {
                            t.continue_reading += 1;
                            bad.push("continue reading")
                        }
                        if s.contains("  ") || item.title.contains("  ") {
                            t.double_space += 1;
                            bad.push("double space")
                        }
                        if s.split_whitespace().count() > 140 {
                            t.over_cap += 1;
                            bad.push("over 140 words")
                        }
                        if item.title.trim().is_empty() {
                            t.empty_title += 1;
                            bad.push("empty title")
                        }
                        if s.is_empty() {
                            t.empty_summary += 1
                        }
                        if !(item.link.starts_with("http://") || item.link.starts_with("https://"))
                        {
                            t.non_http += 1;
                            bad.push("non-http link")
                        }
                        if !bad.is_empty() && std::env::var_os("VERBOSE").is_some() {
                            println!("    {bad:?}: {} | {}", item.title, s);
                        }
                        if std::env::var_os("SHOW").is_some() {
                            println!(
                                "    - {} | {} | {}\n      {}",
                                item.title, item.author, item.link, s
                            );
                        }
                    }
                    if out.items.is_empty() && dir.ends_with("feeds") {
                        t.failed += 1
                    }
                }
                (Err(e), _) => {
                    t.failed += 1;
                    println!("{name:60} error: {e}");
                }
                _ => {}
            }
        }
    }
    let pct = |n: usize| {
        if t.items == 0 {
            0.0
        } else {
            100.0 * n as f64 / t.items as f64
        }
    };
    println!(
        "\n== overall: {} files, {} errors or empty, {} items in {:?} (parse {:?}, extract {:?})",
        t.files,
        t.failed,
        t.items,
        t.time,
        t.parse_time,
        t.time.saturating_sub(t.parse_time)
    );
    println!(
        "author from the feed: {} ({:.1}%), source-name fallback: {} ({:.1}%)",
        t.real_author,
        pct(t.real_author),
        t.fallback_author,
        pct(t.fallback_author)
    );
    println!("summaries/titles with '<': {}, entities: {}, '[…]': {}, 'appeared first on': {}, 'Continue reading': {}, double spaces: {}, over 140 words: {}",
        t.lt, t.entity, t.ellipsis_brackets, t.appeared_first, t.continue_reading, t.double_space, t.over_cap);
    println!("panics: {}", t.panics);
    println!(
        "empty titles: {}, empty summaries: {}, non-http links: {}",
        t.empty_title, t.empty_summary, t.non_http
    );
}
