//! Text from strangers going out under the community's name: titles, authors, summaries and links
//! built to break a markdown post (raw HTML, script links, front matter, block markers, invisible
//! overrides, NUL bytes, endless words) come out of `draft` as plain text, and the draft, run
//! through a real CommonMark renderer, carries none of it as markup. `publish` then reads it back.

mod common;

use common::run;

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Hostile</title><link>http://hostile.example/</link>
<item><title>&lt;script&gt;alert(1)&lt;/script&gt; Scripted</title><link>http://hostile.example/1</link>
  <author>x@hostile.example (&lt;img src=x onerror=alert(2)&gt;)</author>
  <pubDate>Mon, 09 May 2016 10:00:00 +0000</pubDate>
  <description><![CDATA[<p><img src=x onerror=alert(3)>A first paragraph that has <script>alert(4)</script> and <a href="javascript:alert(5)">a script link</a> in it, and enough words to count.</p>]]></description></item>
<item><title>[click me](javascript:alert(6)) and ![x](data:text/html;base64,PHNjcmlwdD4=)</title><link>http://hostile.example/2</link>
  <pubDate>Mon, 09 May 2016 11:00:00 +0000</pubDate>
  <description>Text with a ](javascript:alert(7)) break-out and [ref]: javascript:alert(8) in the middle of it all.</description></item>
<item><title>---</title><link>http://hostile.example/3</link>
  <pubDate>Mon, 09 May 2016 12:00:00 +0000</pubDate>
  <description><![CDATA[---
title: pwned
published: true
---
# A heading that is the first line of the summary and long enough]]></description></item>
<item><title>&gt; quoted # and | pipes | table</title><link>http://hostile.example/4</link>
  <pubDate>Mon, 09 May 2016 13:00:00 +0000</pubDate>
  <description>1. An ordered list opener followed by plenty of words to make a real paragraph here.</description></item>
<item><title>evil&#x202E;gnp.exe&#x200B; and &#x2066;isolated&#x2069;</title><link>http://hostile.example/5</link>
  <pubDate>Mon, 09 May 2016 14:00:00 +0000</pubDate>
  <description>A paragraph with a word of ten thousand letters WORD10K and a few more words after it.</description></item>
<item><title>A script link as the post's link</title><link>javascript:alert(9)</link>
  <pubDate>Mon, 09 May 2016 15:00:00 +0000</pubDate><description>Never shown.</description></item>
<item><title>A data link as the post's link</title><link>data:text/html,&lt;script&gt;alert(10)&lt;/script&gt;</link>
  <pubDate>Mon, 09 May 2016 15:00:00 +0000</pubDate><description>Never shown.</description></item>
<item><title>A link that tries to close the markdown link</title><link>http://hostile.example/6)](javascript:alert(11)</link>
  <pubDate>Mon, 09 May 2016 16:00:00 +0000</pubDate><description>The link itself carries the break-out, and this paragraph is long enough.</description></item>
</channel></rss>"#;

/// JSON strings can carry what XML cannot: NUL and other control characters.
const JSON: &str = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "Nul", "items": [
 {"id": "n1", "url": "http://nul.example/1", "title": "Nul\u0000byte\u0007 title\u001b[31m",
  "authors": [{"name": "Eve\u0000 <script>"}], "date_published": "2016-05-10T10:00:00Z",
  "content_text": "A summary\u0000 with a NUL byte and an escape \u001b[2J sequence, long enough to count."}]}"#;

fn config() -> &'static str {
    r#"[store]
path = "state/roundup.db"

[roundup]
since = "2016-04-01"

[[source]]
name = "Hostile <b>blog</b>"
url = "file:hostile.xml"

[[source]]
name = "Nul"
url = "file:nul.json"
"#
}

#[test]
fn hostile_feed_text_is_plain_text_in_the_draft_and_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let rss = RSS.replace("WORD10K", &"y".repeat(10_000));
    std::fs::write(dir.path().join("hostile.xml"), rss).unwrap();
    std::fs::write(dir.path().join("nul.json"), JSON).unwrap();
    std::fs::write(dir.path().join("roundup.toml"), config()).unwrap();

    let draft = run(
        dir.path(),
        &["--config", "roundup.toml", "draft", "--out", "draft.md"],
    );
    assert_eq!(
        draft.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&draft.stderr)
    );
    let md = std::fs::read_to_string(dir.path().join("draft.md")).unwrap();

    // The posts with script or data links are not posts; the other seven are.
    assert_eq!(md.matches("... read more at").count(), 7, "{md}");
    assert!(!md.contains("Never shown"), "{md}");
    for c in [
        '\u{0}', '\u{7}', '\u{1b}', '\u{202E}', '\u{200B}', '\u{2066}',
    ] {
        assert!(!md.contains(c), "{c:?} in the draft");
    }
    let longest = md.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest <= 2100, "a line of {longest} characters");

    // The front matter is the template's, whatever the posts say.
    let mut parts = md.splitn(3, "---\n");
    assert_eq!(parts.next(), Some(""));
    let front: Vec<&str> = parts
        .next()
        .unwrap()
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        front,
        [
            "title",
            "author",
            "date",
            "tags",
            "comments",
            "published",
            "roundup_draft"
        ]
    );
    let body = parts.next().unwrap();

    // Rendered as a CommonMark site would render it: no markup from a feed survives.
    let html = {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(body));
        html
    };
    // The feed-health comment at the top stays a comment (what is inside it is never shown).
    assert!(html.starts_with("<!-- roundup: feed health"), "{html}");
    let shown = &html[html.find("-->").unwrap()..];
    assert!(!shown[3..].contains("<!--"), "{html}");
    let lower = shown.to_lowercase();
    for bad in [
        "<script",
        "<img",
        "<b>",
        "href=\"javascript",
        "href=\"data",
        "src=\"data",
        "<h1",
        "<hr",
        "<table",
        "<ol",
    ] {
        assert!(!lower.contains(bad), "{bad} in the rendered draft:\n{html}");
    }
    // Each post is a paragraph with its title in bold and one link, to its own page.
    let links: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(links.len(), 7, "{html}");
    assert!(
        links
            .iter()
            .all(|l| l.starts_with("http://hostile.example/")
                || l.starts_with("http://nul.example/")),
        "{links:?}"
    );
    assert!(
        links.contains(&"http://hostile.example/6%29%5D%28javascript:alert%2811%29"),
        "{links:?}"
    );
    // What the feeds said is still there, as text (HTML in a title is taken out, as feeds mean
    // it as markup).
    for text in [
        "<strong>Scripted</strong> by Hostile &lt;b&gt;blog&lt;/b&gt;",
        "[click me](javascript:alert(6))",
        "&gt; quoted # and | pipes | table",
        "evilgnp.exe and isolated",
        "Nulbyte title[31m",
    ] {
        assert!(html.contains(text), "{text} not shown as text:\n{html}");
    }

    // The editor publishes it as it is: every post is read back and recorded.
    let publish = run(
        dir.path(),
        &["--config", "roundup.toml", "publish", "draft.md"],
    );
    assert_eq!(
        publish.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&publish.stderr)
    );
    let said = String::from_utf8_lossy(&publish.stdout);
    assert!(said.contains("published 7 items"), "{said}");
    assert!(!said.contains("added by hand"), "{said}");
    let items = run(
        dir.path(),
        &[
            "--config",
            "roundup.toml",
            "items",
            "--json",
            "--state",
            "published",
        ],
    );
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap();
    let titles: Vec<&serde_json::Value> = items.iter().map(|i| &i["title"]).collect();
    assert_eq!(items.len(), 7, "{titles:?}");
}
