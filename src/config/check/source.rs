//! One `[[source]]`: its name, its feed URL (each feed listed once), its kind with the CSS
//! selectors of an HTML source, its author and filters -> `Source`.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;
use url::Url;

use super::field::text_or;
use super::Checker;
use crate::config::raw::RawSource;
use crate::config::value::source_url;
use crate::config::{defaults, ConfigError, HtmlSelectors, Source, SourceKind};

/// The name a source's key goes by in messages: `source[Name].item`.
fn key(name: &str, k: &str) -> String {
    format!("source[{name}].{k}")
}

/// The sources checked so far, in the file's order, found by URL: a file of a thousand
/// sources is not half a million comparisons of one URL with another.
#[derive(Default)]
pub(super) struct Checked {
    pub sources: Vec<Source>,
    by_url: HashMap<Url, Vec<usize>>,
}

impl Checked {
    pub fn push(&mut self, source: Source) {
        self.by_url
            .entry(source.url.clone())
            .or_default()
            .push(self.sources.len());
        self.sources.push(source);
    }

    /// The sources checked so far with the feed URL `url`, first first.
    fn with_url<'a>(&'a self, url: &Url) -> impl Iterator<Item = &'a Source> + 'a {
        let at = self.by_url.get(url).map_or(&[][..], Vec::as_slice);
        at.iter().map(|&i| &self.sources[i])
    }
}

impl Checker<'_> {
    /// `earlier`: the sources above this one in the file.
    pub(super) fn source(&self, s: RawSource, earlier: &Checked) -> Result<Source, ConfigError> {
        let name = s.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return self.err(s.name.span(), "source.name", "must not be empty");
        }
        let url = self.feed_url(&s, earlier)?;
        let kind = self.source_kind(&s, &name)?;
        let filters = self.filters(s.filter_parts(), &key(&name, ""))?;
        Ok(Source {
            name,
            url,
            kind,
            author: s
                .author
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty()),
            filters,
        })
    }

    /// Two sources may share a display name (it is a credit), not a feed: the URL is what
    /// tells sources apart.
    fn feed_url(&self, s: &RawSource, earlier: &Checked) -> Result<Url, ConfigError> {
        let span = s.url.span();
        match source_url(s.url.get_ref().trim(), &self.base) {
            Ok(u) => match earlier.with_url(&u).find(|e| same_item_selector(e, s)) {
                Some(first) => self.err(
                    span,
                    "source.url",
                    format!(
                        "{u} is already the source {:?}; list each feed once",
                        first.name
                    ),
                ),
                None if matches!(u.scheme(), "http" | "https" | "file") => Ok(u),
                None => self.err(
                    span,
                    "source.url",
                    format!(
                        "{} URLs are not supported (give http, https or file)",
                        u.scheme()
                    ),
                ),
            },
            Err(e) => self.err(
                span,
                "source.url",
                format!("{:?} is not a URL: {e}", s.url.get_ref()),
            ),
        }
    }

    fn source_kind(&self, s: &RawSource, name: &str) -> Result<SourceKind, ConfigError> {
        match text_or(&s.kind, defaults::SOURCE_KIND) {
            ("feed", _) => {
                self.no_selectors(s, name)?;
                Ok(SourceKind::Feed)
            }
            ("html", span) => self.html_selectors(s, name, span).map(SourceKind::Html),
            (other, span) => self.err(
                span,
                &key(name, "kind"),
                format!("{other:?}: give \"feed\" or \"html\""),
            ),
        }
    }

    /// An HTML source's selectors: item, title and link it must have.
    fn html_selectors(
        &self,
        s: &RawSource,
        name: &str,
        kind_span: Range<usize>,
    ) -> Result<HtmlSelectors, ConfigError> {
        let item = self.selector(&s.item, &key(name, "item"))?;
        let title = self.selector(&s.title, &key(name, "title"))?;
        let link = self.selector(&s.link, &key(name, "link"))?;
        match (item, title, link) {
            (Some(item), Some(title), Some(link)) => Ok(HtmlSelectors {
                item,
                title,
                link,
                summary: self.selector(&s.summary, &key(name, "summary"))?,
                author: self.selector(&s.author_selector, &key(name, "author_selector"))?,
                date: self.selector(&s.date, &key(name, "date"))?,
            }),
            _ => self.err(
                kind_span,
                &key(name, "kind"),
                "an html source needs the CSS selectors item, title and link",
            ),
        }
    }

    /// A feed source with a CSS selector is refused, naming the first.
    fn no_selectors(&self, s: &RawSource, name: &str) -> Result<(), ConfigError> {
        let selectors: [(&str, &Option<Spanned<String>>); 6] = [
            ("item", &s.item),
            ("title", &s.title),
            ("link", &s.link),
            ("summary", &s.summary),
            ("author_selector", &s.author_selector),
            ("date", &s.date),
        ];
        match selectors
            .into_iter()
            .find_map(|(k, v)| Some((k, v.as_ref()?)))
        {
            Some((k, v)) => self.err(
                v.span(),
                &key(name, k),
                "CSS selectors are only for kind = \"html\" sources",
            ),
            None => Ok(()),
        }
    }
}

/// Whether `earlier` and the raw source `s` read the same posts of the same page: two feed
/// sources of one URL do; two HTML sources do only with the same item selector.
fn same_item_selector(earlier: &Source, s: &RawSource) -> bool {
    match &earlier.kind {
        SourceKind::Feed => s.item.is_none(),
        SourceKind::Html(sel) => {
            s.item.as_ref().map(|i| i.get_ref().trim()) == Some(sel.item.as_str().trim())
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_parse as parse;

    #[test]
    fn a_feed_listed_twice_is_rejected_naming_the_line() {
        let e = parse("[[source]]\nname = \"A\"\nurl = \"https://a/1\"\n[[source]]\nname = \"B\"\nurl = \"https://a/1\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":6: source.url"), "{e}");
    }

    #[test]
    fn html_source_needs_selectors() {
        let e = parse(
            "[[source]]\nname = \"A\"\nurl = \"https://a/\"\nkind = \"html\"\nitem = \"article\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("needs the CSS selectors"), "{e}");
        let e = parse("[[source]]\nname = \"A\"\nurl = \"https://a/\"\nkind = \"html\"\nitem = \"article[\"\ntitle = \"h2\"\nlink = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":5: source[A].item"), "{e}");
    }

    #[test]
    fn bad_selectors_name_the_key_the_selector_and_the_mistake() {
        let html = |key: &str, selector: &str| {
            let mut keys = vec![(key, selector)];
            for (k, v) in [("item", "article"), ("title", "h2"), ("link", "h2 a")] {
                if k != key {
                    keys.push((k, v));
                }
            }
            let lines: String = keys
                .iter()
                .map(|(k, v)| format!("{k} = {}\n", toml::Value::from(*v)))
                .collect();
            parse(&format!(
                "[[source]]\nname = \"A\"\nurl = \"https://a/\"\nkind = \"html\"\n{lines}"
            ))
            .unwrap_err()
            .to_string()
        };
        for (key, selector, words) in [
            ("item", "div >", "ends with a combinator"),
            ("title", "h2 +", "ends with a combinator"),
            ("link", "a > > b", "two in a row"),
            ("summary", "p)", "unexpected token"),
            ("author_selector", "", "empty selector"),
            ("date", "  ", "empty selector"),
            ("item", "article,", "empty selector"),
            ("item", "article[", "not closed"),
            ("title", "[=x]", "needs an attribute name"),
            ("date", "time:hover", "unsupported pseudo-class"),
        ] {
            let e = html(key, selector);
            assert!(e.contains(&format!(":5: source[A].{key}: ")), "{e}");
            if !selector.trim().is_empty() {
                assert!(
                    e.contains(&format!("{selector:?} is not a valid CSS selector: ")),
                    "{e}"
                );
            }
            assert!(e.contains(words), "{selector:?}: {e}");
            assert!(!e.contains("developer"), "{e}");
        }
    }

    #[test]
    fn sources_may_share_a_name_but_not_a_feed() {
        let two = "[[source]]\nname = \"Alice\"\nurl = \"https://a.example/feed\"\n\
                   [[source]]\nname = \"Alice\"\nurl = \"https://b.example/feed\"\n";
        assert_eq!(parse(two).unwrap().sources.len(), 2);
        let e = parse(&two.replace("b.example", "a.example"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("source.url") && e.contains("already the source \"Alice\""),
            "{e}"
        );
    }
}
