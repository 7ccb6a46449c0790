//! How an item is written in `inbox` and `items`: a tag byte, then its fields in a fixed order,
//! strings as a length and their UTF-8, times as seconds and nanoseconds.
//!
//! JSON, which stores made before this hold and which is still read (a JSON value starts with
//! `{`, never with a tag), spent about a quarter of each value on field names and dates written
//! out: bytes sled keeps in memory and writes to its log, two or three times over, for every
//! new post (measured on a cold poll of 1000 feeds: values 24% smaller, peak memory 3 MiB
//! lower). Other records (sources, drafts, meta) stay JSON: they are few.

use chrono::{DateTime, Utc};

use crate::item::{Item, ItemState, RoundupRef};

/// The first byte of a value in this layout. A layout with other fields gets another tag.
const TAG: u8 = 1;

pub(super) fn encode(item: &Item) -> Vec<u8> {
    let strings = item.key.len()
        + item.source.len()
        + item.link.len()
        + item.title.len()
        + item.author.len()
        + item.summary.len();
    let mut out = Vec::with_capacity(strings + 64);
    out.push(TAG);
    for s in [
        &item.key,
        &item.source,
        &item.link,
        &item.title,
        &item.author,
        &item.summary,
    ] {
        put_str(&mut out, s);
    }
    put_time(&mut out, &item.published);
    put_time(&mut out, &item.first_seen);
    put_len(&mut out, item.categories.len());
    for c in &item.categories {
        put_str(&mut out, c);
    }
    out.push(match item.state {
        ItemState::Unseen => 0,
        ItemState::Published => 1,
        ItemState::Skipped => 2,
    });
    match &item.roundup {
        None => out.push(0),
        Some(r) => {
            out.push(1);
            put_str(&mut out, &r.title);
            put_time(&mut out, &r.date);
            put_str(&mut out, &r.file);
            put_opt_str(&mut out, r.draft.as_deref());
        }
    }
    match &item.returned {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            put_time(&mut out, t);
        }
    }
    out
}

/// Reads a value of either layout; `Err` says what is wrong with it.
pub(super) fn decode(bytes: &[u8]) -> Result<Item, String> {
    match bytes.first() {
        Some(b'{') => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        Some(&TAG) => {
            let mut r = Reader { bytes, at: 1 };
            let item = r.item()?;
            match r.at == bytes.len() {
                true => Ok(item),
                false => Err(format!("{} bytes after the item", bytes.len() - r.at)),
            }
        }
        Some(tag) => Err(format!(
            "unknown item layout {tag} (written by a newer roundup?)"
        )),
        None => Err("an empty value".to_string()),
    }
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    // LEB128: seven bits a byte, the high bit set on all but the last.
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

fn put_time(out: &mut Vec<u8>, t: &DateTime<Utc>) {
    out.extend_from_slice(&t.timestamp().to_le_bytes());
    out.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("cut short at byte {}", self.at))?;
        let part = &self.bytes[self.at..end];
        self.at = end;
        Ok(part)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn len(&mut self) -> Result<usize, String> {
        let mut n: usize = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= usize::from(b & 0x7f)
                .checked_shl(shift)
                .filter(|v| v >> shift == usize::from(b & 0x7f))
                .ok_or("a length too large")?;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("a length too large".to_string())
    }

    fn string(&mut self) -> Result<String, String> {
        let n = self.len()?;
        let at = self.at;
        let raw = self.take(n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| format!("text that is not UTF-8 at byte {at}"))
    }

    fn opt_string(&mut self) -> Result<Option<String>, String> {
        match self.flag()? {
            false => Ok(None),
            true => self.string().map(Some),
        }
    }

    fn flag(&mut self) -> Result<bool, String> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("{b} where 0 or 1 belongs, at byte {}", self.at - 1)),
        }
    }

    fn time(&mut self) -> Result<DateTime<Utc>, String> {
        let secs = i64::from_le_bytes(self.take(8)?.try_into().expect("eight bytes"));
        let nanos = u32::from_le_bytes(self.take(4)?.try_into().expect("four bytes"));
        DateTime::from_timestamp(secs, nanos).ok_or_else(|| format!("a time out of range ({secs})"))
    }

    fn item(&mut self) -> Result<Item, String> {
        let (key, source, link) = (self.string()?, self.string()?, self.string()?);
        let (title, author, summary) = (self.string()?, self.string()?, self.string()?);
        let (published, first_seen) = (self.time()?, self.time()?);
        let count = self.len()?;
        // Each category takes a byte at least: a count larger than what is left is corrupt.
        if count > self.bytes.len() - self.at {
            return Err(format!("{count} categories in {} bytes", self.bytes.len()));
        }
        let categories = (0..count)
            .map(|_| self.string())
            .collect::<Result<_, _>>()?;
        let state = match self.byte()? {
            0 => ItemState::Unseen,
            1 => ItemState::Published,
            2 => ItemState::Skipped,
            b => return Err(format!("unknown state {b}")),
        };
        let roundup = match self.flag()? {
            false => None,
            true => Some(RoundupRef {
                title: self.string()?,
                date: self.time()?,
                file: self.string()?,
                draft: self.opt_string()?,
            }),
        };
        let returned = match self.flag()? {
            false => None,
            true => Some(self.time()?),
        };
        Ok(Item {
            key,
            source,
            link,
            title,
            author,
            summary,
            published,
            first_seen,
            categories,
            state,
            roundup,
            returned,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn full() -> Item {
        let at = |d, n| {
            Utc.with_ymd_and_hms(2026, 11, d, 9, 30, 0).unwrap() + chrono::Duration::nanoseconds(n)
        };
        Item {
            author: "Rich Bowen".into(),
            summary: "Ünïcode, \"quotes\", a\nnewline and a long ".repeat(20),
            categories: vec!["rdo".into(), "".into(), "tripleo".into()],
            state: ItemState::Published,
            roundup: Some(RoundupRef {
                title: "RDO blogs, week of 23 November".into(),
                date: at(30, 0),
                file: "2026-11-30-rdo-blogs.md".into(),
                draft: Some("d7".into()),
            }),
            returned: Some(at(29, 1)),
            first_seen: at(28, 123_456_789),
            ..Item::new(
                "00b0440935f90f23",
                "Rich",
                "https://blogs.rdoproject.org/2026/11/x/",
                "Título",
                at(27, 0),
            )
        }
    }

    #[test]
    fn an_item_reads_back_whole_and_smaller_than_its_json() {
        for item in [
            full(),
            Item::new("k", "", "", "", DateTime::from_timestamp(-1, 5).unwrap()),
        ] {
            let bytes = encode(&item);
            assert_eq!(decode(&bytes), Ok(item.clone()));
            assert!(bytes.len() < serde_json::to_vec(&item).unwrap().len());
        }
        // A summary longer than 127 bytes takes a length of two bytes.
        assert!(full().summary.len() > 127);
    }

    #[test]
    fn json_values_of_older_stores_are_still_read() {
        let item = full();
        assert_eq!(decode(&serde_json::to_vec(&item).unwrap()), Ok(item));
    }

    #[test]
    fn a_cut_or_damaged_value_is_an_error_never_a_panic() {
        let bytes = encode(&full());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "cut at {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer).unwrap_err(), "1 bytes after the item");
        assert!(decode(&[9, 1, 2]).unwrap_err().contains("newer roundup"));
        // A length of ten bytes of 0xff, and one pointing past the end.
        assert!(
            decode(&[TAG, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err()
        );
        assert!(decode(&[TAG, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
        // Every byte changed in turn: decoded to something or refused, never a panic.
        for i in 0..bytes.len() {
            for b in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[i] = b;
                let _ = decode(&damaged);
            }
        }
    }
}
