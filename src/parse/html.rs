//! HTML pages -> entries, for `kind = "html"` sources (blogs without a usable feed). Owns the
//! page's decoding (`<meta charset>` honoured, else UTF-8) and the reading of each post out of
//! the configured CSS selectors. scraper's `Html` is neither Send nor Sync, so it lives and dies
//! inside `scrape`, which returns owned data.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::{Entry, ParseError, ParsedFeed};
use crate::config::HtmlSelectors;
use crate::text::{collapse_whitespace, date, walk_element, Rules};

/// How far into the page a `<meta charset>` is looked for (HTML puts it in the first 1024 bytes;
/// real pages are sloppier).
const CHARSET_SCAN: usize = 4096;

/// Selectors that are the same for every page, compiled once.
static ANCHOR: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href]").expect("a[href] is a valid selector"));
static PAGE_TITLE: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("title").expect("title is a valid selector"));
static TIME: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse("time[datetime]").expect("time[datetime] is a valid selector")
});

/// Reads every element matching `sel.item` as one post.
pub fn scrape(html: &[u8], sel: &HtmlSelectors, base: &Url) -> Result<ParsedFeed, ParseError> {
    if html.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let text = decode(html);
    let doc = Html::parse_document(&text);
    let posts = Posts::of(sel);
    let now = Utc::now();
    let mut matched = 0;
    let mut entries = Vec::new();
    for el in doc.select(posts.item) {
        matched += 1;
        let entry = posts.read(el, base, now);
        if entry.title.is_some() || entry.link.is_some() {
            entries.push(entry);
        }
    }
    if matched == 0 || entries.is_empty() {
        return Err(nothing_read(sel, matched));
    }
    Ok(ParsedFeed {
        link: None,
        title: doc
            .select(&PAGE_TITLE)
            .next()
            .map(element_text)
            .filter(|t| !t.is_empty()),
        authors: Vec::new(),
        entries,
    })
}

/// The configured selectors of one source, as compiled when the config was read.
struct Posts<'a> {
    item: &'a Selector,
    title: &'a Selector,
    link: &'a Selector,
    summary: Option<&'a Selector>,
    author: Option<&'a Selector>,
    date: Option<&'a Selector>,
}

impl<'a> Posts<'a> {
    fn of(sel: &'a HtmlSelectors) -> Posts<'a> {
        Posts {
            item: sel.item.compiled(),
            title: sel.title.compiled(),
            link: sel.link.compiled(),
            summary: sel.summary.as_ref().map(|s| s.compiled()),
            author: sel.author.as_ref().map(|s| s.compiled()),
            date: sel.date.as_ref().map(|s| s.compiled()),
        }
    }

    /// One post: the first match of each selector inside the item element.
    fn read(&self, el: ElementRef<'_>, base: &Url, now: DateTime<Utc>) -> Entry {
        let first = |s: Option<&Selector>| s.and_then(|s| el.select(s).next());
        Entry {
            title: el
                .select(self.title)
                .next()
                .map(element_text)
                .filter(|t| !t.is_empty()),
            link: el
                .select(self.link)
                .next()
                .and_then(href)
                .and_then(|h| resolve(base, &h)),
            summary: first(self.summary)
                .map(|s| s.inner_html().trim().to_owned())
                .filter(|s| !s.is_empty()),
            authors: first(self.author)
                .map(element_text)
                .map(|a| strip_by(&a).to_owned())
                .filter(|a| !a.is_empty())
                .into_iter()
                .collect(),
            published: first(self.date).and_then(|d| element_date(d, now)),
            ..Entry::default()
        }
    }
}

/// Why a page gave no post: the item selector matched nothing, or nothing it matched held a
/// title or a link.
fn nothing_read(sel: &HtmlSelectors, matched: usize) -> ParseError {
    if matched == 0 {
        ParseError::Scrape(format!(
            "the item selector {:?} matched nothing on the page (check it against the page's HTML)",
            sel.item
        ))
    } else {
        ParseError::Scrape(format!(
            "the item selector {:?} matched {matched} elements, but none held a title ({:?}) or a link ({:?})",
            sel.item, sel.title, sel.link
        ))
    }
}

/// The page as text: a byte-order mark or a `<meta charset>` wins, else UTF-8 (bad bytes
/// replaced).
fn decode(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    static META: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#)
            .expect("the charset pattern is a valid regex")
    });
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(CHARSET_SCAN)]);
    let encoding = META
        .captures(&head)
        .and_then(|c| encoding_rs::Encoding::for_label(c[1].as_bytes()))
        // A page that says UTF-16 in ASCII is not UTF-16 (HTML's rule).
        .map(|e| e.output_encoding())
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// The element's text with scripts and styles left out, `<br>` and every other element's start
/// and end read as spaces, whitespace collapsed.
fn element_text(el: ElementRef<'_>) -> String {
    walk_element(el, Rules::ELEMENT, |lines| {
        Some(collapse_whitespace(&lines.concat()))
    })
    .unwrap_or_default()
}

/// The link element's href, or that of its first `a[href]` descendant.
fn href(el: ElementRef<'_>) -> Option<String> {
    el.value()
        .attr("href")
        .or_else(|| {
            el.select(&ANCHOR)
                .next()
                .and_then(|a| a.value().attr("href"))
        })
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// Only http(s) links are kept: a `javascript:` or `mailto:` link is not a post.
fn resolve(base: &Url, href: &str) -> Option<String> {
    base.join(href)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from)
}

/// "By Jason Snell" -> "Jason Snell"; "Linked by Dan Moren" -> "Dan Moren".
fn strip_by(s: &str) -> &str {
    let t = s.trim();
    match t.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("by ") => return t[3..].trim_start(),
        _ => {}
    }
    // A short verb before "by" ("Linked by", "Posted by", "Written by") on a short byline.
    let lower = t.to_ascii_lowercase();
    match lower.find(" by ") {
        Some(at) if at <= 12 && t.split_whitespace().count() <= 8 && t.is_char_boundary(at + 4) => {
            t[at + 4..].trim_start()
        }
        _ => t,
    }
}

/// A `datetime` attribute (on the element or a `<time>` inside it), else the element's text;
/// relative dates ("2 days ago") are read back from `now`.
fn element_date(el: ElementRef<'_>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    el.value()
        .attr("datetime")
        .or_else(|| {
            el.select(&TIME)
                .next()
                .and_then(|t| t.value().attr("datetime"))
        })
        .and_then(|d| date::parse(d, now))
        .or_else(|| date::parse(&element_text(el), now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/html/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
    }

    fn sel(item: &str, title: &str, link: &str) -> HtmlSelectors {
        let css = |s: &str| crate::config::CssSelector::parse(s).unwrap();
        HtmlSelectors {
            item: css(item),
            title: css(title),
            link: css(link),
            summary: None,
            author: None,
            date: None,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn bylines_with_a_verb() {
        assert_eq!(strip_by("Linked by Dan Moren"), "Dan Moren");
        assert_eq!(strip_by("By Jason Snell"), "Jason Snell");
        assert_eq!(
            strip_by("Notes by the sea, a long title that is not a byline"),
            "Notes by the sea, a long title that is not a byline"
        );
    }

    #[test]
    fn weblog_posts_with_dateline_links() {
        // Modelled on a hand-written weblog: h3 > a title, body div, "04 Mar 2016" dateline.
        let mut s = sel("div.weblogPost", "h3", "h3 a");
        s.summary = Some(crate::config::CssSelector::parse("div.weblogPostBody").unwrap());
        s.date = Some(crate::config::CssSelector::parse(".weblogPostDisplayDate").unwrap());
        let base = Url::parse("http://notes.example.org/").unwrap();
        let feed = scrape(&fixture("weblog-dateline-day-first.html"), &s, &base).unwrap();
        assert_eq!(feed.title.as_deref(), Some("Field Notes"));
        assert_eq!(feed.entries.len(), 3);
        let e = &feed.entries[0];
        assert_eq!(e.title.as_deref(), Some("Packstack on a laptop"));
        assert_eq!(
            e.link.as_deref(),
            Some("http://notes.example.org/2016/05/04/packstack_laptop")
        );
        assert!(e.summary.as_deref().unwrap().starts_with("<p>I finally"));
        assert_eq!(e.published, Some(utc("2016-05-04T00:00:00Z")));
        // A relative link resolves against the page.
        assert_eq!(
            feed.entries[1].link.as_deref(),
            Some("http://notes.example.org/2016/04/28/rdo_mitaka")
        );
        assert_eq!(feed.entries[2].published, Some(utc("2016-04-17T00:00:00Z")));
    }

    #[test]
    fn magazine_articles_with_bylines_and_month_first_dates() {
        // Modelled on a magazine-style home page: "By Name" byline, "May  3, 2016  9:12 AM PT".
        let mut s = sel("div.article", "h1", "h1");
        s.author = Some(crate::config::CssSelector::parse(".column1 h3").unwrap());
        s.date = Some(crate::config::CssSelector::parse("p.dateline").unwrap());
        s.summary = Some(crate::config::CssSelector::parse(".column2 > p").unwrap());
        let base = Url::parse("https://stack.example.com/").unwrap();
        let feed = scrape(&fixture("magazine-byline-month-first.html"), &s, &base).unwrap();
        assert_eq!(feed.entries.len(), 2);
        let e = &feed.entries[0];
        assert_eq!(
            e.title.as_deref(),
            Some("Automate This: TripleO & Ansible…")
        );
        assert_eq!(e.authors, ["Jason Snell"]);
        assert_eq!(e.published, Some(utc("2016-05-03T00:00:00Z")));
        assert_eq!(
            e.link.as_deref(),
            Some("https://stack.example.com/post/2016/05/automate-this/")
        );
        // A <time datetime> wins over the text.
        assert_eq!(feed.entries[1].published, Some(utc("2016-04-29T16:05:00Z")));
        // The title's script is not text.
        assert_eq!(
            feed.entries[1].title.as_deref(),
            Some("Cells v2, explained")
        );
    }

    #[test]
    fn meta_charset_is_honoured() {
        let s = sel("article", "h2", "a");
        let base = Url::parse("http://blog.example.de/").unwrap();
        let feed = scrape(&fixture("latin1-meta-charset.html"), &s, &base).unwrap();
        assert_eq!(
            feed.entries[0].title.as_deref(),
            Some("Größere Clouds mit Kolla")
        );
        // Without a declaration bytes are UTF-8, bad ones replaced rather than failing.
        let feed = scrape(
            b"<article><h2>Caf\xc3\xa9 \xff</h2><a href=\"/x\">x</a></article>",
            &s,
            &base,
        )
        .unwrap();
        assert_eq!(feed.entries[0].title.as_deref(), Some("Café \u{fffd}"));
    }

    #[test]
    fn item_selector_matching_nothing_is_an_error() {
        let s = sel("div.post", "h2", "a");
        let base = Url::parse("http://blog.example.de/").unwrap();
        let e = scrape(&fixture("latin1-meta-charset.html"), &s, &base).unwrap_err();
        assert!(
            matches!(&e, ParseError::Scrape(m) if m.contains("\"div.post\" matched nothing")),
            "{e}"
        );
        assert_eq!(scrape(b"  \n", &s, &base).unwrap_err(), ParseError::Empty);
    }

    #[test]
    fn javascript_links_are_dropped() {
        let s = sel("li", "span", "a");
        let base = Url::parse("http://x.example/").unwrap();
        let feed = scrape(
            b"<ul><li><span>Hi</span><a href=\"javascript:alert(1)\">x</a></li></ul>",
            &s,
            &base,
        )
        .unwrap();
        assert_eq!(feed.entries[0].link, None);
        assert_eq!(feed.entries[0].title.as_deref(), Some("Hi"));
    }

    #[test]
    fn odd_bytes_do_not_panic() {
        let s = sel("li", "span", "a");
        let base = Url::parse("http://x.example/").unwrap();
        for body in [
            &b"\xff\xfe<\x00l\x00i\x00>\x00"[..],
            b"<meta charset=\"no-such-charset\"><li><span>x</span></li>",
            b"<meta charset=utf-16><li><span>\xc3\xa9</span></li>",
            b"<li><span>By </span><a href=\"http://[::1\">x</a></li>",
            b"\x00\x01\x02<<<>>>",
        ] {
            let _ = scrape(body, &s, &base);
        }
        let feed = scrape(
            b"<meta charset=utf-16><li><span>\xc3\xa9</span></li>",
            &s,
            &base,
        )
        .unwrap();
        assert_eq!(feed.entries[0].title.as_deref(), Some("\u{e9}"));
    }
}
