//! Fills a store with made-up items for benchmarks of selection and drafting: PUBLISHED items
//! already out in a roundup and UNSEEN ones waiting, written in batches of 10,000.
//!
//! cargo run --release --example fill_store -- STORE PUBLISHED UNSEEN

use chrono::{Duration, Utc};
use roundup::item::{Item, ItemState, RoundupRef};
use roundup::store::Store;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, published, unseen] = &args[..] else {
        eprintln!("usage: fill_store STORE PUBLISHED UNSEEN");
        std::process::exit(2);
    };
    let count = |s: &str| s.parse::<usize>().expect("a count");
    let (published, unseen) = (count(published), count(unseen));
    let store = Store::open(std::path::Path::new(path)).expect("the store opens");
    let now = Utc::now();
    let roundup = RoundupRef {
        title: "An old roundup".into(),
        date: now - Duration::days(30),
        file: "old.md".into(),
        draft: None,
    };
    let item = |n: usize, out: bool| {
        let mut item = Item {
            author: format!("Author {}", n % 300),
            summary: "The first paragraph of a post, as plain text, about forty words long. "
                .repeat(3),
            ..Item::new(
                // Keys like the ones extraction makes (16 hex characters of a hash), so the new
                // posts of a poll land among these ones, as they would in a real store.
                blake3::hash(format!("fill\n{n}").as_bytes()).to_hex()[..16].to_owned(),
                format!("Blogger {}", n % 1000),
                format!("https://blog{}.example/{n}/", n % 1000),
                format!("Post number {n}"),
                if out {
                    now - Duration::days(40)
                } else {
                    now - Duration::hours(1)
                },
            )
        };
        if out {
            item.state = ItemState::Published;
            item.roundup = Some(roundup.clone());
        }
        item
    };
    let total = published + unseen;
    for start in (0..total).step_by(10_000) {
        let batch: Vec<Item> = (start..(start + 10_000).min(total))
            .map(|n| item(n, n < published))
            .collect();
        store.upsert_items(&batch).expect("stored");
    }
    store.flush().expect("flushed");
    // Settled as a command that wrote this much is: each sled store opened once more (sled
    // brings its snapshot up to date then, rather than in what is measured next), and `live`,
    // which the published posts passed through on their way to the archive, copied afresh.
    store.settle();
    println!("{published} published and {unseen} unseen items in {path}");
}
