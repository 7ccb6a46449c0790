//! The HTTP client: one `reqwest::Client`, conditional GET, bounded bodies, time and redirects,
//! per-host politeness and retries for what is transient. A fetch never fails the run: its
//! outcome is a value (`FetchOutcome`) the poll records against the source.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio::sync::Semaphore;
use url::Url;

use crate::config::HttpConfig;

/// What feeds we ask for, in order of preference.
const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                      application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";

/// The first retry waits this long; each further one twice as long.
const RETRY_BASE: Duration = Duration::from_millis(500);

/// A `Retry-After` longer than this is not waited for inside a poll: the source is checked again
/// after it instead.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// The validators of the last successful fetch, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A body that arrived.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// The URL the body came from, after redirects: the base for relative links.
    pub final_url: Url,
    pub validators: Validators,
    pub content_type: Option<String>,
    /// Set when every redirect on the way was permanent (301, 308): the source has moved.
    pub moved_to: Option<Url>,
}

#[derive(Debug, Clone)]
pub enum FetchOutcome {
    Fetched(Fetched),
    /// 304: nothing changed since the validators were issued.
    NotModified {
        moved_to: Option<Url>,
    },
    Failed(Failure),
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub error: FetchError,
    /// The server asked us to come back after this long (429/503 Retry-After).
    pub retry_after: Option<Duration>,
    pub moved_to: Option<Url>,
}

/// Why a fetch failed. Messages are lowercase and say what to do when we know.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum FetchError {
    #[error("timed out after {0:?} (the server is slow or hanging)")]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("HTTP {code}{}", reason_suffix(.reason))]
    Status { code: u16, reason: String },
    #[error("gone (HTTP 410): the feed was removed; take the source out of the config")]
    Gone,
    #[error("body larger than {0} bytes (raise [http] max_body if the feed is genuine)")]
    TooLarge(u64),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("bad redirect: {0}")]
    BadRedirect(String),
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("answered 304 Not Modified to a request that sent no validators (a broken server or cache); the next poll asks again")]
    UnconditionalNotModified,
    #[error("malformed feed: gzip-compressed body is corrupt: {0}")]
    BadGzip(String),
    /// The connection was reset or closed before the answer was complete.
    #[error("{0}")]
    Interrupted(String),
    #[error("{0}")]
    Other(String),
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason}")
    }
}

impl FetchError {
    /// Worth trying again within the same poll: timeouts, resets, 5xx, 408, 429.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout(_) | FetchError::Connect(_) => true,
            FetchError::Status { code, .. } => *code >= 500 || *code == 408 || *code == 429,
            FetchError::Interrupted(_) => true,
            _ => false,
        }
    }
}

/// The shared client plus the per-host semaphores.
pub struct Fetcher {
    /// Built on first use: building it reads the system's root certificates, a few
    /// milliseconds that a command which fetches nothing (`items`, `draft --no-poll`) does not
    /// pay, and that one which does spends while the store opens (on a thread of its own).
    client: OnceLock<Result<reqwest::Client, String>>,
    cfg: HttpConfig,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Fetcher {
    pub fn new(cfg: &HttpConfig) -> Fetcher {
        Fetcher {
            client: OnceLock::new(),
            cfg: cfg.clone(),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// The underlying client, for other HTTP users (the YOURLS shortener). An `Err` (its TLS
    /// set-up failed) is the same every time it is asked for.
    pub fn client(&self) -> Result<&reqwest::Client, FetchError> {
        let built = self.client.get_or_init(|| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
            reqwest::Client::builder()
                .user_agent(self.cfg.user_agent.clone())
                .default_headers(headers)
                .connect_timeout(self.cfg.connect_timeout)
                .timeout(self.cfg.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(self.cfg.per_host)
                .gzip(true)
                .brotli(true)
                .deflate(true)
                .build()
                .map_err(|e| {
                    format!(
                        "cannot set up the HTTP client: {}",
                        crate::errors::chain(&e)
                    )
                })
        });
        built.as_ref().map_err(|e| FetchError::Other(e.clone()))
    }

    fn host_permit(&self, url: &Url) -> Arc<Semaphore> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut hosts = self
            .hosts
            .lock()
            .expect("host map lock is never poisoned: no panics while held");
        hosts
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(self.cfg.per_host)))
            .clone()
    }

    /// Fetches `url` once, with retries for transient failures.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> FetchOutcome {
        if url.scheme() == "file" {
            return fetch_file(url, validators, self.cfg.max_body).await;
        }
        let mut attempt = 0;
        loop {
            let outcome = {
                let sem = self.host_permit(url);
                let _permit = sem
                    .acquire_owned()
                    .await
                    .expect("host semaphores are never closed");
                self.fetch_once(url, validators).await
            };
            let FetchOutcome::Failed(failure) = &outcome else {
                return outcome;
            };
            if attempt >= self.cfg.retries || !failure.error.is_transient() {
                return outcome;
            }
            // A server that did not answer in time is given one more chance, not `retries`:
            // each try costs a whole timeout.
            if matches!(failure.error, FetchError::Timeout(_)) && attempt >= 1 {
                return outcome;
            }
            let wait = match failure.retry_after {
                Some(d) if d > MAX_RETRY_WAIT => return outcome,
                Some(d) => d,
                None => RETRY_BASE * 2u32.pow(attempt),
            };
            tracing::debug!(url = %url, error = %failure.error, ?wait, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One request, following redirects by hand (to see loops, and whether every hop was
    /// permanent): the feed moved only when all of them were.
    async fn fetch_once(&self, start: &Url, validators: &Validators) -> FetchOutcome {
        let mut url = start.clone();
        let mut seen = HashSet::new();
        let mut all_permanent = true;
        let mut hops = 0;
        loop {
            let moved_to = (all_permanent && hops > 0).then(|| url.clone());
            let request = match self.request(&url, validators) {
                Ok(r) => r,
                Err(e) => return failed(e, None, None),
            };
            let resp = match request.send().await {
                Ok(r) => r,
                Err(e) => return failed(self.classify(&e), None, moved_to),
            };
            let status = resp.status();
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                return self.answer(resp, url, validators, moved_to).await;
            }
            let next = match redirect_target(&resp, &url) {
                Ok(next) => next,
                Err(e) => return failed(e, None, None),
            };
            all_permanent &= matches!(
                status,
                StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
            );
            seen.insert(url.clone());
            if seen.contains(&next) {
                return failed(FetchError::RedirectLoop(next.to_string()), None, None);
            }
            hops += 1;
            if hops > self.cfg.max_redirects {
                let error = FetchError::TooManyRedirects(self.cfg.max_redirects);
                return failed(error, None, None);
            }
            url = next;
        }
    }

    /// A GET of `url`, conditional when there are validators.
    fn request(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<reqwest::RequestBuilder, FetchError> {
        let mut req = self.client()?.get(url.clone());
        if let Some(etag) = &validators.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        Ok(req)
    }

    /// What a response that is not a redirect means: not modified, gone, an error status (with
    /// the wait the server asked for), or a body.
    async fn answer(
        &self,
        resp: reqwest::Response,
        url: Url,
        validators: &Validators,
        moved_to: Option<Url>,
    ) -> FetchOutcome {
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            // Only an answer to our validators: a 304 to an unconditional request has no
            // version to keep, so taking it as "nothing changed" would keep it forever.
            if validators.etag.is_none() && validators.last_modified.is_none() {
                return failed(FetchError::UnconditionalNotModified, None, moved_to);
            }
            return FetchOutcome::NotModified { moved_to };
        }
        if status == StatusCode::GONE {
            return failed(FetchError::Gone, None, moved_to);
        }
        let header_str = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        if !status.is_success() {
            let retry_after = header_str(header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
            let error = FetchError::Status {
                code: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
            };
            return failed(error, retry_after, moved_to);
        }
        let validators = Validators {
            etag: header_str(header::ETAG),
            last_modified: header_str(header::LAST_MODIFIED),
        };
        let content_type = header_str(header::CONTENT_TYPE);
        let limit = self.cfg.max_body;
        match self
            .read_body(resp)
            .await
            .and_then(|b| inflate_unannounced(b, limit))
        {
            Ok(body) => FetchOutcome::Fetched(Fetched {
                body,
                final_url: url,
                validators,
                content_type,
                moved_to,
            }),
            Err(error) => failed(error, None, moved_to),
        }
    }

    /// Reads the body chunk by chunk, counting decompressed bytes: stops gzip bombs and endless
    /// bodies at `max_body`.
    async fn read_body(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let limit = self.cfg.max_body;
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        return Err(FetchError::TooLarge(limit));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => return Err(self.classify(&e)),
            }
        }
    }

    fn classify(&self, e: &reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.cfg.timeout)
        } else if e.is_connect() {
            FetchError::Connect(crate::errors::chain(e))
        } else if interrupted(e) {
            FetchError::Interrupted(crate::errors::chain(e))
        } else {
            FetchError::Other(crate::errors::chain(e))
        }
    }
}

/// Whether the connection broke off mid-answer: a reset, an abort, an early end. hyper's
/// "connection closed before message completed" reaches us with no I/O error under it (and
/// hyper is not ours to downcast to), so its words are the only sign of it.
fn interrupted(e: &reqwest::Error) -> bool {
    use std::io::ErrorKind;
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            ) {
                return true;
            }
        }
        if c.to_string()
            .contains("connection closed before message completed")
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// A body gzipped without saying so (no `Content-Encoding`, or a `.gz` file) is inflated
/// here, bounded by the same `[http] max_body` as every other body: a bomb stops there.
fn inflate_unannounced(body: Vec<u8>, limit: u64) -> Result<Vec<u8>, FetchError> {
    use std::io::Read;
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(body);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&body[..])
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| FetchError::BadGzip(e.to_string()))?;
    if out.len() as u64 > limit {
        return Err(FetchError::TooLarge(limit));
    }
    Ok(out)
}

fn failed(error: FetchError, retry_after: Option<Duration>, moved_to: Option<Url>) -> FetchOutcome {
    FetchOutcome::Failed(Failure {
        error,
        retry_after,
        moved_to,
    })
}

/// Where a redirect points, when it is somewhere a feed can be fetched from.
fn redirect_target(resp: &reqwest::Response, url: &Url) -> Result<Url, FetchError> {
    let status = resp.status().as_u16();
    let Some(loc) = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(FetchError::BadRedirect(format!(
            "HTTP {status} without a Location"
        )));
    };
    match url.join(loc) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u),
        _ => Err(FetchError::BadRedirect(format!(
            "to {loc:?}, not an http(s) URL"
        ))),
    }
}

/// `Retry-After: 120` or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let now = chrono::Utc::now();
    let when = crate::text::date::parse(v, now)?;
    let secs = (when - now).num_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// `file://` sources: read from disk, bounded like a body; the file's size and modification
/// time act as its validator so an unchanged file is "not modified".
async fn fetch_file(url: &Url, validators: &Validators, limit: u64) -> FetchOutcome {
    let unreadable = |message: String| {
        let path = url.path().to_owned();
        failed(FetchError::File { path, message }, None, None)
    };
    let Ok(path) = url.to_file_path() else {
        return unreadable("not a local path".into());
    };
    let meta = match tokio::fs::metadata(&path).await {
        Ok(m) => m,
        Err(e) => return unreadable(e.to_string()),
    };
    if meta.len() > limit {
        return failed(FetchError::TooLarge(limit), None, None);
    }
    let stamp = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    let etag = stamp.map(|t| format!("\"{}-{}\"", meta.len(), t.as_nanos()));
    if etag.is_some() && validators.etag == etag {
        return FetchOutcome::NotModified { moved_to: None };
    }
    let read = match tokio::fs::read(&path).await {
        Ok(body) if body.len() as u64 > limit => Err(FetchError::TooLarge(limit)),
        Ok(body) => inflate_unannounced(body, limit),
        Err(e) => return unreadable(e.to_string()),
    };
    match read {
        Err(error) => failed(error, None, None),
        Ok(body) => FetchOutcome::Fetched(Fetched {
            body,
            final_url: url.clone(),
            validators: Validators {
                etag,
                last_modified: None,
            },
            content_type: None,
            moved_to: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unannounced_gzip_body_is_inflated_within_max_body() {
        use std::io::Write;
        let gzip = |data: &[u8], times: usize| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            for _ in 0..times {
                enc.write_all(data).expect("writes to a Vec");
            }
            enc.finish().expect("writes to a Vec")
        };
        assert_eq!(
            inflate_unannounced(gzip(b"<rss/>", 1), 1024).unwrap(),
            b"<rss/>"
        );
        assert_eq!(
            inflate_unannounced(b"<rss/>".to_vec(), 1024).unwrap(),
            b"<rss/>"
        );
        // A bomb: 17 MiB of zeros in a few KB, against a 1 MiB limit.
        let bomb = gzip(&vec![0u8; 1 << 20], 17);
        assert_eq!(
            inflate_unannounced(bomb, 1 << 20),
            Err(FetchError::TooLarge(1 << 20))
        );
        assert!(matches!(
            inflate_unannounced(vec![0x1f, 0x8b, 0, 1, 2], 1024),
            Err(FetchError::BadGzip(_))
        ));
    }

    #[test]
    fn retry_after_in_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(FetchError::Status {
            code: 503,
            reason: String::new()
        }
        .is_transient());
        assert!(FetchError::Status {
            code: 429,
            reason: String::new()
        }
        .is_transient());
        assert!(FetchError::Status {
            code: 408,
            reason: String::new()
        }
        .is_transient());
        assert!(!FetchError::Status {
            code: 404,
            reason: String::new()
        }
        .is_transient());
        assert!(!FetchError::Gone.is_transient());
        assert!(!FetchError::TooLarge(1).is_transient());
        assert!(FetchError::Timeout(Duration::from_secs(1)).is_transient());
    }
}
