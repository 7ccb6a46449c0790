//! The `[shortener]` section: its kind, the builtin shortener's alphabet, first code and
//! address, the YOURLS API's address, signature variable and time limit -> `ShortenerConfig`.

use std::collections::HashSet;
use std::ops::Range;

use toml::Spanned;
use url::Url;

use super::field::text_or;
use super::Checker;
use crate::config::raw::RawShortener;
use crate::config::{defaults, ConfigError, ShortenerConfig, ShortenerKind};

impl Checker<'_> {
    pub(super) fn shortener(&self, s: RawShortener) -> Result<ShortenerConfig, ConfigError> {
        let kind = self.shortener_kind(&s.kind)?;
        let alphabet = self.alphabet(&s.alphabet)?;
        let start = self.start(&s.start, &alphabet)?;
        // A missing address is the kind's fault: the error points at the kind.
        let kind_span = s.kind.as_ref().map(|k| k.span()).unwrap_or(0..0);
        let base_url = self.base_url(&s.base_url, kind, kind_span.clone())?;
        let api_url = self.api_url(&s.api_url, kind, kind_span)?;
        Ok(ShortenerConfig {
            kind,
            base_url,
            alphabet,
            start,
            api_url,
            signature_env: s
                .signature_env
                .unwrap_or_else(|| defaults::SHORTENER_SIGNATURE_ENV.to_owned()),
            timeout: self.duration(&s.timeout, "shortener.timeout", defaults::SHORTENER_TIMEOUT)?,
        })
    }

    fn shortener_kind(&self, v: &Option<Spanned<String>>) -> Result<ShortenerKind, ConfigError> {
        match text_or(v, defaults::SHORTENER_KIND) {
            ("none", _) => Ok(ShortenerKind::None),
            ("builtin", _) => Ok(ShortenerKind::Builtin),
            ("yourls", _) => Ok(ShortenerKind::Yourls),
            (other, span) => self.err(
                span,
                "shortener.kind",
                format!("{other:?}: give \"builtin\", \"yourls\" or \"none\""),
            ),
        }
    }

    /// At least two distinct characters that are safe in a URL path.
    fn alphabet(&self, v: &Option<Spanned<String>>) -> Result<String, ConfigError> {
        let Some(a) = v else {
            return Ok(defaults::SHORTENER_ALPHABET.to_owned());
        };
        let mut seen = HashSet::new();
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
        Ok(a.get_ref().clone())
    }

    /// The first code: written in `alphabet`.
    fn start(&self, v: &Option<Spanned<String>>, alphabet: &str) -> Result<String, ConfigError> {
        let Some(st) = v else {
            return Ok(defaults::shortener_start(alphabet));
        };
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
        Ok(st.get_ref().clone())
    }

    /// Where the builtin shortener's redirects are served, ending in `/`; it needs one.
    fn base_url(
        &self,
        v: &Option<Spanned<String>>,
        kind: ShortenerKind,
        kind_span: Range<usize>,
    ) -> Result<String, ConfigError> {
        match (v, kind) {
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
                Ok(v)
            }
            (None, ShortenerKind::Builtin) => self.err(kind_span, "shortener.base_url", "the builtin shortener needs base_url, the address its redirects are served at (like \"https://tm3.org/\")"),
            (None, _) => Ok(String::new()),
        }
    }

    /// The YOURLS API's address; the yourls shortener needs one.
    fn api_url(
        &self,
        v: &Option<Spanned<String>>,
        kind: ShortenerKind,
        kind_span: Range<usize>,
    ) -> Result<Option<Url>, ConfigError> {
        match (v, kind) {
            (Some(u), _) => match Url::parse(u.get_ref()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(Some(url)),
                _ => self.err(
                    u.span(),
                    "shortener.api_url",
                    format!("{:?} is not an http(s) URL", u.get_ref()),
                ),
            },
            (None, ShortenerKind::Yourls) => self.err(
                kind_span,
                "shortener.api_url",
                "the yourls shortener needs api_url (like \"https://tm3.org/yourls-api.php\")",
            ),
            (None, _) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_parse as parse;

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
}
