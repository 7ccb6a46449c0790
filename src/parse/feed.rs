//! (stub until branch a lands)
use super::{ParseError, ParsedFeed};
pub fn parse(_bytes: &[u8], _base: Option<&url::Url>) -> Result<ParsedFeed, ParseError> {
    Err(ParseError::Empty)
}
