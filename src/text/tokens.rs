//! A forgiving streaming HTML tokenizer: start tags (with their raw attribute text), end tags and
//! text, borrowed from the input. Comments, doctypes and processing instructions are skipped,
//! `<script>`/`<style>` bodies are dropped whole, a `<` that does not start a tag is text, and an
//! unterminated tag ends the input. It never fails and never allocates the document.

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

/// The tokens of an HTML string, in order.
pub struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    pub fn new(html: &'a str) -> Tokens<'a> {
        Tokens { rest: html }
    }

    /// Reads the markup at the start of `rest` (which starts with `<`).
    fn markup(&mut self) -> Step<'a> {
        let after = &self.rest[1..];
        if let Some(body) = after.strip_prefix("!--") {
            self.rest = body.find("-->").map_or("", |end| &body[end + 3..]);
            return Step::Skipped;
        }
        if let Some(body) = after.strip_prefix("![CDATA[") {
            let (text, rest) = match body.find("]]>") {
                Some(end) => (&body[..end], &body[end + 3..]),
                None => (body, ""),
            };
            self.rest = rest;
            return Step::Token(Token::Text(text));
        }
        match after.as_bytes().first().copied() {
            Some(b'!' | b'?') => {
                self.rest = after.find('>').map_or("", |end| &after[end + 1..]);
                Step::Skipped
            }
            Some(b'/') => self.end_tag(after),
            Some(c) if c.is_ascii_alphabetic() => self.start_tag(after),
            _ => {
                // A lone '<' ("a < b") is text.
                let text = &self.rest[..1];
                self.rest = after;
                Step::Token(Token::Text(text))
            }
        }
    }

    /// `after` is what follows `<` of `</name>`.
    fn end_tag(&mut self, after: &'a str) -> Step<'a> {
        let Some(end) = after.find('>') else {
            self.rest = "";
            return Step::End;
        };
        let name = tag_name(&after[1..end]);
        self.rest = &after[end + 1..];
        Step::Token(Token::Close { name })
    }

    /// `after` is what follows `<` of `<name attrs>`; a script or style body is skipped whole.
    fn start_tag(&mut self, after: &'a str) -> Step<'a> {
        let Some(end) = find_tag_end(after) else {
            self.rest = "";
            return Step::End;
        };
        let inner = &after[..end];
        self.rest = &after[end + 1..];
        let name = tag_name(inner);
        let attrs = &inner[name.len().min(inner.len())..];
        let self_closing = inner.ends_with('/');
        if matches!(name.as_str(), "script" | "style") && !self_closing {
            self.rest = skip_raw_text(self.rest, &name);
            return Step::Skipped;
        }
        Step::Token(Token::Open {
            name,
            attrs,
            self_closing,
        })
    }
}

/// What reading one piece of markup gave.
enum Step<'a> {
    Token(Token<'a>),
    /// Markup that is not a token (a comment, a doctype, a script): read on.
    Skipped,
    /// The input ended inside a tag.
    End,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let Some(lt) = self.rest.find('<') else {
                return Some(Token::Text(std::mem::take(&mut self.rest)));
            };
            if lt > 0 {
                let (text, rest) = self.rest.split_at(lt);
                self.rest = rest;
                return Some(Token::Text(text));
            }
            match self.markup() {
                Step::Token(token) => return Some(token),
                Step::Skipped => continue,
                Step::End => return None,
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
            (value, i) = attr_value(attrs, i + 1);
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

/// The attribute value starting at `i` (after `=`), quoted or not, and where reading goes on.
fn attr_value(attrs: &str, mut i: usize) -> (&str, usize) {
    let bytes = attrs.as_bytes();
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
        (&attrs[vstart..vend], vend + 1)
    } else {
        let vstart = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        (&attrs[vstart..i], i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes() {
        let a = " class='share buttons' id=top data-x=\"1\"";
        assert_eq!(attr(a, "class"), Some("share buttons"));
        assert_eq!(attr(a, "id"), Some("top"));
        assert_eq!(attr(a, "data-x"), Some("1"));
        assert_eq!(attr(a, "href"), None);
    }
}
