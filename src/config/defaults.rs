//! Every default of the config in one place: what a key is when the file leaves it out. Each is
//! a named constant (or, where it is worked out from other values, a function) that the checker
//! uses as it is; `tests/defaults.rs` holds them to the README's table.
//!
//! Keys whose default is written as text (orders, kinds, addresses, crontab lines, the time
//! zone) keep it as text and go through the same parser as a value from the file, so that
//! parser stays the only place that says what the text means.

use std::time::Duration;

use regex::Regex;

/// The config file when neither `--config` nor `$ROUNDUP_CONFIG` names one.
pub const CONFIG_PATH: &str = "config/roundup.toml";

// [roundup]

/// The post's title; `{date}` becomes the draft's date.
pub const TITLE: &str = "RDO blogs over the last few weeks";
/// The front matter's author.
pub const AUTHOR: &str = "";
/// The front matter's tags.
pub const TAGS: &[&str] = &["blogs", "openstack"];
/// The draft's first paragraph.
pub const INTRO: &str =
    "Here's what RDO enthusiasts have been blogging about over the last few weeks.";
/// The words before each short link.
pub const READ_MORE: &str = "... read more at";
/// The body of a draft with nothing new.
pub const EMPTY: &str = "Nothing new has been posted since the last roundup.";
/// The line between the series lists and the other items.
pub const SERIES_OUTRO: &str = "Additionally, there were the following:";
/// Where `draft` writes, relative to the config file's folder.
pub const DRAFTS_DIR: &str = "drafts";
/// The first draft's window: three weeks back from now.
pub const SINCE: Duration = Duration::from_secs(21 * 86400);
/// How long before the window start a post first seen inside it may be dated and still be new.
pub const LATE: chrono::Duration = chrono::Duration::days(7);
/// How long a source may fail before each draft's health comment lists it.
pub const SICK_AFTER: chrono::Duration = chrono::Duration::days(7);
/// How long a source may go without a new post before the health comment calls it silent.
pub const SILENT_AFTER: chrono::Duration = chrono::Duration::days(90);
/// The order of the draft's items: `oldest-first` or `newest-first`.
pub const ORDER: &str = "oldest-first";

/// Titles of the community's own roundups, which come back through its blog's feed: titles
/// like the configured one (its `{date}` part left out, when at least 8 characters remain) or
/// "blog roundup".
pub fn own_posts(title: &str) -> Regex {
    let stem = title.split("{date}").next().unwrap_or("").trim();
    let mut pattern = String::from(r"(?i)\bblogs? roundup\b");
    if stem.len() >= 8 {
        pattern.push_str("|^");
        pattern.push_str(&regex::escape(stem));
    }
    Regex::new(&pattern).expect("escaped title is a valid regex")
}

/// A series' introduction, for the series whose titles start with `prefix`.
pub fn series_intro(prefix: &str) -> String {
    format!("Here are the \"**{prefix}**\" posts, all together:")
}

// [store]

/// The sled store (a folder), relative to the config file's folder.
pub const STORE_PATH: &str = "state/roundup.db";

// [http]

/// Total time per request.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(20);
/// Time to open a connection.
pub const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests at once, in all.
pub const HTTP_CONCURRENCY: usize = 32;
/// Requests at once to one host.
pub const HTTP_PER_HOST: usize = 4;
/// The most bytes read of a body, after decompression.
pub const HTTP_MAX_BODY: u64 = 10 * 1024 * 1024;
/// Redirects followed per request.
pub const HTTP_MAX_REDIRECTS: usize = 5;
/// Entries read per feed (the newest, as feeds list them).
pub const HTTP_MAX_ITEMS: usize = 200;
/// Retries of what is transient (timeouts, resets, 5xx, 408, 429); a timeout is retried once
/// at most.
pub const HTTP_RETRIES: u32 = 2;
/// The longest a whole poll may take: a source still unanswered then is cut, reported as
/// failed (`deadline`), and tried again at its next check, like any failure.
pub const HTTP_POLL_DEADLINE: Duration = Duration::from_secs(60);

/// The user agent when the config sets none: `roundup/<version> (+<repository>)`.
pub fn user_agent() -> String {
    format!(
        "roundup/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

// [schedule]

/// When the daemon polls (a crontab line): every half hour.
pub const SCHEDULE_POLL: &str = "*/30 * * * *";
/// When the daemon drafts (a crontab line): Mondays at 09:00.
pub const SCHEDULE_DRAFT: &str = "0 9 * * 1";
/// The zone the schedules are read in (IANA name).
pub const SCHEDULE_TIMEZONE: &str = "UTC";

// [serve]

/// The daemon's short-link redirects and `/healthz`.
pub const SERVE_LISTEN: &str = "127.0.0.1:8080";
/// The control API, loopback only; port 0 picks one.
pub const SERVE_CONTROL: &str = "127.0.0.1:0";

// [review]

/// The daemon's review page: loopback, never the public listener. `off` turns it off.
pub const REVIEW_LISTEN: &str = "127.0.0.1:8081";
/// Whether `[review] listen` may be an address other machines reach.
pub const REVIEW_ALLOW_REMOTE: bool = false;

// [shortener]

/// `builtin`, `yourls` or `none`.
pub const SHORTENER_KIND: &str = "none";
/// The characters builtin codes count over.
pub const SHORTENER_ALPHABET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
/// The environment variable holding the YOURLS signature.
pub const SHORTENER_SIGNATURE_ENV: &str = "YOURLS_SIGNATURE";
/// YOURLS: time per request.
pub const SHORTENER_TIMEOUT: Duration = Duration::from_secs(10);

/// The builtin shortener's first code: the first character of its alphabet.
pub fn shortener_start(alphabet: &str) -> String {
    alphabet.chars().next().unwrap_or('0').to_string()
}

// [[source]]

/// `feed` or `html`.
pub const SOURCE_KIND: &str = "feed";
