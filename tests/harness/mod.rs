//! What the fuzzers drive, shared by the in-suite smoke run (`tests/fuzz.rs`) and the cargo-fuzz
//! targets (`fuzz/fuzz_targets/`), which include this file by path.
//!
//! - `feed`: bytes as a server sends them, through parse, extraction and rendering (and through
//!   the HTML scraper, as an HTML source's page).
//! - `Desk::publish`: bytes as an editor's draft file, through `publish` against a store that
//!   holds the draft's posts and its record.
//!
//! Errors are expected; a panic is the bug. Every text rendered is checked to carry no raw
//! control character and no line longer than the bounds allow.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use roundup::config::{Config, SourceKind};
use roundup::draft::{DraftOptions, Output};
use roundup::extract::{extract, Context};
use roundup::render::{DraftView, ItemView, Renderer};
use roundup::shorten::Shortener;
use roundup::store::Store;

/// A config with one feed source and one HTML source, builtin short links.
const CONFIG: &str = r#"[roundup]
since = "2000-01-01"

[shortener]
kind = "builtin"
base_url = "http://127.0.0.1:9/"

[[series]]
prefix = "Part"

[[source]]
name = "Fuzzed feed"
url = "https://blog.example/feed/"

[[source]]
name = "Fuzzed page"
url = "https://blog.example/"
kind = "html"
item = "article"
title = "h2"
link = "h2 a"
summary = "p"
author_selector = ".byline"
date = "time"
"#;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub fn config(dir: &Path) -> Config {
    let text = format!("[store]\npath = \"{}\"\n{CONFIG}", dir.join("db").display());
    Config::parse(&dir.join("roundup.toml"), &text).expect("the fuzz config is valid")
}

/// Parses, extracts and renders `bytes` as a feed, then as an HTML source's page.
pub fn feed(cfg: &Config, bytes: &[u8]) {
    let source = &cfg.sources[0];
    let base = source.url.clone();
    if let Ok(parsed) = roundup::parse::feed::parse(bytes, Some(&base)) {
        render(cfg, &parsed, 0);
    }
    if let SourceKind::Html(sel) = &cfg.sources[1].kind {
        if let Ok(parsed) = roundup::parse::html::scrape(bytes, sel, &base) {
            render(cfg, &parsed, 1);
        }
    }
}

fn render(cfg: &Config, parsed: &roundup::parse::ParsedFeed, source: usize) {
    let cx = Context {
        source: &cfg.sources[source],
        global: &cfg.filters,
        aliases: &cfg.authors,
        base: Some(&cfg.sources[source].url),
        now: now(),
        max_items: 200,
    };
    let extracted = extract(parsed, &cx);
    let items = extracted
        .items
        .iter()
        .map(|i| ItemView {
            title: i.title.clone(),
            author: i.author.clone(),
            summary: i.summary.clone(),
            link: i.link.clone(),
            full_link: i.link.clone(),
        })
        .collect();
    let view = DraftView {
        title: "Fuzzed roundup".into(),
        author: String::new(),
        date: "2026-11-02 09:00:00 UTC".into(),
        tags: "blogs".into(),
        intro: "Intro.".into(),
        empty: extracted.items.is_empty(),
        empty_text: "Nothing.".into(),
        series: Vec::new(),
        series_outro: String::new(),
        items,
        read_more: "... read more at".into(),
    };
    let md = Renderer::builtin()
        .render(view)
        .expect("the built-in template renders");
    check_rendered(&md);
}

/// What every rendered draft holds to, whatever the feed sent.
pub fn check_rendered(md: &str) {
    for line in md.lines() {
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "a control character in {line:?}"
        );
        // A summary (2000 characters) with its escapes and the quote marker is the longest.
        assert!(
            line.chars().count() <= 4100,
            "a line of {} characters",
            line.len()
        );
    }
    assert!(!md.contains("](javascript:"), "a script link in {md}");
}

/// A store holding a draft's posts and the draft's record, and the draft file's path.
pub struct Desk {
    pub dir: tempfile::TempDir,
    pub cfg: Config,
    pub store: Store,
    pub file: PathBuf,
    /// The draft as roundup wrote it.
    pub draft: String,
}

impl Desk {
    /// Stores the posts of `feed` (and one series post), then drafts them into `draft.md`.
    pub fn new(feed: &[u8]) -> Desk {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cfg = config(dir.path());
        let store = Store::open(&cfg.store.path).expect("the store opens");
        let parsed = roundup::parse::feed::parse(feed, Some(&cfg.sources[0].url))
            .expect("the desk's feed parses");
        let cx = Context {
            source: &cfg.sources[0],
            global: &cfg.filters,
            aliases: &cfg.authors,
            base: None,
            now: now(),
            max_items: 200,
        };
        let items = extract(&parsed, &cx).items;
        assert!(!items.is_empty(), "the desk's feed has posts");
        store.put_items(&items).expect("stored");
        let shortener =
            Shortener::new(&cfg.shortener, store.clone(), || Ok(reqwest::Client::new()))
                .expect("the builtin shortener");
        let file = dir.path().join("draft.md");
        let opts = DraftOptions {
            out: Output::File(file.clone()),
            ..DraftOptions::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime
            .block_on(roundup::draft::run(&cfg, &store, &shortener, &opts, now()))
            .expect("drafted");
        let draft = std::fs::read_to_string(&file).expect("the draft was written");
        Desk {
            dir,
            cfg,
            store,
            file,
            draft,
        }
    }

    /// Publishes `bytes` as the edited draft file. Refusals are fine; a panic is not.
    pub fn publish(&self, bytes: &[u8]) {
        std::fs::write(&self.file, bytes).expect("the draft file is written");
        let _ = roundup::publish::run(&self.cfg, &self.store, &self.file, now());
    }
}

/// A feed in the shape the desk needs: posts with titles, authors, summaries and a series.
pub const DESK_FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Desk</title><link>https://blog.example/</link>
<item><title>Part 1: the *first* [post]</title><link>https://blog.example/2026/10/part-1/</link><dc:creator>Ann Example</dc:creator><pubDate>Mon, 26 Oct 2026 10:00:00 +0000</pubDate><description>The opening paragraph of the first part, long enough to be a summary of it.</description></item>
<item><title>Containers_and_the_cloud &amp; more</title><link>https://blog.example/2026/10/containers/</link><dc:creator>Bob Example</dc:creator><pubDate>Tue, 27 Oct 2026 10:00:00 +0000</pubDate><description>In recent years, different groups started looking at containers; this is what they found.</description></item>
<item><title>&gt; A quoted title with a (paren)</title><link>https://blog.example/2026/10/a_b(c)/</link><pubDate>Wed, 28 Oct 2026 10:00:00 +0000</pubDate><description>A third post whose link has brackets and underscores in it, and words enough.</description></item>
</channel></rss>"#;

/// Small deterministic generator (xorshift64*), so a smoke run is the same run every time.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bits a hostile or broken input is made of, spliced in by `mutate`.
const SPLICES: &[&[u8]] = &[
    b"<",
    b"&",
    b"]]>",
    b"<![CDATA[",
    b"\0",
    "\u{202E}".as_bytes(),
    "\u{200B}".as_bytes(),
    "\u{a0}".as_bytes(),
    "”".as_bytes(),
    b"@e.example",
    b"&#x10FFFF;",
    b"&#xD800;",
    b"&#0;",
    b"</item>",
    b"<item>",
    b"</entry><entry>",
    b"<title>",
    b"<link>javascript:alert(1)</link>",
    b"<author>\xe2\x80\x9dx@e.example</author>",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"](",
    b"---\n",
    b"<!--",
    b"-->",
    b"**",
    b"http://",
    b"\n> ",
    b"\n* [",
    b"\xff\xfe",
    b"\xc3",
    b"%28",
];

/// `input` with one to four cuts, flipped bytes, splices, deletions or copies.
pub fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 => out.truncate(at),
            1 => {
                if at < out.len() {
                    out[at] ^= 1 << rng.below(8);
                }
            }
            2 | 3 => {
                let splice = SPLICES[rng.below(SPLICES.len())];
                out.splice(at..at, splice.iter().copied());
            }
            4 => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            _ => {
                let end = (at + rng.below(256)).min(out.len());
                let copy = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, copy);
            }
        }
    }
    out
}
