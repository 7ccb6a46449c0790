//! `roundup import FILE`: sources from an OPML subscription list or a Planet (Venus) config.ini,
//! appended to the config file as `[[source]]` blocks. Owns recognising the two formats, skipping
//! feeds the config already has (URLs compared without scheme or trailing slash; names may repeat,
//! since a name is a credit), and the write: the user's text is kept as it is and the blocks appended, the result
//! validated with `Config::parse` and written atomically (temp file + rename).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use url::Url;

use crate::config::{Config, ConfigError};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is neither an OPML file (no <opml> element) nor a Planet config.ini (no [Planet] section or [http…] feed sections); give one of those")]
    Unrecognised { path: PathBuf },
    #[error("cannot import {path}: {message}; nothing was added")]
    Malformed { path: PathBuf, message: String },
    #[error("the config is not valid, fix it before importing: {0}")]
    Config(ConfigError),
    #[error(
        "nothing written: the config with the sources from {file} would not be valid: {source}"
    )]
    Invalid { file: PathBuf, source: ConfigError },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Names of the sources added, in file order.
    pub added: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Repairs made to what the file said (an `&amp;` in a URL, a doubled scheme, a renamed
    /// source).
    pub notes: Vec<String>,
}

/// A feed of the file that was not added.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub name: String,
    pub url: String,
    pub reason: String,
}

/// A feed as the file lists it.
#[derive(Debug, Clone, PartialEq)]
struct Feed {
    name: Option<String>,
    url: String,
}

/// Adds the feeds of `file` (OPML or Planet config.ini) to the config at `config_path`. A
/// missing config file is created.
pub fn import(config_path: &Path, file: &Path) -> Result<ImportReport, ImportError> {
    let bytes = std::fs::read(file).map_err(|source| ImportError::Read {
        path: file.to_owned(),
        source,
    })?;
    let mut report = ImportReport::default();
    let feeds = read_feeds(file, &bytes, &mut report)?;
    let text = match std::fs::read_to_string(config_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ImportError::Read {
                path: config_path.to_owned(),
                source,
            })
        }
    };
    let config = Config::parse(config_path, &text).map_err(ImportError::Config)?;
    let mut urls: HashSet<String> = config.sources.iter().map(|s| url_key(&s.url)).collect();
    let mut blocks = String::new();
    for feed in feeds {
        if let Some(block) = source_block(feed, &mut urls, &mut report) {
            blocks.push_str(&block);
        }
    }
    if report.added.is_empty() {
        return Ok(report);
    }
    let out = appended(text, file, &blocks);
    Config::parse(config_path, &out).map_err(|source| ImportError::Invalid {
        file: file.to_owned(),
        source,
    })?;
    crate::files::write_atomically(config_path, out.as_bytes(), crate::files::Access::Shared)
        .map_err(|source| ImportError::Write {
            path: config_path.to_owned(),
            source,
        })?;
    Ok(report)
}

/// The feeds `file` lists, as OPML or as a Planet config; OPML outlines that are not feeds go
/// into the report as skipped.
fn read_feeds(
    file: &Path,
    bytes: &[u8],
    report: &mut ImportReport,
) -> Result<Vec<Feed>, ImportError> {
    let input = String::from_utf8_lossy(bytes);
    let input = input.trim_start_matches('\u{feff}');
    if is_opml(input) {
        let (feeds, skipped) = opml_feeds(bytes).map_err(|message| ImportError::Malformed {
            path: file.to_owned(),
            message,
        })?;
        report.skipped = skipped;
        Ok(feeds)
    } else if is_planet(input) {
        Ok(planet_feeds(input))
    } else {
        Err(ImportError::Unrecognised {
            path: file.to_owned(),
        })
    }
}

/// The `[[source]]` table for `feed`, or `None` (reported as skipped) when its URL cannot be
/// repaired or is in the config already.
fn source_block(
    feed: Feed,
    urls: &mut HashSet<String>,
    report: &mut ImportReport,
) -> Option<String> {
    let skip = |reason: String| Skipped {
        name: feed.name.clone().unwrap_or_default(),
        url: feed.url.clone(),
        reason,
    };
    let (url, repairs) = match repair_url(&feed.url) {
        Ok(v) => v,
        Err(reason) => {
            report.skipped.push(skip(reason));
            return None;
        }
    };
    report.notes.extend(repairs);
    if !urls.insert(url_key(&url)) {
        report
            .skipped
            .push(skip("its url is already in the config".to_owned()));
        return None;
    }
    // A name is a credit: a second feed of the same person keeps it as it is.
    let name = feed
        .name
        .filter(|n| !n.is_empty())
        .or_else(|| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.to_string());
    let block = format!(
        "\n[[source]]\nname = {}\nurl = {}\n",
        toml_string(&name),
        toml_string(url.as_str())
    );
    report.added.push(name);
    Some(block)
}

/// The config's text with the new sources after it, under a comment naming `file`.
fn appended(mut out: String, file: &Path, blocks: &str) -> String {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!(
        "# Imported from {}.\n",
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string())
    ));
    out.push_str(blocks);
    out
}

fn is_opml(text: &str) -> bool {
    static OPML: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)<opml[\s>]").expect("the opml pattern is valid"));
    OPML.is_match(text)
}

fn is_planet(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        l.eq_ignore_ascii_case("[planet]") || section(l).is_some_and(is_feed_section)
    })
}

/// The name of a section header line, `[name]`.
fn section(line: &str) -> Option<&str> {
    line.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

fn is_feed_section(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Every `<outline>` with an `xmlUrl`, at any depth, read with an XML parser in the file's
/// declared encoding; leaf outlines without an `xmlUrl` come back as skipped. A file that is
/// not well-formed (truncated, mismatched tags) is an error naming where.
fn opml_feeds(bytes: &[u8]) -> Result<(Vec<Feed>, Vec<Skipped>), String> {
    use quick_xml::events::Event;
    let text = decode_declared(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut feeds = Vec::new();
    let mut skipped = Vec::new();
    let mut depth = 0usize;
    // For each open <outline>: a feed-less one that holds no outline is a skipped leaf.
    let mut open: Vec<Option<Skipped>> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "not well-formed XML at byte {}: {e}",
                reader.error_position()
            )
        })?;
        let (outline, empty) = match &event {
            Event::Start(e) => {
                depth += 1;
                (is_outline(e.local_name().into_inner()).then_some(e), false)
            }
            Event::Empty(e) => (is_outline(e.local_name().into_inner()).then_some(e), true),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if is_outline(e.local_name().into_inner()) {
                    if let Some(Some(leaf)) = open.pop() {
                        skipped.push(leaf);
                    }
                }
                continue;
            }
            Event::Eof if depth > 0 => {
                return Err("it ends before its elements are closed (truncated?)".into())
            }
            Event::Eof => break,
            _ => continue,
        };
        let Some(outline) = outline else { continue };
        // A child outline means the parent is a folder, not a feed without a URL.
        if let Some(parent) = open.last_mut() {
            *parent = None;
        }
        let (url, name) = outline_fields(outline);
        let leaf = match url.filter(|u| !u.is_empty()) {
            Some(url) => {
                feeds.push(Feed { name, url });
                None
            }
            None => Some(Skipped {
                name: name.unwrap_or_default(),
                url: String::new(),
                reason: "an outline without xmlUrl is not a feed".to_owned(),
            }),
        };
        if empty {
            skipped.extend(leaf);
        } else {
            open.push(leaf);
        }
    }
    Ok((feeds, skipped))
}

/// An outline's `xmlUrl`, and its name: its `text`, else its `title`.
fn outline_fields(outline: &quick_xml::events::BytesStart<'_>) -> (Option<String>, Option<String>) {
    let (mut url, mut title, mut label) = (None, None, None);
    for a in outline.attributes().with_checks(false).flatten() {
        let raw = a.value.to_string();
        let value = quick_xml::escape::unescape(&raw)
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| html_escape::decode_html_entities(&raw).into_owned())
            .trim()
            .to_owned();
        match a
            .key
            .local_name()
            .into_inner()
            .to_ascii_lowercase()
            .as_str()
        {
            "xmlurl" => url = Some(value),
            "title" => title = Some(value),
            "text" => label = Some(value),
            _ => {}
        }
    }
    let name = label
        .filter(|t| !t.is_empty())
        .or(title.filter(|t| !t.is_empty()));
    (url, name)
}

fn is_outline(name: &str) -> bool {
    name.eq_ignore_ascii_case("outline")
}

/// The text of an XML file in the encoding its declaration names (UTF-8 without one).
fn decode_declared(bytes: &[u8]) -> String {
    static DECL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']"#)
            .expect("the declaration pattern is valid")
    });
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    let encoding = DECL
        .captures(head.trim_start_matches('\u{feff}'))
        .and_then(|c| encoding_rs::Encoding::for_label(c[1].as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(bytes);
    text.trim_start_matches('\u{feff}').to_owned()
}

/// `[URL]` sections with their `name`; [Planet], [DEFAULT] and other options are ignored, and
/// commented-out sections (`#` or `;`) are not feeds.
fn planet_feeds(text: &str) -> Vec<Feed> {
    let mut feeds: Vec<Feed> = Vec::new();
    let mut in_feed = false;
    for line in text.lines() {
        if line.starts_with(char::is_whitespace) && !line.trim().is_empty() {
            continue; // a continuation of the previous option's value
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = section(line) {
            in_feed = is_feed_section(name);
            if in_feed {
                feeds.push(Feed {
                    name: None,
                    url: name.to_owned(),
                });
            }
            continue;
        }
        if !in_feed {
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("name") {
            if let Some(feed) = feeds.last_mut() {
                feed.name = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            }
        }
    }
    feeds
}

/// Parses a feed URL, repairing what hand-written lists get wrong: `&amp;` for `&`, and a
/// doubled scheme (`http://https://host/`).
fn repair_url(raw: &str) -> Result<(Url, Vec<String>), String> {
    let mut notes = Vec::new();
    let mut s = raw.trim().to_owned();
    if s.contains("&amp;") {
        s = s.replace("&amp;", "&");
        notes.push(format!("{raw}: &amp; read as &"));
    }
    let lower = s.to_ascii_lowercase();
    for outer in ["http://", "https://"] {
        if let Some(rest) = lower.strip_prefix(outer) {
            if rest.starts_with("http://") || rest.starts_with("https://") {
                s = s[outer.len()..].to_owned();
                notes.push(format!("{raw}: doubled scheme, read as {s}"));
            }
            break;
        }
    }
    match Url::parse(&s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok((u, notes)),
        // A local copy, as a config may name one.
        Ok(u) if u.scheme() == "file" && s.starts_with("file:///") => Ok((u, notes)),
        Ok(u) if u.scheme() == "file" => Err(
            "a relative file: URL names no file an outline can be sure of (give file:///absolute/path)"
                .to_owned(),
        ),
        Ok(u) => Err(format!(
            "{} URLs are not feeds roundup can fetch (give http, https or file:///absolute/path)",
            u.scheme()
        )),
        Err(e) => Err(format!("not a URL: {e}")),
    }
}

/// The URL as compared for duplicates: no scheme, no trailing slash.
fn url_key(url: &Url) -> String {
    let s = url.as_str();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    s.trim_end_matches('/').to_owned()
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/import")
            .join(name)
    }

    const BASE: &str = "# our community\n[store]\npath = \"x.db\"   # keep me\n\n[[source]]\nname = \"Rich Bowen\"\nurl = \"http://drbacchus.com/tag/openstack/feed/\"\n";

    fn config_with(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roundup.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn shipped_configs_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let c = Config::load(&root.join("config/roundup.toml")).unwrap();
        // Every active feed of the Planet RDO config.ini; the five it had commented out stay
        // comments.
        assert_eq!(c.sources.len(), 42);
        assert_eq!(c.roundup.title, "RDO blogs over the last few weeks");
        assert_eq!(c.authors["dmsimard"], "David Moreau Simard");
        assert_eq!(c.authors["geguileo"], "Gorka Eguileor");
        assert_eq!(c.schedule.draft.to_string(), "0 9 * * 1");
        let d = Config::load(&root.join("config/demo.toml")).unwrap();
        assert_eq!(d.store.path, root.join("state/demo.db"));
        assert!(d.roundup.template.as_ref().unwrap().exists());
        assert!(d.sources.len() >= 4);
        for s in &d.sources {
            assert_eq!(s.url.scheme(), "file", "{}", s.name);
        }
        assert_eq!(d.series.len(), 1);
    }

    #[test]
    fn demo_samples_exist() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("config/demo.toml")).unwrap();
        let re = Regex::new(r#"url = "file:(samples/[^"]+)""#).unwrap();
        let mut n = 0;
        for c in re.captures_iter(&text) {
            let bytes = std::fs::read(root.join("config").join(&c[1]))
                .unwrap_or_else(|e| panic!("{} is missing: {e}", &c[1]));
            let feed = feed_rs::parser::parse(&bytes[..])
                .unwrap_or_else(|e| panic!("{} is not a feed: {e}", &c[1]));
            assert!((3..=8).contains(&feed.entries.len()), "{}", &c[1]);
            n += 1;
        }
        assert!(n >= 4);
    }

    #[test]
    fn opml_nested_outlines_are_appended_keeping_the_text() {
        let (_dir, cfg) = config_with(BASE);
        let r = import(&cfg, &fixture("nested-outlines.opml")).unwrap();
        assert_eq!(
            r.added,
            [
                "Lars Kellogg-Stedman",
                "Kashyap Chamarthy",
                "Tim Bell",
                "planet.example.org"
            ]
        );
        // An outline with no feed is reported; https vs http and a missing trailing slash are
        // the same feed.
        assert_eq!(r.skipped.len(), 2, "{:?}", r.skipped);
        assert_eq!(r.skipped[0].name, "Folder without feeds");
        assert!(r.skipped[0].reason.contains("without xmlUrl"));
        assert_eq!(r.skipped[1].name, "Rich Bowen (OpenStack tag)");
        assert!(r.skipped[1].reason.contains("already in the config"));
        let text = std::fs::read_to_string(&cfg).unwrap();
        assert!(text.starts_with(BASE), "{text}");
        assert!(text.contains("# Imported from nested-outlines.opml."));
        assert!(text.contains(
            "[[source]]\nname = \"Tim Bell\"\nurl = \"https://openstack-in-production.blogspot.com/feeds/posts/default\"\n"
        ));
        let c = Config::load(&cfg).unwrap();
        assert_eq!(c.sources.len(), 5);
        // Importing again adds nothing and leaves the file alone.
        let again = import(&cfg, &fixture("nested-outlines.opml")).unwrap();
        assert!(again.added.is_empty());
        assert_eq!(again.skipped.len(), 6);
        assert_eq!(std::fs::read_to_string(&cfg).unwrap(), text);
    }

    #[test]
    fn opml_is_read_in_its_declared_encoding_and_a_truncated_one_refused() {
        let (dir, cfg) = config_with(BASE);
        let latin = dir.path().join("latin1.opml");
        let mut bytes =
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<opml version=\"1.0\"><body>\
            <outline text=\"Caf"
                .to_vec();
        bytes.push(0xE9); // e acute in ISO-8859-1
        bytes.extend_from_slice(
            b" OpenStack\" xmlUrl=\"https://cafe.example/feed\"/></body></opml>\n",
        );
        std::fs::write(&latin, bytes).unwrap();
        let r = import(&cfg, &latin).unwrap();
        assert_eq!(r.added, ["Caf\u{e9} OpenStack"]);

        let cut = dir.path().join("cut.opml");
        std::fs::write(
            &cut,
            "<?xml version=\"1.0\"?><opml version=\"2.0\"><body><outline text=\"A\" xmlUrl=\"https://a.example/feed\"/><outline text=\"B\"",
        )
        .unwrap();
        let before = std::fs::read_to_string(&cfg).unwrap();
        let err = import(&cfg, &cut).unwrap_err().to_string();
        assert!(
            err.contains("cut.opml") && err.contains("nothing was added"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&cfg).unwrap(), before);
    }

    #[test]
    fn local_copies_are_feeds_too_when_their_path_is_absolute() {
        assert!(repair_url("file:///srv/feeds/alice.xml").is_ok());
        let e = repair_url("file:alice.xml").unwrap_err();
        assert!(e.contains("file:///absolute/path"), "{e}");
    }

    #[test]
    fn planet_ini_sections_become_sources() {
        let (_dir, cfg) = config_with(BASE);
        let r = import(&cfg, &fixture("planet-venus.ini")).unwrap();
        // [Planet], [DEFAULT] and commented-out sections are not feeds; a second feed of
        // "Rich Bowen" keeps his name: it is what a post without an author credits.
        assert_eq!(
            r.added,
            [
                "Giulio Fidente",
                "Rich Bowen",
                "Gorka Eguileor",
                "James Slagle",
                "www.example.net"
            ]
        );
        assert_eq!(r.skipped.len(), 1);
        assert!(r.skipped[0].reason.contains("already in the config"));
        assert!(r.notes.iter().any(|n| n.contains("&amp;")), "{:?}", r.notes);
        let c = Config::load(&cfg).unwrap();
        assert_eq!(
            c.source("Gorka Eguileor").unwrap().url.as_str(),
            "https://gorka.eguileor.com/feed/?cat=10&feed=rss2"
        );
        assert_eq!(
            c.source("James Slagle").unwrap().url.as_str(),
            "https://blogslagle.wordpress.com/feed/"
        );
        let text = std::fs::read_to_string(&cfg).unwrap();
        assert!(!text.contains("ask.openstack.org"));
        assert!(!text.contains("Liz Blanchard"));
    }

    #[test]
    fn a_missing_config_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("new.toml");
        let r = import(&cfg, &fixture("nested-outlines.opml")).unwrap();
        assert_eq!(r.added.len(), 5);
        assert_eq!(Config::load(&cfg).unwrap().sources.len(), 5);
    }

    #[test]
    fn other_files_are_refused_by_name() {
        let (dir, cfg) = config_with(BASE);
        let other = dir.path().join("notes.txt");
        std::fs::write(&other, "just some notes\n[not a section\n").unwrap();
        let e = import(&cfg, &other).unwrap_err().to_string();
        assert!(e.contains("notes.txt is neither an OPML file"), "{e}");
        let e = import(&cfg, &dir.path().join("absent.opml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot read ") && e.contains("absent.opml"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&cfg).unwrap(), BASE);
    }

    #[test]
    fn an_invalid_config_is_not_touched() {
        let (_dir, cfg) = config_with("[store]\npath = 3\n");
        let e = import(&cfg, &fixture("nested-outlines.opml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fix it before importing"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&cfg).unwrap(),
            "[store]\npath = 3\n"
        );
    }

    #[test]
    fn names_are_quoted_for_toml() {
        assert_eq!(toml_string("a \"b\" \\ c"), r#""a \"b\" \\ c""#);
        let t = format!("x = {}\n", toml_string("tab\there\u{1}"));
        let v: toml::Table = toml::from_str(&t).unwrap();
        assert_eq!(v["x"].as_str(), Some("tab\there\u{1}"));
    }

    #[test]
    fn url_keys_ignore_scheme_and_trailing_slash() {
        let k = |s: &str| url_key(&Url::parse(s).unwrap());
        assert_eq!(k("http://A.example/feed/"), k("https://a.example/feed"));
        assert_ne!(k("https://a.example/feed?x=1"), k("https://a.example/feed"));
    }
}
