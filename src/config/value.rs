//! Parsers for single values of the config, each from the text (or TOML value) a key holds to
//! what it means: durations, sizes, paths, source URLs, and CSS selector errors put in words.
//! They know nothing of keys or lines; the checker adds those to an error.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use scraper::error::SelectorErrorKind;
use selectors::parser::SelectorParseErrorKind;
use url::Url;

/// "20s", "500ms", "2m", "1h", or a bare number of seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => n,
        "ms" => n / 1000.0,
        "m" | "min" | "mins" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// "10MB", "512KB", "1GiB" or a number of bytes.
pub(super) fn parse_size(v: &toml::Value) -> Option<u64> {
    match v {
        toml::Value::Integer(n) => u64::try_from(*n).ok(),
        toml::Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let n: u64 = num.parse().ok()?;
            let mult = match unit.trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "k" | "kb" | "kib" => 1024,
                "m" | "mb" | "mib" => 1024 * 1024,
                "g" | "gb" | "gib" => 1024 * 1024 * 1024,
                _ => return None,
            };
            n.checked_mul(mult)
        }
        _ => None,
    }
}

/// `path` with `.` and `..` resolved without asking the file system.
pub(super) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Parses a source URL. `file:path` without `//` is a path relative to the config file's
/// folder `base` (so a shipped config can point at shipped sample feeds).
pub(super) fn source_url(text: &str, base: &Path) -> Result<Url, url::ParseError> {
    if let Some(rel) = text.strip_prefix("file:").filter(|r| !r.starts_with('/')) {
        return Url::from_file_path(lexical(&base.join(rel)))
            .map_err(|_| url::ParseError::RelativeUrlWithoutBase);
    }
    Url::parse(text)
}

/// What is wrong with a CSS selector, in words: scraper's own message for most mistakes is
/// "Unexpected error occurred. Please report this to the developer".
pub(super) fn selector_problem(e: &SelectorErrorKind) -> &'static str {
    use SelectorErrorKind as K;
    match e {
        K::UnexpectedToken => "unexpected token (a character that means nothing there, like an unmatched \")\" or a \"!\")",
        K::EndOfLine => "it stops too early: a bracket, parenthesis or quote is not closed, or a name is missing after \".\", \":\" or \"::\"",
        K::InvalidAtRule | K::InvalidAtRuleBody | K::QualRuleInvalid => {
            "unexpected token: this is not a selector"
        }
        K::TooManyNestedBlocks => "it is nested too deeply",
        K::ExpectedColonOnPseudoElement | K::ExpectedIdentityOnPseudoElement => {
            "a pseudo-element needs a name after \"::\""
        }
        K::UnexpectedSelectorParseError(p) => selector_parse_problem(p),
    }
}

/// The mistakes the `selectors` crate finds, in words.
fn selector_parse_problem(p: &SelectorParseErrorKind) -> &'static str {
    use SelectorParseErrorKind as P;
    match p {
        P::EmptySelector => "empty selector where one is expected (an extra comma, or nothing after \"#\", \"(\" or \"{\")",
        P::DanglingCombinator => "ends with a combinator (\">\", \"+\" or \"~\"), or has two in a row: each needs a selector after it",
        P::NoQualifiedNameInAttributeSelector | P::InvalidQualNameInAttr => {
            "an attribute selector needs an attribute name, like [href] or [rel=author]"
        }
        P::UnexpectedTokenInAttributeSelector | P::ExpectedBarInAttr | P::BadValueInAttr => {
            "unexpected token in an attribute selector (write [name], [name=value] or [name=\"a value\"])"
        }
        P::PseudoElementExpectedColon | P::PseudoElementExpectedIdent => {
            "a pseudo-element needs a name after \"::\""
        }
        P::NoIdentForPseudo | P::UnexpectedIdent => "unexpected token after \":\"",
        P::ClassNeedsIdent => "a class name is missing after \".\"",
        P::UnsupportedPseudoClassOrElement => "unknown or unsupported pseudo-class or pseudo-element (structural ones like :first-child or :nth-of-type(2) work; ::before or :hover match nothing in a fetched page)",
        P::ExpectedNamespace | P::ExplicitNamespaceUnexpectedToken => {
            "namespaces (\"ns|name\") are not supported"
        }
        P::NonCompoundSelector
        | P::NonPseudoElementAfterSlotted
        | P::InvalidPseudoElementAfterSlotted
        | P::InvalidPseudoElementInsideWhere
        | P::InvalidState => "a pseudo-class or pseudo-element is used where it is not allowed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("fast"), None);
        assert_eq!(
            parse_size(&toml::Value::String("10MB".into())),
            Some(10 << 20)
        );
        assert_eq!(parse_size(&toml::Value::Integer(2048)), Some(2048));
    }
}
