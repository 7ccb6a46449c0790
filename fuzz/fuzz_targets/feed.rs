//! Arbitrary bytes as a server's answer: parse, extract, render (and scrape as an HTML page).
#![no_main]

#[path = "../../tests/harness/mod.rs"]
mod harness;

use std::sync::LazyLock;

static CONFIG: LazyLock<(tempfile::TempDir, roundup::config::Config)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let cfg = harness::config(dir.path());
    (dir, cfg)
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::feed(&CONFIG.1, data);
});
