//! The README's configuration table gives each key's default: this holds every one of them to
//! the constant the config uses, so neither changes alone (change the README's cell with the
//! constant in `roundup::config::defaults`).

use std::collections::BTreeMap;
use std::time::Duration;

use roundup::config::defaults;

/// Rows whose default is a description rather than a value, and so not compared:
/// - `[roundup] template`: "the built-in copy of `templates/roundup.md.hbs`";
/// - `[roundup] own_posts`: "titles like the roundup's own" (`defaults::own_posts`);
/// - `[shortener] start`: "first character" (of the alphabet; `defaults::shortener_start`).
const DESCRIBED: &[&str] = &[
    "[roundup] template",
    "[roundup] own_posts",
    "[shortener] start",
];

/// The README's `| key | default | meaning |` rows with a default: the key as the README writes
/// it (`[http] timeout`) and the default cell, without its backticks or quotes.
fn readme_defaults() -> BTreeMap<String, String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("README.md has a Configuration section")
        .split("| key | default | meaning |")
        .nth(1)
        .expect("the Configuration section has the table of keys");
    let mut rows = BTreeMap::new();
    for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        // No cell of the table holds a `|` of its own.
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (key, default) = (unquote(cells[1]), unquote(cells[2]));
        if !default.is_empty() {
            rows.insert(key.to_owned(), default.to_owned());
        }
    }
    rows
}

/// A cell's text inside its backticks or double quotes.
fn unquote(cell: &str) -> &str {
    for q in ['`', '"'] {
        if let Some(inner) = cell.strip_prefix(q).and_then(|c| c.strip_suffix(q)) {
            return inner;
        }
    }
    cell
}

/// A duration in the unit the README gives it in (`s`, `d` or `w`), which must be whole.
fn span(d: Duration, unit: &str) -> String {
    let secs = match unit {
        "s" => 1,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => panic!("no unit {unit:?}"),
    };
    assert!(
        d.subsec_nanos() == 0 && d.as_secs() % secs == 0,
        "{d:?} is not a whole number of {unit}"
    );
    format!("{}{unit}", d.as_secs() / secs)
}

/// A size the way the README writes it: `10MB`.
fn megabytes(bytes: u64) -> String {
    assert!(
        bytes % (1 << 20) == 0,
        "{bytes} is not a whole number of MB"
    );
    format!("{}MB", bytes >> 20)
}

/// A string default the way the README writes it: verbatim, and the empty string as "empty".
fn text(s: &str) -> String {
    if s.is_empty() {
        "empty".to_owned()
    } else {
        s.to_owned()
    }
}

/// Every default the README gives a value for, as the constants format.
fn constants() -> Vec<(&'static str, String)> {
    let late = defaults::LATE
        .to_std()
        .expect("the default late span is positive");
    let sick_after = defaults::SICK_AFTER
        .to_std()
        .expect("the default sick_after span is positive");
    let tags: Vec<String> = defaults::TAGS.iter().map(|t| format!("{t:?}")).collect();
    let user_agent = defaults::user_agent()
        .replacen(env!("CARGO_PKG_VERSION"), "<version>", 1)
        .replacen(env!("CARGO_PKG_REPOSITORY"), "repository", 1);
    vec![
        ("[roundup] title", text(defaults::TITLE)),
        ("[roundup] author", text(defaults::AUTHOR)),
        ("[roundup] tags", format!("[{}]", tags.join(", "))),
        ("[roundup] intro", text(defaults::INTRO)),
        ("[roundup] read_more", text(defaults::READ_MORE)),
        ("[roundup] empty", text(defaults::EMPTY)),
        ("[roundup] series_outro", text(defaults::SERIES_OUTRO)),
        ("[roundup] drafts_dir", text(defaults::DRAFTS_DIR)),
        ("[roundup] since", span(defaults::SINCE, "w")),
        ("[roundup] late", span(late, "d")),
        ("[roundup] sick_after", span(sick_after, "d")),
        ("[roundup] order", text(defaults::ORDER)),
        ("[store] path", text(defaults::STORE_PATH)),
        ("[http] timeout", span(defaults::HTTP_TIMEOUT, "s")),
        (
            "[http] connect_timeout",
            span(defaults::HTTP_CONNECT_TIMEOUT, "s"),
        ),
        ("[http] concurrency", defaults::HTTP_CONCURRENCY.to_string()),
        ("[http] per_host", defaults::HTTP_PER_HOST.to_string()),
        ("[http] max_body", megabytes(defaults::HTTP_MAX_BODY)),
        (
            "[http] max_redirects",
            defaults::HTTP_MAX_REDIRECTS.to_string(),
        ),
        ("[http] max_items", defaults::HTTP_MAX_ITEMS.to_string()),
        ("[http] retries", defaults::HTTP_RETRIES.to_string()),
        (
            "[http] poll_deadline",
            span(defaults::HTTP_POLL_DEADLINE, "s"),
        ),
        ("[http] user_agent", user_agent),
        ("[schedule] poll", text(defaults::SCHEDULE_POLL)),
        ("[schedule] draft", text(defaults::SCHEDULE_DRAFT)),
        ("[schedule] timezone", text(defaults::SCHEDULE_TIMEZONE)),
        ("[serve] listen", text(defaults::SERVE_LISTEN)),
        ("[serve] control", text(defaults::SERVE_CONTROL)),
        ("[review] listen", text(defaults::REVIEW_LISTEN)),
        (
            "[review] allow_remote",
            text(&defaults::REVIEW_ALLOW_REMOTE.to_string()),
        ),
        ("[shortener] kind", text(defaults::SHORTENER_KIND)),
        ("[shortener] alphabet", text(defaults::SHORTENER_ALPHABET)),
        (
            "[shortener] signature_env",
            text(defaults::SHORTENER_SIGNATURE_ENV),
        ),
        (
            "[shortener] timeout",
            span(defaults::SHORTENER_TIMEOUT, "s"),
        ),
        ("[[source]] kind", text(defaults::SOURCE_KIND)),
    ]
}

#[test]
fn readme_gives_the_defaults_the_config_uses() {
    let readme = readme_defaults();
    for (key, value) in constants() {
        let cell = readme.get(key).unwrap_or_else(|| {
            panic!("README.md's configuration table gives no default for `{key}` (the config's is {value:?})")
        });
        assert_eq!(
            cell, &value,
            "README.md gives `{key}` the default {cell:?}; the config's is {value:?}"
        );
    }
}

#[test]
fn every_default_in_the_readme_is_compared() {
    let compared: Vec<&str> = constants().into_iter().map(|(key, _)| key).collect();
    for key in readme_defaults().keys() {
        assert!(
            compared.contains(&key.as_str()) || DESCRIBED.contains(&key.as_str()),
            "README.md gives `{key}` a default that tests/defaults.rs does not compare with the config's"
        );
    }
}
