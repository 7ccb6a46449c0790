//! The command line. The doc comments here are the `--help` text; README.md quotes it, and a
//! test keeps the two in agreement.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

/// Polls a community's blog feeds and writes the roundup post an editor only has to read.
#[derive(Debug, Parser)]
#[command(name = "roundup", version, about, long_about = None)]
pub struct Cli {
    /// Config file [default: config/roundup.toml, or $ROUNDUP_CONFIG]
    #[arg(
        long,
        short = 'c',
        global = true,
        value_name = "FILE",
        env = "ROUNDUP_CONFIG",
        hide_env = true
    )]
    pub config: Option<PathBuf>,

    /// More log output (-v: debug, -vv: trace); RUST_LOG overrides
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// How long to wait for another roundup command to finish with the store (0: do not wait)
    #[arg(long, global = true, value_name = "DURATION", default_value = "60s")]
    pub wait: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Subcommand, Serialize, Deserialize, PartialEq)]
pub enum Command {
    /// Fetch every due source once; print a per-source report
    Poll {
        /// Also fetch sources that are backing off after errors, or gone
        #[arg(long)]
        force: bool,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Poll, then render a draft of the unseen items; print where it went
    Draft {
        /// Start of the window: a date (2016-05-01) or a span back from now (3w, 21d)
        /// [default: where the last published roundup's posts were selected, else [roundup] since]
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Write the draft here ("-" for standard output) instead of [roundup] drafts_dir
        #[arg(long, value_name = "FILE|-")]
        out: Option<PathBuf>,
        /// Do not poll first
        #[arg(long)]
        no_poll: bool,
        /// Replace the file even if an editor changed it or it was published (a backup is kept)
        #[arg(long)]
        force: bool,
    },
    /// Mark what the edited draft still shows as published, the rest skipped
    Publish {
        /// The edited draft
        file: PathBuf,
        /// Also write one CSV line per post that went out (title, author, short link, and a
        /// text of at most 280 characters) to FILE, for scheduling on social media
        #[arg(long, value_name = "FILE")]
        social: Option<PathBuf>,
    },
    /// List stored items
    Items {
        /// Only items in this state
        #[arg(long, value_enum, default_value_t = StateFilter::All)]
        state: StateFilter,
        /// Print a JSON array (fields: key, source, title, author, link, short_link, clicks,
        /// summary, published, first_seen, state, roundup)
        #[arg(long)]
        json: bool,
    },
    /// Leave items out of drafts
    Skip {
        /// A key, a unique start of one, a post's link, or the short link a draft printed
        #[arg(required = true, value_name = "ITEM")]
        items: Vec<String>,
        /// Also skip items that went out in a published roundup
        #[arg(long)]
        force: bool,
    },
    /// Put skipped items back into drafts
    Unskip {
        /// A key, a unique start of one, a post's link, or the short link a draft printed
        #[arg(required = true, value_name = "ITEM")]
        items: Vec<String>,
        /// Also take items out of the published roundup they went out in
        #[arg(long)]
        force: bool,
    },
    /// Every source's health: last fetch, status, error, items, next check
    Sources {
        /// Print a JSON array (fields: name, url, status, last_fetch, last_error, error_kind,
        /// items, next_check, moved_to, error_count, newest_post, health)
        #[arg(long)]
        json: bool,
    },
    /// Fetch and extract sources without storing anything; print what each item would be
    Check {
        /// A source's name or URL (default: every source)
        source: Option<String>,
    },
    /// Cron-scheduled polls and drafts, short-link redirects, control API
    Daemon,
    /// Serve the review page of the current draft on 127.0.0.1 and print its address
    Review {
        /// Where to listen: a port, or an address and port (port 0 picks a free one)
        #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR", value_parser = listen_address)]
        listen: std::net::SocketAddr,
        /// Allow an address other than loopback (anyone who can reach it can publish)
        #[arg(long)]
        allow_remote: bool,
    },
    /// Add sources from an OPML file or a Planet (Venus) config.ini to the config
    Import {
        /// The OPML or config.ini file
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, Serialize, Deserialize, PartialEq, Eq)]
pub enum StateFilter {
    Unseen,
    Published,
    Skipped,
    All,
}

impl Command {
    /// Makes file arguments absolute, so the command means the same when the daemon runs it.
    pub fn absolutize(&mut self, cwd: &std::path::Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() && p.as_os_str() != "-" {
                *p = cwd.join(&*p);
            }
        };
        match self {
            Command::Draft { out: Some(p), .. } => fix(p),
            Command::Publish { file, social } => {
                fix(file);
                if let Some(s) = social {
                    fix(s);
                }
            }
            Command::Import { file } => fix(file),
            _ => {}
        }
    }
}

/// `--listen`: `8099` (on 127.0.0.1), `localhost:8099`, `127.0.0.1:8099`, `[::1]:8099`.
fn listen_address(text: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(([127, 0, 0, 1], port).into());
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        if let Ok(port) = port.parse::<u16>() {
            return Ok(([127, 0, 0, 1], port).into());
        }
    }
    text.parse().map_err(|_| {
        format!("{text:?} is not a port or an address and port (like 8099 or 127.0.0.1:8099)")
    })
}

#[cfg(test)]
mod tests {
    use super::listen_address;

    #[test]
    fn listen_takes_a_port_or_an_address() {
        for (text, addr) in [
            ("8099", "127.0.0.1:8099"),
            ("0", "127.0.0.1:0"),
            ("localhost:8099", "127.0.0.1:8099"),
            ("127.0.0.1:8099", "127.0.0.1:8099"),
            ("[::1]:8099", "[::1]:8099"),
            ("0.0.0.0:80", "0.0.0.0:80"),
        ] {
            assert_eq!(listen_address(text).unwrap().to_string(), addr, "{text}");
        }
        let err = listen_address("localhost").unwrap_err();
        assert!(err.contains("like 8099 or 127.0.0.1:8099"), "{err}");
        assert!(listen_address("99999").is_err());
    }
}
