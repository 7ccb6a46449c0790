//! `cargo bench`: the stages of the pipeline on made-up data of the shape real blogs publish.
//!
//! - `parse_extract`: one feed of 20 posts (several paragraphs of HTML each) from bytes to
//!   stored items, per format: RSS 2.0 (WordPress), Atom (Blogger), JSON Feed, RSS 1.0.
//! - `unseen`: reading the unseen items of a store that also holds many published ones
//!   (selection must not grow with what is already out).
//! - `draft`: a whole draft to standard output (selection, builtin short links, rendering)
//!   of 50 and 2,000 unseen posts.
//!
//! The whole-program figures (polls over HTTP, drafts over big stores) are `bench/poll.sh`.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use divan::Bencher;
use roundup::config::Config;
use roundup::draft::{DraftOptions, Output};
use roundup::item::{Item, ItemState};
use roundup::shorten::Shortener;
use roundup::store::Store;

fn main() {
    divan::main();
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

const WORDS: &[&str] = &[
    "openstack",
    "cloud",
    "deploy",
    "network",
    "token",
    "compute",
    "instance",
    "volume",
    "storage",
    "puppet",
    "ansible",
    "container",
    "image",
    "template",
    "upgrade",
    "release",
    "summit",
    "gate",
    "review",
    "patch",
    "package",
    "repository",
    "mirror",
    "build",
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "is",
    "that",
    "for",
    "it",
    "with",
    "as",
    "on",
    "we",
    "you",
    "this",
];

/// A deterministic sentence: `n` words picked by a simple generator from `seed`.
fn sentence(seed: &mut u64, n: usize) -> String {
    let mut words = Vec::with_capacity(n);
    for _ in 0..n {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        words.push(WORDS[(*seed >> 33) as usize % WORDS.len()]);
    }
    let mut s = words.join(" ");
    s[..1].make_ascii_uppercase();
    s.push('.');
    s
}

/// A post body: five paragraphs, a code block, an image and a link, as blogs write them.
fn post_html(seed: &mut u64) -> String {
    let mut html = String::new();
    for p in 0..5 {
        html.push_str("<p>");
        for _ in 0..4 {
            html.push_str(&sentence(seed, 14));
            html.push(' ');
        }
        if p == 2 {
            html.push_str("<a href=\"https://docs.example.org/guide\">the guide</a>");
        }
        html.push_str("</p>\n");
    }
    html.push_str("<pre><code>$ openstack server list --long</code></pre>\n");
    html.push_str("<p><img src=\"https://example.org/img/1.png\" alt=\"diagram\"/></p>\n");
    html
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn date(j: usize) -> DateTime<Utc> {
    now() - Duration::hours(7 * j as i64 + 1)
}

fn rss2(posts: usize) -> String {
    let mut seed = 1;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>A WordPress blog</title>\
         <link>https://wp.example.org/</link><description>Posts</description>",
    );
    for j in 0..posts {
        let html = post_html(&mut seed);
        let first = html.split("</p>").next().unwrap_or_default();
        out.push_str(&format!(
            "<item><title>{}</title><link>https://wp.example.org/{j}/</link>\
             <dc:creator><![CDATA[Jane Blogger]]></dc:creator><pubDate>{}</pubDate>\
             <guid isPermaLink=\"false\">https://wp.example.org/?p={j}</guid>\
             <description><![CDATA[{first} [&#8230;]</p>]]></description>\
             <content:encoded><![CDATA[{html}]]></content:encoded></item>",
            escape(&sentence(&mut seed, 8)),
            date(j).to_rfc2822()
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn atom(posts: usize) -> String {
    let mut seed = 2;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <id>tag:blogger.com,1999:blog-1</id><title>A Blogger blog</title>\
         <updated>2026-11-02T08:00:00Z</updated>\
         <link rel=\"alternate\" href=\"https://b.example.org/\"/>\
         <author><name>John Blogger</name><email>noreply@blogger.com</email></author>",
    );
    for j in 0..posts {
        let when = date(j).to_rfc3339();
        out.push_str(&format!(
            "<entry><id>tag:blogger.com,1999:blog-1.post-{j}</id><published>{when}</published>\
             <updated>{when}</updated><title type='text'>{}</title>\
             <content type='html'>{}</content>\
             <link rel=\"alternate\" type=\"text/html\" href=\"https://b.example.org/{j}.html\"/>\
             <author><name>John Blogger</name></author></entry>",
            escape(&sentence(&mut seed, 8)),
            escape(&post_html(&mut seed))
        ));
    }
    out.push_str("</feed>");
    out
}

fn json_feed(posts: usize) -> String {
    let mut seed = 3;
    let items: Vec<serde_json::Value> = (0..posts)
        .map(|j| {
            serde_json::json!({
                "id": format!("https://j.example.org/{j}"),
                "url": format!("https://j.example.org/{j}"),
                "title": sentence(&mut seed, 8),
                "content_html": post_html(&mut seed),
                "date_published": date(j).to_rfc3339(),
                "authors": [{"name": "Jo Blogger"}],
            })
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "A JSON Feed blog",
        "home_page_url": "https://j.example.org/",
        "items": items,
    })
    .to_string()
}

fn rss1(posts: usize) -> String {
    let mut seed = 4;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rdf:RDF \
         xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" \
         xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\
         <channel rdf:about=\"https://r.example.org/\"><title>An RSS 1.0 blog</title>\
         <link>https://r.example.org/</link><description>Posts</description></channel>",
    );
    for j in 0..posts {
        out.push_str(&format!(
            "<item rdf:about=\"https://r.example.org/{j}\"><title>{}</title>\
             <link>https://r.example.org/{j}</link><dc:creator>Ray Blogger</dc:creator>\
             <dc:date>{}</dc:date><content:encoded><![CDATA[{}]]></content:encoded></item>",
            escape(&sentence(&mut seed, 8)),
            date(j).to_rfc3339(),
            post_html(&mut seed)
        ));
    }
    out.push_str("</rdf:RDF>");
    out
}

const CONFIG: &str = r#"
[roundup]
since = "2000-01-01"
[shortener]
kind = "builtin"
base_url = "https://rdo.example/s/"
[[source]]
name = "A blog"
url = "https://blog.example.org/feed/"
"#;

fn config(store: &Path) -> Config {
    let text = format!("{CONFIG}\n[store]\npath = \"{}\"\n", store.display());
    Config::parse(Path::new("bench.toml"), &text).expect("the bench config is valid")
}

#[divan::bench(args = ["rss2", "atom", "json", "rss1"])]
fn parse_extract(bencher: Bencher, format: &str) {
    let body = match format {
        "rss2" => rss2(20),
        "atom" => atom(20),
        "json" => json_feed(20),
        _ => rss1(20),
    };
    let cfg = config(Path::new("unused"));
    let source = &cfg.sources[0];
    let url = source.url.clone();
    bencher
        .counter(divan::counter::BytesCount::new(body.len()))
        .bench(|| {
            let out = roundup::poll::parse_and_extract(
                divan::black_box(body.as_bytes()),
                &url,
                source,
                &cfg.filters,
                &cfg.authors,
                1000,
                now(),
            )
            .expect("the feed parses");
            assert_eq!(out.items.len(), 20);
            out
        });
}

/// A store in a temporary folder with `published` items already out and `unseen` waiting.
fn filled_store(published: usize, unseen: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(&dir.path().join("db")).expect("the store opens");
    let item = |n: usize| {
        let mut item = Item {
            author: format!("Author {}", n % 300),
            summary: "The first paragraph of a post, as plain text, about forty words. ".repeat(3),
            ..Item::new(
                // Hashes, as extraction makes them: the unseen posts lie among the published.
                blake3::hash(format!("fill\n{n}").as_bytes()).to_hex()[..16].to_owned(),
                format!("Blogger {}", n % 1000),
                format!("https://blog{}.example/{n}/", n % 1000),
                format!("Post number {n}"),
                now() - Duration::hours(1 + (n % 500) as i64),
            )
        };
        if n < published {
            item.state = ItemState::Published;
        }
        item
    };
    let total = published + unseen;
    for start in (0..total).step_by(10_000) {
        let batch: Vec<Item> = (start..(start + 10_000).min(total)).map(item).collect();
        store.upsert_items(&batch).expect("stored");
    }
    (dir, store)
}

#[divan::bench(args = [0, 100_000])]
fn unseen(bencher: Bencher, published: usize) {
    let (_dir, store) = filled_store(published, 50);
    bencher.bench(|| {
        let items = store.unseen_items().expect("read");
        assert_eq!(items.len(), 50);
        items
    });
}

#[divan::bench(args = [50, 2000], sample_count = 20)]
fn draft(bencher: Bencher, unseen: usize) {
    let (dir, store) = filled_store(0, unseen);
    let cfg = config(&dir.path().join("db"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let shortener = Shortener::new(&cfg.shortener, store.clone(), || Ok(reqwest::Client::new()))
        .expect("the builtin shortener");
    let opts = DraftOptions {
        out: Output::Stdout,
        ..DraftOptions::default()
    };
    bencher.bench(|| {
        let report = runtime
            .block_on(roundup::draft::run(&cfg, &store, &shortener, &opts, now()))
            .expect("drafted");
        assert_eq!(report.items, unseen);
        report
    });
}
