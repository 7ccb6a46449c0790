//! JSON bodies: a JSON Feed feed-rs refused gets the field shapes generators get wrong fixed
//! and one more try; JSON of any other kind is named as such.

use url::Url;

use super::convert::{convert, describe, run_feed_rs};
use super::{ParseError, ParsedFeed};

/// Field shapes JSON Feed generators get wrong and feed-rs refuses: `"tags": "a,b"` and
/// `"author": "Name"`.
fn fix_json_item(item: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(obj) = item else { return };
    if let Some(Value::String(tags)) = obj.get("tags") {
        let list = tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Value::String(t.to_owned()))
            .collect();
        obj.insert("tags".to_owned(), Value::Array(list));
    }
    if let Some(Value::String(name)) = obj.get("author") {
        let person = serde_json::json!({ "name": name });
        obj.insert("author".to_owned(), person);
    }
    pad_author_names(obj);
}

/// The author names of an item or feed, padded for feed-rs (see `person`).
fn pad_author_names(obj: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::Value;
    let pad = |person: &mut Value| {
        if let Some(Value::String(name)) = person.get_mut("name") {
            if let Some(padded) = super::person::pad_name(name) {
                *name = padded;
            }
        }
    };
    if let Some(author) = obj.get_mut("author") {
        pad(author);
    }
    if let Some(Value::Array(authors)) = obj.get_mut("authors") {
        authors.iter_mut().for_each(pad);
    }
}

/// JSON: a JSON Feed feed-rs refused gets its `version` normalised (feeds say http://) and
/// one more try; JSON of any other kind is named as such.
pub(super) fn parse(
    bytes: &[u8],
    base: Option<&Url>,
    first: Option<feed_rs::parser::ParseFeedError>,
) -> Result<ParsedFeed, ParseError> {
    let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => v,
        Err(e) => return Err(ParseError::NotAFeed(format!("broken JSON: {e}"))),
    };
    let serde_json::Value::Object(mut map) = value else {
        return Err(ParseError::NotAFeed(
            "JSON that is not a JSON Feed (not an object)".to_owned(),
        ));
    };
    let is_json_feed = map
        .get("version")
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.contains("jsonfeed.org"));
    if !is_json_feed {
        let keys: Vec<&str> = map.keys().take(5).map(String::as_str).collect();
        return Err(ParseError::NotAFeed(format!(
            "JSON that is not a JSON Feed (no \"version\" naming jsonfeed.org; top-level keys: {})",
            keys.join(", ")
        )));
    }
    map.insert(
        "version".to_owned(),
        serde_json::Value::String("https://jsonfeed.org/version/1.1".to_owned()),
    );
    if let Some(serde_json::Value::Array(items)) = map.get_mut("items") {
        items.iter_mut().for_each(fix_json_item);
    }
    pad_author_names(&mut map);
    let fixed = serde_json::to_vec(&serde_json::Value::Object(map)).unwrap_or_default();
    match run_feed_rs(&fixed, base) {
        Ok(feed) => Ok(convert(feed, &fixed, base)),
        Err(e) => Err(ParseError::Malformed(format!(
            "JSON Feed: {}",
            describe(first.as_ref().unwrap_or(&e))
        ))),
    }
}
