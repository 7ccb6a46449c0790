//! Short links: `codes` (short code -> URL) and `urls` (URL -> short code) for the builtin
//! shortener, with the sequence they are issued in (meta `next_code`), and the YOURLS answers
//! already received (meta `yourls:<url>`), so that a second draft gives the same links.

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::{Store, StoreError};

type TxResult<T> = Result<T, ConflictableTransactionError<String>>;

/// Where the YOURLS answer for a URL is kept in the `meta` tree.
const YOURLS_PREFIX: &str = "yourls:";

impl Store {
    /// The code already issued for `url`, if any.
    pub fn code_for(&self, url: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .urls
            .get(url.as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Adds redirects served to each code's count, in one batch.
    pub fn add_clicks(
        &self,
        served: &std::collections::HashMap<String, u64>,
    ) -> Result<(), StoreError> {
        let mut batch = super::Writes::default();
        for (code, n) in served {
            let total = self.clicks(code)? + n;
            batch.insert(code.as_bytes(), total.to_be_bytes());
        }
        self.apply(&self.clicks, batch)
    }

    /// How many redirects the builtin short link `code` has served.
    pub fn clicks(&self, code: &str) -> Result<u64, StoreError> {
        Ok(self
            .clicks
            .get(code.as_bytes())
            .map_err(|e| self.io(e))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// The URL a code was issued for, if it was.
    pub fn target_of(&self, code: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .codes
            .get(code.as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The code for `url`: the one issued before, or the next free one in the sequence
    /// `next(alphabet, previous)` starting at `start`. Atomic: two URLs never share a code.
    pub fn issue_code(&self, url: &str, alphabet: &str, start: &str) -> Result<String, StoreError> {
        let result = (&self.codes, &self.urls, &self.meta).transaction(
            |(codes, urls, meta)| -> TxResult<Option<String>> {
                if let Some(code) = urls.get(url.as_bytes())? {
                    return Ok(Some(String::from_utf8_lossy(&code).into_owned()));
                }
                let mut candidate = match meta.get(b"next_code")? {
                    Some(v) => String::from_utf8_lossy(&v).into_owned(),
                    None => start.to_owned(),
                };
                // Skip codes already taken (a start moved backwards, or codes imported by hand).
                let mut tries = 0;
                while codes.get(candidate.as_bytes())?.is_some() {
                    candidate = next_code(alphabet, &candidate);
                    tries += 1;
                    if tries > 1_000_000 {
                        return Ok(None);
                    }
                }
                codes.insert(candidate.as_bytes(), url.as_bytes())?;
                urls.insert(url.as_bytes(), candidate.as_bytes())?;
                meta.insert(b"next_code", next_code(alphabet, &candidate).as_bytes())?;
                Ok(Some(candidate))
            },
        );
        match result {
            Ok(Some(code)) => Ok(code),
            Ok(None) => Err(StoreError::CodesExhausted),
            Err(TransactionError::Abort(message)) => Err(self.corrupt("codes", message)),
            Err(TransactionError::Storage(e)) => Err(self.io(e)),
        }
    }

    /// The short link YOURLS gave for `url` before, if it did.
    pub fn yourls_link(&self, url: &str) -> Result<Option<String>, StoreError> {
        self.meta_at(&format!("{YOURLS_PREFIX}{url}"))
    }

    /// Remembers the short link YOURLS gave for `url`.
    pub fn put_yourls_link(&self, url: &str, short: &str) -> Result<(), StoreError> {
        self.put_meta_at(&format!("{YOURLS_PREFIX}{url}"), &short)
    }
}

/// The code after `code` in the sequence over `alphabet`: counting in base `alphabet.len()`
/// with the alphabet's characters as digits ("6e" -> "6f", "6z" -> "70", "zz" -> "100").
pub fn next_code(alphabet: &str, code: &str) -> String {
    let digits: Vec<char> = alphabet.chars().collect();
    if digits.is_empty() {
        return code.to_owned();
    }
    let mut out: Vec<char> = code.chars().collect();
    let mut i = out.len();
    loop {
        if i == 0 {
            out.insert(0, digits[1.min(digits.len() - 1)]);
            return out.into_iter().collect();
        }
        i -= 1;
        let pos = digits.iter().position(|c| *c == out[i]).unwrap_or(0);
        if pos + 1 < digits.len() {
            out[i] = digits[pos + 1];
            return out.into_iter().collect();
        }
        out[i] = digits[0];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_over_the_alphabet() {
        let a = "0123456789abcdefghijklmnopqrstuvwxyz";
        assert_eq!(next_code(a, "6e"), "6f");
        assert_eq!(next_code(a, "6z"), "70");
        assert_eq!(next_code(a, "zz"), "100");
        assert_eq!(next_code(a, ""), "1");
        let dash = "0123456789abcdefghijklmnopqrstuvwxyz-";
        assert_eq!(next_code(dash, "6z"), "6-");
        assert_eq!(next_code(dash, "6-"), "70");
    }

    #[test]
    fn next_code_never_panics_on_odd_input() {
        assert_eq!(next_code("", "abc"), "abc");
        assert_eq!(next_code("a", "a"), "aa");
        // A character outside the alphabet counts as its first digit.
        assert_eq!(next_code("01", "x"), "1");
    }
}
