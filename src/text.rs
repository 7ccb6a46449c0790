//! Plain text out of feed markup: entity decoding (also the double-escaped `&amp;ldquo;` that
//! feeds are full of), tag stripping, whitespace collapsing, HTML → plain text, word counts.
//! Pure functions on `&str`; `extract` and `render` build on them. A small streaming tokenizer
//! lives here too, so that the summary scanner can read HTML without building a DOM.

use scraper::{ElementRef, Html, Node};

/// Decodes HTML entities (named, decimal, hex). One more pass is made when the first leaves an
/// entity behind, because feeds often escape their HTML twice (`&amp;ldquo;` → `“`).
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let once = html_escape::decode_html_entities(s);
    if has_entity(&once) {
        html_escape::decode_html_entities(&once).into_owned()
    } else {
        once.into_owned()
    }
}

/// Whether `s` holds something that looks like an entity reference (`&name;`, `&#123;`, `&#x1F;`).
pub fn has_entity(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(pos) = s[from..].find('&') {
        let start = from + pos + 1;
        if entity_len(&bytes[start..]).is_some() {
            return true;
        }
        from = start;
    }
    false
}

/// Length of the entity body after `&` up to and including `;`, when `after` starts with one.
pub(crate) fn entity_len(after: &[u8]) -> Option<usize> {
    let (digits_from, hex) = match after {
        [b'#', b'x' | b'X', ..] => (2, true),
        [b'#', ..] => (1, false),
        [c, ..] if c.is_ascii_alphabetic() => (0, false),
        _ => return None,
    };
    let mut i = digits_from;
    while i < after.len() && i < 40 {
        let c = after[i];
        let ok = if digits_from == 0 {
            c.is_ascii_alphanumeric()
        } else if hex {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        };
        if !ok {
            break;
        }
        i += 1;
    }
    (i > digits_from && after.get(i) == Some(&b';')).then_some(i + 1)
}

/// Collapses every run of whitespace (including no-break spaces) to one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
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
    let mut out = String::with_capacity(s.len());
    for token in Tokens::new(s) {
        match token {
            Token::Text(t) => out.push_str(t),
            Token::Open { name, .. } | Token::Close { name } => {
                if is_block(&name) || name == "br" {
                    out.push(' ');
                }
            }
        }
    }
    out
}

/// A title or a name as plain text: tags stripped, entities decoded, whitespace collapsed.
pub fn clean_inline(s: &str) -> String {
    collapse_whitespace(&decode_entities(&strip_tags(s)))
}

/// HTML → plain text by walking the parsed tree: `<br>` and block ends become spaces, script and
/// style are dropped (scraper's own `.text()` keeps them and glues words across `<br>`).
pub fn html_to_text(html: &str) -> String {
    let doc = Html::parse_fragment(html);
    let mut out = String::with_capacity(html.len() / 2);
    walk(doc.root_element(), &mut out);
    collapse_whitespace(&out)
}

fn walk(el: ElementRef<'_>, out: &mut String) {
    let name = el.value().name();
    if matches!(name, "script" | "style" | "noscript" | "template") {
        return;
    }
    let block = is_block(name) || name == "br";
    if block {
        out.push(' ');
    }
    for child in el.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(_) => {
                if let Some(child_el) = ElementRef::wrap(child) {
                    walk(child_el, out);
                }
            }
            _ => {}
        }
    }
    if block {
        out.push(' ');
    }
}

/// Number of whitespace-separated words.
pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

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

/// One piece of HTML as the streaming tokenizer sees it.
#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    /// Character data, entities not decoded.
    Text(&'a str),
    /// A start tag: lowercased name and the raw attribute text.
    Open {
        name: String,
        attrs: &'a str,
        self_closing: bool,
    },
    Close {
        name: String,
    },
}

/// A forgiving HTML tokenizer: comments, doctypes and processing instructions are skipped,
/// `<script>`/`<style>` bodies are dropped whole, a `<` that does not start a tag is text, and an
/// unterminated tag ends the input. It never fails and never allocates the document.
pub struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    pub fn new(html: &'a str) -> Tokens<'a> {
        Tokens { rest: html }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let Some(lt) = self.rest.find('<') else {
                let text = self.rest;
                self.rest = "";
                return Some(Token::Text(text));
            };
            if lt > 0 {
                let text = &self.rest[..lt];
                self.rest = &self.rest[lt..];
                return Some(Token::Text(text));
            }
            // self.rest starts with '<'
            let after = &self.rest[1..];
            if let Some(body) = after.strip_prefix("!--") {
                self.rest = body.find("-->").map_or("", |end| &body[end + 3..]);
                continue;
            }
            if let Some(body) = after.strip_prefix("![CDATA[") {
                let (text, rest) = match body.find("]]>") {
                    Some(end) => (&body[..end], &body[end + 3..]),
                    None => (body, ""),
                };
                self.rest = rest;
                return Some(Token::Text(text));
            }
            let first = after.as_bytes().first().copied();
            match first {
                Some(b'!' | b'?') => {
                    self.rest = after.find('>').map_or("", |end| &after[end + 1..]);
                    continue;
                }
                Some(b'/') => {
                    let Some(end) = after.find('>') else {
                        self.rest = "";
                        return None;
                    };
                    let name = tag_name(&after[1..end]);
                    self.rest = &after[end + 1..];
                    return Some(Token::Close { name });
                }
                Some(c) if c.is_ascii_alphabetic() => {
                    let Some(end) = find_tag_end(after) else {
                        self.rest = "";
                        return None;
                    };
                    let inner = &after[..end];
                    self.rest = &after[end + 1..];
                    let name = tag_name(inner);
                    let attrs = &inner[name.len().min(inner.len())..];
                    let self_closing = inner.ends_with('/');
                    if matches!(name.as_str(), "script" | "style") && !self_closing {
                        self.rest = skip_raw_text(self.rest, &name);
                        continue;
                    }
                    return Some(Token::Open {
                        name,
                        attrs,
                        self_closing,
                    });
                }
                _ => {
                    // A lone '<' ("a < b") is text.
                    let text = &self.rest[..1];
                    self.rest = after;
                    return Some(Token::Text(text));
                }
            }
        }
    }
}

/// The end of a start tag, skipping `>` inside quoted attribute values.
fn find_tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, c) in s.bytes().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn tag_name(inner: &str) -> String {
    let end = inner
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(inner.len());
    inner[..end].to_ascii_lowercase()
}

/// What follows the end tag of a raw-text element (`</script>`), or nothing when it never ends.
fn skip_raw_text<'a>(rest: &'a str, name: &str) -> &'a str {
    let close = format!("</{name}");
    let lower_match = rest
        .as_bytes()
        .windows(close.len())
        .position(|w| w.eq_ignore_ascii_case(close.as_bytes()));
    match lower_match {
        Some(pos) => {
            let after = &rest[pos..];
            after.find('>').map_or("", |end| &after[end + 1..])
        }
        None => "",
    }
}

/// The value of attribute `name` in raw attribute text (`class="a b" id=x`), entities left alone.
pub fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let bytes = attrs.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        let key = &attrs[start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = "";
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let q = bytes[i];
                let vstart = i + 1;
                let vend = attrs[vstart..]
                    .bytes()
                    .position(|c| c == q)
                    .map_or(attrs.len(), |p| vstart + p);
                value = &attrs[vstart..vend];
                i = vend + 1;
            } else {
                let vstart = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = &attrs[vstart..i];
            }
        }
        if key.eq_ignore_ascii_case(name) {
            return Some(value);
        }
        if start == i {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_named_and_numeric_entities() {
        assert_eq!(
            decode_entities("Caf&eacute; &#8211; &#x2019;s &amp; co"),
            "Café – ’s & co"
        );
    }

    #[test]
    fn decodes_double_escaped_entities() {
        assert_eq!(decode_entities("&amp;ldquo;Hi&amp;rdquo;"), "“Hi”");
        assert_eq!(decode_entities("a &amp;amp; b"), "a & b");
    }

    #[test]
    fn leaves_bare_ampersands() {
        assert_eq!(decode_entities("Q&A and R & D"), "Q&A and R & D");
        assert!(!has_entity("Q & A, R&D"));
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
    fn html_to_text_walks_tree() {
        let html = "<div><p>Hello<br>world</p><script>evil()</script><style>x{}</style><p>Bye &amp; co</p></div>";
        assert_eq!(html_to_text(html), "Hello world Bye & co");
    }

    #[test]
    fn clean_inline_title() {
        assert_eq!(
            clean_inline("  <b>Rust</b> &amp;amp; &amp;ldquo;Go&amp;rdquo;\n "),
            "Rust & “Go”"
        );
    }

    #[test]
    fn counts_words() {
        assert_eq!(word_count(" one two\nthree "), 3);
    }

    #[test]
    fn reads_attributes() {
        let a = " class='share buttons' id=top data-x=\"1\"";
        assert_eq!(attr(a, "class"), Some("share buttons"));
        assert_eq!(attr(a, "id"), Some("top"));
        assert_eq!(attr(a, "data-x"), Some("1"));
        assert_eq!(attr(a, "href"), None);
    }
}
