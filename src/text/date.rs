//! Dates as pages, editors and servers write them -> an instant in UTC. The one date parser:
//! HTML sources' datelines, a draft's front matter and an HTTP `Retry-After` date all go through
//! `parse`, which returns `None` when the text holds no date it knows.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use regex::Regex;

/// The instant `s` names, tried in this order: a relative date read back from `now` ("3 days
/// ago", "yesterday"); RFC 3339; RFC 2822; `2016-05-17 17:18:56 +0200`;
/// `2016-05-17[ 17:18[:56]][ UTC]`; else a date written out somewhere in the text (`2016-05-17`,
/// `May 17, 2016`, `17 May 2016`), read as midnight UTC.
pub fn parse(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = s.trim();
    relative(s, now)
        .or_else(|| timestamp(s))
        .or_else(|| written_out(s))
}

/// "3 days ago", "an hour ago", "yesterday", "today", "just now".
fn relative(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    static AGO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\b(\d{1,4}|an?|one)\s+(second|minute|min|hour|day|week|month|year)s?\s+ago\b",
        )
        .expect("the relative date pattern is valid")
    });
    let lower = s.to_ascii_lowercase();
    if let Some(c) = AGO.captures(&lower) {
        let n: i64 = match &c[1] {
            "a" | "an" | "one" => 1,
            n => n.parse().ok()?,
        };
        let unit = match &c[2] {
            "second" => Duration::seconds(1),
            "minute" | "min" => Duration::minutes(1),
            "hour" => Duration::hours(1),
            "day" => Duration::days(1),
            "week" => Duration::weeks(1),
            "month" => Duration::days(30),
            _ => Duration::days(365),
        };
        return now.checked_sub_signed(unit * i32::try_from(n).ok()?);
    }
    match lower.trim() {
        "today" | "just now" => Some(now),
        "yesterday" => Some(now - Duration::days(1)),
        _ => None,
    }
}

/// A whole timestamp: RFC 3339, RFC 2822, `%Y-%m-%d %H:%M:%S %z`, or a date with an optional
/// time of day and an optional `UTC` after it (`2016-5-7` too).
fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z") {
        return Some(t.with_timezone(&Utc));
    }
    let bare = s.strip_suffix("UTC").unwrap_or(s).trim();
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(bare, format).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(bare, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
        })
        .map(|t| t.and_utc())
}

/// A date written out somewhere in the text (`Posted on May 17th, 2016 by admin`), as midnight
/// UTC: ISO first, then month first, then day first.
fn written_out(s: &str) -> Option<DateTime<Utc>> {
    static ISO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").expect("the ISO date pattern is valid")
    });
    static MONTH_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
            .expect("the month-first date pattern is valid")
    });
    static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(\d{4})\b")
            .expect("the day-first date pattern is valid")
    });
    let date = if let Some(c) = ISO.captures(s) {
        NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
    } else if let Some(c) = MONTH_FIRST.captures(s) {
        NaiveDate::from_ymd_opt(c[3].parse().ok()?, month(&c[1])?, c[2].parse().ok()?)
    } else if let Some(c) = DAY_FIRST.captures(s) {
        NaiveDate::from_ymd_opt(c[3].parse().ok()?, month(&c[2])?, c[1].parse().ok()?)
    } else {
        None
    }?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

fn month(abbr: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let abbr = abbr.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == abbr).map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn relative_dates() {
        let now = utc("2026-12-02T12:00:00Z");
        assert_eq!(parse("3 days ago", now), Some(utc("2026-11-29T12:00:00Z")));
        assert_eq!(
            parse("Posted an hour ago", now),
            Some(utc("2026-12-02T11:00:00Z"))
        );
        assert_eq!(parse("yesterday", now), Some(utc("2026-12-01T12:00:00Z")));
        assert_eq!(parse("2 weeks ago", now), Some(utc("2026-11-18T12:00:00Z")));
        assert_eq!(parse("soon", now), None);
    }

    #[test]
    fn date_formats() {
        let d = |s| parse(s, Utc::now()).map(|t| t.to_rfc3339());
        assert_eq!(
            d("2016-05-17T17:18:56+02:00").as_deref(),
            Some("2016-05-17T15:18:56+00:00")
        );
        assert_eq!(
            d("Tue, 17 May 2016 17:18:56 +0000").as_deref(),
            Some("2016-05-17T17:18:56+00:00")
        );
        for s in [
            "2016-05-17",
            "May 17, 2016",
            "17 May 2016",
            "Posted on May 17th, 2016 by admin",
            "Sept. 17 2016",
        ] {
            let want = if s.starts_with("Sept") {
                "2016-09-17"
            } else {
                "2016-05-17"
            };
            assert_eq!(
                d(s).as_deref(),
                Some(&*format!("{want}T00:00:00+00:00")),
                "{s}"
            );
        }
        assert_eq!(d("someday"), None);
        assert_eq!(d("2016-13-45"), None);
    }

    #[test]
    fn front_matter_dates_with_a_time_of_day() {
        let d = |s| parse(s, Utc::now()).map(|t| t.to_rfc3339());
        for s in [
            "2016-05-17 17:18:56 UTC",
            "2016-05-17 17:18:56",
            "2016-05-17 19:18:56 +0200",
            " 2016-05-17 17:18:56 UTC ",
        ] {
            assert_eq!(d(s).as_deref(), Some("2016-05-17T17:18:56+00:00"), "{s}");
        }
        assert_eq!(
            d("2016-05-17 17:18 UTC").as_deref(),
            Some("2016-05-17T17:18:00+00:00")
        );
        for s in ["2016-05-17 UTC", "2016-5-17"] {
            assert_eq!(d(s).as_deref(), Some("2016-05-17T00:00:00+00:00"), "{s}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse("Wed, 21 Oct 2015 07:28:00 GMT", Utc::now()),
            Some(utc("2015-10-21T07:28:00Z"))
        );
    }
}
