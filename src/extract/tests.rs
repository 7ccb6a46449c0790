//! Extraction rules, one test per rule.

use super::*;
use crate::config::SourceKind;
use chrono::TimeZone;
use regex::Regex;

fn source() -> Source {
    Source {
        name: "Lars Kellogg-Stedman".to_owned(),
        url: url::Url::parse("https://blog.oddbit.com/rss.xml").expect("static URL"),
        kind: SourceKind::Feed,
        author: None,
        filters: Filters::default(),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

fn entry(id: Option<&str>, title: &str, link: &str) -> Entry {
    Entry {
        id: id.map(str::to_owned),
        title: Some(title.to_owned()),
        link: Some(link.to_owned()),
        summary: Some(
            "A first paragraph that is long enough to count as the real opening.".to_owned(),
        ),
        ..Entry::default()
    }
}

fn run_with(
    feed: &ParsedFeed,
    source: &Source,
    global: &Filters,
    aliases: &BTreeMap<String, String>,
) -> Extracted {
    let base = url::Url::parse("https://blog.oddbit.com/feed/").expect("static URL");
    let cx = Context {
        source,
        global,
        aliases,
        base: Some(&base),
        now: now(),
        max_items: 50,
    };
    with_links_alike(extract(feed, &cx))
}

/// `out`, once every item's `alike` is checked to be its link's comparable form, as the store
/// would work it out (the poll's writer looks links up by `alike` alone).
fn with_links_alike(out: Extracted) -> Extracted {
    let worked_out: Vec<_> = out
        .items
        .iter()
        .map(|i| link::comparable(&i.link))
        .collect();
    assert_eq!(out.alike, worked_out);
    out
}

fn run(feed: &ParsedFeed) -> Extracted {
    run_with(feed, &source(), &Filters::default(), &BTreeMap::new())
}

fn feed_of(entries: Vec<Entry>) -> ParsedFeed {
    ParsedFeed {
        title: Some("t".to_owned()),
        link: None,
        authors: vec![],
        entries,
    }
}

#[test]
fn title_is_decoded_stripped_and_collapsed() {
    let e = entry(
        None,
        "  <b>Deploying</b> &amp;ldquo;EC2&amp;rdquo;\n  API &amp; more ",
        "https://x.org/1",
    );
    assert_eq!(
        run(&feed_of(vec![e])).items[0].title,
        "Deploying “EC2” API & more"
    );
}

#[test]
fn empty_title_falls_back_to_summary_words() {
    let mut e = entry(None, "  ", "https://x.org/1");
    e.summary = Some("One two three four five six seven eight nine ten eleven twelve.".to_owned());
    assert_eq!(
        run(&feed_of(vec![e])).items[0].title,
        "One two three four five six seven eight nine ten…"
    );
    let mut e = entry(None, "", "https://x.org/1");
    e.title = None;
    e.summary = None;
    assert_eq!(run(&feed_of(vec![e])).items[0].title, "Untitled post");
}

#[test]
fn author_order_override_entry_feed_source() {
    let mut e = entry(None, "t", "https://x.org/1");
    e.authors = vec!["noreply@blogger.com (Tim Bell)".to_owned()];
    let mut feed = feed_of(vec![e.clone()]);
    feed.authors = vec!["Feed Person".to_owned()];
    assert_eq!(run(&feed).items[0].author, "Tim Bell");

    let mut over = source();
    over.author = Some("Override Name".to_owned());
    assert_eq!(
        run_with(&feed, &over, &Filters::default(), &BTreeMap::new()).items[0].author,
        "Override Name"
    );

    feed.entries[0].authors = vec!["jdoe@example.com".to_owned()];
    assert_eq!(
        run(&feed).items[0].author,
        "Feed Person",
        "bare e-mail falls through"
    );

    feed.authors.clear();
    assert_eq!(run(&feed).items[0].author, "Lars Kellogg-Stedman");
}

#[test]
fn several_authors_are_joined() {
    let mut e = entry(None, "t", "https://x.org/1");
    e.authors = vec![
        "Ann".to_owned(),
        "Bob, CTO".to_owned(),
        "(Cy Young)".to_owned(),
    ];
    assert_eq!(
        run(&feed_of(vec![e])).items[0].author,
        "Ann, Bob and Cy Young"
    );
}

#[test]
fn alias_map_applies_to_entry_authors() {
    let mut aliases = BTreeMap::new();
    aliases.insert("dmsimard".to_owned(), "David Moreau Simard".to_owned());
    let mut e = entry(None, "t", "https://x.org/1");
    e.authors = vec!["DMSIMARD".to_owned()];
    let out = run_with(&feed_of(vec![e]), &source(), &Filters::default(), &aliases);
    assert_eq!(out.items[0].author, "David Moreau Simard");
}

#[test]
fn orig_link_wins_and_tracking_is_removed() {
    let mut e = entry(None, "t", "http://feedproxy.google.com/~r/x/1");
    e.orig_link = Some("https://x.org/post?utm_source=rss&utm_medium=feed#more".to_owned());
    assert_eq!(run(&feed_of(vec![e])).items[0].link, "https://x.org/post");
}

#[test]
fn relative_link_resolves_against_base() {
    let e = entry(None, "t", "/2024/05/post.html");
    assert_eq!(
        run(&feed_of(vec![e])).items[0].link,
        "https://blog.oddbit.com/2024/05/post.html"
    );
}

#[test]
fn non_http_link_drops_entry_with_reason() {
    let e = entry(None, "Bad", "javascript:alert(1)");
    let mut none = entry(None, "None", "");
    none.link = None;
    let out = run(&feed_of(vec![
        e,
        none,
        entry(None, "ok", "https://x.org/1"),
    ]));
    assert_eq!(out.items.len(), 1);
    assert_eq!(out.dropped.len(), 2);
    assert!(out.dropped[0].contains("entry 1") && out.dropped[0].contains("\"Bad\""));
    assert!(out.dropped[1].contains("no link"));
}

#[test]
fn dates_published_then_updated_then_now_and_never_future() {
    let past = Utc
        .with_ymd_and_hms(2024, 4, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let future = Utc
        .with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let mut a = entry(None, "a", "https://x.org/a");
    a.published = Some(past);
    a.updated = Some(future);
    let mut b = entry(None, "b", "https://x.org/b");
    b.updated = Some(past);
    let c = entry(None, "c", "https://x.org/c");
    let mut d = entry(None, "d", "https://x.org/d");
    d.published = Some(future);
    let items = run(&feed_of(vec![a, b, c, d])).items;
    assert_eq!(items[0].published, past);
    assert_eq!(items[1].published, past);
    assert_eq!(items[2].published, now());
    assert_eq!(items[3].published, now());
    assert!(items.iter().all(|i| i.first_seen == now()));
}

#[test]
fn keys_are_16_hex_and_stable_across_polls() {
    let feed = feed_of(vec![
        entry(Some("tag:x,2024:1"), "a", "https://x.org/a"),
        entry(Some("tag:x,2024:2"), "b", "https://x.org/b"),
    ]);
    let first = run(&feed);
    let second = run(&feed);
    assert_eq!(first.items[0].key, second.items[0].key);
    assert_eq!(first.items[0].key.len(), 16);
    assert!(first.items[0].key.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(first.items[0].key, first.items[1].key);
    // Stable when the title or summary is edited, since the id is trusted.
    let mut edited = feed.clone();
    edited.entries[0].title = Some("a, edited".to_owned());
    assert_eq!(run(&edited).items[0].key, first.items[0].key);
}

#[test]
fn global_ids_are_not_scoped_by_source() {
    let feed = feed_of(vec![entry(
        Some("https://x.org/?p=1"),
        "a",
        "https://x.org/a",
    )]);
    let mut other = source();
    other.url = url::Url::parse("https://planet.example.org/rss").expect("static URL");
    let a = run(&feed).items[0].key.clone();
    let b = run_with(&feed, &other, &Filters::default(), &BTreeMap::new()).items[0]
        .key
        .clone();
    assert_eq!(a, b, "the same post through two sources is one item");
}

#[test]
fn local_ids_are_scoped_by_source() {
    let feed = feed_of(vec![entry(Some("42"), "a", "https://x.org/a")]);
    let mut other = source();
    other.url = url::Url::parse("https://other.example.org/rss").expect("static URL");
    let a = run(&feed).items[0].key.clone();
    let b = run_with(&feed, &other, &Filters::default(), &BTreeMap::new()).items[0]
        .key
        .clone();
    assert_ne!(a, b);
}

#[test]
fn missing_or_duplicate_ids_fall_back_to_link() {
    let by_link = run(&feed_of(vec![entry(None, "a", "https://x.org/a")])).items[0]
        .key
        .clone();
    let dup = feed_of(vec![
        entry(Some("same"), "a", "https://x.org/a"),
        entry(Some("same"), "b", "https://x.org/b"),
    ]);
    assert_eq!(run(&dup).items[0].key, by_link);
    let partial = feed_of(vec![
        entry(Some("tag:1"), "a", "https://x.org/a"),
        entry(None, "b", "https://x.org/b"),
    ]);
    assert_eq!(run(&partial).items[0].key, by_link);
    // The canonical link: tracking parameters do not change the key.
    let tracked = run(&feed_of(vec![entry(
        None,
        "a",
        "https://x.org/a?utm_source=x",
    )]));
    assert_eq!(tracked.items[0].key, by_link);
}

#[test]
fn key_without_id_or_link_hashes_title_and_summary() {
    let e = entry(None, "a", "");
    assert_eq!(
        key(&e, false, "", "a", "s", "u"),
        key(&e, false, "", "a", "s", "u")
    );
    assert_ne!(
        key(&e, false, "", "a", "s", "u"),
        key(&e, false, "", "b", "s", "u")
    );
}

#[test]
fn filters_tags_title_authors_from_source_and_global() {
    let mut a = entry(None, "RDO blogs over the last few weeks", "https://x.org/a");
    a.categories = vec!["OpenStack".to_owned()];
    let mut b = entry(None, "Cooking", "https://x.org/b");
    b.categories = vec!["food".to_owned(), "Food".to_owned()];
    b.authors = vec!["Chef".to_owned()];
    let mut c = entry(None, "TripleO tips", "https://x.org/c");
    c.categories = vec!["openstack".to_owned()];
    let feed = feed_of(vec![a, b, c]);

    let mut src = source();
    src.filters.include_tags = vec!["OPENSTACK".to_owned()];
    let global = Filters {
        exclude_title: vec![Regex::new("^RDO blogs").expect("valid regex")],
        ..Filters::default()
    };
    let out = run_with(&feed, &src, &global, &BTreeMap::new());
    assert_eq!(out.filtered, 2);
    assert_eq!(out.items.len(), 1);
    assert_eq!(out.items[0].title, "TripleO tips");

    let global = Filters {
        exclude_authors: vec!["chef".to_owned()],
        exclude_tags: vec!["openstack".to_owned()],
        ..Filters::default()
    };
    assert_eq!(
        run_with(&feed, &source(), &global, &BTreeMap::new())
            .items
            .len(),
        0
    );

    let mut src = source();
    src.filters.include_authors = vec!["CHEF".to_owned()];
    src.filters.include_title = vec![Regex::new("(?i)cook").expect("valid regex")];
    let out = run_with(&feed, &src, &Filters::default(), &BTreeMap::new());
    assert_eq!(out.items.len(), 1);
    assert_eq!(out.items[0].categories, vec!["food".to_owned()]);
}

#[test]
fn a_list_of_title_filters_matches_when_any_regex_does() {
    let feed = feed_of(vec![
        entry(None, "Re: meeting notes", "https://x.org/a"),
        entry(None, "Sponsored: buy now", "https://x.org/b"),
        entry(None, "TripleO tips", "https://x.org/c"),
    ]);
    let global = Filters {
        exclude_title: vec![
            Regex::new("^Re:").expect("valid regex"),
            Regex::new("^Sponsored").expect("valid regex"),
        ],
        ..Filters::default()
    };
    let out = run_with(&feed, &source(), &global, &BTreeMap::new());
    assert_eq!(out.filtered, 2);
    assert_eq!(out.items[0].title, "TripleO tips");

    let mut src = source();
    src.filters.include_title = vec![
        Regex::new("tips").expect("valid regex"),
        Regex::new("^Re:").expect("valid regex"),
    ];
    let out = run_with(&feed, &src, &Filters::default(), &BTreeMap::new());
    let titles: Vec<&str> = out.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["Re: meeting notes", "TripleO tips"]);
}

#[test]
fn only_first_max_items_entries() {
    let entries = (0..10)
        .map(|i| entry(None, &format!("t{i}"), &format!("https://x.org/{i}")))
        .collect();
    let feed = feed_of(entries);
    let base = url::Url::parse("https://x.org/").expect("static URL");
    let src = source();
    let cx = Context {
        source: &src,
        global: &Filters::default(),
        aliases: &BTreeMap::new(),
        base: Some(&base),
        now: now(),
        max_items: 3,
    };
    assert_eq!(extract(&feed, &cx).items.len(), 3);
}

#[test]
fn summary_comes_from_content_when_summary_is_not_a_paragraph() {
    let mut e = entry(None, "t", "https://x.org/1");
    e.summary = Some("<img src=\"x.png\">".to_owned());
    e.content = Some(
        "<h2>Heading</h2><p>Real opening paragraph of this post, with enough words.</p>".to_owned(),
    );
    assert_eq!(
        run(&feed_of(vec![e])).items[0].summary,
        "Real opening paragraph of this post, with enough words."
    );
}

fn from_fixture(bytes: &[u8], aliases: &BTreeMap<String, String>, global: &Filters) -> Extracted {
    let base = url::Url::parse("https://stack.example.org/feed/").expect("static URL");
    let feed = crate::parse::feed::parse(bytes, Some(&base)).expect("fixture parses");
    let src = source();
    let cx = Context {
        source: &src,
        global,
        aliases,
        base: Some(&base),
        now: now(),
        max_items: 50,
    };
    with_links_alike(extract(&feed, &cx))
}

#[test]
fn fixture_wordpress_teaser_gives_content_paragraph_alias_and_clean_link() {
    let bytes =
        include_bytes!("../../tests/fixtures/feeds/wordpress-rss-teaser-and-share-buttons.xml");
    let mut aliases = BTreeMap::new();
    aliases.insert("tbell".to_owned(), "Tim Bell".to_owned());
    let global = Filters {
        exclude_title: vec![Regex::new("^RDO blogs over").expect("valid regex")],
        ..Filters::default()
    };
    let out = from_fixture(bytes, &aliases, &global);
    assert_eq!(out.filtered, 1, "the community's own roundup is filtered");
    let item = &out.items[0];
    // The no-break space of `&#160;` is collapsed like any other whitespace.
    assert_eq!(
        item.title,
        "Deploying the new OpenStack EC2 API project – part 1"
    );
    assert_eq!(item.author, "Tim Bell");
    assert_eq!(item.link, "https://stack.example.org/2016/05/ec2-api/");
    assert_eq!(
        item.summary,
        "OpenStack has supported a subset of the EC2 API since the start of the project. Originally built in to Nova, it was separated out into its own project, ec2-api, and this post shows how to deploy it."
    );
    assert_eq!(
        item.categories,
        vec!["OpenStack".to_owned(), "EC2".to_owned()]
    );
}

#[test]
fn fixture_blogger_feedburner_gives_orig_link_byline_free_summary() {
    let bytes = include_bytes!("../../tests/fixtures/feeds/blogger-atom-via-feedburner.xml");
    let out = from_fixture(bytes, &BTreeMap::new(), &Filters::default());
    assert_eq!(out.items.len(), 2);
    let a = &out.items[0];
    assert_eq!(a.title, "TripleO & Ironic: a “quick” tour");
    assert_eq!(a.author, "Tim Bell");
    assert_eq!(
        a.link,
        "https://cloudnotes.example.com/2016/05/tripleo-ironic.html"
    );
    assert_eq!(
        a.summary,
        "Ironic is the bare metal service of OpenStack, and TripleO uses it to deploy the overcloud onto real machines."
    );
    let b = &out.items[1];
    assert_eq!(
        b.author, "Cloud Notes Team",
        "Atom entries fall back to the feed's author"
    );
    assert_eq!(b.link, "https://cloudnotes.example.com/2016/05/short.html");
    assert_eq!(b.summary, "Just a link today: example.");
}

#[test]
fn fixture_update_notes_on_old_posts_are_not_the_summary() {
    let bytes =
        include_bytes!("../../tests/fixtures/feeds/wordpress-rss-update-note-on-old-post.xml");
    let got = from_fixture(bytes, &BTreeMap::new(), &Filters::default());
    let summaries: Vec<&str> = got.items.iter().map(|i| i.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Keystone federation lets users of an identity provider log in to OpenStack without a local account. Here is how I set it up with SAML and mod_auth_mellon on a test cloud.",
            "For weeks our instances took a minute to boot, and the console showed cloud-init waiting on the metadata service. The cause turned out to be a single slow query.",
            // Nothing follows the note: it is all there is.
            "Edit: the whole post was replaced by this note, which says where the content went and why.",
        ]
    );
}

#[test]
fn fixture_blogger_lead_labels_are_dropped() {
    let bytes = include_bytes!("../../tests/fixtures/feeds/blogger-atom-synopsis-label.xml");
    let got = from_fixture(bytes, &BTreeMap::new(), &Filters::default());
    let summaries: Vec<&str> = got.items.iter().map(|i| i.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "As part of the recent OpenStack summit in Austin, the Scientific Working group was established looking into how scientific organisations can best make use of OpenStack clouds.",
            "We moved our container clusters to Magnum and measured what it cost us in operations time over the first three months.",
        ]
    );
}

#[test]
fn huge_titles_authors_and_words_are_cut_to_a_bound() {
    let mut e = entry(None, &"W".repeat(5 << 20), "https://blog.example/a");
    e.authors = vec![format!("Ann {}", "Very".repeat(500))];
    e.summary = Some(format!(
        "A first paragraph that opens with a word of ten thousand letters {} and goes on.",
        "x".repeat(10_000)
    ));
    let feed = ParsedFeed {
        entries: vec![e],
        ..ParsedFeed::default()
    };
    let item = &run(&feed).items[0];
    assert_eq!(item.title.chars().count(), MAX_TITLE_CHARS);
    assert!(item.title.ends_with("W…"));
    assert_eq!(
        item.author.chars().count(),
        MAX_AUTHOR_CHARS,
        "{}",
        item.author
    );
    assert!(item.author.starts_with("Ann VeryVery"), "{}", item.author);
    assert!(item.summary.chars().count() <= MAX_SUMMARY_CHARS);
    assert!(item
        .summary
        .starts_with("A first paragraph that opens with"));
    assert_eq!(bounded("short".into(), 5), "short");
    assert_eq!(bounded("one two three".into(), 9), "one two…");
    assert_eq!(bounded("é".repeat(4), 3), "éé…");
}
