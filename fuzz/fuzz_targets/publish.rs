//! Arbitrary bytes as the editor's draft file, published against a store holding its draft.
#![no_main]

#[path = "../../tests/harness/mod.rs"]
mod harness;

use std::sync::LazyLock;

static DESK: LazyLock<harness::Desk> =
    LazyLock::new(|| harness::Desk::new(harness::DESK_FEED.as_bytes()));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    DESK.publish(data);
});
