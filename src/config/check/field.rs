//! One key's value, parsed with the default filled in when the key is left out, or refused with
//! an error naming the key and the line it is on: durations, counts in a range, regexes, CSS
//! selectors, crontab lines and socket addresses.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use regex::Regex;
use toml::Spanned;

use super::Checker;
use crate::config::cron::Cron;
use crate::config::raw::{strings, Strings};
use crate::config::value::{parse_duration, selector_problem};
use crate::config::{ConfigError, CssSelector};

/// A key's text and where it is in the file, or the default's text (at the top of the file)
/// when the key is left out.
pub(super) fn text_or<'v>(
    v: &'v Option<Spanned<String>>,
    default: &'v str,
) -> (&'v str, Range<usize>) {
    v.as_ref()
        .map(|s| (s.get_ref().as_str(), s.span()))
        .unwrap_or((default, 0..0))
}

impl Checker<'_> {
    pub(super) fn duration(
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

    pub(super) fn count(
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

    pub(super) fn regex(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
    ) -> Result<Option<Regex>, ConfigError> {
        match v {
            None => Ok(None),
            Some(s) => self.compile(s.get_ref(), s.span(), key).map(Some),
        }
    }

    /// A case-insensitive regex; `span` is where its text is in the file.
    pub(super) fn compile(
        &self,
        text: &str,
        span: Range<usize>,
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
    pub(super) fn regexes(
        &self,
        v: &Option<Spanned<Strings>>,
        key: &str,
    ) -> Result<Vec<Regex>, ConfigError> {
        strings(v)
            .into_iter()
            .map(|(text, span)| self.compile(text, span, key))
            .collect()
    }

    pub(super) fn selector(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
    ) -> Result<Option<CssSelector>, ConfigError> {
        match v {
            None => Ok(None),
            Some(s) if s.get_ref().trim().is_empty() => self.err(
                s.span(),
                key,
                "empty selector (give one, like \"article\" or \"h2 a\")",
            ),
            Some(s) => match CssSelector::parse(s.get_ref()) {
                Ok(compiled) => Ok(Some(compiled)),
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

    pub(super) fn cron(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
        default: &str,
    ) -> Result<Cron, ConfigError> {
        let (text, span) = text_or(v, default);
        match Cron::parse(text) {
            Ok(c) => Ok(c),
            Err(e) => self.err(span, key, e.to_string()),
        }
    }

    pub(super) fn addr(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
        default: &str,
    ) -> Result<SocketAddr, ConfigError> {
        let (text, span) = text_or(v, default);
        text.parse::<SocketAddr>().or_else(|_| {
            self.err(
                span,
                key,
                format!("{text:?} is not an address like \"127.0.0.1:8080\""),
            )
        })
    }
}
