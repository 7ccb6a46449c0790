//! (stub until branch a lands)
use crate::item::Item;
use crate::parse::ParsedFeed;
pub struct Context<'a> {
    pub source: &'a crate::config::Source,
    pub global: &'a crate::config::Filters,
    pub aliases: &'a std::collections::BTreeMap<String, String>,
    pub base: Option<&'a url::Url>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub max_items: usize,
}
pub struct Extracted {
    pub items: Vec<Item>,
    pub filtered: usize,
    pub dropped: Vec<String>,
}
pub fn extract(_feed: &ParsedFeed, _cx: &Context<'_>) -> Extracted {
    Extracted {
        items: vec![],
        filtered: 0,
        dropped: vec![],
    }
}
