//! TOML -> validated `Config`: the file is read into raw serde structs (`raw`, unknown keys
//! rejected), then checked and resolved (`check`: URLs parsed, regexes and selectors compiled,
//! cron translated, durations read, every default taken from `defaults`). Every error names
//! the file, the line and the key. This module owns the validated types that the rest of the
//! program reads; it is the bottom layer and uses no other stage.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use url::Url;

mod check;
pub mod cron;
pub mod defaults;
mod raw;
mod value;
pub mod window;

// The names the defaults had before they got their own module.
pub use cron::Cron;
pub use defaults::{
    CONFIG_PATH as DEFAULT_PATH, EMPTY as DEFAULT_EMPTY, INTRO as DEFAULT_INTRO,
    READ_MORE as DEFAULT_READ_MORE, SERIES_OUTRO as DEFAULT_SERIES_OUTRO,
    SHORTENER_ALPHABET as DEFAULT_ALPHABET, TITLE as DEFAULT_TITLE,
};
pub use value::parse_duration;
pub use window::Window;

/// Why a config cannot be used: each says which file (and line and key) and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source} (pass --config FILE or set ROUNDUP_CONFIG)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path} has no sources, so there is nothing to poll or draft. Add feeds from an OPML file or a Planet config.ini with `roundup {import}FILE`, or add one by hand:\n\n  [[source]]\n  name = \"Lars Kellogg-Stedman\"\n  url = \"https://blog.oddbit.com/tags/openstack/rss.xml\"", import = import_command(path))]
    NoSources { path: PathBuf },
    #[error("{path}:{line}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub roundup: RoundupConfig,
    pub store: StoreConfig,
    pub http: HttpConfig,
    pub schedule: ScheduleConfig,
    pub serve: ServeConfig,
    pub review: ReviewConfig,
    pub shortener: ShortenerConfig,
    /// Login or alias -> display name.
    pub authors: BTreeMap<String, String>,
    pub series: Vec<Series>,
    /// Filters applied to every source.
    pub filters: Filters,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

#[derive(Debug, Clone)]
pub struct RoundupConfig {
    /// May contain `{date}`, replaced by the draft's date (YYYY-MM-DD).
    pub title: String,
    pub author: String,
    pub tags: Vec<String>,
    pub intro: String,
    /// The editor's template; `None`: the built-in one.
    pub template: Option<PathBuf>,
    pub drafts_dir: PathBuf,
    /// The first draft's window.
    pub since: Window,
    /// How long before the window start a post first seen inside the window may be dated and
    /// still be new (its feed was down, or slow to show it).
    pub late: chrono::Duration,
    /// A source failing for longer than this is listed in the health comment of each draft.
    pub sick_after: chrono::Duration,
    pub order: Order,
    pub read_more: String,
    /// The paragraph of a draft in which nothing new arrived.
    pub empty: String,
    /// The line between the series lists and the other items.
    pub series_outro: String,
    /// Titles of the community's own roundup posts, left out of drafts.
    pub own_posts: Regex,
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub concurrency: usize,
    pub per_host: usize,
    pub max_body: u64,
    pub max_redirects: usize,
    pub max_items: usize,
    pub retries: u32,
    /// The longest a whole poll may take (see `defaults::HTTP_POLL_DEADLINE`).
    pub poll_deadline: Duration,
    pub user_agent: String,
}

#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    pub poll: Cron,
    pub draft: Cron,
    pub timezone: chrono_tz::Tz,
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// Loopback address of the control API; port 0 picks one (written to the state folder).
    pub control: SocketAddr,
}

#[derive(Debug, Clone)]
pub struct ReviewConfig {
    /// Where the daemon serves the review page; `None` (`listen = "off"`): it does not.
    pub listen: Option<SocketAddr>,
    /// The listener may be on an address other hosts reach (anyone who reaches it can publish).
    pub allow_remote: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortenerKind {
    Builtin,
    Yourls,
    None,
}

#[derive(Debug, Clone)]
pub struct ShortenerConfig {
    pub kind: ShortenerKind,
    pub base_url: String,
    pub alphabet: String,
    pub start: String,
    pub api_url: Option<Url>,
    pub signature_env: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub prefix: String,
    pub intro: String,
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub include_tags: Vec<String>,
    pub exclude_tags: Vec<String>,
    /// An item passes when any of these matches its title (none: every title passes).
    pub include_title: Vec<Regex>,
    /// An item is left out when any of these matches its title.
    pub exclude_title: Vec<Regex>,
    pub include_authors: Vec<String>,
    pub exclude_authors: Vec<String>,
}

/// The CSS selectors of an HTML source, compiled once when the config is read.
#[derive(Debug, Clone)]
pub struct HtmlSelectors {
    pub item: CssSelector,
    pub title: CssSelector,
    pub link: CssSelector,
    pub summary: Option<CssSelector>,
    pub author: Option<CssSelector>,
    pub date: Option<CssSelector>,
}

/// A CSS selector as the config wrote it, and compiled. It shows (`Debug`, `Display`) as its
/// text, so a source's fingerprint and messages read the selector as written.
#[derive(Clone)]
pub struct CssSelector {
    text: String,
    compiled: scraper::Selector,
}

impl CssSelector {
    pub fn parse(text: &str) -> Result<CssSelector, scraper::error::SelectorErrorKind> {
        Ok(CssSelector {
            compiled: scraper::Selector::parse(text)?,
            text: text.to_owned(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn compiled(&self) -> &scraper::Selector {
        &self.compiled
    }
}

impl std::fmt::Debug for CssSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.text, f)
    }
}

impl std::fmt::Display for CssSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, Clone)]
pub enum SourceKind {
    Feed,
    Html(HtmlSelectors),
}

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub url: Url,
    pub kind: SourceKind,
    /// Credited for every post of this source, whatever the feed says.
    pub author: Option<String>,
    pub filters: Filters,
}

impl Source {
    /// What tells sources apart (their state is kept under it): the feed URL, and for an HTML
    /// source also its item selector, since one page may hold two kinds of posts.
    pub fn id(&self) -> String {
        match &self.kind {
            SourceKind::Feed => self.url.to_string(),
            SourceKind::Html(sel) => format!("{} {}", self.url, sel.item),
        }
    }

    /// A digest of everything in the config that decides what this source's items are (kind,
    /// selectors, author, filters, the global filters and aliases): when it changes, the
    /// next poll reads the feed whole again instead of trusting "not modified", so a loosened
    /// filter brings back the posts it had left out.
    /// `shared` is what all sources share (`shared_print`), worked out once for a poll.
    pub fn fingerprint(&self, shared: &str) -> String {
        let text = format!(
            "{:?}|{:?}|{:?}|{shared}",
            self.kind, self.author, self.filters
        );
        blake3::hash(text.as_bytes()).to_hex()[..16].to_owned()
    }
}

/// The part of every source's `fingerprint` that the config's global filters and author
/// aliases make. (The text hashed is the same as when each source formatted them itself: the
/// fingerprints stored by earlier versions still match.)
pub fn shared_print(global: &Filters, aliases: &BTreeMap<String, String>) -> String {
    format!("{global:?}|{aliases:?}")
}

impl Config {
    /// Reads and validates a config file. Relative paths in it (store, drafts_dir, template,
    /// `file:` sources) resolve against the folder the config file is in.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Validates config text; `path` names it in messages, and relative paths in it resolve
    /// against its folder.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw = raw::read(path, text)?;
        check::Checker::new(path, text).check(raw)
    }

    /// Refuses a config with no sources: every command but `import` needs one (with none, a
    /// poll fetches nothing and a draft is always empty). Not part of `parse`, which also reads
    /// configs that `import` is about to fill.
    pub fn require_sources(&self) -> Result<(), ConfigError> {
        if self.sources.is_empty() {
            return Err(ConfigError::NoSources {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// `import ` with the `--config` it needs when the config is not the default one.
fn import_command(path: &Path) -> String {
    if path == Path::new(DEFAULT_PATH) {
        "import ".to_owned()
    } else {
        format!("--config {} import ", path.display())
    }
}

/// How unit tests read a config: as `test.toml` in the working folder.
#[cfg(test)]
pub(crate) fn test_parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("test.toml"), text)
}

#[cfg(test)]
mod tests {
    use super::test_parse as parse;
    use super::*;

    #[test]
    fn a_config_without_sources_parses_but_is_refused_for_commands() {
        let c = parse("[store]\npath = \"x.db\"\n").unwrap();
        let e = c.require_sources().unwrap_err().to_string();
        assert!(e.starts_with("test.toml has no sources"), "{e}");
        assert!(
            e.contains("`roundup --config test.toml import FILE`")
                && e.contains("[[source]]\n  name = "),
            "{e}"
        );
        let c = Config::parse(Path::new(DEFAULT_PATH), "").unwrap();
        let e = c.require_sources().unwrap_err().to_string();
        assert!(e.contains("`roundup import FILE`"), "{e}");
        let c = parse("[[source]]\nname = \"A\"\nurl = \"https://a/\"\n").unwrap();
        assert!(c.require_sources().is_ok());
    }

    #[test]
    fn a_fingerprint_hashes_the_text_earlier_versions_hashed_and_follows_the_filters() {
        let text = "[filters]\nexclude_title = [\"(?i)weekly\"]\n[authors]\njdoe = \"Jane Doe\"\n\
                    [[source]]\nname = \"A\"\nurl = \"https://a/feed\"\nauthor = \"Jane\"\n";
        let c = parse(text).unwrap();
        let s = &c.sources[0];
        // As stored before the shared part was worked out once per poll: a store made then
        // must not see every source's config as changed.
        let earlier = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}",
            s.kind, s.author, s.filters, c.filters, c.authors
        );
        let earlier = blake3::hash(earlier.as_bytes()).to_hex()[..16].to_owned();
        assert_eq!(
            s.fingerprint(&shared_print(&c.filters, &c.authors)),
            earlier
        );
        let looser = parse(&text.replace("(?i)weekly", "(?i)monthly")).unwrap();
        assert_ne!(
            looser.sources[0].fingerprint(&shared_print(&looser.filters, &looser.authors)),
            earlier
        );
    }
}
