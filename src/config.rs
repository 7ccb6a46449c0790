//! TOML -> validated `Config`: a raw serde struct (unknown keys rejected), then checked and
//! resolved (URLs parsed, regexes and selectors compiled, cron translated, durations read).
//! Every error names the file, the line and the key.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::schedule::Cron;
use crate::when::Window;

/// The config file when neither `--config` nor `$ROUNDUP_CONFIG` names one.
pub const DEFAULT_PATH: &str = "config/roundup.toml";

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

// ---------------------------------------------------------------------------------------------
// The raw file, as serde reads it.

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    roundup: RawRoundup,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    schedule: RawSchedule,
    #[serde(default)]
    serve: RawServe,
    #[serde(default)]
    shortener: RawShortener,
    #[serde(default)]
    authors: BTreeMap<String, String>,
    #[serde(default)]
    series: Vec<RawSeries>,
    #[serde(default)]
    filters: RawFilters,
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRoundup {
    title: Option<String>,
    author: Option<String>,
    tags: Option<Vec<String>>,
    intro: Option<String>,
    template: Option<String>,
    drafts_dir: Option<String>,
    since: Option<Spanned<String>>,
    order: Option<Spanned<String>>,
    read_more: Option<String>,
    empty: Option<String>,
    series_outro: Option<String>,
    own_posts: Option<Spanned<String>>,
    late: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    per_host: Option<Spanned<i64>>,
    max_body: Option<Spanned<toml::Value>>,
    max_redirects: Option<Spanned<i64>>,
    max_items: Option<Spanned<i64>>,
    retries: Option<Spanned<i64>>,
    user_agent: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    poll: Option<Spanned<String>>,
    draft: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServe {
    listen: Option<Spanned<String>>,
    control: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawShortener {
    kind: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    alphabet: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    api_url: Option<Spanned<String>>,
    signature_env: Option<String>,
    timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    prefix: Spanned<String>,
    intro: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFilters {
    include_tags: Option<Spanned<Strings>>,
    exclude_tags: Option<Spanned<Strings>>,
    include_title: Option<Spanned<Strings>>,
    exclude_title: Option<Spanned<Strings>>,
    include_authors: Option<Spanned<Strings>>,
    exclude_authors: Option<Spanned<Strings>>,
}

/// A filter key's value: one string or a list of them (`exclude_title = "^Re:"` or
/// `exclude_title = ["^Re:", "sponsored"]`). List items keep their place in the file, so an
/// error names the line of the one at fault.
#[derive(Debug)]
enum Strings {
    One(String),
    List(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Strings;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Strings, E> {
                Ok(Strings::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Strings, A::Error> {
                let mut list = Vec::new();
                while let Some(s) = seq.next_element()? {
                    list.push(s);
                }
                Ok(Strings::List(list))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: Spanned<String>,
    url: Spanned<String>,
    kind: Option<Spanned<String>>,
    author: Option<String>,
    include_tags: Option<Spanned<Strings>>,
    exclude_tags: Option<Spanned<Strings>>,
    include_title: Option<Spanned<Strings>>,
    exclude_title: Option<Spanned<Strings>>,
    include_authors: Option<Spanned<Strings>>,
    exclude_authors: Option<Spanned<Strings>>,
    // html sources: CSS selectors
    item: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    link: Option<Spanned<String>>,
    summary: Option<Spanned<String>>,
    author_selector: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
}

// ---------------------------------------------------------------------------------------------
// The validated config.

#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub roundup: RoundupConfig,
    pub store: StoreConfig,
    pub http: HttpConfig,
    pub schedule: ScheduleConfig,
    pub serve: ServeConfig,
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

#[derive(Debug, Clone)]
pub struct HtmlSelectors {
    pub item: String,
    pub title: String,
    pub link: String,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
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
    pub fn fingerprint(&self, global: &Filters, aliases: &BTreeMap<String, String>) -> String {
        let text = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}",
            self.kind, self.author, self.filters, global, aliases
        );
        blake3::hash(text.as_bytes()).to_hex()[..16].to_owned()
    }
}

// ---------------------------------------------------------------------------------------------

pub const DEFAULT_TITLE: &str = "RDO blogs over the last few weeks";
pub const DEFAULT_INTRO: &str =
    "Here's what RDO enthusiasts have been blogging about over the last few weeks.";
pub const DEFAULT_READ_MORE: &str = "... read more at";
pub const DEFAULT_SERIES_OUTRO: &str = "Additionally, there were the following:";
pub const DEFAULT_EMPTY: &str = "Nothing new has been posted since the last roundup.";
pub const DEFAULT_ALPHABET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

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
        let raw: RawConfig = toml::from_str(text).map_err(|e| match single_source_table(text) {
            Some(line) => ConfigError::Invalid {
                path: path.to_owned(),
                line,
                key: "source".to_owned(),
                message: "sources are an array of tables: write [[source]], with two brackets, above each source".to_owned(),
            },
            // Like every other config error: file:line: what is wrong.
            None => match e.span() {
                Some(span) => ConfigError::Syntax {
                    path: PathBuf::from(format!(
                        "{}:{}",
                        path.display(),
                        text[..span.start.min(text.len())].matches('\n').count() + 1
                    )),
                    message: e
                        .message()
                        .trim_end()
                        .replace("unknown field", "unknown key")
                        .replace('\n', "\n  "),
                },
                None => ConfigError::Syntax {
                    path: path.to_owned(),
                    message: e.to_string().trim_end().replace('\n', "\n  "),
                },
            },
        })?;
        let base = config_folder(path);
        Checker { path, text, base }.check(raw)
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

/// The line of a `[source]` table header: toml then says "invalid type" or "duplicate key",
/// when the mistake is one bracket where `[[source]]` takes two.
fn single_source_table(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.split('#').next().unwrap_or("").trim();
            l.strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .is_some_and(|name| name.trim() == "source")
        })
        .map(|i| i + 1)
}

/// The absolute folder of the config file: relative paths in it resolve against this, so a
/// command run from any folder uses the same store.
fn config_folder(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => cwd.join(p),
        _ => cwd,
    }
}

/// Whether `earlier` and the raw source `s` read the same posts of the same page: two feed
/// sources of one URL do; two HTML sources do only with the same item selector.
fn same_item_selector(earlier: &Source, s: &RawSource) -> bool {
    match &earlier.kind {
        SourceKind::Feed => s.item.is_none(),
        SourceKind::Html(sel) => {
            s.item.as_ref().map(|i| i.get_ref().trim()) == Some(sel.item.trim())
        }
    }
}

/// `path` with `.` and `..` resolved without asking the file system.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    /// The config file's folder (absolute).
    base: PathBuf,
}

impl Checker<'_> {
    /// `path` against the config's folder, `..` and `.` taken out (`config/../state` -> `state`).
    fn resolve(&self, path: &str) -> PathBuf {
        lexical(&self.base.join(path))
    }

    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> Result<T, ConfigError> {
        let line = self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1;
        Err(ConfigError::Invalid {
            path: self.path.to_owned(),
            line,
            key: key.to_owned(),
            message: message.into(),
        })
    }

    fn duration(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(s) => match parse_duration(s.get_ref()) {
                Some(d) => Ok(d),
                None => self.err(
                    s.span(),
                    key,
                    format!(
                        "{:?} is not a duration (write \"20s\", \"500ms\" or \"2m\")",
                        s.get_ref()
                    ),
                ),
            },
        }
    }

    fn count(
        &self,
        v: &Option<Spanned<i64>>,
        key: &str,
        default: usize,
        min: i64,
        max: i64,
    ) -> Result<usize, ConfigError> {
        match v {
            None => Ok(default),
            Some(s) if (min..=max).contains(s.get_ref()) => Ok(*s.get_ref() as usize),
            Some(s) => self.err(
                s.span(),
                key,
                format!("{} is out of range (give {min} to {max})", s.get_ref()),
            ),
        }
    }

    fn regex(&self, v: &Option<Spanned<String>>, key: &str) -> Result<Option<Regex>, ConfigError> {
        match v {
            None => Ok(None),
            Some(s) => self.compile(s.get_ref(), s.span(), key).map(Some),
        }
    }

    /// A case-insensitive regex; `span` is where its text is in the file.
    fn compile(
        &self,
        text: &str,
        span: std::ops::Range<usize>,
        key: &str,
    ) -> Result<Regex, ConfigError> {
        match regex::RegexBuilder::new(text)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
        {
            Ok(r) => Ok(r),
            Err(e) => self.err(span, key, format!("not a valid regular expression: {e}")),
        }
    }

    /// A title filter: one regex, or a list of them of which any may match.
    fn regexes(&self, v: &Option<Spanned<Strings>>, key: &str) -> Result<Vec<Regex>, ConfigError> {
        strings(v)
            .into_iter()
            .map(|(text, span)| self.compile(text, span, key))
            .collect()
    }

    fn selector(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
    ) -> Result<Option<String>, ConfigError> {
        match v {
            None => Ok(None),
            Some(s) if s.get_ref().trim().is_empty() => self.err(
                s.span(),
                key,
                "empty selector (give one, like \"article\" or \"h2 a\")",
            ),
            Some(s) => match scraper::Selector::parse(s.get_ref()) {
                Ok(_) => Ok(Some(s.get_ref().clone())),
                Err(e) => self.err(
                    s.span(),
                    key,
                    format!(
                        "{:?} is not a valid CSS selector: {}",
                        s.get_ref(),
                        selector_problem(&e)
                    ),
                ),
            },
        }
    }

    fn cron(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
        default: &str,
    ) -> Result<Cron, ConfigError> {
        let (text, span) = match v {
            Some(s) => (s.get_ref().as_str(), s.span()),
            None => (default, 0..0),
        };
        match Cron::parse(text) {
            Ok(c) => Ok(c),
            Err(e) => self.err(span, key, e.to_string()),
        }
    }

    fn filters(&self, f: FilterParts<'_>, prefix: &str) -> Result<Filters, ConfigError> {
        let lower = |v: &Option<Spanned<Strings>>| {
            strings(v)
                .into_iter()
                .map(|(s, _)| s.trim().to_lowercase())
                .collect::<Vec<_>>()
        };
        Ok(Filters {
            include_tags: lower(f.include_tags),
            exclude_tags: lower(f.exclude_tags),
            include_title: self.regexes(f.include_title, &format!("{prefix}include_title"))?,
            exclude_title: self.regexes(f.exclude_title, &format!("{prefix}exclude_title"))?,
            include_authors: lower(f.include_authors),
            exclude_authors: lower(f.exclude_authors),
        })
    }

    fn check(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let r = raw.roundup;
        let title = r.title.unwrap_or_else(|| DEFAULT_TITLE.to_owned());
        let since = match &r.since {
            None => Window::Span(Duration::from_secs(21 * 86400)),
            Some(s) => match Window::parse(s.get_ref()) {
                Ok(w) => w,
                Err(e) => return self.err(s.span(), "roundup.since", e),
            },
        };
        let order = match r.order.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("oldest-first", _)) => Order::OldestFirst,
            Some(("newest-first", _)) => Order::NewestFirst,
            Some((other, span)) => {
                return self.err(
                    span,
                    "roundup.order",
                    format!("{other:?}: give \"oldest-first\" or \"newest-first\""),
                )
            }
        };
        let late = match &r.late {
            None => chrono::Duration::days(7),
            Some(s) => match Window::parse(s.get_ref()) {
                Ok(Window::Span(d)) => {
                    chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::days(7))
                }
                _ => {
                    return self.err(
                        s.span(),
                        "roundup.late",
                        format!("{:?} is not a span like 7d, 1w or 36h", s.get_ref()),
                    )
                }
            },
        };
        let own_posts = match self.regex(&r.own_posts, "roundup.own_posts")? {
            Some(re) => re,
            None => default_own_posts(&title),
        };
        let roundup = RoundupConfig {
            author: r.author.unwrap_or_default(),
            tags: r
                .tags
                .unwrap_or_else(|| vec!["blogs".into(), "openstack".into()]),
            intro: r.intro.unwrap_or_else(|| DEFAULT_INTRO.to_owned()),
            template: r.template.map(|t| self.resolve(&t)),
            drafts_dir: self.resolve(&r.drafts_dir.unwrap_or_else(|| "drafts".into())),
            since,
            late,
            order,
            read_more: r.read_more.unwrap_or_else(|| DEFAULT_READ_MORE.to_owned()),
            empty: r.empty.unwrap_or_else(|| DEFAULT_EMPTY.to_owned()),
            series_outro: r
                .series_outro
                .unwrap_or_else(|| DEFAULT_SERIES_OUTRO.to_owned()),
            own_posts,
            title,
        };

        let store = StoreConfig {
            path: self.resolve(&raw.store.path.unwrap_or_else(|| "state/roundup.db".into())),
        };

        let h = raw.http;
        let max_body = match &h.max_body {
            None => 10 * 1024 * 1024,
            Some(v) => match parse_size(v.get_ref()) {
                Some(n) if n >= 1024 => n,
                _ => {
                    return self.err(
                        v.span(),
                        "http.max_body",
                        "give a size of at least 1KB, like \"10MB\" or 10485760",
                    )
                }
            },
        };
        let http = HttpConfig {
            timeout: self.duration(&h.timeout, "http.timeout", Duration::from_secs(20))?,
            connect_timeout: self.duration(
                &h.connect_timeout,
                "http.connect_timeout",
                Duration::from_secs(10),
            )?,
            concurrency: self.count(&h.concurrency, "http.concurrency", 32, 1, 1024)?,
            per_host: self.count(&h.per_host, "http.per_host", 4, 1, 256)?,
            max_body,
            max_redirects: self.count(&h.max_redirects, "http.max_redirects", 5, 0, 20)?,
            max_items: self.count(&h.max_items, "http.max_items", 200, 1, 100_000)?,
            retries: self.count(&h.retries, "http.retries", 2, 0, 10)? as u32,
            user_agent: match &h.user_agent {
                None => crate::fetch::default_user_agent(),
                Some(ua) if reqwest::header::HeaderValue::from_str(ua.get_ref()).is_ok() => {
                    ua.get_ref().clone()
                }
                Some(ua) => {
                    return self.err(
                        ua.span(),
                        "http.user_agent",
                        format!(
                            "{:?} cannot be sent as a header (give one line of printable text)",
                            ua.get_ref()
                        ),
                    )
                }
            },
        };

        let s = raw.schedule;
        let timezone = match &s.timezone {
            None => chrono_tz::UTC,
            Some(tz) => match tz.get_ref().parse::<chrono_tz::Tz>() {
                Ok(z) => z,
                Err(_) => {
                    return self.err(
                        tz.span(),
                        "schedule.timezone",
                        format!(
                            "{:?} is not an IANA time zone (like \"Europe/Paris\" or \"UTC\")",
                            tz.get_ref()
                        ),
                    )
                }
            },
        };
        let schedule = ScheduleConfig {
            poll: self.cron(&s.poll, "schedule.poll", "*/30 * * * *")?,
            draft: self.cron(&s.draft, "schedule.draft", "0 9 * * 1")?,
            timezone,
        };

        let addr = |v: &Option<Spanned<String>>,
                    key: &str,
                    default: &str|
         -> Result<SocketAddr, ConfigError> {
            let (text, span) = v
                .as_ref()
                .map(|s| (s.get_ref().as_str(), s.span()))
                .unwrap_or((default, 0..0));
            text.parse::<SocketAddr>().or_else(|_| {
                self.err(
                    span,
                    key,
                    format!("{text:?} is not an address like \"127.0.0.1:8080\""),
                )
            })
        };
        let serve = ServeConfig {
            listen: addr(&raw.serve.listen, "serve.listen", "127.0.0.1:8080")?,
            control: addr(&raw.serve.control, "serve.control", "127.0.0.1:0")?,
        };
        if !serve.control.ip().is_loopback() {
            let span = raw.serve.control.as_ref().map(|s| s.span()).unwrap_or(0..0);
            return self.err(
                span,
                "serve.control",
                "the control API listens on loopback only (use 127.0.0.1)",
            );
        }

        let shortener = self.shortener(raw.shortener)?;

        let mut series = Vec::new();
        for s in raw.series {
            if s.prefix.get_ref().trim().is_empty() {
                return self.err(s.prefix.span(), "series.prefix", "must not be empty");
            }
            series.push(Series {
                prefix: s.prefix.get_ref().trim().to_owned(),
                intro: s.intro.unwrap_or_else(|| {
                    format!(
                        "Here are the \"**{}**\" posts, all together:",
                        s.prefix.get_ref().trim()
                    )
                }),
            });
        }

        let f = &raw.filters;
        let filters = self.filters(
            FilterParts {
                include_tags: &f.include_tags,
                exclude_tags: &f.exclude_tags,
                include_title: &f.include_title,
                exclude_title: &f.exclude_title,
                include_authors: &f.include_authors,
                exclude_authors: &f.exclude_authors,
            },
            "filters.",
        )?;

        let mut sources: Vec<Source> = Vec::new();
        for s in raw.source {
            sources.push(self.source(s, &sources)?);
        }

        Ok(Config {
            path: self.path.to_owned(),
            roundup,
            store,
            http,
            schedule,
            serve,
            shortener,
            authors: raw.authors,
            series,
            filters,
            sources,
        })
    }

    fn shortener(&self, s: RawShortener) -> Result<ShortenerConfig, ConfigError> {
        let kind = match s.kind.as_ref().map(|k| (k.get_ref().as_str(), k.span())) {
            None | Some(("none", _)) => ShortenerKind::None,
            Some(("builtin", _)) => ShortenerKind::Builtin,
            Some(("yourls", _)) => ShortenerKind::Yourls,
            Some((other, span)) => {
                return self.err(
                    span,
                    "shortener.kind",
                    format!("{other:?}: give \"builtin\", \"yourls\" or \"none\""),
                )
            }
        };
        let alphabet = s
            .alphabet
            .as_ref()
            .map(|a| a.get_ref().clone())
            .unwrap_or_else(|| DEFAULT_ALPHABET.to_owned());
        if let Some(a) = &s.alphabet {
            let mut seen = std::collections::HashSet::new();
            let ok = a.get_ref().chars().count() >= 2
                && a.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && a.get_ref().chars().all(|c| seen.insert(c));
            if !ok {
                return self.err(
                    a.span(),
                    "shortener.alphabet",
                    "give at least two distinct characters from a-z, A-Z, 0-9, - and _",
                );
            }
        }
        let start = s
            .start
            .as_ref()
            .map(|a| a.get_ref().clone())
            .unwrap_or_else(|| alphabet.chars().next().unwrap_or('0').to_string());
        if let Some(st) = &s.start {
            if st.get_ref().is_empty() || !st.get_ref().chars().all(|c| alphabet.contains(c)) {
                return self.err(
                    st.span(),
                    "shortener.start",
                    format!(
                        "{:?} uses characters outside the alphabet {alphabet:?}",
                        st.get_ref()
                    ),
                );
            }
        }
        let base_url = match (&s.base_url, kind) {
            (Some(b), _) => {
                let mut v = b.get_ref().clone();
                if Url::parse(&v)
                    .map(|u| !matches!(u.scheme(), "http" | "https"))
                    .unwrap_or(true)
                {
                    return self.err(
                        b.span(),
                        "shortener.base_url",
                        format!("{v:?} is not an http(s) URL"),
                    );
                }
                if !v.ends_with('/') {
                    v.push('/');
                }
                v
            }
            (None, ShortenerKind::Builtin) => {
                let span = s.kind.as_ref().map(|k| k.span()).unwrap_or(0..0);
                return self.err(span, "shortener.base_url", "the builtin shortener needs base_url, the address its redirects are served at (like \"https://tm3.org/\")");
            }
            (None, _) => String::new(),
        };
        let api_url = match (&s.api_url, kind) {
            (Some(u), _) => match Url::parse(u.get_ref()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                _ => {
                    return self.err(
                        u.span(),
                        "shortener.api_url",
                        format!("{:?} is not an http(s) URL", u.get_ref()),
                    )
                }
            },
            (None, ShortenerKind::Yourls) => {
                let span = s.kind.as_ref().map(|k| k.span()).unwrap_or(0..0);
                return self.err(
                    span,
                    "shortener.api_url",
                    "the yourls shortener needs api_url (like \"https://tm3.org/yourls-api.php\")",
                );
            }
            (None, _) => None,
        };
        Ok(ShortenerConfig {
            kind,
            base_url,
            alphabet,
            start,
            api_url,
            signature_env: s
                .signature_env
                .unwrap_or_else(|| "YOURLS_SIGNATURE".to_owned()),
            timeout: self.duration(&s.timeout, "shortener.timeout", Duration::from_secs(10))?,
        })
    }

    fn source(&self, s: RawSource, earlier: &[Source]) -> Result<Source, ConfigError> {
        let name = s.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return self.err(s.name.span(), "source.name", "must not be empty");
        }
        let url = match source_url(s.url.get_ref().trim(), &self.base) {
            // Two sources may share a display name (it is a credit), not a feed: the URL is
            // what tells sources apart.
            Ok(u)
                if earlier
                    .iter()
                    .any(|e| e.url == u && same_item_selector(e, &s)) =>
            {
                let first = earlier
                    .iter()
                    .find(|e| e.url == u && same_item_selector(e, &s))
                    .map(|e| e.name.clone());
                return self.err(
                    s.url.span(),
                    "source.url",
                    format!(
                        "{u} is already the source {:?}; list each feed once",
                        first.unwrap_or_default()
                    ),
                );
            }
            Ok(u) if matches!(u.scheme(), "http" | "https" | "file") => u,
            Ok(u) => {
                return self.err(
                    s.url.span(),
                    "source.url",
                    format!(
                        "{} URLs are not supported (give http, https or file)",
                        u.scheme()
                    ),
                )
            }
            Err(e) => {
                return self.err(
                    s.url.span(),
                    "source.url",
                    format!("{:?} is not a URL: {e}", s.url.get_ref()),
                )
            }
        };
        let key = |k: &str| format!("source[{name}].{k}");
        let kind = match s.kind.as_ref().map(|k| (k.get_ref().as_str(), k.span())) {
            None | Some(("feed", _)) => SourceKind::Feed,
            Some(("html", span)) => {
                let item = self.selector(&s.item, &key("item"))?;
                let title = self.selector(&s.title, &key("title"))?;
                let link = self.selector(&s.link, &key("link"))?;
                match (item, title, link) {
                    (Some(item), Some(title), Some(link)) => SourceKind::Html(HtmlSelectors {
                        item,
                        title,
                        link,
                        summary: self.selector(&s.summary, &key("summary"))?,
                        author: self.selector(&s.author_selector, &key("author_selector"))?,
                        date: self.selector(&s.date, &key("date"))?,
                    }),
                    _ => {
                        return self.err(
                            span,
                            &key("kind"),
                            "an html source needs the CSS selectors item, title and link",
                        )
                    }
                }
            }
            Some((other, span)) => {
                return self.err(
                    span,
                    &key("kind"),
                    format!("{other:?}: give \"feed\" or \"html\""),
                )
            }
        };
        if matches!(kind, SourceKind::Feed) {
            for (k, v) in [
                ("item", &s.item),
                ("title", &s.title),
                ("link", &s.link),
                ("summary", &s.summary),
                ("author_selector", &s.author_selector),
                ("date", &s.date),
            ] {
                if let Some(v) = v {
                    return self.err(
                        v.span(),
                        &key(k),
                        "CSS selectors are only for kind = \"html\" sources",
                    );
                }
            }
        }
        let filters = self.filters(
            FilterParts {
                include_tags: &s.include_tags,
                exclude_tags: &s.exclude_tags,
                include_title: &s.include_title,
                exclude_title: &s.exclude_title,
                include_authors: &s.include_authors,
                exclude_authors: &s.exclude_authors,
            },
            &key(""),
        )?;
        Ok(Source {
            name,
            url,
            kind,
            author: s
                .author
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty()),
            filters,
        })
    }
}

struct FilterParts<'a> {
    include_tags: &'a Option<Spanned<Strings>>,
    exclude_tags: &'a Option<Spanned<Strings>>,
    include_title: &'a Option<Spanned<Strings>>,
    exclude_title: &'a Option<Spanned<Strings>>,
    include_authors: &'a Option<Spanned<Strings>>,
    exclude_authors: &'a Option<Spanned<Strings>>,
}

/// A filter key's strings, each with where it is in the file (a lone string: the key's value).
fn strings(v: &Option<Spanned<Strings>>) -> Vec<(&str, std::ops::Range<usize>)> {
    match v.as_ref().map(|s| (s.get_ref(), s.span())) {
        None => Vec::new(),
        Some((Strings::One(s), span)) => vec![(s.as_str(), span)],
        Some((Strings::List(list), _)) => list
            .iter()
            .map(|s| (s.get_ref().as_str(), s.span()))
            .collect(),
    }
}

/// Parses a source URL. `file:path` without `//` is a path relative to the config file's
/// folder `base` (so a shipped config can point at shipped sample feeds).
fn source_url(text: &str, base: &Path) -> Result<Url, url::ParseError> {
    if let Some(rel) = text.strip_prefix("file:").filter(|r| !r.starts_with('/')) {
        return Url::from_file_path(lexical(&base.join(rel)))
            .map_err(|_| url::ParseError::RelativeUrlWithoutBase);
    }
    Url::parse(text)
}

/// What is wrong with a CSS selector, in words: scraper's own message for most mistakes is
/// "Unexpected error occurred. Please report this to the developer".
fn selector_problem(e: &scraper::error::SelectorErrorKind) -> &'static str {
    use scraper::error::SelectorErrorKind as K;
    use selectors::parser::SelectorParseErrorKind as P;
    match e {
        K::UnexpectedToken => "unexpected token (a character that means nothing there, like an unmatched \")\" or a \"!\")",
        K::EndOfLine => "it stops too early: a bracket, parenthesis or quote is not closed, or a name is missing after \".\", \":\" or \"::\"",
        K::InvalidAtRule | K::InvalidAtRuleBody | K::QualRuleInvalid => {
            "unexpected token: this is not a selector"
        }
        K::TooManyNestedBlocks => "it is nested too deeply",
        K::ExpectedColonOnPseudoElement | K::ExpectedIdentityOnPseudoElement => {
            "a pseudo-element needs a name after \"::\""
        }
        K::UnexpectedSelectorParseError(p) => match p {
            P::EmptySelector => "empty selector where one is expected (an extra comma, or nothing after \"#\", \"(\" or \"{\")",
            P::DanglingCombinator => "ends with a combinator (\">\", \"+\" or \"~\"), or has two in a row: each needs a selector after it",
            P::NoQualifiedNameInAttributeSelector | P::InvalidQualNameInAttr => {
                "an attribute selector needs an attribute name, like [href] or [rel=author]"
            }
            P::UnexpectedTokenInAttributeSelector | P::ExpectedBarInAttr | P::BadValueInAttr => {
                "unexpected token in an attribute selector (write [name], [name=value] or [name=\"a value\"])"
            }
            P::PseudoElementExpectedColon | P::PseudoElementExpectedIdent => {
                "a pseudo-element needs a name after \"::\""
            }
            P::NoIdentForPseudo | P::UnexpectedIdent => "unexpected token after \":\"",
            P::ClassNeedsIdent => "a class name is missing after \".\"",
            P::UnsupportedPseudoClassOrElement => "unknown or unsupported pseudo-class or pseudo-element (structural ones like :first-child or :nth-of-type(2) work; ::before or :hover match nothing in a fetched page)",
            P::ExpectedNamespace | P::ExplicitNamespaceUnexpectedToken => {
                "namespaces (\"ns|name\") are not supported"
            }
            P::NonCompoundSelector
            | P::NonPseudoElementAfterSlotted
            | P::InvalidPseudoElementAfterSlotted
            | P::InvalidPseudoElementInsideWhere
            | P::InvalidState => "a pseudo-class or pseudo-element is used where it is not allowed",
        },
    }
}

/// The community's own roundups come back through its blog's feed: titles like the configured
/// one (its `{date}` part left out) or "blog roundup".
fn default_own_posts(title: &str) -> Regex {
    let stem = title.split("{date}").next().unwrap_or("").trim();
    let mut pattern = String::from(r"(?i)\bblogs? roundup\b");
    if stem.len() >= 8 {
        pattern.push_str("|^");
        pattern.push_str(&regex::escape(stem));
    }
    Regex::new(&pattern).expect("escaped title is a valid regex")
}

/// "20s", "500ms", "2m", "1h", or a bare number of seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => n,
        "ms" => n / 1000.0,
        "m" | "min" | "mins" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// "10MB", "512KB", "1GiB" or a number of bytes.
fn parse_size(v: &toml::Value) -> Option<u64> {
    match v {
        toml::Value::Integer(n) => u64::try_from(*n).ok(),
        toml::Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let n: u64 = num.parse().ok()?;
            let mult = match unit.trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "k" | "kb" | "kib" => 1024,
                "m" | "mb" | "mib" => 1024 * 1024,
                "g" | "gb" | "gib" => 1024 * 1024 * 1024,
                _ => return None,
            };
            n.checked_mul(mult)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("test.toml"), text)
    }

    #[test]
    fn smallest_config_gets_defaults() {
        let c = parse("[store]\npath = \"x.db\"\n[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n").unwrap();
        assert_eq!(c.sources.len(), 1);
        assert_eq!(c.http.per_host, 4);
        assert_eq!(c.shortener.kind, ShortenerKind::None);
        assert!(c
            .roundup
            .own_posts
            .is_match("RDO blogs over the last few weeks"));
        assert!(c.roundup.own_posts.is_match("RDO Community Blog Roundup"));
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = parse("[http]\ntimeout = \"5s\"\ntimeuot = \"5s\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("test.toml:3: unknown key `timeuot`"), "{e}");
    }

    #[test]
    fn invalid_value_names_line_and_key() {
        let e = parse("[store]\npath = \"x\"\n\n[http]\ntimeout = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "test.toml:5: http.timeout: \"soon\" is not a duration (write \"20s\", \"500ms\" or \"2m\")");
        let e = parse("[http]\nuser_agent = \"two\\nlines\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("test.toml:2: http.user_agent: "), "{e}");
        let e = parse("[[source]]\nname = \"A\"\nurl = \"ftp://x/y\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("test.toml:3: source.url"), "{e}");
        let e = parse("[schedule]\npoll = \"61 * * * *\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("test.toml:2: schedule.poll"), "{e}");
        let e = parse("[schedule]\npoll = \"*/30 * * * *\"\ndraft = \"*/90 9 * * 1\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "test.toml:3: schedule.draft: \"*/90 9 * * 1\": minute step 90 is out of range 1-59"
        );
    }

    #[test]
    fn a_feed_listed_twice_is_rejected_naming_the_line() {
        let e = parse("[[source]]\nname = \"A\"\nurl = \"https://a/1\"\n[[source]]\nname = \"B\"\nurl = \"https://a/1\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":6: source.url"), "{e}");
    }

    #[test]
    fn html_source_needs_selectors() {
        let e = parse(
            "[[source]]\nname = \"A\"\nurl = \"https://a/\"\nkind = \"html\"\nitem = \"article\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("needs the CSS selectors"), "{e}");
        let e = parse("[[source]]\nname = \"A\"\nurl = \"https://a/\"\nkind = \"html\"\nitem = \"article[\"\ntitle = \"h2\"\nlink = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":5: source[A].item"), "{e}");
    }

    #[test]
    fn every_filter_key_takes_a_string_or_a_list() {
        let keys = [
            "include_tags",
            "exclude_tags",
            "include_title",
            "exclude_title",
            "include_authors",
            "exclude_authors",
        ];
        let one: String = keys.iter().map(|k| format!("{k} = \"A\"\n")).collect();
        let many: String = keys
            .iter()
            .map(|k| format!("{k} = [\"A\", \"b\"]\n"))
            .collect();
        let c = parse(&format!(
            "[filters]\n{one}[[source]]\nname = \"S\"\nurl = \"https://s/\"\n{many}"
        ))
        .unwrap();
        assert_eq!(c.filters.include_tags, ["a"]);
        assert_eq!(c.filters.exclude_authors, ["a"]);
        assert_eq!(c.filters.exclude_title.len(), 1);
        let f = &c.sources[0].filters;
        assert_eq!(f.exclude_tags, ["a", "b"]);
        assert_eq!(f.include_authors, ["a", "b"]);
        assert_eq!(f.include_title.len(), 2);
        assert!(f.exclude_title[1].is_match("B"), "case-insensitive");

        // A bad regex in a list names the line it is on.
        let e = parse("[filters]\nexclude_title = [\n  \"^Re:\",\n  \"(unclosed\",\n]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("test.toml:4: filters.exclude_title: not a valid regular expression"),
            "{e}"
        );
        let e = parse("[[source]]\nname = \"S\"\nurl = \"https://s/\"\ninclude_title = \"[\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("test.toml:4: source[S].include_title:"),
            "{e}"
        );
        // Anything but strings is refused, naming the line.
        let e = parse("[filters]\ninclude_tags = 5\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("test.toml:2:") && e.contains("expected a string or a list of strings"),
            "{e}"
        );
        let e = parse("[filters]\ninclude_authors = [\"a\", 2]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("test.toml:2:") && e.contains("expected a string"),
            "{e}"
        );
    }

    #[test]
    fn bad_selectors_name_the_key_the_selector_and_the_mistake() {
        let html = |key: &str, selector: &str| {
            let mut keys = vec![(key, selector)];
            for (k, v) in [("item", "article"), ("title", "h2"), ("link", "h2 a")] {
                if k != key {
                    keys.push((k, v));
                }
            }
            let lines: String = keys
                .iter()
                .map(|(k, v)| format!("{k} = {}\n", toml::Value::from(*v)))
                .collect();
            parse(&format!(
                "[[source]]\nname = \"A\"\nurl = \"https://a/\"\nkind = \"html\"\n{lines}"
            ))
            .unwrap_err()
            .to_string()
        };
        for (key, selector, words) in [
            ("item", "div >", "ends with a combinator"),
            ("title", "h2 +", "ends with a combinator"),
            ("link", "a > > b", "two in a row"),
            ("summary", "p)", "unexpected token"),
            ("author_selector", "", "empty selector"),
            ("date", "  ", "empty selector"),
            ("item", "article,", "empty selector"),
            ("item", "article[", "not closed"),
            ("title", "[=x]", "needs an attribute name"),
            ("date", "time:hover", "unsupported pseudo-class"),
        ] {
            let e = html(key, selector);
            assert!(e.contains(&format!(":5: source[A].{key}: ")), "{e}");
            if !selector.trim().is_empty() {
                assert!(
                    e.contains(&format!("{selector:?} is not a valid CSS selector: ")),
                    "{e}"
                );
            }
            assert!(e.contains(words), "{selector:?}: {e}");
            assert!(!e.contains("developer"), "{e}");
        }
    }

    #[test]
    fn a_single_bracket_source_table_says_sources_are_an_array_of_tables() {
        for text in [
            "[store]\npath = \"x\"\n\n[source]\nname = \"A\"\nurl = \"https://a/\"\n",
            "[[source]]\nname = \"A\"\nurl = \"https://a/\"\n[ source ] # the second\nname = \"B\"\nurl = \"https://b/\"\n",
        ] {
            let e = parse(text).unwrap_err().to_string();
            // Both headers are on line 4.
            assert_eq!(
                e,
                "test.toml:4: source: sources are an array of tables: write [[source]], with two brackets, above each source"
            );
        }
        // Other syntax errors are toml's.
        let e = parse("[[source]]\nname = \"A\"\nname = \"B\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("duplicate key") && !e.contains("array of tables"),
            "{e}"
        );
    }

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
    fn builtin_shortener_needs_base_url() {
        let e = parse("[shortener]\nkind = \"builtin\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("shortener.base_url"), "{e}");
        let c = parse(
            "[shortener]\nkind = \"builtin\"\nbase_url = \"http://tm3.org\"\nstart = \"6e\"\n",
        )
        .unwrap();
        assert_eq!(c.shortener.base_url, "http://tm3.org/");
        let e = parse(
            "[shortener]\nkind = \"builtin\"\nbase_url = \"http://tm3.org\"\nstart = \"6E\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("shortener.start"), "{e}");
    }

    #[test]
    fn sources_may_share_a_name_but_not_a_feed() {
        let two = "[[source]]\nname = \"Alice\"\nurl = \"https://a.example/feed\"\n\
                   [[source]]\nname = \"Alice\"\nurl = \"https://b.example/feed\"\n";
        assert_eq!(parse(two).unwrap().sources.len(), 2);
        let e = parse(&two.replace("b.example", "a.example"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("source.url") && e.contains("already the source \"Alice\""),
            "{e}"
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_config_folder() {
        let text = "[roundup]\ndrafts_dir = \"../drafts\"\ntemplate = \"t.hbs\"\n[store]\npath = \"state/x.db\"\n\
                    [[source]]\nname = \"A\"\nurl = \"file:samples/a.xml\"\n";
        let c = Config::parse(Path::new("/srv/site/config/roundup.toml"), text).unwrap();
        let expected = Url::from_file_path("/srv/site/config/samples/a.xml").unwrap();
        assert_eq!(c.sources[0].url, expected);
        assert_eq!(c.store.path, Path::new("/srv/site/config/state/x.db"));
        assert_eq!(c.roundup.drafts_dir, Path::new("/srv/site/drafts"));
        assert_eq!(
            c.roundup.template.as_deref(),
            Some(Path::new("/srv/site/config/t.hbs"))
        );
        // An absolute path stays as it is; a bare file name is the working folder's.
        let c = Config::parse(
            Path::new("/etc/r.toml"),
            "[store]\npath = \"/var/lib/r.db\"\n",
        )
        .unwrap();
        assert_eq!(c.store.path, Path::new("/var/lib/r.db"));
        let c = parse("").unwrap();
        assert_eq!(
            c.store.path,
            std::env::current_dir().unwrap().join("state/roundup.db")
        );
        assert_eq!(c.roundup.template, None);
        assert_eq!(c.roundup.late, chrono::Duration::days(7));
        assert!(parse("[roundup]\nlate = \"2016-01-01\"\n")
            .unwrap_err()
            .to_string()
            .contains("roundup.late"));
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("fast"), None);
        assert_eq!(
            parse_size(&toml::Value::String("10MB".into())),
            Some(10 << 20)
        );
        assert_eq!(parse_size(&toml::Value::Integer(2048)), Some(2048));
    }
}
