//! Raw config -> validated `Config`: the `Checker` reads each section of the raw file, fills in
//! the defaults (all of them from `defaults`), parses every value and refuses the first one
//! that is wrong with a `ConfigError` naming the file, the line and the key. Each section has
//! its function here, but for the shortener's and the sources', which have their own files;
//! `field` reads one key's value.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::raw::{strings, FilterParts, RawConfig, RawHttp, RawRoundup, RawSchedule, RawSeries};
use super::raw::{RawReview, RawServe, Strings};
use super::value::{lexical, parse_size};
use super::{defaults, ConfigError};
use super::{
    Config, Filters, HttpConfig, Order, ReviewConfig, RoundupConfig, ScheduleConfig, Series,
    ServeConfig, StoreConfig,
};
use crate::config::window::Window;
use field::text_or;

mod field;
mod shortener;
mod source;

pub(super) struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    /// The config file's folder (absolute).
    base: PathBuf,
}

impl<'a> Checker<'a> {
    /// A checker for the config text `text`, read from `path`.
    pub(super) fn new(path: &'a Path, text: &'a str) -> Self {
        Checker {
            path,
            text,
            base: config_folder(path),
        }
    }

    pub(super) fn check(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let roundup = self.roundup(raw.roundup)?;
        let store = StoreConfig {
            path: self.resolve(
                &raw.store
                    .path
                    .unwrap_or_else(|| defaults::STORE_PATH.to_owned()),
            ),
        };
        let http = self.http(&raw.http)?;
        let schedule = self.schedule(&raw.schedule)?;
        let serve = self.serve(&raw.serve)?;
        let review = self.review(&raw.review)?;
        let shortener = self.shortener(raw.shortener)?;
        let series = self.series(raw.series)?;
        let filters = self.filters(raw.filters.parts(), "filters.")?;
        let mut checked = source::Checked::default();
        for s in raw.source {
            let source = self.source(s, &checked)?;
            checked.push(source);
        }
        let sources = checked.sources;
        Ok(Config {
            path: self.path.to_owned(),
            roundup,
            store,
            http,
            schedule,
            serve,
            review,
            shortener,
            authors: raw.authors,
            series,
            filters,
            sources,
        })
    }
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

// The sections, in the order they are checked.
impl Checker<'_> {
    fn roundup(&self, r: RawRoundup) -> Result<RoundupConfig, ConfigError> {
        let title = r.title.unwrap_or_else(|| defaults::TITLE.to_owned());
        let since = self.since(&r.since)?;
        let order = self.order(&r.order)?;
        let late = self.span(&r.late, "roundup.late", defaults::LATE)?;
        let sick_after = self.span(&r.sick_after, "roundup.sick_after", defaults::SICK_AFTER)?;
        let own_posts = match self.regex(&r.own_posts, "roundup.own_posts")? {
            Some(re) => re,
            None => defaults::own_posts(&title),
        };
        let text = |v: Option<String>, default: &str| v.unwrap_or_else(|| default.to_owned());
        Ok(RoundupConfig {
            author: text(r.author, defaults::AUTHOR),
            tags: r
                .tags
                .unwrap_or_else(|| defaults::TAGS.iter().map(|&t| t.to_owned()).collect()),
            intro: text(r.intro, defaults::INTRO),
            template: r.template.map(|t| self.resolve(&t)),
            drafts_dir: self.resolve(&text(r.drafts_dir, defaults::DRAFTS_DIR)),
            since,
            late,
            sick_after,
            order,
            read_more: text(r.read_more, defaults::READ_MORE),
            empty: text(r.empty, defaults::EMPTY),
            series_outro: text(r.series_outro, defaults::SERIES_OUTRO),
            own_posts,
            title,
        })
    }

    fn since(&self, v: &Option<Spanned<String>>) -> Result<Window, ConfigError> {
        match v {
            None => Ok(Window::Span(defaults::SINCE)),
            Some(s) => match Window::parse(s.get_ref()) {
                Ok(w) => Ok(w),
                Err(e) => self.err(s.span(), "roundup.since", e),
            },
        }
    }

    fn order(&self, v: &Option<Spanned<String>>) -> Result<Order, ConfigError> {
        match text_or(v, defaults::ORDER) {
            ("oldest-first", _) => Ok(Order::OldestFirst),
            ("newest-first", _) => Ok(Order::NewestFirst),
            (other, span) => self.err(
                span,
                "roundup.order",
                format!("{other:?}: give \"oldest-first\" or \"newest-first\""),
            ),
        }
    }

    /// A span like `7d` (not a date), for `key`.
    fn span(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
        default: chrono::Duration,
    ) -> Result<chrono::Duration, ConfigError> {
        let Some(s) = v else {
            return Ok(default);
        };
        match Window::parse(s.get_ref()) {
            Ok(Window::Span(d)) => Ok(chrono::Duration::from_std(d).unwrap_or(default)),
            _ => self.err(
                s.span(),
                key,
                format!("{:?} is not a span like 7d, 1w or 36h", s.get_ref()),
            ),
        }
    }

    fn http(&self, h: &RawHttp) -> Result<HttpConfig, ConfigError> {
        let max_body = self.max_body(&h.max_body)?;
        Ok(HttpConfig {
            timeout: self.duration(&h.timeout, "http.timeout", defaults::HTTP_TIMEOUT)?,
            connect_timeout: self.duration(
                &h.connect_timeout,
                "http.connect_timeout",
                defaults::HTTP_CONNECT_TIMEOUT,
            )?,
            concurrency: self.count(
                &h.concurrency,
                "http.concurrency",
                defaults::HTTP_CONCURRENCY,
                1,
                1024,
            )?,
            per_host: self.count(
                &h.per_host,
                "http.per_host",
                defaults::HTTP_PER_HOST,
                1,
                256,
            )?,
            max_body,
            max_redirects: self.count(
                &h.max_redirects,
                "http.max_redirects",
                defaults::HTTP_MAX_REDIRECTS,
                0,
                20,
            )?,
            max_items: self.count(
                &h.max_items,
                "http.max_items",
                defaults::HTTP_MAX_ITEMS,
                1,
                100_000,
            )?,
            retries: self.count(
                &h.retries,
                "http.retries",
                defaults::HTTP_RETRIES as usize,
                0,
                10,
            )? as u32,
            poll_deadline: self.duration(
                &h.poll_deadline,
                "http.poll_deadline",
                defaults::HTTP_POLL_DEADLINE,
            )?,
            user_agent: self.user_agent(&h.user_agent)?,
        })
    }

    fn max_body(&self, v: &Option<Spanned<toml::Value>>) -> Result<u64, ConfigError> {
        let Some(v) = v else {
            return Ok(defaults::HTTP_MAX_BODY);
        };
        match parse_size(v.get_ref()) {
            Some(n) if n >= 1024 => Ok(n),
            _ => self.err(
                v.span(),
                "http.max_body",
                "give a size of at least 1KB, like \"10MB\" or 10485760",
            ),
        }
    }

    fn user_agent(&self, v: &Option<Spanned<String>>) -> Result<String, ConfigError> {
        match v {
            None => Ok(defaults::user_agent()),
            Some(ua) if reqwest::header::HeaderValue::from_str(ua.get_ref()).is_ok() => {
                Ok(ua.get_ref().clone())
            }
            Some(ua) => self.err(
                ua.span(),
                "http.user_agent",
                format!(
                    "{:?} cannot be sent as a header (give one line of printable text)",
                    ua.get_ref()
                ),
            ),
        }
    }

    fn schedule(&self, s: &RawSchedule) -> Result<ScheduleConfig, ConfigError> {
        let (zone, span) = text_or(&s.timezone, defaults::SCHEDULE_TIMEZONE);
        let timezone = match zone.parse::<chrono_tz::Tz>() {
            Ok(z) => z,
            Err(_) => {
                return self.err(
                    span,
                    "schedule.timezone",
                    format!("{zone:?} is not an IANA time zone (like \"Europe/Paris\" or \"UTC\")"),
                )
            }
        };
        Ok(ScheduleConfig {
            poll: self.cron(&s.poll, "schedule.poll", defaults::SCHEDULE_POLL)?,
            draft: self.cron(&s.draft, "schedule.draft", defaults::SCHEDULE_DRAFT)?,
            timezone,
        })
    }

    fn serve(&self, s: &RawServe) -> Result<ServeConfig, ConfigError> {
        let serve = ServeConfig {
            listen: self.addr(&s.listen, "serve.listen", defaults::SERVE_LISTEN)?,
            control: self.addr(&s.control, "serve.control", defaults::SERVE_CONTROL)?,
        };
        if !serve.control.ip().is_loopback() {
            let span = s.control.as_ref().map(|s| s.span()).unwrap_or(0..0);
            return self.err(
                span,
                "serve.control",
                "the control API listens on loopback only (use 127.0.0.1)",
            );
        }
        Ok(serve)
    }

    fn review(&self, r: &RawReview) -> Result<ReviewConfig, ConfigError> {
        let allow_remote = r.allow_remote.unwrap_or(defaults::REVIEW_ALLOW_REMOTE);
        if r.listen
            .as_ref()
            .is_some_and(|l| l.get_ref().trim() == "off")
        {
            return Ok(ReviewConfig {
                listen: None,
                allow_remote,
            });
        }
        let listen = self.addr(&r.listen, "review.listen", defaults::REVIEW_LISTEN)?;
        if !listen.ip().is_loopback() && !allow_remote {
            let span = r.listen.as_ref().map(|s| s.span()).unwrap_or(0..0);
            return self.err(
                span,
                "review.listen",
                "the review page can publish, so it listens on loopback only (use 127.0.0.1); set allow_remote = true to listen here anyway",
            );
        }
        Ok(ReviewConfig {
            listen: Some(listen),
            allow_remote,
        })
    }

    fn series(&self, raw: Vec<RawSeries>) -> Result<Vec<Series>, ConfigError> {
        let mut series = Vec::new();
        for s in raw {
            let prefix = s.prefix.get_ref().trim();
            if prefix.is_empty() {
                return self.err(s.prefix.span(), "series.prefix", "must not be empty");
            }
            series.push(Series {
                prefix: prefix.to_owned(),
                intro: s.intro.unwrap_or_else(|| defaults::series_intro(prefix)),
            });
        }
        Ok(series)
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
}

// Where paths lead and how a refusal names its line.
impl Checker<'_> {
    /// `path` against the config's folder, `..` and `.` taken out (`config/../state` -> `state`).
    fn resolve(&self, path: &str) -> PathBuf {
        lexical(&self.base.join(path))
    }

    fn err<T>(
        &self,
        span: Range<usize>,
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
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use url::Url;

    use crate::config::test_parse as parse;
    use crate::config::{Config, ShortenerKind};

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
    fn the_review_page_listens_on_loopback_unless_allowed() {
        let src = "[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n";
        let c = parse(src).unwrap();
        assert_eq!(c.review.listen, Some("127.0.0.1:8081".parse().unwrap()));
        let e = parse(&format!("[review]\nlisten = \"0.0.0.0:8081\"\n{src}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("review.listen")
                && e.contains("loopback only")
                && e.contains("allow_remote"),
            "{e}"
        );
        let c = parse(&format!(
            "[review]\nlisten = \"0.0.0.0:8081\"\nallow_remote = true\n{src}"
        ))
        .unwrap();
        assert_eq!(c.review.listen, Some("0.0.0.0:8081".parse().unwrap()));
        let c = parse(&format!("[review]\nlisten = \"off\"\n{src}")).unwrap();
        assert_eq!(c.review.listen, None);
    }

    #[test]
    fn the_control_api_listens_on_loopback_only() {
        let src = "[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n";
        for addr in ["0.0.0.0:0", "192.0.2.1:8080", "[::]:0"] {
            let e = parse(&format!("[serve]\ncontrol = \"{addr}\"\n{src}"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("serve.control") && e.contains("loopback only"),
                "{e}"
            );
        }
        for addr in ["127.0.0.1:0", "[::1]:7000"] {
            let c = parse(&format!("[serve]\ncontrol = \"{addr}\"\n{src}")).unwrap();
            assert!(c.serve.control.ip().is_loopback());
        }
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
}
