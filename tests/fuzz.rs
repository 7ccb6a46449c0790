//! The fuzzers' smoke run: the same harness as the cargo-fuzz targets in `fuzz/`, over
//! deterministic mutations (cuts, flipped bytes, hostile splices) of feeds and pages shaped like
//! real ones, and of a real draft as an editor might mangle it. Every input that once found a
//! bug stays here as a regression case. `ROUNDUP_FUZZ_CASES=N` runs N cases per seed instead
//! of the default.

#[path = "harness/mod.rs"]
mod harness;

use harness::{mutate, Desk, Rng};

fn cases() -> usize {
    std::env::var("ROUNDUP_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(150)
}

/// The seeds: the test fixtures (feeds modelled on WordPress and Blogger, HTML pages) and the
/// other formats.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for dir in ["tests/fixtures/feeds", "tests/fixtures/html"] {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            seeds.push(std::fs::read(p).unwrap());
        }
    }
    seeds.push(harness::DESK_FEED.as_bytes().to_vec());
    seeds.push(
        br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","authors":[{"name":"Jos\u00e9 jose@e.example"}],"items":[{"id":"1","url":"https://j.example/1","title":"One","content_html":"<p>A paragraph with <b>bold</b> words, enough of them to count as real.</p>","date_published":"2026-10-01T10:00:00Z"}]}"#
            .to_vec(),
    );
    seeds.push(
        br#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="https://r.example/"><title>R</title><link>https://r.example/</link></channel><item rdf:about="https://r.example/1"><title>One</title><link>https://r.example/1</link><dc:creator>Ann</dc:creator><dc:date>2026-10-01T10:00:00Z</dc:date><description>Words enough for a summary of the first post here.</description></item></rdf:RDF>"#
            .to_vec(),
    );
    seeds
}

/// Inputs that found bugs, kept as they were found.
const FOUND: &[&[u8]] = &[
    // cargo-fuzz, feed target, second run: a declaration at the start naming another encoding
    // but ending past quick-xml's first 64 bytes panicked the same way (a 152-byte input, reduced).
    b"<?xml iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiversion=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel></channel></rss>",
    // cargo-fuzz, feed target: a second XML declaration naming another encoding made feed-rs
    // call quick-xml's set_encoding too late, which panics (a 69 KB corpus feed, reduced).
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>T</title><item><title>One</title><link>https://b.example/1</link></item><?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?><item><title>Two</title><link>https://b.example/2</link></item></channel></rss>",
    // feed-rs 3.0.0 sliced inside a multibyte character next to an e-mail address.
    b"<rss version=\"2.0\"><channel><title>t</title><item><title>x</title><link>https://a.example/</link><author>\xe2\x80\x9dx@e.example</author></item></channel></rss>",
    "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title><link>https://a.example/</link><author>Jos\u{e9}\u{a0}jose@e.example</author></item></channel></rss>".as_bytes(),
];

#[test]
fn parse_extract_and_render_survive_mutated_feeds_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = harness::config(dir.path());
    for input in FOUND {
        harness::feed(&cfg, input);
    }
    // cargo-fuzz, feed target, third run: an HTML page whose post link was 3,224 characters
    // long, printed twice on one line of the draft; links are now bounded (2048).
    let long_link = format!(
        "<html><body><article><h2><a href=\"/{}\">T</a></h2><p>A paragraph long enough to be the summary of this post.</p></article></body></html>",
        "x".repeat(3200)
    );
    harness::feed(&cfg, long_link.as_bytes());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut ran = 0;
    for seed in seeds() {
        harness::feed(&cfg, &seed);
        for _ in 0..cases() {
            let input = mutate(&mut rng, &seed);
            harness::feed(&cfg, &input);
            ran += 1;
        }
    }
    assert!(ran >= cases() * 9, "{ran} cases");
}

#[test]
fn publish_survives_mangled_drafts() {
    let desk = Desk::new(harness::DESK_FEED.as_bytes());
    assert!(desk.draft.contains("roundup_draft:"), "{}", desk.draft);
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..cases() {
        let input = mutate(&mut rng, desk.draft.as_bytes());
        desk.publish(&input);
    }
    // After all that, the draft as written still publishes.
    std::fs::write(&desk.file, &desk.draft).unwrap();
    let report = roundup::publish::run(&desk.cfg, &desk.store, &desk.file, harness::now());
    assert!(report.is_ok(), "{:?}", report.err());
}
