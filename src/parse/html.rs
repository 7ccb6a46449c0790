//! (stub until branch c lands)
use super::{ParseError, ParsedFeed};
pub fn scrape(_html: &[u8], _sel: &crate::config::HtmlSelectors, _base: &url::Url) -> Result<ParsedFeed, ParseError> {
    Err(ParseError::Empty)
}
