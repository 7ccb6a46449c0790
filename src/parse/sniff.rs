//! A first look at a body, before any parser: where its root element starts and what it is
//! called, whether it is JSON, whether it holds items, and whether it is an HTML page (with the
//! feeds the page advertises). The one root sniffer, used by `feed` and by the repair pass.

use std::sync::LazyLock;

use scraper::Selector;
use url::Url;

use super::ParseError;

/// The offset of the root element's start tag, after declarations, comments and doctypes.
pub fn root_start(text: &str) -> Option<usize> {
    let mut from = 0;
    loop {
        let pos = from + text[from..].find('<')?;
        let rest = &text[pos..];
        if rest.starts_with("<!--") {
            from = pos + rest.find("-->")? + 3;
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            from = pos + rest.find('>')? + 1;
        } else {
            return Some(pos);
        }
    }
}

/// The name of the root element, as written.
pub fn root_name(text: &str) -> Option<&str> {
    let name = &text[root_start(text)? + 1..];
    let end = name
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(name.len());
    Some(&name[..end])
}

/// Whether the body is JSON (its first non-blank byte opens an object or an array).
pub fn is_json(bytes: &[u8]) -> bool {
    matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Whether the body holds `<item` or `<entry` anywhere.
pub fn holds_items(bytes: &[u8]) -> bool {
    memfind(bytes, b"<item").is_some() || memfind(bytes, b"<entry").is_some()
}

pub fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Recognises an HTML page where a feed was expected, naming the feeds it advertises.
pub fn html_page(bytes: &[u8], base: Option<&Url>) -> Option<ParseError> {
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

/// The feeds an HTML page advertises with `<link rel="alternate" type="application/…+xml">`.
pub fn advertised_feeds(html: &str, base: Option<&Url>) -> Vec<String> {
    static LINK: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("link[href]").expect("link[href] is a valid selector"));
    let doc = scraper::Html::parse_document(html);
    let mut feeds = Vec::new();
    for link in doc.select(&LINK) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_after_declaration_comments_and_doctype() {
        let text = "<?xml version=\"1.0\"?>\n<!-- a > b --><!DOCTYPE rss>\n<rss version=\"2.0\">";
        assert_eq!(root_start(text), text.find("<rss"));
        assert_eq!(root_name(text), Some("rss"));
        assert_eq!(root_name("<feed/>"), Some("feed"));
        assert_eq!(root_name("<!-- only a comment -->"), None);
        assert_eq!(root_name("<!-- never closed"), None);
    }
}
