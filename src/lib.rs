//! roundup: polls a community's blog feeds, keeps what has not been published in a sled store,
//! and renders the draft roundup post an editor only has to read.

pub mod check; // `roundup check`: fetch and extract without storing, to try a source
pub mod cli; // the command line (clap derive); its doc comments are the --help text
pub mod commands; // the commands against an open store, output collected for terminal or control API
pub mod config; // TOML -> validated Config and every default; the bottom layer, using no other stage
pub mod control; // the daemon's loopback control API and its client
pub mod daemon; // cron-scheduled polls and drafts
pub mod draft; // the `draft` command: select, shorten, render, write atomically
pub mod extract; // parsed entries -> Item: title, author, summary, link, date, key
pub mod fetch; // the HTTP client, conditional GET, limits, retries -> FetchOutcome
pub mod import; // sources from OPML or a Planet Venus config.ini
pub mod item; // Item and its state: the record the store keeps
pub mod parse; // bytes -> entries (feed-rs with a repair pass; scraper selectors)
pub mod poll; // one poll: every due source fetched, parsed, extracted and stored
pub mod publish; // edited draft -> published / skipped
pub mod render; // items -> DraftView -> handlebars -> markdown
pub mod schedule; // crontab lines -> cron schedules in a time zone
pub mod serve; // short-link redirects and /healthz
pub mod shorten; // builtin, YOURLS, none
pub mod source; // per-source fetch state
pub mod store; // sled trees and the only code that touches them
pub mod text; // HTML -> plain text, entity decoding, whitespace, word counts
pub mod when; // windows: a date or a span back from now
