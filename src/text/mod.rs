//! Plain text out of feed markup: entity decoding (also the double-escaped `&amp;ldquo;` that
//! feeds are full of), tag stripping, whitespace collapsing, and dates written as text. Pure
//! functions on `&str`; `extract`, `parse` and `render` build on them. The one HTML → text
//! walker lives here (`walk`), over a small streaming tokenizer (`tokens`), so that the summary
//! reads HTML without building a DOM and a scraped page's elements read the same way.

pub mod date;
mod elements;
mod entities;
mod tokens;
mod walk;

pub use elements::is_block;
pub(crate) use entities::entity_len;
pub use entities::{decode_entities, has_entity};
pub use tokens::{attr, Token, Tokens};
pub use walk::{walk_element, walk_html, Attrs, Breaks, Event, Rules, Walker};

/// Collapses every run of whitespace (including no-break spaces) to one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    if is_collapsed(s) {
        return s.to_owned();
    }
    collapse_into(s)
}

/// `collapse_whitespace` of an owned text: the text itself when nothing needs collapsing, as
/// with a paragraph put together from collapsed lines (no copy).
pub fn collapse_whitespace_owned(s: String) -> String {
    if is_collapsed(&s) {
        s
    } else {
        collapse_into(&s)
    }
}

/// No whitespace at either end, and every run of it a single ASCII space. The ASCII checks
/// are passes without an early exit, which the compiler vectorises (every paragraph a summary
/// reads is checked); the characters are decoded only when there are non-ASCII ones.
pub fn is_collapsed(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    // \t, \n, \x0b, \x0c and \r: the ASCII whitespace that is not a space.
    let controls = bytes
        .iter()
        .fold(false, |any, b| any | (b'\t'..=b'\r').contains(b));
    !controls
        && !s.contains("  ")
        && (s.is_ascii() || !s.chars().any(|c| c != ' ' && c.is_whitespace()))
}

/// The words of a text `is_collapsed` holds: its spaces and one.
pub fn collapsed_words(s: &str) -> usize {
    match s.is_empty() {
        true => 0,
        false => s.bytes().filter(|&b| b == b' ').count() + 1,
    }
}

fn collapse_into(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Removes tags, comments and script/style bodies; block ends and `<br>` become spaces so that
/// words on either side do not run together. Entities are left alone.
pub fn strip_tags(s: &str) -> String {
    if !s.contains('<') {
        return s.to_owned();
    }
    walk_html(s, Rules::INLINE, |lines| Some(lines.concat())).unwrap_or_default()
}

/// A title or a name as plain text: tags stripped, entities decoded, whitespace collapsed.
pub fn clean_inline(s: &str) -> String {
    collapse_whitespace(&decode_entities(&strip_tags(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapsing_gives_what_splitting_on_whitespace_gives() {
        let naive = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        for s in [
            "",
            " ",
            "a",
            "a b c",
            " a b",
            "a b ",
            "a  b",
            "a\tb",
            "a\nb",
            "a\u{a0}b",
            "caf\u{e9} na\u{ef}ve",
            "a\u{2003}b",
            "\u{a0}",
            "a\u{b}b",
            "a\u{85}b",
            "日本 語",
            "a \u{a0}b",
            "a \u{3000} b",
            "a\rb",
            "a\u{c}b",
            "a b  ",
        ] {
            assert_eq!(collapse_whitespace(s), naive(s), "{s:?}");
            assert_eq!(collapse_whitespace_owned(s.to_owned()), naive(s), "{s:?}");
            assert_eq!(is_collapsed(s), naive(s) == s, "{s:?}");
            let collapsed = naive(s);
            assert_eq!(
                collapsed_words(&collapsed),
                s.split_whitespace().count(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn strips_tags_and_keeps_words_apart() {
        assert_eq!(
            collapse_whitespace(&strip_tags("<p>one<br>two</p><p>three <b>four</b></p>")),
            "one two three four"
        );
    }

    #[test]
    fn strip_drops_script_style_and_comments() {
        let s = "a<script>var x = '<p>';</script>b<style>p{}</style>c<!-- <p>no</p> -->d";
        assert_eq!(strip_tags(s), "abcd");
    }

    #[test]
    fn lone_less_than_is_text() {
        assert_eq!(strip_tags("a < b and 3<4"), "a < b and 3<4");
    }

    #[test]
    fn unterminated_tag_ends_input() {
        assert_eq!(strip_tags("text <a href=\"x"), "text ");
    }

    #[test]
    fn quoted_gt_in_attribute_does_not_end_tag() {
        assert_eq!(strip_tags("<a title=\"1 > 0\">link</a>"), "link");
    }

    #[test]
    fn collapses_whitespace_including_nbsp() {
        assert_eq!(collapse_whitespace("  a \n\t b\u{a0}\u{a0}c  "), "a b c");
    }

    #[test]
    fn clean_inline_title() {
        assert_eq!(
            clean_inline("  <b>Rust</b> &amp;amp; &amp;ldquo;Go&amp;rdquo;\n "),
            "Rust & “Go”"
        );
    }
}
