//! Escaping text from feeds for markdown (kramdown and GFM) and for YAML front matter, so a
//! title, author or summary renders as the plain text it is: no emphasis, no raw HTML, no links,
//! no line that turns into a heading, quote, list, rule, table or kramdown extension.

use std::borrow::Cow;

/// Characters escaped wherever they appear: both kramdown and CommonMark honour a backslash
/// before each of them.
fn always_escaped(b: u8) -> bool {
    matches!(
        b,
        b'\\' | b'`' | b'*' | b'_' | b'[' | b']' | b'<' | b'>' | b'#' | b'|' | b'~' | b'{' | b'}'
    )
}

/// The bytes `markdown` may put a backslash or an entity in front of.
fn may_escape(b: u8) -> bool {
    always_escaped(b) || matches!(b, b'&' | b'!' | b'$')
}

/// Escapes one value for markdown. Newlines and runs of whitespace collapse to one space, and
/// leading or trailing whitespace goes (four leading spaces would start a code block).
pub fn markdown(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    markdown_into(raw, &mut out);
    out
}

/// `markdown`, appended to `out`.
pub fn markdown_into(raw: &str, out: &mut String) {
    let text = collapse(raw);
    let start = out.len();
    if starts_block(&text) {
        out.push('\\');
    }
    // Every character that may need a backslash is ASCII: the text between them is copied
    // whole, and a text with none of them (most titles and summaries) at once, after one pass
    // the compiler vectorises.
    let bytes = text.as_bytes();
    let mut copied = 0;
    if bytes.iter().fold(false, |any, &b| any | may_escape(b)) {
        for (i, &b) in bytes.iter().enumerate() {
            let next = bytes.get(i + 1).copied();
            let escape = match b {
                b'&' => {
                    if starts_entity(&text[i + 1..]) {
                        // An entity (`&lt;`, `&#60;`) would render as the character it names.
                        out.push_str(&text[copied..i]);
                        out.push_str("&amp;");
                        copied = i + 1;
                    }
                    false
                }
                b'!' => next == Some(b'['),
                b'$' => next == Some(b'$'),
                _ => always_escaped(b),
            };
            if escape {
                out.push_str(&text[copied..i]);
                out.push('\\');
                copied = i;
            }
        }
    }
    out.push_str(&text[copied..]);
    escape_ordered_list(out, start);
}

/// `&lt;`, `&#60;`, `&#x3c;`: a name or number then `;`.
fn starts_entity(rest: &str) -> bool {
    let name = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
        .count();
    name > 0 && rest.as_bytes().get(name) == Some(&b';')
}

/// Whether a line starting with these characters would open a block: a list (`-`, `+`), a setext
/// underline or rule (`=`, `-`), a kramdown definition (`:`). Quotes, headings and `*` rules are
/// escaped everywhere already.
fn starts_block(text: &str) -> bool {
    matches!(text.as_bytes().first(), Some(b'-' | b'+' | b'=' | b':'))
}

/// `1. text` or `1) text` at the start (of what `out` holds from `start` on) would become an
/// ordered list: escape the punctuation.
fn escape_ordered_list(out: &mut String, start: usize) {
    let digits = out[start..]
        .bytes()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits > 0 && matches!(out.as_bytes().get(start + digits), Some(b'.' | b')')) {
        out.insert(start + digits, '\\');
    }
}

/// `text` collapsed (`collapse`): itself, not a copy, when there was nothing to do.
pub fn collapsed(text: String) -> String {
    match collapse(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(done) => done,
    }
}

/// One line: every whitespace run (newlines included) becomes a single space; control
/// characters go. Text that is one line already (as extraction leaves nearly every title and
/// summary) comes back as it is, uncopied.
pub fn collapse(raw: &str) -> Cow<'_, str> {
    if is_one_line(raw) {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(collapse_into(raw))
    }
}

/// Whether `collapse` would leave `raw` as it is: no whitespace at either end or twice in a
/// row, no whitespace but ASCII spaces, no control or hiding characters.
fn is_one_line(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    // Printable ASCII, the usual case, is checked in two passes the compiler vectorises (the
    // fold has no early exit for that reason): a draft checks every title, author and summary.
    if bytes
        .iter()
        .fold(true, |ok, b| ok & (b' '..=b'~').contains(b))
    {
        return !raw.contains("  ");
    }
    let (mut i, mut space) = (0, false);
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            if b == b' ' {
                if space {
                    return false;
                }
                space = true;
            } else if b.is_ascii_control() {
                return false;
            } else {
                space = false;
            }
            i += 1;
        } else {
            let Some(c) = raw[i..].chars().next() else {
                return false;
            };
            if c.is_whitespace() || c.is_control() || hides_text(c) {
                return false;
            }
            space = false;
            i += c.len_utf8();
        }
    }
    true
}

fn collapse_into(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut space = false;
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        // A run of printable ASCII is copied whole; anything else is looked at a character at
        // a time.
        let plain = rest
            .bytes()
            .position(|b| !(b.is_ascii_graphic()))
            .unwrap_or(rest.len());
        if plain > 0 {
            if space {
                out.push(' ');
                space = false;
            }
            out.push_str(&rest[..plain]);
            rest = &rest[plain..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if c.is_control() || hides_text(c) {
            continue;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Invisible characters that change how the text around them reads: bidirectional overrides,
/// embeddings and isolates (U+202E can show a link's text backwards), zero-width spaces and the
/// byte order mark. The joiners (U+200C, U+200D), needed by some scripts and emoji, stay.
fn hides_text(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A value for a `key: value` line of YAML front matter: as it is when YAML reads it back
/// unchanged as a string, else double-quoted with `\` and `"` escaped.
pub fn yaml(raw: &str) -> String {
    let text = collapse(raw);
    if yaml_plain_is_safe(&text) {
        return text.into_owned();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn yaml_plain_is_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_ascii_digit() || first == '.' {
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_overrides_and_nul_go_joiners_stay() {
        assert_eq!(
            markdown("evil\u{202E}gnp.exe\u{200B}x\u{0}y\u{FEFF}"),
            "evilgnp.exexy"
        );
        assert_eq!(collapse("\u{2066}a\u{2069} b\u{200D}c"), "a b\u{200D}c");
    }

    #[test]
    fn emphasis_markers_are_text() {
        assert_eq!(markdown("a *b* _c_ **d**"), r"a \*b\* \_c\_ \*\*d\*\*");
        assert_eq!(markdown("snake_case_name"), r"snake\_case\_name");
        assert_eq!(markdown("~~gone~~ `code`"), r"\~\~gone\~\~ \`code\`");
    }

    #[test]
    fn links_and_images_are_text() {
        assert_eq!(
            markdown("[x](javascript:alert(1))"),
            r"\[x\](javascript:alert(1))"
        );
        assert_eq!(
            markdown("![img](http://x/y.png)"),
            r"\!\[img\](http://x/y.png)"
        );
        assert_eq!(markdown("Wow! [ref]"), r"Wow! \[ref\]");
    }

    #[test]
    fn html_is_text() {
        assert_eq!(
            markdown("<script>alert(1)</script>"),
            r"\<script\>alert(1)\</script\>"
        );
        assert_eq!(
            markdown("<img src=x onerror=alert(1)>"),
            r"\<img src=x onerror=alert(1)\>"
        );
        assert_eq!(
            markdown("&lt;b&gt; &#60; AT&T & co &"),
            r"&amp;lt;b&amp;gt; &amp;\#60; AT&T & co &"
        );
    }

    #[test]
    fn no_value_starts_a_block() {
        assert_eq!(markdown("# Heading"), r"\# Heading");
        assert_eq!(markdown("> quoted"), r"\> quoted");
        assert_eq!(markdown("---"), r"\---");
        assert_eq!(markdown("***"), r"\*\*\*");
        assert_eq!(markdown("- item"), r"\- item");
        assert_eq!(markdown("+ item"), r"\+ item");
        assert_eq!(markdown("1. first"), r"1\. first");
        assert_eq!(markdown("2016) year"), r"2016\) year");
        assert_eq!(markdown(": definition"), r"\: definition");
        assert_eq!(markdown("    code"), "code");
        assert_eq!(markdown("| a | b |"), r"\| a \| b \|");
        assert_eq!(markdown("{::nomarkdown}"), r"\{::nomarkdown\}");
        assert_eq!(markdown("$$x$$"), r"\$$x\$$");
        // Inside a value these are plain text.
        assert_eq!(
            markdown("Mitaka - the 1. release"),
            "Mitaka - the 1. release"
        );
    }

    #[test]
    fn newlines_collapse_to_spaces() {
        assert_eq!(
            markdown("one\n# two\r\n\n---\tthree "),
            r"one \# two --- three"
        );
        assert_eq!(collapse("  a \u{7} b\n"), "a b");
        for (raw, out, copied) in [
            ("", "", false),
            ("a b", "a b", false),
            (
                "caf\u{e9} \u{201c}b\u{201d}",
                "caf\u{e9} \u{201c}b\u{201d}",
                false,
            ),
            ("a  b", "a b", true),
            (" a b", "a b", true),
            ("a b ", "a b", true),
            ("a\tb", "a b", true),
            ("a\nb", "a b", true),
            ("a\u{1}b", "ab", true),
            ("a\u{a0}b", "a b", true),
            ("a\u{7f}b", "ab", true),
            ("a\u{85}b", "a b", true),
            ("a\u{202e}b", "ab", true),
        ] {
            let got = collapse(raw);
            assert_eq!(got, out, "{raw:?}");
            assert_eq!(matches!(got, Cow::Owned(_)), copied, "{raw:?}");
        }
    }

    #[test]
    fn backslashes_survive() {
        assert_eq!(markdown(r"C:\path\*"), r"C:\\path\\\*");
    }

    #[test]
    fn yaml_values_are_quoted_only_when_needed() {
        assert_eq!(
            yaml("RDO blogs over the last few weeks"),
            "RDO blogs over the last few weeks"
        );
        assert_eq!(yaml("Mitaka: the release"), r#""Mitaka: the release""#);
        assert_eq!(yaml("C # sharp"), r#""C # sharp""#);
        assert_eq!(yaml("- list"), r#""- list""#);
        assert_eq!(yaml("---"), r#""---""#);
        assert_eq!(yaml(r#"say "hi" \o/"#), r#"say "hi" \o/"#);
        assert_eq!(yaml(r#"#1 "hi" \o/"#), r##""#1 \"hi\" \\o/""##);
        assert_eq!(yaml("yes"), r#""yes""#);
        assert_eq!(yaml("2016"), r#""2016""#);
        assert_eq!(yaml(""), r#""""#);
        assert_eq!(yaml("a\n---\nb"), "a --- b");
    }

    #[test]
    fn collapsed_keeps_the_string_itself_when_there_is_nothing_to_collapse() {
        let text = "One line, as most titles are".to_owned();
        let at = text.as_ptr();
        let kept = collapsed(text);
        assert_eq!(kept.as_ptr(), at, "moved, not copied");
        assert_eq!(
            collapsed("two\n  lines ".to_owned()),
            collapse("two\n  lines ")
        );
    }
}
