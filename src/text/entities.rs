//! Entity references: decoding them (named, decimal, hex, and the double-escaped `&amp;ldquo;`
//! that feeds are full of) and recognising them, which the repair pass needs to tell an entity
//! from a bare `&`.

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
}
