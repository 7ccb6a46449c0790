//! The config file as serde reads it: `Raw*` structs that reject unknown keys and keep where
//! each value is in the file (`Spanned`), before anything is checked. `read` turns TOML text
//! into a `RawConfig`, or a syntax error naming the file and line.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;

/// Reads config text into the raw structs. `path` names it in messages.
pub(super) fn read(path: &Path, text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| match single_source_table(text) {
        Some(line) => ConfigError::Invalid {
            path: path.to_owned(),
            line,
            key: "source".to_owned(),
            message: "sources are an array of tables: write [[source]], with two brackets, above each source".to_owned(),
        },
        // Like every other config error: file:line: what is wrong.
        None => match e.span() {
            Some(span) => ConfigError::Syntax {
                path: PathBuf::from(format!(
                    "{}:{}",
                    path.display(),
                    text[..span.start.min(text.len())].matches('\n').count() + 1
                )),
                message: e
                    .message()
                    .trim_end()
                    .replace("unknown field", "unknown key")
                    .replace('\n', "\n  "),
            },
            None => ConfigError::Syntax {
                path: path.to_owned(),
                message: e.to_string().trim_end().replace('\n', "\n  "),
            },
        },
    })
}

/// The line of a `[source]` table header: toml then says "invalid type" or "duplicate key",
/// when the mistake is one bracket where `[[source]]` takes two.
fn single_source_table(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.split('#').next().unwrap_or("").trim();
            l.strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .is_some_and(|name| name.trim() == "source")
        })
        .map(|i| i + 1)
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) roundup: RawRoundup,
    #[serde(default)]
    pub(super) store: RawStore,
    #[serde(default)]
    pub(super) http: RawHttp,
    #[serde(default)]
    pub(super) schedule: RawSchedule,
    #[serde(default)]
    pub(super) serve: RawServe,
    #[serde(default)]
    pub(super) review: RawReview,
    #[serde(default)]
    pub(super) shortener: RawShortener,
    #[serde(default)]
    pub(super) authors: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) series: Vec<RawSeries>,
    #[serde(default)]
    pub(super) filters: RawFilters,
    #[serde(default)]
    pub(super) source: Vec<RawSource>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoundup {
    pub(super) title: Option<String>,
    pub(super) author: Option<String>,
    pub(super) tags: Option<Vec<String>>,
    pub(super) intro: Option<String>,
    pub(super) template: Option<String>,
    pub(super) drafts_dir: Option<String>,
    pub(super) since: Option<Spanned<String>>,
    pub(super) order: Option<Spanned<String>>,
    pub(super) read_more: Option<String>,
    pub(super) empty: Option<String>,
    pub(super) series_outro: Option<String>,
    pub(super) own_posts: Option<Spanned<String>>,
    pub(super) late: Option<Spanned<String>>,
    pub(super) sick_after: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub(super) path: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) per_host: Option<Spanned<i64>>,
    pub(super) max_body: Option<Spanned<toml::Value>>,
    pub(super) max_redirects: Option<Spanned<i64>>,
    pub(super) max_items: Option<Spanned<i64>>,
    pub(super) retries: Option<Spanned<i64>>,
    pub(super) poll_deadline: Option<Spanned<String>>,
    pub(super) user_agent: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub(super) poll: Option<Spanned<String>>,
    pub(super) draft: Option<Spanned<String>>,
    pub(super) timezone: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServe {
    pub(super) listen: Option<Spanned<String>>,
    pub(super) control: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReview {
    pub(super) listen: Option<Spanned<String>>,
    pub(super) allow_remote: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawShortener {
    pub(super) kind: Option<Spanned<String>>,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) alphabet: Option<Spanned<String>>,
    pub(super) start: Option<Spanned<String>>,
    pub(super) api_url: Option<Spanned<String>>,
    pub(super) signature_env: Option<String>,
    pub(super) timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSeries {
    pub(super) prefix: Spanned<String>,
    pub(super) intro: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilters {
    pub(super) include_tags: Option<Spanned<Strings>>,
    pub(super) exclude_tags: Option<Spanned<Strings>>,
    pub(super) include_title: Option<Spanned<Strings>>,
    pub(super) exclude_title: Option<Spanned<Strings>>,
    pub(super) include_authors: Option<Spanned<Strings>>,
    pub(super) exclude_authors: Option<Spanned<Strings>>,
}

/// A filter key's value: one string or a list of them (`exclude_title = "^Re:"` or
/// `exclude_title = ["^Re:", "sponsored"]`). List items keep their place in the file, so an
/// error names the line of the one at fault.
#[derive(Debug)]
pub(super) enum Strings {
    One(String),
    List(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Strings;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Strings, E> {
                Ok(Strings::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Strings, A::Error> {
                let mut list = Vec::new();
                while let Some(s) = seq.next_element()? {
                    list.push(s);
                }
                Ok(Strings::List(list))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) name: Spanned<String>,
    pub(super) url: Spanned<String>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) author: Option<String>,
    pub(super) include_tags: Option<Spanned<Strings>>,
    pub(super) exclude_tags: Option<Spanned<Strings>>,
    pub(super) include_title: Option<Spanned<Strings>>,
    pub(super) exclude_title: Option<Spanned<Strings>>,
    pub(super) include_authors: Option<Spanned<Strings>>,
    pub(super) exclude_authors: Option<Spanned<Strings>>,
    // html sources: CSS selectors
    pub(super) item: Option<Spanned<String>>,
    pub(super) title: Option<Spanned<String>>,
    pub(super) link: Option<Spanned<String>>,
    pub(super) summary: Option<Spanned<String>>,
    pub(super) author_selector: Option<Spanned<String>>,
    pub(super) date: Option<Spanned<String>>,
}

/// The six filter keys, as `[filters]` and each `[[source]]` give them.
pub(super) struct FilterParts<'a> {
    pub(super) include_tags: &'a Option<Spanned<Strings>>,
    pub(super) exclude_tags: &'a Option<Spanned<Strings>>,
    pub(super) include_title: &'a Option<Spanned<Strings>>,
    pub(super) exclude_title: &'a Option<Spanned<Strings>>,
    pub(super) include_authors: &'a Option<Spanned<Strings>>,
    pub(super) exclude_authors: &'a Option<Spanned<Strings>>,
}

impl RawFilters {
    pub(super) fn parts(&self) -> FilterParts<'_> {
        FilterParts {
            include_tags: &self.include_tags,
            exclude_tags: &self.exclude_tags,
            include_title: &self.include_title,
            exclude_title: &self.exclude_title,
            include_authors: &self.include_authors,
            exclude_authors: &self.exclude_authors,
        }
    }
}

impl RawSource {
    pub(super) fn filter_parts(&self) -> FilterParts<'_> {
        FilterParts {
            include_tags: &self.include_tags,
            exclude_tags: &self.exclude_tags,
            include_title: &self.include_title,
            exclude_title: &self.exclude_title,
            include_authors: &self.include_authors,
            exclude_authors: &self.exclude_authors,
        }
    }
}

/// A filter key's strings, each with where it is in the file (a lone string: the key's value).
pub(super) fn strings(v: &Option<Spanned<Strings>>) -> Vec<(&str, Range<usize>)> {
    match v.as_ref().map(|s| (s.get_ref(), s.span())) {
        None => Vec::new(),
        Some((Strings::One(s), span)) => vec![(s.as_str(), span)],
        Some((Strings::List(list), _)) => list
            .iter()
            .map(|s| (s.get_ref().as_str(), s.span()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_parse as parse;

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = parse("[http]\ntimeout = \"5s\"\ntimeuot = \"5s\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("test.toml:3: unknown key `timeuot`"), "{e}");
    }

    #[test]
    fn a_single_bracket_source_table_says_sources_are_an_array_of_tables() {
        for text in [
            "[store]\npath = \"x\"\n\n[source]\nname = \"A\"\nurl = \"https://a/\"\n",
            "[[source]]\nname = \"A\"\nurl = \"https://a/\"\n[ source ] # the second\nname = \"B\"\nurl = \"https://b/\"\n",
        ] {
            let e = parse(text).unwrap_err().to_string();
            // Both headers are on line 4.
            assert_eq!(
                e,
                "test.toml:4: source: sources are an array of tables: write [[source]], with two brackets, above each source"
            );
        }
        // Other syntax errors are toml's.
        let e = parse("[[source]]\nname = \"A\"\nname = \"B\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("duplicate key") && !e.contains("array of tables"),
            "{e}"
        );
    }
}
