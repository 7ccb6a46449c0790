//! A guard for a panic in feed-rs 3.0.0: `parse_person_name_email` (src/parser/util/mod.rs:155)
//! cuts the name one byte before or after the e-mail address it found, so a multibyte character
//! right next to the address (`”x@e.example`, `José\u{a0}jose@e.example`) panics and the whole
//! feed is lost. It reads RSS `author`, `managingEditor`, `webMaster`, `dc:creator`,
//! `itunes:author` and `itunes:name`, and JSON Feed author names. Before feed-rs sees them, a
//! space goes between such a character and the address; nothing else changes.

/// What feed-rs's e-mail pattern can match: the address, `mailto:`, and the `<[(` `>])`
/// delimiters. A run of these around an `@` holds whatever the pattern finds. In XML a `<` is
/// markup (the text's own is `&lt;`): a run never reaches into a tag.
fn in_address(b: u8, xml: bool) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-@:>[]()".contains(&b) || (b == b'<' && !xml)
}

/// `name` with a space between each e-mail address and a non-ASCII character touching it.
pub fn pad_name(name: &str) -> Option<String> {
    pad(name, false)
}

/// The XML `text` with every person element padded as `pad_name` does (entities counted as the
/// characters they stand for). `None` when nothing needed it: nearly always.
pub fn pad_xml(text: &str) -> Option<String> {
    if !needs_padding(text, true) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some((start, end)) = next_person(rest) {
        out.push_str(&rest[..start]);
        let content = &rest[start..end];
        match pad(content, true) {
            Some(padded) => out.push_str(&padded),
            None => out.push_str(content),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some(out)
}

/// Elements whose text feed-rs hands to `parse_person_name_email`, by local name.
const PERSONS: &[&str] = &["author", "creator", "managingEditor", "webMaster"];

/// The content of the next person element in `text`: (start, end) byte offsets.
fn next_person(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(lt) = text[from..].find('<').map(|i| from + i) {
        let tag_end = text[lt..].find('>').map(|i| lt + i)?;
        let tag = &text[lt + 1..tag_end];
        from = tag_end + 1;
        if tag.starts_with(['/', '!', '?']) || tag.ends_with('/') {
            continue;
        }
        let qname = tag.split(|c: char| c.is_ascii_whitespace()).next()?;
        let local = qname.rsplit(':').next().unwrap_or(qname);
        if PERSONS.contains(&local) || qname == "itunes:name" {
            let close = format!("</{qname}");
            let end = text[from..].find(&close).map_or(text.len(), |i| from + i);
            return Some((from, end));
        }
    }
    None
}

/// Where a space goes in `text`: before or after each address run that touches a non-ASCII
/// character, in order.
fn gaps(text: &str, xml: bool) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        let i = at + bytes[at..].iter().position(|&b| b == b'@')?;
        let (start, end) = run(bytes, i, xml);
        at = end.max(i + 1);
        Some(
            [
                wide_before(text, start, xml).then_some(start),
                wide_after(text, end, xml).then_some(end),
            ]
            .into_iter()
            .flatten(),
        )
    })
    .flatten()
}

fn needs_padding(text: &str, xml: bool) -> bool {
    gaps(text, xml).next().is_some()
}

fn pad(text: &str, xml: bool) -> Option<String> {
    let mut gaps = gaps(text, xml).peekable();
    gaps.peek()?;
    let mut out = String::with_capacity(text.len() + 4);
    let mut copied = 0;
    for gap in gaps {
        out.push_str(&text[copied..gap]);
        out.push(' ');
        copied = gap;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// The run of address characters around the `@` at `i`; in XML, `&lt;` and `&gt;` count as
/// the `<` and `>` they stand for.
fn run(bytes: &[u8], i: usize, xml: bool) -> (usize, usize) {
    let mut start = i;
    loop {
        if start > 0 && in_address(bytes[start - 1], xml) {
            start -= 1;
        } else if xml && (bytes[..start].ends_with(b"&lt;") || bytes[..start].ends_with(b"&gt;")) {
            start -= 4;
        } else {
            break;
        }
    }
    let mut end = i + 1;
    loop {
        if end < bytes.len() && in_address(bytes[end], xml) {
            end += 1;
        } else if xml && (bytes[end..].starts_with(b"&lt;") || bytes[end..].starts_with(b"&gt;")) {
            end += 4;
        } else {
            break;
        }
    }
    (start, end)
}

/// Whether the character before `at` is not ASCII (in XML, also a character reference to one).
fn wide_before(text: &str, at: usize, xml: bool) -> bool {
    let before = &text[..at];
    if xml && before.ends_with(';') {
        if let Some(amp) = before.rfind("&#") {
            return reference_is_wide(&before[amp + 2..before.len() - 1]);
        }
    }
    before.chars().next_back().is_some_and(|c| !c.is_ascii())
}

/// Whether the character at `at` is not ASCII (in XML, also a character reference to one).
fn wide_after(text: &str, at: usize, xml: bool) -> bool {
    let after = &text[at..];
    if xml && after.starts_with("&#") {
        if let Some(semi) = after.find(';') {
            return reference_is_wide(&after[2..semi]);
        }
    }
    after.chars().next().is_some_and(|c| !c.is_ascii())
}

/// `#8221` / `#x201D` without `&#` and `;`: whether it names a character past ASCII.
fn reference_is_wide(digits: &str) -> bool {
    let value = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => digits.parse::<u32>().ok(),
    };
    value.is_some_and(|v| v >= 0x80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_touching_a_multibyte_character_gets_a_space() {
        assert_eq!(pad_name("”x@e.example").as_deref(), Some("” x@e.example"));
        assert_eq!(
            pad_name("José\u{a0}jose@e.example").as_deref(),
            Some("José\u{a0} jose@e.example")
        );
        assert_eq!(
            pad_name("jose@e.example\u{a0}José").as_deref(),
            Some("jose@e.example \u{a0}José")
        );
        assert_eq!(pad_name("Jane Doe (jane@e.example)"), None);
        assert_eq!(pad_name("Zoë Blogger"), None);
    }

    #[test]
    fn only_person_elements_are_touched_and_references_count() {
        let xml = "<item><title>”x@e.example</title><author>&#8221;x@e.example</author>\
                   <dc:creator><![CDATA[José\u{a0}jose@e.example]]></dc:creator>\
                   <description>”y@e.example</description></item>";
        let padded = pad_xml(xml).expect("two authors need a space");
        assert_eq!(
            padded,
            "<item><title>”x@e.example</title><author>&#8221; x@e.example</author>\
             <dc:creator><![CDATA[José\u{a0} jose@e.example]]></dc:creator>\
             <description>”y@e.example</description></item>"
        );
        assert_eq!(
            pad_xml("<author>Jane &lt;jane@e.example&gt;</author>"),
            None
        );
        assert_eq!(
            pad_xml("<author>é&lt;jane@e.example&gt;</author>").as_deref(),
            Some("<author>é &lt;jane@e.example&gt;</author>")
        );
    }
}
