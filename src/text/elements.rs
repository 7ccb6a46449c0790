//! What HTML elements are, for the walker: blocks (they end a line), void elements (they have
//! no end tag), and what is never a post's opening paragraph (headings, figures, embeds, share
//! buttons, bylines, feed ads).

use super::walk::Attrs;

/// Elements that end a line of text when rendered.
pub fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "table"
            | "thead"
            | "tbody"
            | "tr"
            | "td"
            | "th"
            | "figure"
            | "figcaption"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "hr"
            | "address"
            | "center"
            | "form"
            | "main"
            | "iframe"
    )
}

/// Elements whose whole content is never the post's opening paragraph.
pub(super) fn not_the_post(name: &str) -> bool {
    matches!(
        name,
        "h1" | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "figure"
            | "figcaption"
            | "pre"
            | "table"
            | "iframe"
            | "object"
            | "embed"
            | "video"
            | "audio"
            | "svg"
            | "form"
            | "button"
            | "nav"
            | "aside"
            | "noscript"
            | "select"
            | "template"
            | "header"
            | "footer"
            | "caption"
    )
}

/// Share buttons, ad blocks, bylines and related-post lists (by a fragment of their class or
/// id), and links to feed ads.
pub(super) fn marked_not_the_post(name: &str, attrs: &dyn Attrs) -> bool {
    const MARKERS: &[&str] = &[
        "share",
        "social",
        "feedflare",
        "sharedaddy",
        "jp-relatedposts",
        "addtoany",
        "byline",
        "post-meta",
        "entry-meta",
        "wp-caption",
        "advert",
        "tweet",
        "related",
        "author-info",
        "signature",
    ];
    let marked = [attrs.get("class"), attrs.get("id")]
        .into_iter()
        .flatten()
        .any(|v| {
            let v = v.to_ascii_lowercase();
            MARKERS.iter().any(|m| v.contains(m))
        });
    let ad_link = name == "a"
        && attrs
            .get("href")
            .is_some_and(|h| h.contains("feeds.feedburner.com") || h.contains("feedads."));
    marked || ad_link
}

pub(super) fn is_void(name: &str) -> bool {
    matches!(
        name,
        "br" | "img"
            | "hr"
            | "input"
            | "meta"
            | "link"
            | "source"
            | "wbr"
            | "area"
            | "col"
            | "param"
            | "track"
    )
}
