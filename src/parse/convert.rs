//! feed-rs's side of parsing: running it (entries without an id keep none) and converting its
//! model into `ParsedFeed`, with what feed-rs drops read back from the raw feed by `extensions`
//! (FeedBurner's original links, a channel `dc:creator`, prefixed Atom links in RSS items).

use std::sync::LazyLock;

use feed_rs::model;
use url::Url;

use super::extensions::{self, Extensions};
use super::sniff::memfind;
use super::{Entry, ParsedFeed};

pub(super) fn run_feed_rs(
    bytes: &[u8],
    base: Option<&Url>,
) -> Result<model::Feed, feed_rs::parser::ParseFeedError> {
    let cleaned = declarations_made_safe(bytes);
    let bytes = cleaned.as_deref().unwrap_or(bytes);
    feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        // Entries without guid/id must come out without one: feed-rs would otherwise invent a
        // hash or, with no link, a random UUID that changes on every poll.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(super::dates::feed_timestamp)
        .build()
        .parse(bytes)
}

/// `<?xml ` or `<?xml?`: an XML declaration (`<?xml-stylesheet` is another thing).
static DECLARATION: LazyLock<regex::bytes::Regex> =
    LazyLock::new(|| regex::bytes::Regex::new(r"<\?xml[\s?]").expect("a valid pattern"));

/// A declaration's encoding attribute.
static ENCODING: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(r#"encoding\s*=\s*["']([^"'?]{1,40})["']"#).expect("a valid pattern")
});

/// How much of the body quick-xml 0.42 holds in its first buffer (its `PREFIX_CAP`, 64 bytes,
/// less room to spare): a declaration must end within it.
const DECLARATION_ROOM: usize = 56;

/// A guard for a panic in feed-rs 3.0.0 with quick-xml 0.42: feed-rs switches the decoder to the
/// encoding an XML declaration names, and quick-xml panics (src/encoding.rs:380) when that comes
/// after the first 64 bytes it buffered: a declaration in the middle of a body (two feeds pasted
/// together, a fragment included whole) or one pushed past the first 64 bytes by leading
/// whitespace or long attributes. The whole feed would be lost. Here a declaration at the start
/// is rewritten short (`<?xml version="1.0" encoding="…"?>`, leading whitespace dropped) when it
/// ends too late, and one anywhere else, meaningless there, is dropped. Both found by the fuzzer.
/// `None` when nothing needs it, nearly always.
fn declarations_made_safe(bytes: &[u8]) -> Option<Vec<u8>> {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let start = bom
        + bytes[bom..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(0);
    let ends = |at: usize| memfind(&bytes[at..], b"?>").map_or(bytes.len(), |end| at + end + 2);
    let mut found = DECLARATION.find_iter(bytes).map(|m| m.start()).peekable();
    let leading = found.next_if_eq(&start);
    let long = leading.is_some_and(|at| ends(at) > DECLARATION_ROOM);
    if !long && found.peek().is_none() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..bom]);
    let mut copied = bom;
    if let Some(at) = leading {
        let end = ends(at);
        out.extend_from_slice(b"<?xml version=\"1.0\"");
        if let Some(label) = ENCODING.captures(&bytes[at..end]).and_then(|c| c.get(1)) {
            out.extend_from_slice(b" encoding=\"");
            out.extend_from_slice(label.as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b"?>");
        copied = end;
    }
    for at in found {
        if at < copied {
            continue;
        }
        out.extend_from_slice(&bytes[copied..at]);
        copied = ends(at);
    }
    out.extend_from_slice(&bytes[copied..]);
    Some(out)
}

pub(super) fn describe(err: &feed_rs::parser::ParseFeedError) -> String {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match err {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            "no RSS, Atom or JSON Feed root element in the body".to_owned()
        }
        other => other.to_string(),
    }
}

/// feed-rs's model as a `ParsedFeed`; `raw` is the body feed-rs read, scanned for what it drops.
pub(super) fn convert(feed: model::Feed, raw: &[u8], base: Option<&Url>) -> ParsedFeed {
    let is_rss = matches!(
        feed.feed_type,
        model::FeedType::RSS0 | model::FeedType::RSS1 | model::FeedType::RSS2
    );
    let mut authors: Vec<String> = feed.authors.iter().filter_map(person).collect();
    if is_rss {
        // managingEditor lands in contributors; a channel dc:creator is dropped by feed-rs.
        authors.extend(feed.contributors.iter().filter_map(person));
    }
    // The channel's dc:creator stands in for an entry's author: it is looked for (a second
    // reading of the whole feed) only when some entry has none of its own. A WordPress feed
    // names one in every item, and has dc:creator elements in every item to find.
    let wants_creator = is_rss
        && authors.is_empty()
        && feed
            .entries
            .iter()
            .any(|e| e.authors.iter().all(|p| person(p).is_none()));
    let ext = scan_if_needed(&feed, raw, wants_creator);
    if wants_creator {
        authors.extend(ext.channel_creator);
    }
    let mut entries: Vec<Entry> = feed
        .entries
        .into_iter()
        .map(|e| convert_entry(e, &ext.orig_links, base))
        .collect();
    fill_missing_links(&mut entries, &ext.item_links, base);
    ParsedFeed {
        title: feed.title.map(|t| t.content),
        link: feed_link(&feed.links),
        authors,
        entries,
    }
}

/// The extension scan, run only when the feed may hold something it finds and feed-rs left a
/// gap it would fill: most feeds need no second reading.
fn scan_if_needed(feed: &model::Feed, raw: &[u8], wants_creator: bool) -> Extensions {
    let needed = memfind(raw, b"origLink").is_some()
        || (wants_creator && memfind(raw, b"<dc:creator").is_some())
        || feed.entries.iter().any(|e| pick_link(&e.links).is_none());
    if needed {
        extensions::scan(raw)
    } else {
        Extensions::default()
    }
}

/// Where the feed lives on the web (rel=self), else the site it belongs to.
fn feed_link(links: &[model::Link]) -> Option<String> {
    let web = |rel: &dyn Fn(Option<&str>) -> bool| {
        links
            .iter()
            .filter(|l| rel(l.rel.as_deref()))
            .map(|l| l.href.trim())
            .find(|h| h.starts_with("http://") || h.starts_with("https://"))
            .map(str::to_owned)
    };
    web(&|r| r == Some("self")).or_else(|| web(&|r| r.is_none_or(|r| r == "alternate")))
}

/// A person as one raw string: the name when there is one (with the e-mail in front when the name
/// came from `email (Name)`), else the e-mail. Cleaning is extract's job.
fn person(p: &model::Person) -> Option<String> {
    let name = p.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let email = p.email.as_deref().map(str::trim).filter(|n| !n.is_empty());
    match (name, email) {
        (Some(n), _) => Some(n.to_owned()),
        (None, Some(e)) => Some(e.to_owned()),
        (None, None) => None,
    }
}

fn convert_entry(
    e: model::Entry,
    orig: &std::collections::HashMap<String, String>,
    base: Option<&Url>,
) -> Entry {
    let link = pick_link(&e.links).map(|href| resolve(&href, base));
    let id = Some(e.id.trim().to_owned()).filter(|id| !id.is_empty());
    let orig_link = id
        .as_ref()
        .and_then(|id| orig.get(id))
        .or_else(|| link.as_ref().and_then(|l| orig.get(l)))
        .cloned();
    Entry {
        id,
        title: e.title.map(|t| t.content),
        link,
        orig_link,
        authors: e.authors.iter().filter_map(person).collect(),
        summary: e
            .summary
            .map(|t| t.content)
            .filter(|s| !s.trim().is_empty()),
        content: e
            .content
            .and_then(|c| c.body)
            .filter(|s| !s.trim().is_empty()),
        published: e.published,
        updated: e.updated,
        categories: e
            .categories
            .into_iter()
            .map(|c| c.label.filter(|l| !l.trim().is_empty()).unwrap_or(c.term))
            .collect(),
    }
}

/// The alternate link: rel="alternate" or no rel, else the first of any kind.
fn pick_link(links: &[model::Link]) -> Option<String> {
    links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.first())
        .map(|l| l.href.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// `href` resolved against `base`: as it is when it parses on its own, as an http(s) link
/// nearly always does (one that does not fails against the base too, being absolute).
fn resolve(href: &str, base: Option<&Url>) -> String {
    let http = |scheme: &str| {
        href.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    };
    if http("http://") || http("https://") {
        return href.to_owned();
    }
    match base {
        Some(b) if Url::parse(href).is_err() => b
            .join(href)
            .map(String::from)
            .unwrap_or_else(|_| href.to_owned()),
        _ => href.to_owned(),
    }
}

/// Entries feed-rs found no link for: a permalink guid is the link; else an Atom link under a
/// prefix feed-rs does not read inside RSS items (`<a10:link href>`), matched by position.
fn fill_missing_links(entries: &mut [Entry], item_links: &[Option<String>], base: Option<&Url>) {
    let by_position = item_links.len() == entries.len();
    for (i, entry) in entries.iter_mut().enumerate() {
        if entry.link.is_some() {
            continue;
        }
        let guid_link = entry
            .id
            .as_deref()
            .filter(|id| id.starts_with("http://") || id.starts_with("https://"));
        entry.link = guid_link.map(str::to_owned).or_else(|| {
            let href = item_links.get(i).filter(|_| by_position)?.as_deref()?;
            Some(resolve(href, base))
        });
    }
}
