//! One attempt at one source: fetch it (conditionally), then parse and extract the body on the
//! poll's parse threads (`cpu`), one per core. Returns an `Attempt`; stores nothing.

use chrono::{DateTime, Utc};

use crate::config::{Config, Source, SourceKind};
use crate::extract::{self, Extracted};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::parse::{self, ParseError};

use super::cpu::CpuPool;
use super::report::SourceError;
use super::state::Attempt;

/// Fetches and parses one source; `validators` is `None` when it is not due.
pub async fn attempt(
    cfg: &Config,
    source: &Source,
    validators: Option<Validators>,
    fetcher: &Fetcher,
    cpus: &CpuPool,
    now: DateTime<Utc>,
) -> Attempt {
    let Some(validators) = validators else {
        return Attempt::NotDue;
    };
    let fetched = match fetcher.fetch(&source.url, &validators).await {
        FetchOutcome::Fetched(f) => f,
        FetchOutcome::NotModified { moved_to } => {
            return Attempt::NotModified {
                moved_to: moved_to.map(String::from),
            }
        }
        FetchOutcome::Failed(f) => {
            return Attempt::Failed {
                error: SourceError::Fetch(f.error),
                retry_after: f.retry_after,
                moved_to: f.moved_to.map(String::from),
            };
        }
    };
    let moved_to = fetched.moved_to.as_ref().map(|u| u.to_string());
    // Parsing and extraction are CPU work: on the parse threads, one per core.
    let job = {
        let (source, global, aliases) = (source.clone(), cfg.filters.clone(), cfg.authors.clone());
        let max_items = cfg.http.max_items;
        move || {
            let body = (&fetched.body[..], &fetched.final_url);
            parse_and_extract(body.0, body.1, &source, &global, &aliases, max_items, now)
                .map(|e| (e, fetched.validators, fetched.final_url.to_string()))
        }
    };
    settle(cpus.run(job).await, source, moved_to)
}

type Parsed = Result<(Extracted, Validators, String), ParseError>;

/// What the parse job's result means for the source.
fn settle(result: Result<Parsed, String>, source: &Source, moved_to: Option<String>) -> Attempt {
    let failed = |error| Attempt::Failed {
        error,
        retry_after: None,
        moved_to: moved_to.clone(),
    };
    match result {
        Ok(Ok((extracted, _, _))) if extracted.unusable() => failed(SourceError::Unusable {
            count: extracted.dropped.len(),
            first: extracted.dropped[0].to_string(),
            html: matches!(source.kind, SourceKind::Html(_)),
        }),
        Ok(Ok((extracted, validators, final_url))) => Attempt::Items {
            extracted,
            validators,
            final_url,
            moved_to,
        },
        Ok(Err(error)) => failed(SourceError::Parse {
            error,
            local: source.url.scheme() == "file",
        }),
        Err(panic) => failed(SourceError::Internal(panic)),
    }
}

/// Bytes -> items, for one source.
pub fn parse_and_extract(
    body: &[u8],
    final_url: &url::Url,
    source: &Source,
    global: &crate::config::Filters,
    aliases: &std::collections::BTreeMap<String, String>,
    max_items: usize,
    now: DateTime<Utc>,
) -> Result<Extracted, ParseError> {
    // Relative links resolve against the final URL; for a local file, against the site the
    // feed names (its alternate link) instead, since a file:// link is no use to a reader.
    let web = matches!(final_url.scheme(), "http" | "https");
    let feed = match &source.kind {
        SourceKind::Feed => parse::feed::parse(body, web.then_some(final_url))?,
        SourceKind::Html(sel) => parse::html::scrape(body, sel, final_url)?,
    };
    let site = feed.link.as_deref().and_then(|l| url::Url::parse(l).ok());
    let base = if web {
        Some(final_url)
    } else {
        site.as_ref().or(Some(final_url))
    };
    let cx = extract::Context {
        source,
        global,
        aliases,
        base,
        now,
        max_items,
    };
    Ok(extract::extract(&feed, &cx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const RELATIVE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link rel="self" href="http://intertwingly.example/blog/index.atom"/>
  <link href="/blog/"/>
  <id>http://intertwingly.example/blog/index.atom</id>
  <title>Sam</title><author><name>Sam Ruby</name></author>
  <updated>2013-02-23T18:33:07-08:00</updated>
  <entry><id>tag:intertwingly.example,2004:3371</id><title>Plex</title>
    <link href="/blog/2013/01/30/Plex"/><updated>2013-01-30T10:00:00Z</updated>
    <summary>A first paragraph.</summary></entry>
</feed>"#;

    fn source(url: &str) -> Source {
        let text = format!("[[source]]\nname = \"Sam\"\nurl = \"{url}\"\n");
        Config::parse(std::path::Path::new("t.toml"), &text)
            .unwrap()
            .sources
            .remove(0)
    }

    fn first_link(feed_url: &str) -> String {
        let url = url::Url::parse(feed_url).unwrap();
        let src = source(url.as_str());
        let (global, aliases) = (Default::default(), Default::default());
        let got = parse_and_extract(
            RELATIVE.as_bytes(),
            &url,
            &src,
            &global,
            &aliases,
            10,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(got.items.len(), 1, "{:?}", got.dropped);
        got.items[0].link.clone()
    }

    #[test]
    fn relative_links_of_a_local_file_resolve_against_the_feeds_web_address() {
        assert_eq!(
            first_link("file:///srv/feeds/sam.atom"),
            "http://intertwingly.example/blog/2013/01/30/Plex"
        );
    }

    #[test]
    fn relative_links_of_a_fetched_feed_resolve_against_its_final_url() {
        assert_eq!(
            first_link("https://mirror.example/feeds/sam.atom"),
            "https://mirror.example/blog/2013/01/30/Plex"
        );
    }
}
