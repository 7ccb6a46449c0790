//! roundup: polls a community's blog feeds, keeps what has not been published in a sled store,
//! and renders the draft roundup post an editor only has to read.

pub mod cli; // arguments, commands, and what they print
pub mod config; // TOML -> validated Config and every default; the bottom layer, using no other stage
pub mod daemon; // cron-scheduled polls and drafts, short-link redirects, the control API
pub mod draft; // the `draft` command: select, shorten, render, write atomically
pub mod errors; // the one error-chain printer
pub mod extract; // parsed entries -> Item: title, author, summary, link, date, key
pub mod fetch; // the HTTP client, conditional GET, limits, retries -> FetchOutcome
pub mod files; // the one atomic file write
pub mod health; // feed health for the editor: sick, moved, gone and silent sources
pub mod import; // sources from OPML or a Planet Venus config.ini
pub mod item; // Item and its state: the record the store keeps
pub mod parse; // bytes -> entries (feed-rs with a repair pass; scraper selectors)
pub mod poll; // one poll: every due source fetched, parsed, extracted and stored
pub mod publish; // edited draft -> published / skipped
pub mod render; // items -> DraftView -> handlebars -> markdown
pub mod review; // the review page: the draft in a browser, edited and published from there
pub mod shorten; // builtin, YOURLS, none
pub mod store; // sled trees and the only code that touches them
pub mod text; // HTML -> plain text (one walker), entity decoding, whitespace, dates
