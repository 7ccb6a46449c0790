//! `publish --social FILE`: the posts that went out, one CSV line each, with the short link the
//! roundup printed and a text ready to post.

mod common;

use common::run;

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>B</title><link>https://blog.example/</link>
<item><title>Containers, "the CERN way"</title><link>https://blog.example/1/</link><dc:creator>Tim Bell</dc:creator><pubDate>DATE</pubDate><description>The first paragraph of the first post, long enough to be its summary.</description></item>
<item><title>=cmd|' /C calc'!A0</title><link>https://blog.example/2/</link><dc:creator>Mallory</dc:creator><pubDate>DATE</pubDate><description>A post whose title a spreadsheet would run as a formula, and words enough.</description></item>
<item><title>A post the editor deletes</title><link>https://blog.example/3/</link><dc:creator>Ann</dc:creator><pubDate>DATE</pubDate><description>The first paragraph of the third post, long enough to be its summary.</description></item>
</channel></rss>"#;

#[test]
fn publish_writes_one_social_post_per_post_that_went_out() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let date = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc2822();
    std::fs::write(dir.join("feed.xml"), FEED.replace("DATE", &date)).unwrap();
    std::fs::write(
        dir.join("roundup.toml"),
        "[store]\npath = \"state/roundup.db\"\n\n[roundup]\nsince = \"1w\"\n\n[shortener]\nkind = \"builtin\"\nbase_url = \"https://tm3.org/\"\nstart = \"6e\"\n\n[[source]]\nname = \"B\"\nurl = \"file:feed.xml\"\n",
    )
    .unwrap();
    let draft = run(
        dir,
        &["--config", "roundup.toml", "draft", "--out", "draft.md"],
    );
    assert_eq!(draft.status.code(), Some(0), "{draft:?}");
    let text = std::fs::read_to_string(dir.join("draft.md")).unwrap();
    // The editor deletes the third post and adds one by hand in its place.
    let cut = text.find("**A post the editor deletes**").unwrap();
    let next = text[cut + 2..]
        .find("\n**")
        .map_or(text.len(), |n| cut + 3 + n);
    let edited = format!(
        "{}**A post added by hand** by Ann Editor\n\n... read more at [https://elsewhere.example/p](https://elsewhere.example/p)\n\n{}",
        &text[..cut],
        &text[next..]
    );
    // The short link the draft printed for a post.
    let short_of = |title: &str| -> String {
        let at = edited.find(title).unwrap();
        let link = edited[at..].find("[https://tm3.org/").unwrap() + at + 1;
        edited[link..link + edited[link..].find(']').unwrap()].to_owned()
    };
    let (containers, formula) = (short_of("Containers"), short_of("calc"));
    std::fs::write(dir.join("draft.md"), &edited).unwrap();

    let publish = run(
        dir,
        &[
            "--config",
            "roundup.toml",
            "publish",
            "draft.md",
            "--social",
            "social.csv",
        ],
    );
    let said = String::from_utf8_lossy(&publish.stdout);
    assert_eq!(publish.status.code(), Some(0), "{said}{publish:?}");
    assert!(said.contains("wrote social.csv: 3 social posts"), "{said}");
    let csv = std::fs::read_to_string(dir.join("social.csv")).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "title,author,short_link,text");
    assert_eq!(lines.len(), 4, "{csv}");
    let line = |start: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("{start}: {csv}"))
    };
    assert_eq!(
        line("\"Containers"),
        format!("\"Containers, \"\"the CERN way\"\"\",Tim Bell,{containers},\"Containers, \"\"the CERN way\"\", by Tim Bell: {containers}\"")
    );
    assert_eq!(
        line("'=cmd"),
        format!(
            "'=cmd|' /C calc'!A0,Mallory,{formula},\"'=cmd|' /C calc'!A0, by Mallory: {formula}\""
        )
    );
    assert_eq!(
        line("A post added"),
        "A post added by hand,Ann Editor,https://elsewhere.example/p,\"A post added by hand, by Ann Editor: https://elsewhere.example/p\""
    );
    assert!(!csv.contains("A post the editor deletes"), "{csv}");
    // In the order the file shows them, the post added by hand among the others.
    let mut by_place = ["Containers", "calc", "A post added"];
    by_place.sort_by_key(|t| edited.find(t).unwrap());
    let in_csv: Vec<&str> = lines[1..]
        .iter()
        .map(|l| *by_place.iter().find(|t| l.contains(*t)).unwrap())
        .collect();
    assert_eq!(in_csv, by_place, "{csv}");
}
