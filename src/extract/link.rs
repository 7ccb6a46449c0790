//! The post's canonical link: resolved, tracking parameters removed, http(s) only.

use url::Url;

/// Query parameters that identify a campaign or a click, not the page.
fn is_tracking(kv: &str) -> bool {
    let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
    key.starts_with("utm_")
        || matches!(key, "fbclid" | "gclid" | "mc_cid" | "mc_eid" | "wt_mc" | "wt_zmc")
        // Medium marks feed clicks with ?source=rss-<id>------2.
        || (key == "source" && value.starts_with("rss"))
}

/// Why a link cannot be an item's link.
#[derive(Debug, PartialEq)]
pub enum LinkError {
    Missing,
    Unparsable(String),
    NotHttp(String),
    /// Longer than `MAX_LINK` characters once resolved.
    TooLong(usize),
}

/// The longest link a post may have: browsers and servers give up around here, and a post
/// printing it twice would be a wall of text.
pub const MAX_LINK: usize = 2048;

/// `href` resolved against `base`, without fragment and tracking parameters; only http(s).
pub fn canonical(href: Option<&str>, base: Option<&Url>) -> Result<String, LinkError> {
    canonical_url(href, base).map(String::from)
}

/// `canonical`, and the link's `comparable` form read off the same parse.
pub fn canonical_and_comparable(
    href: Option<&str>,
    base: Option<&Url>,
) -> Result<(String, Option<String>), LinkError> {
    let url = canonical_url(href, base)?;
    let alike = comparable_of(&url);
    Ok((String::from(url), alike))
}

/// `canonical`, as the parsed URL (`comparable` reads its parts without parsing it again).
fn canonical_url(href: Option<&str>, base: Option<&Url>) -> Result<Url, LinkError> {
    let href = href
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(LinkError::Missing)?;
    let mut url = match Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base
            .ok_or_else(|| LinkError::Unparsable(href.to_owned()))?
            .join(href)
            .map_err(|_| LinkError::Unparsable(href.to_owned()))?,
        Err(_) => return Err(LinkError::Unparsable(href.to_owned())),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LinkError::NotHttp(href.to_owned()));
    }
    url.set_fragment(None);
    if let Some(query) = url.query() {
        if query.split('&').any(is_tracking) {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|kv| !kv.is_empty() && !is_tracking(kv))
                .collect();
            let kept = kept.join("&");
            url.set_query(if kept.is_empty() { None } else { Some(&kept) });
        }
    }
    if url.as_str().len() > MAX_LINK {
        return Err(LinkError::TooLong(url.as_str().len()));
    }
    Ok(url)
}

/// The form in which two links to the same post compare equal, whatever an editor or a feed
/// did to them: no scheme (http and https are one), host without `www.`, no default port, no
/// trailing slash, no fragment, no tracking parameters. `None` for what is not an http(s) URL.
pub fn comparable(link: &str) -> Option<String> {
    comparable_of(&canonical_url(Some(link), None).ok()?)
}

/// `comparable`, of a link `canonical_url` gave.
fn comparable_of(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let mut out = String::from(host);
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(url.path().trim_end_matches('/'));
    if let Some(q) = url.query().filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(q);
    }
    Some(decode_brackets(out))
}

/// Brackets and parentheses as themselves: a feed's link keeps them literal, and a draft's link
/// target has them percent-encoded so they cannot close the markdown link.
fn decode_brackets(text: String) -> String {
    if !text.contains('%') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).map(str::to_ascii_uppercase);
        let literal = match code.as_deref() {
            Some("28") => Some('('),
            Some("29") => Some(')'),
            Some("5B") => Some('['),
            Some("5D") => Some(']'),
            _ => None,
        };
        match literal {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparable_links_ignore_scheme_slash_www_and_tracking() {
        let c = |l: &str| comparable(l).unwrap();
        assert_eq!(c("http://blog.example/p/"), c("https://blog.example/p"));
        assert_eq!(
            c("https://www.Blog.example/p?utm_source=x#c"),
            c("http://blog.example/p")
        );
        assert_eq!(c("http://127.0.0.1:8080/6n"), "127.0.0.1:8080/6n");
        assert_ne!(
            c("https://blog.example/p?id=1"),
            c("https://blog.example/p?id=2")
        );
        assert_eq!(comparable("javascript:alert(1)"), None);
        let long = format!("https://a.example/{}", "x".repeat(MAX_LINK));
        assert_eq!(
            canonical(Some(&long), None),
            Err(LinkError::TooLong(long.len()))
        );
        assert_eq!(comparable("not a link"), None);
        // A draft encodes what would close its markdown link; the feed did not.
        assert_eq!(
            c("http://w.example/Foo_%28bar%29%5b1%5D"),
            c("http://w.example/Foo_(bar)[1]")
        );
        assert_eq!(c("http://w.example/100%25%2"), "w.example/100%25%2");
    }

    #[test]
    fn the_comparable_form_read_off_the_first_parse_is_the_one_worked_out_again() {
        let base = Url::parse("https://www.X.org/blog/feed.xml").expect("static URL");
        for href in [
            "https://www.Blog.example/p/?utm_source=x&id=2#c",
            "HTTP://blog.example:80/p",
            "http://blog.example:8080/a/../b/",
            "https://blog.example/%7euser/Foo_%28bar%29%5b1%5D",
            "https://bücher.example/straße?q=ä ö",
            "http://[::1]:8080/p?",
            "2024/post.html?utm_medium=rss",
            "//cdn.example/p",
            "https://x.org/?source=rss-1------2&a=b",
        ] {
            let (link, alike) = canonical_and_comparable(Some(href), Some(&base)).unwrap();
            assert_eq!(canonical(Some(href), Some(&base)).as_ref(), Ok(&link));
            assert_eq!(alike, comparable(&link), "{href}");
        }
    }

    #[test]
    fn removes_tracking_parameters_and_fragment() {
        let out = canonical(
            Some("https://x.org/p?utm_source=feed&id=3&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3#comments"),
            None,
        );
        assert_eq!(out, Ok("https://x.org/p?id=3".to_owned()));
        assert_eq!(
            canonical(Some("https://x.org/p?utm_medium=rss"), None),
            Ok("https://x.org/p".to_owned())
        );
    }

    #[test]
    fn removes_feed_click_markers_of_heise_and_medium() {
        assert_eq!(
            canonical(Some("http://www.heise.de/developer/meldung/Logo-3086458.html?wt_mc=rss.developer.beitrag.atom"), None),
            Ok("http://www.heise.de/developer/meldung/Logo-3086458.html".to_owned())
        );
        assert_eq!(
            canonical(
                Some("https://medium.com/@e/test-6ab141a1c5b5?source=rss-b4981c59ffa5------2"),
                None
            ),
            Ok("https://medium.com/@e/test-6ab141a1c5b5".to_owned())
        );
        assert_eq!(
            canonical(Some("https://x.org/p?source=github"), None),
            Ok("https://x.org/p?source=github".to_owned())
        );
    }

    #[test]
    fn keeps_other_queries_verbatim() {
        assert_eq!(
            canonical(Some("https://x.org/?p=12&a=b"), None),
            Ok("https://x.org/?p=12&a=b".to_owned())
        );
    }

    #[test]
    fn resolves_relative_links() {
        let base = Url::parse("https://x.org/blog/feed.xml").expect("static URL");
        assert_eq!(
            canonical(Some("2024/post.html"), Some(&base)),
            Ok("https://x.org/blog/2024/post.html".to_owned())
        );
    }

    #[test]
    fn only_http_links() {
        assert!(matches!(
            canonical(Some("javascript:alert(1)"), None),
            Err(LinkError::NotHttp(_))
        ));
        assert!(matches!(
            canonical(Some("ftp://x.org/f"), None),
            Err(LinkError::NotHttp(_))
        ));
        assert_eq!(canonical(None, None), Err(LinkError::Missing));
        assert!(matches!(
            canonical(Some("/rel"), None),
            Err(LinkError::Unparsable(_))
        ));
    }
}
