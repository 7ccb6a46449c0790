//! What feed-rs drops and the roundup needs, read from the raw feed in one pass with quick-xml:
//! each item's `feedburner:origLink` (keyed by the item's guid, id and links, so that a converted
//! entry finds its own), the channel's `dc:creator`, and the Atom link an RSS item carries under
//! a prefix (`<a10:link href>`), which feed-rs does not read there. Text and attribute values are
//! taken as written and entity-decoded here, CDATA unwrapped.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::text::{attr, decode_entities};

/// What the scan found.
#[derive(Debug, Default, PartialEq)]
pub struct Extensions {
    /// `feedburner:origLink` by each of its item's guid, id, `<link>` text and alternate href.
    pub orig_links: HashMap<String, String>,
    /// The first `dc:creator` before the first item: the channel's author.
    pub channel_creator: Option<String>,
    /// For every RSS `<item>` in order, the href of its first prefixed `link` (rel absent or
    /// "alternate").
    pub item_links: Vec<Option<String>>,
}

/// Reads `raw` (UTF-8, bad bytes replaced) to its end, or to the first point quick-xml cannot
/// read past, keeping what was found before it.
pub fn scan(raw: &[u8]) -> Extensions {
    let text = String::from_utf8_lossy(raw);
    let mut reader = Reader::from_str(&text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    let mut scan = Scan::default();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if scan.wants_text(&e) => {
                let body = reader
                    .read_to_end(e.name())
                    .ok()
                    .and_then(|span| text.get(span.start as usize..span.end as usize));
                scan.text_field(&e, body);
            }
            Ok(Event::Start(e)) => scan.start(&e),
            Ok(Event::Empty(e)) => scan.empty(&e),
            Ok(Event::End(e)) => scan.end(e.name().into_inner()),
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    scan.finish()
}

/// One item or entry as read so far. A field is `None` until its first element is met; that
/// first element decides it, empty or not.
#[derive(Default)]
struct Item {
    rss: bool,
    orig_link: Option<Option<String>>,
    guid: Option<Option<String>>,
    id: Option<Option<String>>,
    link: Option<Option<String>>,
    alternate: Option<String>,
    prefixed: Option<String>,
}

#[derive(Default)]
struct Scan {
    found: Extensions,
    item: Option<Item>,
    seen_item: bool,
    creator: Option<Option<String>>,
}

impl Scan {
    /// Whether the element just opened is a text field still to be read.
    fn wants_text(&self, e: &BytesStart<'_>) -> bool {
        let name = e.name().into_inner();
        match &self.item {
            Some(item) => item.field(name).is_some_and(|f| f.is_none()),
            None => name == "dc:creator" && !self.seen_item && self.creator.is_none(),
        }
    }

    /// A start tag that is not a text field to read: an item begins, or a link inside one.
    fn start(&mut self, e: &BytesStart<'_>) {
        let name = e.name().into_inner();
        if matches!(name, "item" | "entry") {
            self.end_item();
            self.seen_item = true;
            self.item = Some(Item {
                rss: name == "item",
                ..Item::default()
            });
        } else if let Some(item) = &mut self.item {
            item.link_attributes(e);
        }
    }

    /// A text field read whole: `body` is its raw content.
    fn text_field(&mut self, e: &BytesStart<'_>, body: Option<&str>) {
        self.decide(e, body.and_then(text_value));
    }

    /// An empty element (`<link href="…"/>`): a link, or a text field with no text. An empty
    /// `<item/>` starts an item like any other, even inside an item (a malformed feed nests
    /// them): what follows it is that item's. Reading it otherwise would give such a feed's
    /// entries other links than they have always had, and so other keys.
    fn empty(&mut self, e: &BytesStart<'_>) {
        if matches!(e.name().into_inner(), "item" | "entry") {
            self.start(e);
        } else {
            self.decide(e, None);
        }
    }

    /// Settles the field `e` names, if it is still open, and reads a link's attributes.
    fn decide(&mut self, e: &BytesStart<'_>, value: Option<String>) {
        let name = e.name().into_inner();
        let Some(item) = &mut self.item else {
            if name == "dc:creator" && !self.seen_item {
                self.creator.get_or_insert(value);
            }
            return;
        };
        item.link_attributes(e);
        if let Some(field) = item.field_mut(name) {
            field.get_or_insert(value);
        }
    }

    fn end(&mut self, name: &str) {
        if matches!(name, "item" | "entry") {
            self.end_item();
        }
    }

    fn end_item(&mut self) {
        let Some(item) = self.item.take() else {
            return;
        };
        if let Some(Some(orig)) = &item.orig_link {
            let texts = [&item.guid, &item.id, &item.link];
            for key in texts.into_iter().flatten().flatten() {
                self.found.orig_links.insert(key.clone(), orig.clone());
            }
            if let Some(href) = &item.alternate {
                self.found.orig_links.insert(href.clone(), orig.clone());
            }
        }
        if item.rss {
            self.found.item_links.push(item.prefixed);
        }
    }

    fn finish(mut self) -> Extensions {
        self.end_item();
        self.found.channel_creator = self.creator.flatten();
        self.found
    }
}

impl Item {
    fn field(&self, name: &str) -> Option<&Option<Option<String>>> {
        match name {
            "feedburner:origLink" => Some(&self.orig_link),
            "guid" => Some(&self.guid),
            "id" => Some(&self.id),
            "link" => Some(&self.link),
            _ => None,
        }
    }

    fn field_mut(&mut self, name: &str) -> Option<&mut Option<Option<String>>> {
        match name {
            "feedburner:origLink" => Some(&mut self.orig_link),
            "guid" => Some(&mut self.guid),
            "id" => Some(&mut self.id),
            "link" => Some(&mut self.link),
            _ => None,
        }
    }

    /// A `link` element's href, when its rel is absent or "alternate": the first unprefixed one
    /// is the entry's alternate link, the first prefixed one in an RSS item its Atom link.
    fn link_attributes(&mut self, e: &BytesStart<'_>) {
        if e.local_name().into_inner() != "link" {
            return;
        }
        let (name, attrs) = (e.name().into_inner(), e.attributes_raw());
        let slot = if name == "link" {
            &mut self.alternate
        } else if self.rss {
            &mut self.prefixed
        } else {
            return;
        };
        if slot.is_some() || attr(attrs, "rel").unwrap_or("alternate") != "alternate" {
            return;
        }
        *slot = attr(attrs, "href").map(|href| decode_entities(href.trim()));
    }
}

/// An element's content as a value: trimmed, one CDATA section unwrapped, entities decoded;
/// `None` when nothing is left.
fn text_value(body: &str) -> Option<String> {
    let body = body.trim();
    let body = body
        .strip_prefix("<![CDATA[")
        .and_then(|b| b.strip_suffix("]]>"))
        .unwrap_or(body);
    let value = decode_entities(body.trim());
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orig_link_is_keyed_by_guid_link_and_alternate_href() {
        let feed = r#"<feed><entry><id>urn:1</id><link rel="alternate" href="https://proxy/1?a=1&amp;b=2"/>
<feedburner:origLink><![CDATA[ https://blog.example.org/1 ]]></feedburner:origLink></entry></feed>"#;
        let found = scan(feed.as_bytes());
        let orig = Some(&"https://blog.example.org/1".to_owned());
        assert_eq!(found.orig_links.get("urn:1"), orig);
        assert_eq!(found.orig_links.get("https://proxy/1?a=1&b=2"), orig);
        assert_eq!(found.orig_links.len(), 2);
    }

    #[test]
    fn channel_creator_is_the_first_before_any_item() {
        let rss = "<rss><channel><dc:creator> Ruben &amp; co </dc:creator><item>\
                   <dc:creator>Someone else</dc:creator></item></channel></rss>";
        assert_eq!(
            scan(rss.as_bytes()).channel_creator.as_deref(),
            Some("Ruben & co")
        );
        let rss = "<rss><channel><item><dc:creator>In an item</dc:creator></item></channel></rss>";
        assert_eq!(scan(rss.as_bytes()).channel_creator, None);
    }

    #[test]
    fn prefixed_links_per_rss_item_skip_rel_self() {
        let rss = r#"<rss><channel><item><a10:link rel="self" href="https://x/feed"/>
<a10:link href="https://x/a"/></item><item><title>b</title></item></channel></rss>"#;
        assert_eq!(
            scan(rss.as_bytes()).item_links,
            [Some("https://x/a".to_owned()), None]
        );
    }

    #[test]
    fn an_empty_item_inside_an_item_starts_another() {
        let rss = "<rss><channel><item><link>https://proxy/1</link><item />\
                   <feedburner:origLink>https://x/1</feedburner:origLink></item></channel></rss>";
        let found = scan(rss.as_bytes());
        assert!(found.orig_links.is_empty());
        assert_eq!(found.item_links.len(), 2);
    }
}
