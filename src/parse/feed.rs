//! Feed bytes -> `ParsedFeed`, through feed-rs. The body is parsed as sent first (the fast path,
//! nearly every feed); only when feed-rs refuses it does the repair pass run, once. A body that is
//! not a feed at all (empty, an HTML page, some other JSON) gets an error that says what it was.
//! feed-rs is run and its model converted in `convert`; JSON bodies go through `json`.

use url::Url;

use super::convert::{convert, describe, run_feed_rs};
use super::sniff::{holds_items, html_page, is_json};
use super::{json, person, repair};
use super::{ParseError, ParsedFeed};

/// Kept here so that code reading a page for its feeds finds it beside `parse`.
pub use super::sniff::advertised_feeds;

/// Parses a feed body. `base` is the feed's final URL, against which relative links resolve.
pub fn parse(bytes: &[u8], base: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    // feed-rs 3.0.0 panics on a multibyte character next to an e-mail address in an author:
    // padded here (see `person`). JSON Feeds and bodies not in UTF-8 are padded once decoded,
    // on the way below.
    let has_at = bytes.contains(&b'@');
    let utf8 = has_at.then(|| std::str::from_utf8(bytes).ok()).flatten();
    let padded = utf8.and_then(person::pad_xml);
    let bytes = padded.as_deref().map_or(bytes, str::as_bytes);
    let decode_first = has_at && (utf8.is_none() || is_json(bytes));
    // A single-byte declaration over UTF-8 bytes parses "fine" into mojibake: repair first.
    let first = if repair::mislabelled_utf8(bytes) || decode_first {
        None
    } else {
        match run_feed_rs(bytes, base) {
            // Zero entries from a body that holds items means a namespace feed-rs does not
            // know (RSS 0.90, a default xmlns on <rss>, Atom 0.3): the repair pass renames it.
            Ok(feed) if feed.entries.is_empty() && holds_items(bytes) => None,
            Ok(feed) => return Ok(convert(feed, bytes, base)),
            Err(e) => Some(e),
        }
    };

    if is_json(bytes) {
        return json::parse(bytes, base, first);
    }
    if let Some(err) = html_page(bytes, base) {
        return Err(err);
    }
    let mut repaired = repair::repair(bytes).map_err(|e| ParseError::Malformed(e.to_string()))?;
    if let Some(padded) = person::pad_xml(&repaired.text) {
        repaired.text = padded;
    }
    match run_feed_rs(repaired.text.as_bytes(), base) {
        Ok(feed) => {
            tracing::debug!(fixes = ?repaired.fixes, "feed parsed after repair");
            Ok(convert(feed, repaired.text.as_bytes(), base))
        }
        Err(e) => match first {
            None => match run_feed_rs(bytes, base) {
                // The repair made it worse: the body as sent is the better reading.
                Ok(feed) => Ok(convert(feed, bytes, base)),
                Err(_) => Err(ParseError::Malformed(describe(&e))),
            },
            Some(reason) => Err(ParseError::Malformed(describe(&reason))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://blog.example.org/feed/").expect("static URL")
    }

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>T</title><link>https://blog.example.org/</link>
<item><title>One</title><link>/2024/one</link><description>&lt;p&gt;Hi&lt;/p&gt;</description></item>
</channel></rss>"#;

    /// feed-rs 3.0.0 panics on a second XML declaration naming another encoding (found by the
    /// fuzzer, see `convert::declarations_made_safe`); the feed must come through whole.
    #[test]
    fn a_declaration_in_the_middle_or_ending_late_does_not_lose_the_feed() {
        let rss =
            "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
                   <title>T</title><item><title>One</title><link>https://b.example/1</link></item>\
                   <?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\
                   <item><title>Two</title><link>https://b.example/2</link></item>\
                   <?xml?><?xml-stylesheet href=\"s.xsl\"?></channel></rss>";
        let f = parse(rss.as_bytes(), None).expect("the feed parses");
        let titles: Vec<_> = f.entries.iter().map(|e| e.title.clone().unwrap()).collect();
        assert_eq!(titles, ["One", "Two"]);
        // Pasted after the feed's end as well.
        let twice = format!("{}\n{}", &rss[3..], &rss[3..]);
        assert!(parse(twice.as_bytes(), None).is_ok());
        // A declaration at the start that ends past quick-xml's first 64 bytes (whitespace
        // before it, long attributes), naming another encoding: read in that encoding.
        let latin1 = |text: &str| -> Vec<u8> { text.chars().map(|c| c as u32 as u8).collect() };
        let late = latin1(
            "\n\n   \t\n<?xml version=\"1.0\"   encoding=\"windows-1252\"   standalone=\"yes\" ?>\n\
             <rss version=\"2.0\"><channel><title>T</title><item><title>Caf\u{e9}</title>\
             <link>https://b.example/1</link></item></channel></rss>",
        );
        let f = parse(&late, None).expect("the feed parses");
        assert_eq!(f.entries[0].title.as_deref(), Some("Café"));
        let fuzzed = format!(
            "<?xml {}version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel>\
             <item><title>x</title><link>https://b.example/1</link></item></channel></rss>",
            "i".repeat(90)
        );
        assert!(parse(fuzzed.as_bytes(), None).is_ok());
    }

    /// feed-rs 3.0.0 panics on these (see `person`); the feed must come through whole.
    #[test]
    fn a_multibyte_character_touching_an_authors_address_does_not_lose_the_feed() {
        let rss = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
                   xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title>\
                   <item><title>One</title><link>https://b.example/1</link>\
                   <author>”x@e.example</author></item>\
                   <item><title>Two</title><link>https://b.example/2</link>\
                   <dc:creator>José\u{a0}jose@e.example</dc:creator></item>\
                   <item><title>Three</title><link>https://b.example/3</link>\
                   <author>x@e.example&#8221;Z</author></item></channel></rss>";
        let f = parse(rss.as_bytes(), None).expect("the feed parses");
        assert_eq!(f.entries.len(), 3);
        assert!(
            f.entries[1].authors.iter().any(|a| a.contains("José")),
            "{:?}",
            f.entries[1]
        );
        // Not UTF-8: padded once decoded.
        let latin1: Vec<u8> = rss
            .replace("UTF-8", "ISO-8859-1")
            .replace('”', "\"")
            .chars()
            .map(|c| c as u32 as u8)
            .collect();
        assert_eq!(parse(&latin1, None).expect("parses").entries.len(), 3);
        let json = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
            "authors": [{"name": "”x@e.example"}],
            "items": [{"id": "1", "url": "https://b.example/1", "title": "One",
                       "authors": [{"name": "José\u00a0jose@e.example"}]}]}"#;
        let f = parse(json.as_bytes(), None).expect("the JSON Feed parses");
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn parses_rss_and_resolves_relative_links() {
        let f = parse(RSS.as_bytes(), Some(&base())).expect("valid feed");
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(f.entries.len(), 1);
        assert_eq!(
            f.entries[0].link.as_deref(),
            Some("https://blog.example.org/2024/one")
        );
        assert_eq!(f.entries[0].summary.as_deref(), Some("<p>Hi</p>"));
    }

    #[test]
    fn entry_without_guid_has_no_id() {
        let f = parse(RSS.as_bytes(), None).expect("valid feed");
        assert_eq!(f.entries[0].id, None);
    }

    #[test]
    fn empty_body_is_an_error() {
        assert_eq!(parse(b"", None), Err(ParseError::Empty));
        assert_eq!(parse(b" \n\t", None), Err(ParseError::Empty));
    }

    #[test]
    fn html_page_names_its_feeds() {
        let page = r#"<!DOCTYPE html><html><head><title>Blog</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" href="https://x.org/atom">
<link rel="stylesheet" href="/s.css"></head><body>hi</body></html>"#;
        let err = parse(page.as_bytes(), Some(&base())).expect_err("html is not a feed");
        assert_eq!(
            err,
            ParseError::Html {
                feeds: vec![
                    "https://blog.example.org/feed.xml".to_owned(),
                    "https://x.org/atom".to_owned()
                ]
            }
        );
        assert!(err
            .to_string()
            .contains("https://blog.example.org/feed.xml"));
    }

    #[test]
    fn headless_html_fragment_is_html() {
        let page =
            "<head><title>Document Moved</title></head><body>moved <a href=x>here</a></body>";
        assert_eq!(
            parse(page.as_bytes(), None),
            Err(ParseError::Html { feeds: vec![] })
        );
    }

    #[test]
    fn broken_rss_quoting_html_is_repaired_not_called_html() {
        let body = "<rss version=\"2.0\"><channel><item><title>A & B</title><description><![CDATA[<html><body>x</body></html>]]></description></item></channel></rss>";
        let f = parse(body.as_bytes(), None).expect("repaired, not taken for a page");
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn json_that_is_not_json_feed_says_so() {
        let err = parse(br#"{"rss": {"channel": {}}}"#, None).expect_err("not a JSON Feed");
        assert!(matches!(&err, ParseError::NotAFeed(m) if m.contains("JSON") && m.contains("rss")));
    }

    #[test]
    fn comment_only_document_is_malformed() {
        let err = parse(b"<!-- nothing here -->\n", None).expect_err("no root");
        assert!(matches!(err, ParseError::Malformed(_)), "{err:?}");
    }

    #[test]
    fn bare_ampersand_is_repaired() {
        let body = "<rss version=\"2.0\"><channel><item><title>Q&A</title><link>http://x/?a=1&b=2</link></item></channel></rss>";
        let f = parse(body.as_bytes(), None).expect("repaired");
        assert_eq!(f.entries[0].title.as_deref(), Some("Q&A"));
        assert_eq!(f.entries[0].link.as_deref(), Some("http://x/?a=1&b=2"));
    }

    #[test]
    fn html_entities_are_repaired() {
        let body = "<rss version=\"2.0\"><channel><item><title>a&nbsp;b&eacute;</title></item></channel></rss>";
        let f = parse(body.as_bytes(), None).expect("parses, repaired if need be");
        let title = f.entries[0].title.as_deref().unwrap_or("");
        assert_eq!(crate::text::decode_entities(title), "a\u{a0}bé");
    }

    #[test]
    fn rss_without_version_is_repaired() {
        let body = "<rss><channel><item><title>x</title></item></channel></rss>";
        let f = parse(body.as_bytes(), None).expect("repaired");
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn whitespace_and_bom_before_declaration_are_repaired() {
        let body = "\u{feff}\n  <?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>";
        assert_eq!(
            parse(body.as_bytes(), None)
                .expect("repaired")
                .entries
                .len(),
            1
        );
    }

    #[test]
    fn mislabelled_utf8_is_not_mojibake() {
        let body = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>Café</title></entry></feed>";
        let f = parse(body.as_bytes(), None).expect("parses");
        assert_eq!(f.entries[0].title.as_deref(), Some("Café"));
    }

    #[test]
    fn undeclared_latin1_is_read_as_windows_1252() {
        let body =
            b"<rss version=\"2.0\"><channel><item><title>caf\xe9</title></item></channel></rss>";
        let f = parse(body, None).expect("parses");
        assert_eq!(f.entries[0].title.as_deref(), Some("café"));
    }

    #[test]
    fn gb2312_is_transcoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode(
            "<rss version=\"2.0\"><channel><item><title>中文</title></item></channel></rss>",
        );
        let mut body = b"<?xml version=\"1.0\" encoding=\"gb2312\"?>".to_vec();
        body.extend_from_slice(&bytes);
        let f = parse(&body, None).expect("parses");
        assert_eq!(f.entries[0].title.as_deref(), Some("中文"));
    }

    #[test]
    fn utf16be_without_bom_is_read() {
        let body: Vec<u8> =
            "<rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>"
                .encode_utf16()
                .flat_map(|u| u.to_be_bytes())
                .collect();
        assert_eq!(parse(&body, None).expect("parses").entries.len(), 1);
    }

    #[test]
    fn truncated_body_keeps_complete_items() {
        let body = "<rss version=\"2.0\"><channel><item><title>a</title></item><item><title>b</title></item><item><title>c";
        let f = parse(body.as_bytes(), None).expect("salvaged");
        assert_eq!(f.entries.len(), 2);
    }

    #[test]
    fn feedburner_orig_link_is_mapped() {
        let body = r#"<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
<item><title>a</title><link>http://feedproxy.google.com/~r/x/1</link><guid isPermaLink="false">tag:x,1</guid>
<feedburner:origLink>https://blog.example.org/a</feedburner:origLink></item>
<item><title>b</title><link>http://feedproxy.google.com/~r/x/2</link>
<feedburner:origLink>https://blog.example.org/b</feedburner:origLink></item>
</channel></rss>"#;
        let f = parse(body.as_bytes(), None).expect("valid");
        assert_eq!(
            f.entries[0].orig_link.as_deref(),
            Some("https://blog.example.org/a")
        );
        assert_eq!(
            f.entries[1].orig_link.as_deref(),
            Some("https://blog.example.org/b")
        );
    }

    #[test]
    fn permalink_guid_and_prefixed_atom_link_fill_missing_links() {
        let body = r#"<rss version="2.0" xmlns:a10="http://www.w3.org/2005/Atom"><channel>
<item><title>a</title><guid>https://x.org/a</guid></item>
<item><title>b</title><a10:link href="https://x.org/b" /></item>
</channel></rss>"#;
        let f = parse(body.as_bytes(), None).expect("valid");
        assert_eq!(f.entries[0].link.as_deref(), Some("https://x.org/a"));
        assert_eq!(f.entries[1].link.as_deref(), Some("https://x.org/b"));
    }

    #[test]
    fn rss_090_namespace_yields_items() {
        let body = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>heise</title><link>https://heise.de</link><description>d</description></channel>
<item><title>one</title><link>https://heise.de/1</link></item></rdf:RDF>"#;
        let f = parse(body.as_bytes(), None).expect("valid");
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.entries[0].link.as_deref(), Some("https://heise.de/1"));
    }

    #[test]
    fn default_xmlns_on_rss_yields_items() {
        let body = r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>t</title>
<item><title>one</title><link>https://x.org/1</link></item></channel></rss>"#;
        assert_eq!(
            parse(body.as_bytes(), None).expect("valid").entries.len(),
            1
        );
    }

    #[test]
    fn json_feed_with_http_version_is_read() {
        let json = r#"{"version":"http://jsonfeed.org/version/1","title":"t","items":[{"id":"1","url":"https://x.org/1","content_html":"<p>hi</p>"}]}"#;
        assert_eq!(
            parse(json.as_bytes(), None).expect("valid").entries.len(),
            1
        );
    }

    #[test]
    fn json_feed_with_tags_as_string_is_read() {
        let json = r#"{"version":"https://jsonfeed.org/version/1","title":"t","items":[{"id":"1","url":"https://x.org/1","content_text":"hi","tags":"workflow,omnifocus"}]}"#;
        let f = parse(json.as_bytes(), None).expect("repaired");
        assert_eq!(
            f.entries[0].categories,
            vec!["workflow".to_owned(), "omnifocus".to_owned()]
        );
    }

    #[test]
    fn atom_with_empty_title_and_odd_text_type_is_repaired() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text/plain">t</title>
<entry><id>urn:1</id><title></title><summary type="HTML">&lt;p&gt;hi&lt;/p&gt;</summary><link href="https://x.org/1"/></entry></feed>"#;
        let f = parse(atom.as_bytes(), None).expect("repaired");
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.entries[0].summary.as_deref(), Some("<p>hi</p>"));
    }

    #[test]
    fn feed_level_authors() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><author><name>Sam Ruby</name></author>
<entry><id>urn:1</id><title>x</title></entry></feed>"#;
        let f = parse(atom.as_bytes(), None).expect("valid");
        assert_eq!(f.authors, vec!["Sam Ruby".to_owned()]);
        assert!(f.entries[0].authors.is_empty());

        let rss = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
<dc:creator>Ruben Schade</dc:creator><item><title>x</title></item></channel></rss>"#;
        assert_eq!(
            parse(rss.as_bytes(), None).expect("valid").authors,
            vec!["Ruben Schade".to_owned()]
        );
        // Every item names its own (WordPress): the channel's would stand in for none, and the
        // feed is not read a second time for it.
        let own = rss.replace(
            "<item><title>x</title>",
            "<item><title>x</title><dc:creator>Ann</dc:creator>",
        );
        let f = parse(own.as_bytes(), None).expect("valid");
        assert_eq!(f.entries[0].authors, ["Ann"]);
        assert!(f.authors.is_empty(), "{:?}", f.authors);
        // One item without: the channel's is read, for it.
        let one_without = own.replace("</item>", "</item><item><title>y</title></item>");
        let f = parse(one_without.as_bytes(), None).expect("valid");
        assert_eq!(f.authors, ["Ruben Schade"]);
        assert!(f.entries[1].authors.is_empty());

        let rss = r#"<rss version="2.0"><channel><title>t</title><managingEditor>ed@x.org (Ed Itor)</managingEditor>
<item><title>x</title></item></channel></rss>"#;
        let authors = parse(rss.as_bytes(), None).expect("valid").authors;
        assert_eq!(authors.len(), 1);
        assert!(authors[0].contains("Ed Itor"), "{authors:?}");

        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","authors":[{"name":"Brent"}],
"items":[{"id":"1","url":"https://x.org/1","content_text":"hi"}]}"#;
        assert_eq!(
            parse(json.as_bytes(), None).expect("valid").authors,
            vec!["Brent".to_owned()]
        );
    }

    #[test]
    fn email_style_author_is_passed_raw() {
        let rss = r#"<rss version="2.0"><channel><item><title>x</title><author>jdoe@x.com (John Doe)</author></item></channel></rss>"#;
        let f = parse(rss.as_bytes(), None).expect("valid");
        assert!(f.entries[0].authors[0].contains("John Doe"));
    }
}
