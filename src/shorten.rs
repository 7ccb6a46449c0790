//! Short links: builtin (sequential codes kept in the store), YOURLS, or none. Owns the
//! `Shortener` the draft asks for every link, the YOURLS API conversation, and the cache of
//! YOURLS answers (meta `yourls:<url>`) that makes a second draft give the same links.

use std::time::Duration;

use crate::config::{ShortenerConfig, ShortenerKind};
use crate::extract::link::comparable;
use crate::store::{Store, StoreError};

/// The most of a YOURLS answer we read: its JSON is a few hundred bytes.
const MAX_ANSWER: usize = 64 * 1024;

/// Meta key prefix of cached YOURLS answers.

#[derive(Debug, thiserror::Error)]
pub enum ShortenError {
    #[error("the yourls shortener needs its signature token in the environment variable {var}; set it (export {var}=...) or choose shortener kind \"builtin\" or \"none\"")]
    MissingSignature { var: String },
    #[error(
        "the yourls shortener needs shortener.api_url (like \"https://tm3.org/yourls-api.php\")"
    )]
    MissingApiUrl,
    /// The HTTP client the yourls shortener calls through could not be set up.
    #[error("{0}")]
    Client(String),
}

/// The link a draft prints for a post, and why it is the full link when shortening failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortened {
    pub link: String,
    pub warning: Option<String>,
}

impl Shortened {
    fn full(url: &str, warning: Option<String>) -> Shortened {
        Shortened {
            link: url.to_owned(),
            warning,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    None,
    Builtin {
        base_url: String,
        alphabet: String,
        start: String,
    },
    Yourls {
        client: reqwest::Client,
        api_url: url::Url,
        signature: String,
        timeout: Duration,
    },
}

/// Turns post URLs into short links. The same URL always gets the same short link.
#[derive(Debug, Clone)]
pub struct Shortener {
    kind: Kind,
    store: Store,
}

impl Shortener {
    /// Builds the configured shortener. For YOURLS the signature is read from the environment
    /// variable `cfg.signature_env` now, so a missing secret is reported before any work.
    pub fn new(
        cfg: &ShortenerConfig,
        store: Store,
        client: impl FnOnce() -> Result<reqwest::Client, String>,
    ) -> Result<Shortener, ShortenError> {
        let kind = match cfg.kind {
            ShortenerKind::None => Kind::None,
            ShortenerKind::Builtin => Kind::Builtin {
                base_url: cfg.base_url.clone(),
                alphabet: cfg.alphabet.clone(),
                start: cfg.start.clone(),
            },
            ShortenerKind::Yourls => {
                let api_url = cfg.api_url.clone().ok_or(ShortenError::MissingApiUrl)?;
                let signature = std::env::var(&cfg.signature_env)
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| ShortenError::MissingSignature {
                        var: cfg.signature_env.clone(),
                    })?;
                Kind::Yourls {
                    client: client().map_err(ShortenError::Client)?,
                    api_url,
                    signature,
                    timeout: cfg.timeout,
                }
            }
        };
        Ok(Shortener { kind, store })
    }

    /// The short link for `url`: issued before, or issued now. When shortening fails the full
    /// link comes back with a warning; the draft is still written.
    pub async fn link(&self, url: &str) -> Shortened {
        match &self.kind {
            Kind::None => Shortened::full(url, None),
            Kind::Builtin {
                base_url,
                alphabet,
                start,
            } => match self.store.issue_code(url, alphabet, start) {
                Ok(code) => Shortened {
                    link: format!("{base_url}{code}"),
                    warning: None,
                },
                Err(e) => Shortened::full(
                    url,
                    Some(format!("cannot issue a short code for {url}: {e}")),
                ),
            },
            Kind::Yourls {
                client,
                api_url,
                signature,
                timeout,
            } => {
                if let Some(short) = self.stored(url) {
                    return Shortened {
                        link: short,
                        warning: None,
                    };
                }
                match yourls(client, api_url, signature, *timeout, url).await {
                    Ok(short) => {
                        let warning = self
                            .store
                            .put_yourls_link(url, &short)
                            .err()
                            .map(|e| format!("cannot remember the short link of {url}: {e}"));
                        Shortened { link: short, warning }
                    }
                    Err(why) => Shortened::full(
                        url,
                        Some(format!(
                            "yourls at {api_url} did not shorten {url}: {why}; the draft keeps the full link"
                        )),
                    ),
                }
            }
        }
    }

    /// The short link already issued for `url`, without asking anyone (for `items --json`).
    pub fn stored(&self, url: &str) -> Option<String> {
        match &self.kind {
            Kind::None => None,
            Kind::Builtin { base_url, .. } => self
                .store
                .code_for(url)
                .ok()
                .flatten()
                .map(|code| format!("{base_url}{code}")),
            Kind::Yourls { .. } => self.store.yourls_link(url).ok().flatten(),
        }
    }
}

/// Whether `url` is under the builtin shortener's address (in any comparable form).
pub fn is_builtin_link(cfg: &ShortenerConfig, url: &str) -> bool {
    builtin_path(cfg, url).is_some()
}

/// The URL a builtin short link (`http://tm3.org/6e`, in any comparable form) stands for.
pub fn builtin_target(
    cfg: &ShortenerConfig,
    store: &Store,
    url: &str,
) -> Result<Option<String>, StoreError> {
    match builtin_path(cfg, url) {
        Some(code) if !code.is_empty() && !code.contains(['/', '?']) => store.target_of(&code),
        _ => Ok(None),
    }
}

/// What follows the builtin shortener's address in `url`, when `url` is under it.
fn builtin_path(cfg: &ShortenerConfig, url: &str) -> Option<String> {
    if cfg.kind != ShortenerKind::Builtin {
        return None;
    }
    let (u, base) = (comparable(url)?, comparable(&cfg.base_url)?);
    u.strip_prefix(&base)
        .map(|c| c.trim_start_matches('/').to_owned())
}

/// One `action=shorturl` call. An URL YOURLS already knows is a success: 1.7-1.8 answer 200,
/// 1.9.1+ answer 400, both with `"code": "error:url"` and the existing `shorturl`.
async fn yourls(
    client: &reqwest::Client,
    api_url: &url::Url,
    signature: &str,
    timeout: Duration,
    url: &str,
) -> Result<String, String> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("action", "shorturl")
        .append_pair("format", "json")
        .append_pair("url", url)
        .append_pair("signature", signature)
        .finish();
    let request = client
        .post(api_url.clone())
        .timeout(timeout)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body);
    let mut response = request.send().await.map_err(describe)?;
    let status = response.status();
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_ANSWER {
            return Err(format!(
                "answer larger than {MAX_ANSWER} bytes (HTTP {status})"
            ));
        }
    }
    if status.as_u16() == 429 {
        return Err("flood protection (HTTP 429); try again in a while".into());
    }
    if status.is_server_error() {
        return Err(format!("server error (HTTP {status})"));
    }
    let answer: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| format!("answer is not JSON (HTTP {status})"))?;
    let shorturl = answer.get("shorturl").and_then(|v| v.as_str());
    let ok = answer.get("status").and_then(|v| v.as_str()) == Some("success")
        || answer.get("code").and_then(|v| v.as_str()) == Some("error:url");
    match shorturl {
        Some(short) if ok && (status.is_success() || status.as_u16() == 400) => {
            match url::Url::parse(short) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(short.to_owned()),
                _ => Err(format!("shorturl {short:?} is not an http(s) URL")),
            }
        }
        _ => {
            let message = answer
                .get("message")
                .and_then(|v| v.as_str())
                .unwrap_or("no message");
            Err(format!("HTTP {status}: {message}"))
        }
    }
}

/// Timeouts are worth naming; other errors are given with their causes.
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer before the timeout (shortener.timeout)".into();
    }
    crate::errors::chain(&e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        (dir, store)
    }

    fn cfg(kind: ShortenerKind) -> ShortenerConfig {
        let text = "[shortener]\nbase_url = \"http://tm3.org/\"\nstart = \"6e\"\n\
                    signature_env = \"ROUNDUP_TEST_NO_SUCH_VARIABLE\"\ntimeout = \"1s\"\n";
        let mut c = crate::config::Config::parse(std::path::Path::new("t.toml"), text)
            .unwrap()
            .shortener;
        c.kind = kind;
        c
    }

    #[tokio::test]
    async fn builtin_gives_the_same_code_to_the_same_url() {
        let (_dir, store) = store();
        let s = Shortener::new(&cfg(ShortenerKind::Builtin), store, || {
            Ok(reqwest::Client::new())
        })
        .unwrap();
        assert_eq!(s.stored("https://a/1"), None);
        assert_eq!(s.link("https://a/1").await.link, "http://tm3.org/6e");
        assert_eq!(s.link("https://a/2").await.link, "http://tm3.org/6f");
        assert_eq!(s.link("https://a/1").await.link, "http://tm3.org/6e");
        assert_eq!(
            s.stored("https://a/2").as_deref(),
            Some("http://tm3.org/6f")
        );
    }

    #[tokio::test]
    async fn none_gives_full_links() {
        let (_dir, store) = store();
        let s = Shortener::new(&cfg(ShortenerKind::None), store, || {
            Ok(reqwest::Client::new())
        })
        .unwrap();
        let out = s.link("https://a/1").await;
        assert_eq!(out, Shortened::full("https://a/1", None));
        assert_eq!(s.stored("https://a/1"), None);
    }

    #[test]
    fn yourls_without_its_signature_names_the_variable() {
        let (_dir, store) = store();
        let mut c = cfg(ShortenerKind::Yourls);
        c.api_url = Some("http://127.0.0.1:9/yourls-api.php".parse().unwrap());
        let err = Shortener::new(&c, store, || Ok(reqwest::Client::new())).unwrap_err();
        assert!(
            err.to_string().contains("ROUNDUP_TEST_NO_SUCH_VARIABLE"),
            "{err}"
        );
    }
}
