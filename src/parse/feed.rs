//! Feed bytes -> `ParsedFeed`, through feed-rs. The body is parsed as sent first (the fast path,
//! nearly every feed); only when feed-rs refuses it does the repair pass run, once. A body that is
//! not a feed at all (empty, an HTML page, some other JSON) gets an error that says what it was.
//! What feed-rs drops and the roundup needs is recovered here by a scan of the raw text:
//! `feedburner:origLink` and the channel's `dc:creator`.

use std::collections::HashMap;

use feed_rs::model;
use url::Url;

use super::repair;
use super::{Entry, ParseError, ParsedFeed};

/// Parses a feed body. `base` is the feed's final URL, against which relative links resolve.
pub fn parse(bytes: &[u8], base: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let inflated;
    let bytes = if repair::is_gzip(bytes) {
        inflated = repair::gunzip(bytes).map_err(|e| ParseError::Malformed(e.to_string()))?;
        if inflated.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(ParseError::Empty);
        }
        &inflated[..]
    } else {
        bytes
    };

    // A single-byte declaration over UTF-8 bytes parses "fine" into mojibake: repair first.
    let first = if repair::mislabelled_utf8(bytes) {
        None
    } else {
        match run_feed_rs(bytes, base) {
            // Zero entries from a body that holds items means a namespace feed-rs does not
            // know (RSS 0.90, a default xmlns on <rss>, Atom 0.3): the repair pass renames it.
            Ok(feed) if feed.entries.is_empty() && holds_items(bytes) => None,
            Ok(feed) => return Ok(convert(feed, bytes, base)),
            Err(e) => Some(e),
        }
    };

    if is_json(bytes) {
        return parse_json(bytes, base, first);
    }
    if let Some(err) = not_a_feed(bytes, base) {
        return Err(err);
    }
    let repaired = repair::repair(bytes).map_err(|e| ParseError::Malformed(e.to_string()))?;
    match run_feed_rs(repaired.text.as_bytes(), base) {
        Ok(feed) => {
            tracing::debug!(fixes = ?repaired.fixes, "feed parsed after repair");
            Ok(convert(feed, repaired.text.as_bytes(), base))
        }
        Err(e) => match first {
            None => match run_feed_rs(bytes, base) {
                // The repair made it worse: the body as sent is the better reading.
                Ok(feed) => Ok(convert(feed, bytes, base)),
                Err(_) => Err(ParseError::Malformed(describe(&e))),
            },
            Some(reason) => Err(ParseError::Malformed(describe(&reason))),
        },
    }
}

/// Field shapes JSON Feed generators get wrong and feed-rs refuses: `"tags": "a,b"` and
/// `"author": "Name"`.
fn fix_json_item(item: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(obj) = item else { return };
    if let Some(Value::String(tags)) = obj.get("tags") {
        let list = tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Value::String(t.to_owned()))
            .collect();
        obj.insert("tags".to_owned(), Value::Array(list));
    }
    if let Some(Value::String(name)) = obj.get("author") {
        let person = serde_json::json!({ "name": name });
        obj.insert("author".to_owned(), person);
    }
}

fn holds_items(bytes: &[u8]) -> bool {
    memfind(bytes, b"<item").is_some() || memfind(bytes, b"<entry").is_some()
}

fn is_json(bytes: &[u8]) -> bool {
    matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// JSON: a JSON Feed feed-rs refused gets its `version` normalised (feeds say http://) and
/// one more try; JSON of any other kind is named as such.
fn parse_json(
    bytes: &[u8],
    base: Option<&Url>,
    first: Option<feed_rs::parser::ParseFeedError>,
) -> Result<ParsedFeed, ParseError> {
    let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => v,
        Err(e) => return Err(ParseError::NotAFeed(format!("broken JSON: {e}"))),
    };
    let serde_json::Value::Object(mut map) = value else {
        return Err(ParseError::NotAFeed(
            "JSON that is not a JSON Feed (not an object)".to_owned(),
        ));
    };
    let is_json_feed = map
        .get("version")
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.contains("jsonfeed.org"));
    if !is_json_feed {
        let keys: Vec<&str> = map.keys().take(5).map(String::as_str).collect();
        return Err(ParseError::NotAFeed(format!(
            "JSON that is not a JSON Feed (no \"version\" naming jsonfeed.org; top-level keys: {})",
            keys.join(", ")
        )));
    }
    map.insert(
        "version".to_owned(),
        serde_json::Value::String("https://jsonfeed.org/version/1.1".to_owned()),
    );
    if let Some(serde_json::Value::Array(items)) = map.get_mut("items") {
        items.iter_mut().for_each(fix_json_item);
    }
    let fixed = serde_json::to_vec(&serde_json::Value::Object(map)).unwrap_or_default();
    match run_feed_rs(&fixed, base) {
        Ok(feed) => Ok(convert(feed, &fixed, base)),
        Err(e) => Err(ParseError::Malformed(format!(
            "JSON Feed: {}",
            describe(first.as_ref().unwrap_or(&e))
        ))),
    }
}

fn run_feed_rs(
    bytes: &[u8],
    base: Option<&Url>,
) -> Result<model::Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        // Entries without guid/id must come out without one: feed-rs would otherwise invent a
        // hash or, with no link, a random UUID that changes on every poll.
        .id_generator(|_, _, _| String::new())
        .build()
        .parse(bytes)
}

fn describe(err: &feed_rs::parser::ParseFeedError) -> String {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match err {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            "no RSS, Atom or JSON Feed root element in the body".to_owned()
        }
        other => other.to_string(),
    }
}

/// Recognises bodies that are something else than a broken feed: an HTML page or foreign JSON.
fn not_a_feed(bytes: &[u8], base: Option<&Url>) -> Option<ParseError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let head = &bytes[start..bytes.len().min(start + 2048)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    // Judged by the root element, not by a search: a feed's CDATA may well hold "<html".
    let html = lower.starts_with("<!doctype html")
        || root_name(&lower)
            .is_some_and(|r| matches!(r, "html" | "head" | "body" | "title" | "meta"));
    html.then(|| ParseError::Html {
        feeds: advertised_feeds(&String::from_utf8_lossy(bytes), base),
    })
}

/// The name of the first element, after declarations, comments and doctypes.
fn root_name(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        rest = &rest[rest.find('<')?..];
        if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
        } else {
            let name = &rest[1..];
            let end = name
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(name.len());
            return Some(&name[..end]);
        }
    }
}

/// The feeds an HTML page advertises with `<link rel="alternate" type="application/…+xml">`.
pub fn advertised_feeds(html: &str, base: Option<&Url>) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let Ok(sel) = scraper::Selector::parse("link[href]") else {
        return Vec::new();
    };
    let mut feeds = Vec::new();
    for link in doc.select(&sel) {
        let el = link.value();
        let rel = el.attr("rel").unwrap_or("").to_ascii_lowercase();
        let kind = el.attr("type").unwrap_or("").to_ascii_lowercase();
        let is_feed = matches!(
            kind.trim(),
            "application/rss+xml" | "application/atom+xml" | "application/feed+json"
        );
        if !rel.split_whitespace().any(|r| r == "alternate") || !is_feed {
            continue;
        }
        let Some(href) = el.attr("href").map(str::trim) else {
            continue;
        };
        let resolved = match base {
            Some(b) => b
                .join(href)
                .map(String::from)
                .unwrap_or_else(|_| href.to_owned()),
            None => href.to_owned(),
        };
        if !feeds.contains(&resolved) {
            feeds.push(resolved);
        }
    }
    feeds
}

fn convert(feed: model::Feed, raw: &[u8], base: Option<&Url>) -> ParsedFeed {
    let is_rss = matches!(
        feed.feed_type,
        model::FeedType::RSS0 | model::FeedType::RSS1 | model::FeedType::RSS2
    );
    let mut authors: Vec<String> = feed.authors.iter().filter_map(person).collect();
    if is_rss {
        // managingEditor lands in contributors; a channel dc:creator is dropped by feed-rs.
        authors.extend(feed.contributors.iter().filter_map(person));
        if authors.is_empty() {
            authors.extend(channel_creator(raw));
        }
    }
    let orig_links = orig_links(raw);
    let mut entries: Vec<Entry> = feed
        .entries
        .into_iter()
        .map(|e| convert_entry(e, &orig_links, base))
        .collect();
    if entries.iter().any(|e| e.link.is_none()) {
        fill_missing_links(&mut entries, raw, base);
    }
    let web = |rel: &dyn Fn(Option<&str>) -> bool| {
        feed.links
            .iter()
            .filter(|l| rel(l.rel.as_deref()))
            .map(|l| l.href.trim())
            .find(|h| h.starts_with("http://") || h.starts_with("https://"))
            .map(str::to_owned)
    };
    // Where the feed lives on the web (rel=self), else the site it belongs to.
    let link = web(&|r| r == Some("self")).or_else(|| web(&|r| r.is_none_or(|r| r == "alternate")));
    ParsedFeed {
        title: feed.title.map(|t| t.content),
        link,
        authors,
        entries,
    }
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

fn convert_entry(e: model::Entry, orig: &HashMap<String, String>, base: Option<&Url>) -> Entry {
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

fn resolve(href: &str, base: Option<&Url>) -> String {
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
fn fill_missing_links(entries: &mut [Entry], raw: &[u8], base: Option<&Url>) {
    let text = String::from_utf8_lossy(raw);
    let chunks: Vec<&str> = text
        .split("<item")
        .skip(1)
        .filter(|c| c.starts_with(['>', ' ', '\n', '\r', '\t']))
        .collect();
    let by_position = chunks.len() == entries.len();
    for (i, entry) in entries.iter_mut().enumerate() {
        if entry.link.is_some() {
            continue;
        }
        let guid_link = entry
            .id
            .as_deref()
            .filter(|id| id.starts_with("http://") || id.starts_with("https://"));
        entry.link = guid_link.map(str::to_owned).or_else(|| {
            let chunk = chunks.get(i).filter(|_| by_position)?;
            prefixed_atom_link(chunk).map(|href| resolve(&href, base))
        });
    }
}

/// `<prefix:link href="…">` (not rel="self") in an RSS item.
fn prefixed_atom_link(chunk: &str) -> Option<String> {
    alternate_href(
        &chunk[..chunk.find("</item>").unwrap_or(chunk.len())],
        ":link ",
    )
}

/// `feedburner:origLink` per item/entry, keyed by the item's guid/id and its (proxy) link.
fn orig_links(raw: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    if memfind(raw, b"origLink").is_none() {
        return map;
    }
    let text = String::from_utf8_lossy(raw);
    for chunk in text
        .split("<item")
        .skip(1)
        .chain(text.split("<entry").skip(1))
    {
        let Some(orig) = element_text(chunk, "feedburner:origLink") else {
            continue;
        };
        for key in ["guid", "id", "link"] {
            if let Some(k) = element_text(chunk, key) {
                map.insert(k, orig.clone());
            }
        }
        if let Some(href) = atom_alternate_href(chunk) {
            map.insert(href, orig.clone());
        }
    }
    map
}

/// The trimmed, entity-decoded text of the first `<name …>text</name>` in `chunk`.
fn element_text(chunk: &str, name: &str) -> Option<String> {
    let open = format!("<{name}");
    let mut from = 0;
    let start = loop {
        let p = from + chunk[from..].find(&open)?;
        let next = chunk[p + open.len()..].chars().next()?;
        if next == '>' || next.is_whitespace() {
            break p;
        }
        from = p + open.len();
    };
    let body_start = start + chunk[start..].find('>')? + 1;
    if chunk[..body_start].ends_with("/>") {
        return None;
    }
    let body_end = body_start + chunk[body_start..].find(&format!("</{name}>"))?;
    let body = chunk[body_start..body_end].trim();
    let body = body
        .strip_prefix("<![CDATA[")
        .and_then(|b| b.strip_suffix("]]>"))
        .unwrap_or(body);
    let value = crate::text::decode_entities(body.trim());
    (!value.is_empty()).then_some(value)
}

fn atom_alternate_href(chunk: &str) -> Option<String> {
    alternate_href(chunk, "<link")
}

/// The href of the first tag starting with `opening` whose rel is absent or "alternate".
fn alternate_href(chunk: &str, opening: &str) -> Option<String> {
    let mut rest = chunk;
    while let Some(p) = rest.find(opening) {
        let tag_end = p + rest[p..].find('>')?;
        let attrs = &rest[p + opening.len()..tag_end];
        let rel = crate::text::attr(attrs, "rel").unwrap_or("alternate");
        if rel == "alternate" {
            if let Some(href) = crate::text::attr(attrs, "href") {
                return Some(crate::text::decode_entities(href.trim()));
            }
        }
        rest = &rest[tag_end..];
    }
    None
}

/// A channel-level `<dc:creator>` (before the first item), which feed-rs drops.
fn channel_creator(raw: &[u8]) -> Option<String> {
    let end = memfind(raw, b"<item").unwrap_or(raw.len());
    let head = &raw[..end];
    memfind(head, b"<dc:creator")?;
    element_text(&String::from_utf8_lossy(head), "dc:creator")
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://blog.example.org/feed/").expect("static URL")
    }

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>T</title><link>https://blog.example.org/</link>
<item><title>One</title><link>/2024/one</link><description>&lt;p&gt;Hi&lt;/p&gt;</description></item>
</channel></rss>"#;

    #[test]
    fn parses_rss_and_resolves_relative_links() {
        let f = parse(RSS.as_bytes(), Some(&base())).expect("valid feed");
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(f.entries.len(), 1);
        assert_eq!(
            f.entries[0].link.as_deref(),
            Some("https://blog.example.org/2024/one")
        );
        assert_eq!(f.entries[0].summary.as_deref(), Some("<p>Hi</p>"));
    }

    #[test]
    fn entry_without_guid_has_no_id() {
        let f = parse(RSS.as_bytes(), None).expect("valid feed");
        assert_eq!(f.entries[0].id, None);
    }

    #[test]
    fn empty_body_is_an_error() {
        assert_eq!(parse(b"", None), Err(ParseError::Empty));
        assert_eq!(parse(b" \n\t", None), Err(ParseError::Empty));
    }

    #[test]
    fn html_page_names_its_feeds() {
        let page = r#"<!DOCTYPE html><html><head><title>Blog</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" href="https://x.org/atom">
<link rel="stylesheet" href="/s.css"></head><body>hi</body></html>"#;
        let err = parse(page.as_bytes(), Some(&base())).expect_err("html is not a feed");
        assert_eq!(
            err,
            ParseError::Html {
                feeds: vec![
                    "https://blog.example.org/feed.xml".to_owned(),
                    "https://x.org/atom".to_owned()
                ]
            }
        );
        assert!(err
            .to_string()
            .contains("https://blog.example.org/feed.xml"));
    }

    #[test]
    fn headless_html_fragment_is_html() {
        let page =
            "<head><title>Document Moved</title></head><body>moved <a href=x>here</a></body>";
        assert_eq!(
            parse(page.as_bytes(), None),
            Err(ParseError::Html { feeds: vec![] })
        );
    }

    #[test]
    fn broken_rss_quoting_html_is_repaired_not_called_html() {
        let body = "<rss version=\"2.0\"><channel><item><title>A & B</title><description><![CDATA[<html><body>x</body></html>]]></description></item></channel></rss>";
        let f = parse(body.as_bytes(), None).expect("repaired, not taken for a page");
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn json_that_is_not_json_feed_says_so() {
        let err = parse(br#"{"rss": {"channel": {}}}"#, None).expect_err("not a JSON Feed");
        assert!(matches!(&err, ParseError::NotAFeed(m) if m.contains("JSON") && m.contains("rss")));
    }

    #[test]
    fn comment_only_document_is_malformed() {
        let err = parse(b"<!-- nothing here -->\n", None).expect_err("no root");
        assert!(matches!(err, ParseError::Malformed(_)), "{err:?}");
    }

    #[test]
    fn bare_ampersand_is_repaired() {
        let body = "<rss version=\"2.0\"><channel><item><title>Q&A</title><link>http://x/?a=1&b=2</link></item></channel></rss>";
        let f = parse(body.as_bytes(), None).expect("repaired");
        assert_eq!(f.entries[0].title.as_deref(), Some("Q&A"));
        assert_eq!(f.entries[0].link.as_deref(), Some("http://x/?a=1&b=2"));
    }

    #[test]
    fn html_entities_are_repaired() {
        let body = "<rss version=\"2.0\"><channel><item><title>a&nbsp;b&eacute;</title></item></channel></rss>";
        let f = parse(body.as_bytes(), None).expect("parses, repaired if need be");
        let title = f.entries[0].title.as_deref().unwrap_or("");
        assert_eq!(crate::text::decode_entities(title), "a\u{a0}bé");
    }

    #[test]
    fn rss_without_version_is_repaired() {
        let body = "<rss><channel><item><title>x</title></item></channel></rss>";
        let f = parse(body.as_bytes(), None).expect("repaired");
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn whitespace_and_bom_before_declaration_are_repaired() {
        let body = "\u{feff}\n  <?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>";
        assert_eq!(
            parse(body.as_bytes(), None)
                .expect("repaired")
                .entries
                .len(),
            1
        );
    }

    #[test]
    fn mislabelled_utf8_is_not_mojibake() {
        let body = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>Café</title></entry></feed>";
        let f = parse(body.as_bytes(), None).expect("parses");
        assert_eq!(f.entries[0].title.as_deref(), Some("Café"));
    }

    #[test]
    fn undeclared_latin1_is_read_as_windows_1252() {
        let body =
            b"<rss version=\"2.0\"><channel><item><title>caf\xe9</title></item></channel></rss>";
        let f = parse(body, None).expect("parses");
        assert_eq!(f.entries[0].title.as_deref(), Some("café"));
    }

    #[test]
    fn gb2312_is_transcoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode(
            "<rss version=\"2.0\"><channel><item><title>中文</title></item></channel></rss>",
        );
        let mut body = b"<?xml version=\"1.0\" encoding=\"gb2312\"?>".to_vec();
        body.extend_from_slice(&bytes);
        let f = parse(&body, None).expect("parses");
        assert_eq!(f.entries[0].title.as_deref(), Some("中文"));
    }

    #[test]
    fn utf16be_without_bom_is_read() {
        let body: Vec<u8> =
            "<rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>"
                .encode_utf16()
                .flat_map(|u| u.to_be_bytes())
                .collect();
        assert_eq!(parse(&body, None).expect("parses").entries.len(), 1);
    }

    #[test]
    fn gzip_body_is_inflated() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(RSS.as_bytes()).expect("writes to a Vec");
        let gz = enc.finish().expect("writes to a Vec");
        assert_eq!(parse(&gz, None).expect("inflated").entries.len(), 1);
    }

    #[test]
    fn truncated_body_keeps_complete_items() {
        let body = "<rss version=\"2.0\"><channel><item><title>a</title></item><item><title>b</title></item><item><title>c";
        let f = parse(body.as_bytes(), None).expect("salvaged");
        assert_eq!(f.entries.len(), 2);
    }

    #[test]
    fn feedburner_orig_link_is_mapped() {
        let body = r#"<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
<item><title>a</title><link>http://feedproxy.google.com/~r/x/1</link><guid isPermaLink="false">tag:x,1</guid>
<feedburner:origLink>https://blog.example.org/a</feedburner:origLink></item>
<item><title>b</title><link>http://feedproxy.google.com/~r/x/2</link>
<feedburner:origLink>https://blog.example.org/b</feedburner:origLink></item>
</channel></rss>"#;
        let f = parse(body.as_bytes(), None).expect("valid");
        assert_eq!(
            f.entries[0].orig_link.as_deref(),
            Some("https://blog.example.org/a")
        );
        assert_eq!(
            f.entries[1].orig_link.as_deref(),
            Some("https://blog.example.org/b")
        );
    }

    #[test]
    fn permalink_guid_and_prefixed_atom_link_fill_missing_links() {
        let body = r#"<rss version="2.0" xmlns:a10="http://www.w3.org/2005/Atom"><channel>
<item><title>a</title><guid>https://x.org/a</guid></item>
<item><title>b</title><a10:link href="https://x.org/b" /></item>
</channel></rss>"#;
        let f = parse(body.as_bytes(), None).expect("valid");
        assert_eq!(f.entries[0].link.as_deref(), Some("https://x.org/a"));
        assert_eq!(f.entries[1].link.as_deref(), Some("https://x.org/b"));
    }

    #[test]
    fn rss_090_namespace_yields_items() {
        let body = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>heise</title><link>https://heise.de</link><description>d</description></channel>
<item><title>one</title><link>https://heise.de/1</link></item></rdf:RDF>"#;
        let f = parse(body.as_bytes(), None).expect("valid");
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.entries[0].link.as_deref(), Some("https://heise.de/1"));
    }

    #[test]
    fn default_xmlns_on_rss_yields_items() {
        let body = r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>t</title>
<item><title>one</title><link>https://x.org/1</link></item></channel></rss>"#;
        assert_eq!(
            parse(body.as_bytes(), None).expect("valid").entries.len(),
            1
        );
    }

    #[test]
    fn json_feed_with_http_version_is_read() {
        let json = r#"{"version":"http://jsonfeed.org/version/1","title":"t","items":[{"id":"1","url":"https://x.org/1","content_html":"<p>hi</p>"}]}"#;
        assert_eq!(
            parse(json.as_bytes(), None).expect("valid").entries.len(),
            1
        );
    }

    #[test]
    fn json_feed_with_tags_as_string_is_read() {
        let json = r#"{"version":"https://jsonfeed.org/version/1","title":"t","items":[{"id":"1","url":"https://x.org/1","content_text":"hi","tags":"workflow,omnifocus"}]}"#;
        let f = parse(json.as_bytes(), None).expect("repaired");
        assert_eq!(
            f.entries[0].categories,
            vec!["workflow".to_owned(), "omnifocus".to_owned()]
        );
    }

    #[test]
    fn atom_with_empty_title_and_odd_text_type_is_repaired() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text/plain">t</title>
<entry><id>urn:1</id><title></title><summary type="HTML">&lt;p&gt;hi&lt;/p&gt;</summary><link href="https://x.org/1"/></entry></feed>"#;
        let f = parse(atom.as_bytes(), None).expect("repaired");
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.entries[0].summary.as_deref(), Some("<p>hi</p>"));
    }

    #[test]
    fn feed_level_authors() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><author><name>Sam Ruby</name></author>
<entry><id>urn:1</id><title>x</title></entry></feed>"#;
        let f = parse(atom.as_bytes(), None).expect("valid");
        assert_eq!(f.authors, vec!["Sam Ruby".to_owned()]);
        assert!(f.entries[0].authors.is_empty());

        let rss = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
<dc:creator>Ruben Schade</dc:creator><item><title>x</title></item></channel></rss>"#;
        assert_eq!(
            parse(rss.as_bytes(), None).expect("valid").authors,
            vec!["Ruben Schade".to_owned()]
        );

        let rss = r#"<rss version="2.0"><channel><title>t</title><managingEditor>ed@x.org (Ed Itor)</managingEditor>
<item><title>x</title></item></channel></rss>"#;
        let authors = parse(rss.as_bytes(), None).expect("valid").authors;
        assert_eq!(authors.len(), 1);
        assert!(authors[0].contains("Ed Itor"), "{authors:?}");

        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","authors":[{"name":"Brent"}],
"items":[{"id":"1","url":"https://x.org/1","content_text":"hi"}]}"#;
        assert_eq!(
            parse(json.as_bytes(), None).expect("valid").authors,
            vec!["Brent".to_owned()]
        );
    }

    #[test]
    fn email_style_author_is_passed_raw() {
        let rss = r#"<rss version="2.0"><channel><item><title>x</title><author>jdoe@x.com (John Doe)</author></item></channel></rss>"#;
        let f = parse(rss.as_bytes(), None).expect("valid");
        assert!(f.entries[0].authors[0].contains("John Doe"));
    }
}
