//! Bytes -> entries (`ParsedFeed`). A body is looked at first (`sniff`: its root element, JSON or
//! not, an HTML page or not), then read: feeds through feed-rs (`feed`, `convert`, `json`), with a
//! repair pass for the common breakages (`repair`) and a scan of the raw feed for what feed-rs
//! drops (`extensions`); HTML pages through configured CSS selectors (`html`). The result is raw:
//! markup, entities and e-mail-style authors are left for `extract` to clean.

mod convert;
mod dates;
mod extensions;
pub mod feed;
pub mod html;
mod json;
mod person;
pub mod repair;
mod sniff;

use chrono::{DateTime, Utc};

/// A feed, or a scraped page, as parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// Where the feed lives on the web (its rel=self link), else the site it belongs to, when
    /// http(s): the base for relative links when the feed was not fetched over http(s).
    pub link: Option<String>,
    /// Feed-level author names, raw (Atom entries do not inherit them: extract falls back). An
    /// RSS channel's `dc:creator` is among them only when an entry has no author of its own.
    pub authors: Vec<String>,
    pub entries: Vec<Entry>,
}

/// One entry as the feed gave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// guid / Atom id / JSON Feed id as given; `None` when the feed has none.
    pub id: Option<String>,
    /// Raw title: may hold entities (even double-escaped) and tags.
    pub title: Option<String>,
    /// The entry's alternate link, resolved against the feed's final URL where possible.
    pub link: Option<String>,
    /// `feedburner:origLink`, preferred over a proxy link.
    pub orig_link: Option<String>,
    /// Raw author strings: names, `noreply@blogger.com (Tim Bell)`, `(John Doe)`, e-mails.
    pub authors: Vec<String>,
    /// Summary / description: HTML or text.
    pub summary: Option<String>,
    /// Full content (content:encoded, Atom content, content_html): HTML.
    pub content: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
}

/// Why a body could not be read as a feed. The message says what the body was.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("empty body (the server sent nothing)")]
    Empty,
    #[error("not a feed: the server sent an HTML page{}", advertised(.feeds))]
    Html { feeds: Vec<String> },
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("malformed feed: {0}")]
    Malformed(String),
    #[error("cannot read the page: {0}")]
    Scrape(String),
}

fn advertised(feeds: &[String]) -> String {
    if feeds.is_empty() {
        " that advertises no feed".to_owned()
    } else {
        format!(
            "; its feeds are {} (put one of them in the source's url)",
            feeds.join(", ")
        )
    }
}
