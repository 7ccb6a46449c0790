//! The editor's loop through the library: draft, delete two posts, publish, poll again (a
//! re-dated post, new posts), draft again: only what is new, with stable short links.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use roundup::config::Config;
use roundup::draft::{self, DraftOptions, Output};
use roundup::item::{Item, ItemState};
use roundup::publish;
use roundup::shorten::Shortener;
use roundup::store::Store;

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2016, month, day, 9, 30, 0).unwrap()
}

fn item(key: &str, title: &str, published: DateTime<Utc>) -> Item {
    Item {
        author: format!("Author {}", key.to_uppercase()),
        summary: format!("The first paragraph of {title}."),
        ..Item::new(
            key,
            "Planet",
            format!("https://blog.example/{key}/"),
            title,
            published,
        )
    }
}

fn config(dir: &Path) -> Config {
    let text = format!(
        r#"
[roundup]
author = "rbowen"
drafts_dir = "{d}/drafts"
template = "{d}/no-such-template.hbs"

[store]
path = "{d}/db"

[shortener]
kind = "builtin"
base_url = "http://tm3.org/"
start = "6e"

[[series]]
prefix = "What did you do in Mitaka"
intro = "Here are the Mitaka interviews:"

[[source]]
name = "Planet"
url = "https://planet.example/rss"
"#,
        d = dir.display()
    );
    Config::parse(&dir.join("roundup.toml"), &text).unwrap()
}

/// Removes the block of the post titled `title`: its title line through its "read more" line.
fn delete_block(text: &str, title: &str) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with(&format!("**{title}**")) {
            skipping = true;
        }
        if !skipping {
            out.push(line);
        }
        if skipping && line.starts_with("... read more at") {
            skipping = false;
        }
    }
    out.join("\n") + "\n"
}

fn short_link(store: &Store, it: &Item) -> String {
    format!(
        "http://tm3.org/{}",
        store.code_for(&it.link).unwrap().unwrap()
    )
}

#[tokio::test]
async fn draft_publish_draft_shows_only_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = Store::open(&cfg.store.path).unwrap();
    let shortener =
        Shortener::new(&cfg.shortener, store.clone(), || Ok(reqwest::Client::new())).unwrap();

    let a = item("a", "Deploying the new OpenStack EC2 API project", at(5, 1));
    let b = item("b", "Containers and the CERN cloud", at(5, 2));
    let c = item("c", "Meet Red Hat OpenStack Platform 8", at(5, 3));
    let d = item("d", "Resource management at CERN", at(5, 4));
    let ivan = item("ivan", "What did you do in Mitaka: Ivan Chavero", at(5, 5));
    let own = item("own", "RDO blogs over the last few weeks", at(5, 6));
    let old = item("old", "A post from long ago", at(3, 1));
    store
        .upsert_items(&[
            a.clone(),
            b.clone(),
            c.clone(),
            d.clone(),
            ivan.clone(),
            own,
            old.clone(),
        ])
        .unwrap();

    // First draft: the window is the config's three weeks.
    let report = draft::run(
        &cfg,
        &store,
        &shortener,
        &DraftOptions::default(),
        at(5, 17),
    )
    .await
    .unwrap();
    assert_eq!((report.items, report.series, report.empty), (5, 1, false));
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("no-such-template.hbs")));
    let path = report.path.clone().unwrap();
    assert!(path.ends_with("drafts/2016-05-17-rdo-blogs-over-the-last-few-weeks.md"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("* [Ivan Chavero](https://blog.example/ivan/)"),
        "{text}"
    );
    assert!(
        text.contains("... read more at [http://tm3.org/6e](http://tm3.org/6e)"),
        "{text}"
    );
    assert!(!text.contains("A post from long ago"));
    let a_short = short_link(&store, &a);

    // Drafting again without publishing gives the same items and links.
    let again = draft::run(
        &cfg,
        &store,
        &shortener,
        &DraftOptions::default(),
        at(5, 17),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    assert_eq!(again.items, 5);

    // The editor deletes two posts and publishes.
    let edited = delete_block(&delete_block(&text, &b.title), &c.title)
        .replace("published: false", "published: true");
    assert!(!edited.contains(&b.link) && !edited.contains(&short_link(&store, &b)));
    std::fs::write(&path, edited).unwrap();
    let published = publish::run(&cfg, &store, &path, at(5, 17)).unwrap();
    assert_eq!((published.published, published.skipped), (3, 2));
    assert_eq!(store.item("b").unwrap().unwrap().state, ItemState::Skipped);
    assert_eq!(store.item("c").unwrap().unwrap().state, ItemState::Skipped);
    let stored_a = store.item("a").unwrap().unwrap();
    assert_eq!(stored_a.state, ItemState::Published);
    assert_eq!(stored_a.roundup.as_ref().unwrap().date, at(5, 17));
    assert_eq!(
        publish::run(&cfg, &store, &path, at(5, 17))
            .unwrap()
            .changed,
        0
    );

    // The next poll: a feed re-dates a published post and an old unseen one; two new posts.
    let mut a_redated = a.clone();
    a_redated.published = at(5, 20);
    let mut old_redated = old.clone();
    old_redated.published = at(5, 21);
    let e = item("e", "OpenStack Summit Austin: Day 1", at(5, 18));
    let f = item("f", "Culture *and* technology", at(5, 19));
    store
        .upsert_items(&[a_redated, old_redated, e.clone(), f.clone()])
        .unwrap();

    let second = draft::run(
        &cfg,
        &store,
        &shortener,
        &DraftOptions::default(),
        at(5, 24),
    )
    .await
    .unwrap();
    assert_eq!((second.items, second.series), (3, 0));
    assert_eq!(second.since, draft::WindowStart::LastRoundup(at(5, 17)));
    let text2 = std::fs::read_to_string(second.path.as_ref().unwrap()).unwrap();
    for gone in [&a, &b, &c, &d, &ivan] {
        assert!(
            !text2.contains(&gone.title),
            "{} came back:\n{text2}",
            gone.title
        );
    }
    assert!(
        text2.contains("**Culture \\*and\\* technology** by Author F"),
        "{text2}"
    );
    assert_eq!(short_link(&store, &a), a_short);
    let links2: Vec<String> = [&e, &f, &old]
        .iter()
        .map(|i| short_link(&store, i))
        .collect();

    // A third draft before publishing: the same posts, the same short links.
    let third = draft::run(
        &cfg,
        &store,
        &shortener,
        &DraftOptions::default(),
        at(5, 25),
    )
    .await
    .unwrap();
    assert_eq!(third.items, 3);
    let text3 = std::fs::read_to_string(third.path.as_ref().unwrap()).unwrap();
    for (it, link) in [&e, &f, &old].iter().zip(&links2) {
        assert_eq!(&short_link(&store, it), link);
        assert!(
            text3.contains(&format!("[{link}]({link})")),
            "{link} missing:\n{text3}"
        );
    }
}

#[tokio::test]
async fn an_empty_window_still_writes_a_valid_post() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = Store::open(&cfg.store.path).unwrap();
    let shortener =
        Shortener::new(&cfg.shortener, store.clone(), || Ok(reqwest::Client::new())).unwrap();
    let out = dir.path().join("out.md");
    let opts = DraftOptions {
        since: None,
        out: Output::File(out.clone()),
        force: false,
    };
    let report = draft::run(&cfg, &store, &shortener, &opts, at(5, 17))
        .await
        .unwrap();
    assert!(report.empty);
    assert_eq!(report.items, 0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("---\ntitle: RDO blogs over the last few weeks\n"),
        "{text}"
    );
    assert!(text.contains(&cfg.roundup.empty), "{text}");
    // Publishing it is refused: nothing would go out, and the window stays where it was.
    let err = publish::run(&cfg, &store, &out, at(5, 18)).unwrap_err();
    assert!(err.to_string().contains("had no posts"), "{err}");
    assert_eq!(
        draft::select::since(&cfg, &store, None, at(5, 18)).unwrap(),
        draft::WindowStart::Config(cfg.roundup.since.start(at(5, 18)))
    );
}
