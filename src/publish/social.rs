//! `publish --social FILE`: one CSV line per post that went out, for scheduling on social media
//! (the RDO script once wrote these beside the roundup): title, author, short link, and a
//! ready-to-post text of at most 280 characters.

use std::fmt::Write;

/// A post that went out in a roundup, as a social post credits it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedPost {
    pub title: String,
    pub author: String,
    /// The link the roundup printed (its short link, when there is one).
    pub link: String,
}

/// The longest text a post may have (X, Mastodon's default 500 being longer).
pub const MAX_TEXT: usize = 280;

/// "Title, by Author: link", the title cut (ending with "…") so the whole is at most
/// `MAX_TEXT` characters. The link is never cut.
pub fn text(post: &PublishedPost) -> String {
    let title = one_line(&post.title);
    let author = one_line(&post.author);
    let tail = if author.is_empty() {
        format!(": {}", post.link)
    } else {
        format!(", by {author}: {}", post.link)
    };
    let room = MAX_TEXT.saturating_sub(tail.chars().count());
    let title = if title.chars().count() <= room {
        title
    } else {
        let cut: String = title.chars().take(room.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    };
    let text = format!("{title}{tail}");
    if text.chars().count() <= MAX_TEXT {
        text
    } else {
        // An author line so long that the title has no room: the link alone.
        post.link.clone()
    }
}

/// The CSV file: a header, then one line per post (RFC 4180: fields with a comma, quote or line
/// break are quoted, quotes doubled). A field a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`) gets a leading `'`: titles come from strangers' feeds.
pub fn csv(posts: &[PublishedPost]) -> String {
    let mut out = String::from("title,author,short_link,text\r\n");
    for p in posts {
        let fields = [
            one_line(&p.title),
            one_line(&p.author),
            p.link.clone(),
            text(p),
        ];
        let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
        let _ = write!(out, "{}\r\n", line.join(","));
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(title: &str, author: &str) -> PublishedPost {
        PublishedPost {
            title: title.into(),
            author: author.into(),
            link: "https://tm3.org/6e".into(),
        }
    }

    #[test]
    fn the_text_credits_the_author_and_fits_in_280_characters() {
        assert_eq!(
            text(&post("Containers and the CERN cloud", "Tim Bell")),
            "Containers and the CERN cloud, by Tim Bell: https://tm3.org/6e"
        );
        assert_eq!(
            text(&post("No author", "")),
            "No author: https://tm3.org/6e"
        );
        let long = text(&post(&"word ".repeat(100), "Ann"));
        assert_eq!(long.chars().count(), MAX_TEXT);
        assert!(long.ends_with("…, by Ann: https://tm3.org/6e"), "{long}");
        let wide = text(&post(&"é".repeat(300), "Ann"));
        assert_eq!(wide.chars().count(), MAX_TEXT);
        assert_eq!(text(&post("T", &"A".repeat(400))), "https://tm3.org/6e");
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let out = csv(&[
            post("Say \"hi\", world", "Ann, Bob"),
            post("=HYPERLINK(\"http://evil\")", "@mallory"),
            post("Line\nbreak", "-1"),
        ]);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0], "title,author,short_link,text");
        assert_eq!(
            lines[1],
            "\"Say \"\"hi\"\", world\",\"Ann, Bob\",https://tm3.org/6e,\"Say \"\"hi\"\", world, by Ann, Bob: https://tm3.org/6e\""
        );
        assert!(
            lines[2].starts_with("\"'=HYPERLINK(\"\"http://evil\"\")\",'@mallory,"),
            "{}",
            lines[2]
        );
        assert!(lines[3].starts_with("Line break,'-1,"), "{}", lines[3]);
        assert_eq!(
            lines.len(),
            5,
            "a header, three posts, and the final line end"
        );
    }
}
