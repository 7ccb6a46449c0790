//! The repair pass: turns the common breakages of real-world feeds into XML feed-rs accepts.
//! It runs only after feed-rs has refused the body as sent (or, for a mislabelled encoding that
//! feed-rs would silently turn into mojibake, before). Every repair is a plain text rewrite on a
//! UTF-8 copy of the body, and each one that fired is named in `Repaired::fixes` for the logs.

use std::sync::LazyLock;

use regex::Regex;

use super::sniff::{root_name, root_start};
use crate::text::entity_len;

/// A body rewritten as UTF-8 XML, with the names of the repairs that changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    pub text: String,
    pub fixes: Vec<&'static str>,
}

/// Why the repair pass gave up.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RepairError {
    #[error("the body is cut short before its first complete item")]
    TruncatedEmpty,
}

/// The encoding label of the XML declaration, if the body starts with one (ASCII-compatible).
pub fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(300)];
    let start = head.windows(5).position(|w| w == b"<?xml")?;
    let end = head[start..].windows(2).position(|w| w == b"?>")? + start;
    let decl = std::str::from_utf8(&head[start..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let end = value.find(quote)?;
    Some(value[..end].trim().to_ascii_lowercase())
}

/// True when feed-rs would read the body wrongly without failing: it declares a single-byte
/// encoding but is really UTF-8 (non-ASCII and valid), so decoding as declared gives mojibake.
pub fn mislabelled_utf8(bytes: &[u8]) -> bool {
    match declared_encoding(bytes) {
        Some(label) if !label.starts_with("utf") => {
            !bytes.is_ascii() && std::str::from_utf8(strip_utf8_bom(bytes)).is_ok()
        }
        _ => false,
    }
}

fn strip_utf8_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes)
}

/// Decodes the body to UTF-8 whatever it claims: a BOM wins; UTF-16 is recognised without one;
/// valid UTF-8 is UTF-8 even when declared otherwise; else the declared encoding; else
/// windows-1252 (what undeclared non-UTF-8 bodies nearly always are). The declaration is
/// rewritten to say UTF-8 so that feed-rs does not decode a second time.
pub fn to_utf8(bytes: &[u8]) -> (String, Option<&'static str>) {
    use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        let fix = (enc != encoding_rs::UTF_8).then_some("decoded UTF-16");
        return (
            rewrite_declaration(&text),
            fix.or(Some("removed byte order mark")),
        );
    }
    let first = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0);
    if let Some(i) = first {
        let utf16 = if i % 2 == 1 && bytes[i - 1] == 0 {
            Some(UTF_16BE)
        } else if i % 2 == 0 && bytes.get(i + 1) == Some(&0) {
            Some(UTF_16LE)
        } else {
            None
        };
        if let Some(enc) = utf16 {
            let (text, _) = enc.decode_without_bom_handling(&bytes[i - i % 2..]);
            return (
                rewrite_declaration(&text),
                Some("decoded UTF-16 without byte order mark"),
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let fix = declared_encoding(bytes)
            .filter(|l| !l.starts_with("utf") && !bytes.is_ascii())
            .map(|_| "read mislabelled UTF-8 as UTF-8");
        return (rewrite_declaration(text), fix);
    }
    let declared = declared_encoding(bytes)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .filter(|enc| *enc != encoding_rs::UTF_8 && *enc != UTF_16BE && *enc != UTF_16LE);
    let (enc, fix) = match declared {
        Some(enc) => (enc, "transcoded the declared encoding to UTF-8"),
        None => (WINDOWS_1252, "read undeclared non-UTF-8 as windows-1252"),
    };
    let (text, _) = enc.decode_without_bom_handling(bytes);
    (rewrite_declaration(&text), Some(fix))
}

/// Replaces the XML declaration (wherever leading junk put it) with a UTF-8 one.
fn rewrite_declaration(text: &str) -> String {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if let Some(rest) = trimmed.strip_prefix("<?xml") {
        if let Some(end) = rest.find("?>") {
            return format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{}",
                &rest[end + 2..]
            );
        }
    }
    trimmed.to_owned()
}

/// Runs every repair on a body (already inflated if it was gzip).
pub fn repair(bytes: &[u8]) -> Result<Repaired, RepairError> {
    let mut fixes = Vec::new();
    let (text, fix) = to_utf8(bytes);
    fixes.extend(fix);
    let (text, fix) = fix_ampersands(&text);
    fixes.extend(fix);
    let (text, fix) = fix_rss_version(&text);
    fixes.extend(fix);
    let (text, fix) = fix_namespaces(&text);
    fixes.extend(fix);
    let (text, fix) = fix_atom_text(&text);
    fixes.extend(fix);
    let (text, fix) = close_truncated(&text)?;
    fixes.extend(fix);
    Ok(Repaired { text, fixes })
}

/// XML knows five named entities. HTML ones (`&nbsp;`, `&eacute;`) become numeric references,
/// unknown names and bare `&` become `&amp;`. CDATA sections and comments are left untouched.
pub fn fix_ampersands(text: &str) -> (String, Option<&'static str>) {
    if !text.contains('&') {
        return (text.to_owned(), None);
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    let mut rest = text;
    while let Some(pos) = rest.find(['&', '<']) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('<') {
            let skip = [("<![CDATA[", "]]>"), ("<!--", "-->")]
                .iter()
                .find(|(open, _)| rest.starts_with(open))
                .map(|(open, close)| {
                    rest[open.len()..]
                        .find(close)
                        .map_or(rest.len(), |e| open.len() + e + close.len())
                })
                .unwrap_or(1);
            out.push_str(&rest[..skip]);
            rest = &rest[skip..];
            continue;
        }
        let after = &rest[1..];
        match entity_len(after.as_bytes()) {
            Some(len) => {
                let name = &after[..len - 1];
                if name.starts_with('#') || matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
                    out.push_str(&rest[..len + 1]);
                } else {
                    let entity = &rest[..len + 1];
                    let decoded = html_escape::decode_html_entities(entity);
                    if decoded != entity {
                        for c in decoded.chars() {
                            out.push_str(&format!("&#{};", c as u32));
                        }
                    } else {
                        out.push_str("&amp;");
                        out.push_str(name);
                        out.push(';');
                    }
                    changed = true;
                }
                rest = &rest[len + 1..];
            }
            None => {
                out.push_str("&amp;");
                changed = true;
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (
        out,
        changed.then_some("escaped bare ampersands and HTML entities"),
    )
}

/// feed-rs dispatches on `<rss version>`: a missing or unknown version is read as 2.0.
pub fn fix_rss_version(text: &str) -> (String, Option<&'static str>) {
    let Some(start) = root_start(text).filter(|s| text[*s..].starts_with("<rss")) else {
        return (text.to_owned(), None);
    };
    let Some(end) = text[start..].find('>').map(|e| start + e) else {
        return (text.to_owned(), None);
    };
    let tag = &text[start..end];
    let version = crate::text::attr(&tag[4..], "version");
    if matches!(version, Some("2.0" | "0.91" | "0.92")) {
        return (text.to_owned(), None);
    }
    let mut attrs = tag[4..].to_owned();
    if let Some(v) = version {
        attrs = attrs.replacen(&format!("version=\"{v}\""), "", 1).replacen(
            &format!("version='{v}'"),
            "",
            1,
        );
    }
    let fixed = format!(
        "{}<rss version=\"2.0\"{}{}",
        &text[..start],
        attrs,
        &text[end..]
    );
    (fixed, Some("set the missing rss version to 2.0"))
}

/// Namespaces feed-rs does not know, renamed to the ones it does (RSS 0.90 reads as RSS 1.0,
/// Atom 0.3 as Atom 1.0) or dropped (a default namespace on `<rss>` hides every element).
pub fn fix_namespaces(text: &str) -> (String, Option<&'static str>) {
    const RENAMES: &[(&str, &str)] = &[
        (
            "\"http://my.netscape.com/rdf/simple/0.9/\"",
            "\"http://purl.org/rss/1.0/\"",
        ),
        (
            "\"http://purl.org/atom/ns#\"",
            "\"http://www.w3.org/2005/Atom\"",
        ),
        (" xmlns=\"http://backend.userland.com/rss2\"", ""),
        (" xmlns=\"http://backend.userland.com/rss\"", ""),
    ];
    let mut out = text.to_owned();
    let mut changed = false;
    for (from, to) in RENAMES {
        if out.contains(from) {
            out = out.replace(from, to);
            changed = true;
        }
    }
    (
        out,
        changed.then_some("renamed namespaces feed-rs does not know"),
    )
}

static EMPTY_ATOM_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(?:title|summary|subtitle|rights)(?:\s[^>]*)?(?:/>|>\s*</(?:title|summary|subtitle|rights)>)")
        .expect("static regex is valid")
});
static ATOM_TEXT_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(<(?:title|summary|subtitle|rights)\s[^>]*?\btype=["'])([^"']*)(["'])"#)
        .expect("static regex is valid")
});

/// Atom text constructs feed-rs refuses, failing the whole feed: an empty `<title/>` or
/// `<summary></summary>` ("missing text"), and a `type` other than text, html or xhtml
/// (`text/plain`, `HTML`). Empty ones are removed, types are mapped to the nearest kind.
pub fn fix_atom_text(text: &str) -> (String, Option<&'static str>) {
    let is_atom = root_start(text).is_some_and(|s| text[s..].starts_with("<feed"));
    if !is_atom {
        return (text.to_owned(), None);
    }
    let mut changed = false;
    let out = EMPTY_ATOM_TEXT.replace_all(text, "");
    changed |= matches!(out, std::borrow::Cow::Owned(_));
    let out = ATOM_TEXT_TYPE.replace_all(&out, |c: &regex::Captures<'_>| {
        let kind = c[2].trim().to_ascii_lowercase();
        let mapped = match kind.as_str() {
            "text" | "html" | "xhtml" | "text/html" => kind.clone(),
            "text/plain" | "plain" => "text".to_owned(),
            "application/xhtml+xml" => "xhtml".to_owned(),
            _ => "html".to_owned(),
        };
        if mapped != c[2] {
            changed = true;
        }
        format!("{}{}{}", &c[1], mapped, &c[3])
    });
    let out = out.into_owned();
    (
        out,
        changed.then_some("fixed Atom text constructs feed-rs refuses"),
    )
}

/// A body that stops before its root element closes keeps its complete items: cut after the
/// last `</item>` or `</entry>` and close what is open.
pub fn close_truncated(text: &str) -> Result<(String, Option<&'static str>), RepairError> {
    let Some(root) = root_name(text) else {
        return Ok((text.to_owned(), None));
    };
    if root.is_empty() || is_closed(text, root) {
        return Ok((text.to_owned(), None));
    }
    let cut = ["</item>", "</entry>"]
        .iter()
        .filter_map(|close| text.rfind(close).map(|p| p + close.len()))
        .max()
        .ok_or(RepairError::TruncatedEmpty)?;
    let mut fixed = text[..cut].to_owned();
    if root == "rss" {
        fixed.push_str("</channel>");
    }
    fixed.push_str(&format!("</{root}>"));
    Ok((
        fixed,
        Some("closed a truncated body after its last complete item"),
    ))
}

fn is_closed(text: &str, root: &str) -> bool {
    let close = format!("</{root}");
    match text.rfind(&close) {
        Some(p) => text[p + close.len()..].trim_start().starts_with('>'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ampersand_is_escaped() {
        let (t, fix) = fix_ampersands("<link>http://x/?a=1&b=2</link>");
        assert_eq!(t, "<link>http://x/?a=1&amp;b=2</link>");
        assert!(fix.is_some());
    }

    #[test]
    fn xml_entities_and_numeric_refs_are_kept() {
        let s = "<t>&amp; &lt; &#8230; &#x2019;</t>";
        assert_eq!(fix_ampersands(s), (s.to_owned(), None));
    }

    #[test]
    fn html_entities_become_numeric() {
        let (t, _) = fix_ampersands("<t>a&nbsp;b caf&eacute;</t>");
        assert_eq!(t, "<t>a&#160;b caf&#233;</t>");
    }

    #[test]
    fn unknown_entity_name_is_escaped() {
        let (t, _) = fix_ampersands("<t>&bogus;</t>");
        assert_eq!(t, "<t>&amp;bogus;</t>");
    }

    #[test]
    fn cdata_and_comments_are_untouched() {
        let s = "<t><![CDATA[a & b &nbsp;]]></t><!-- x & y -->";
        assert_eq!(fix_ampersands(s), (s.to_owned(), None));
    }

    #[test]
    fn rss_without_version_gets_2_0() {
        let (t, fix) =
            fix_rss_version("<?xml version=\"1.0\"?>\n<rss xmlns:dc=\"x\"><channel/></rss>");
        assert_eq!(
            t,
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:dc=\"x\"><channel/></rss>"
        );
        assert!(fix.is_some());
        let ok = "<rss version=\"2.0\"><channel/></rss>";
        assert_eq!(fix_rss_version(ok), (ok.to_owned(), None));
    }

    #[test]
    fn unknown_namespaces_are_renamed() {
        let (t, fix) = fix_namespaces("<rdf:RDF xmlns=\"http://my.netscape.com/rdf/simple/0.9/\">");
        assert_eq!(t, "<rdf:RDF xmlns=\"http://purl.org/rss/1.0/\">");
        assert!(fix.is_some());
        let (t, _) =
            fix_namespaces("<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\">");
        assert_eq!(t, "<rss version=\"2.0\">");
    }

    #[test]
    fn empty_atom_text_constructs_are_removed() {
        let body = "<feed><title/><entry><title type=\"html\"></title><summary>\n</summary><id>1</id></entry></feed>";
        let (t, fix) = fix_atom_text(body);
        assert_eq!(t, "<feed><entry><id>1</id></entry></feed>");
        assert!(fix.is_some());
    }

    #[test]
    fn unknown_atom_text_types_are_mapped() {
        let body = "<feed><title type=\"text/plain\">a</title><entry><summary type='HTML'>b</summary></entry></feed>";
        let (t, _) = fix_atom_text(body);
        assert_eq!(t, "<feed><title type=\"text\">a</title><entry><summary type='html'>b</summary></entry></feed>");
        let rss = "<rss version=\"2.0\"><channel><title/></channel></rss>";
        assert_eq!(fix_atom_text(rss), (rss.to_owned(), None));
    }

    #[test]
    fn truncated_rss_keeps_complete_items() {
        let body = "<rss version=\"2.0\"><channel><item><title>a</title></item><item><title>b";
        let (t, fix) = close_truncated(body).expect("has an item");
        assert_eq!(
            t,
            "<rss version=\"2.0\"><channel><item><title>a</title></item></channel></rss>"
        );
        assert!(fix.is_some());
    }

    #[test]
    fn truncated_root_close_without_gt_is_closed() {
        let body = "<rss version=\"2.0\"><channel><item><link>x</link></item></channel></rss";
        let (t, _) = close_truncated(body).expect("has an item");
        assert!(t.ends_with("</item></channel></rss>"));
    }

    #[test]
    fn truncated_atom_is_closed() {
        let body =
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id></entry><entry><id>2";
        let (t, _) = close_truncated(body).expect("has an entry");
        assert!(t.ends_with("<id>1</id></entry></feed>"));
    }

    #[test]
    fn truncated_before_any_item_is_an_error() {
        let body = "<rss version=\"2.0\"><channel><title>x</title><!-- server error -->";
        assert_eq!(close_truncated(body), Err(RepairError::TruncatedEmpty));
    }

    #[test]
    fn complete_body_is_untouched() {
        let body = "<feed><entry/></feed>\n<!-- cached -->\n";
        assert_eq!(close_truncated(body), Ok((body.to_owned(), None)));
    }

    #[test]
    fn bom_and_leading_whitespace_are_removed() {
        let (t, _) = to_utf8(b"\xef\xbb\xbf  <?xml version=\"1.0\" encoding=\"utf-8\"?><rss/>");
        assert_eq!(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>");
        let (t, _) = to_utf8(b"\n\n  <?xml version=\"1.0\"?><rss/>");
        assert!(t.starts_with("<?xml"));
    }

    #[test]
    fn mislabelled_latin1_that_is_utf8_stays_utf8() {
        let body = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>Café 테스트</t>".as_bytes();
        assert!(mislabelled_utf8(body));
        let (t, fix) = to_utf8(body);
        assert!(t.contains("Café 테스트"));
        assert!(t.contains("encoding=\"UTF-8\""));
        assert!(fix.is_some());
    }

    #[test]
    fn undeclared_invalid_utf8_is_windows_1252() {
        let (t, _) = to_utf8(b"<rss><t>caf\xe9 \x80</t></rss>");
        assert_eq!(t, "<rss><t>café €</t></rss>");
    }

    #[test]
    fn declared_gb2312_is_transcoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("<t>中文</t>");
        let mut body = b"<?xml version=\"1.0\" encoding=\"gb2312\"?>".to_vec();
        body.extend_from_slice(&bytes);
        let (t, _) = to_utf8(&body);
        assert_eq!(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>中文</t>");
    }

    #[test]
    fn utf16_without_bom_is_decoded() {
        let be: Vec<u8> = "<rss/>"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(to_utf8(&be).0, "<rss/>");
        let le: Vec<u8> = "<rss/>"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(to_utf8(&le).0, "<rss/>");
    }
}
