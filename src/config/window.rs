//! Windows: how far back a draft looks. A date (`2016-05-01`) or a span back from now
//! (`3w`, `21d`, `36h`).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// From the start of this day (UTC).
    Date(NaiveDate),
    /// This long before now.
    Span(Duration),
}

impl Window {
    pub fn parse(s: &str) -> Result<Window, String> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Window::Date(d));
        }
        let bad =
            || format!("{s:?} is not a date (2016-05-01) or a span back from now (3w, 21d, 36h)");
        let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (num, unit) = s.split_at(split);
        let n: u64 = num.parse().map_err(|_| bad())?;
        let unit_secs = match unit.trim() {
            "w" | "week" | "weeks" => 7 * 86400,
            "d" | "day" | "days" => 86400,
            "h" | "hour" | "hours" => 3600,
            "m" | "min" | "mins" => 60,
            _ => return Err(bad()),
        };
        let secs = n
            .checked_mul(unit_secs)
            .filter(|s| *s < 100 * 365 * 86400)
            .ok_or_else(bad)?;
        Ok(Window::Span(Duration::from_secs(secs)))
    }

    /// The first instant inside the window.
    pub fn start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Window::Date(d) => {
                Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            }
            Window::Span(span) => {
                now - chrono::Duration::from_std(*span).unwrap_or(chrono::Duration::zero())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_spans() {
        let now = Utc.with_ymd_and_hms(2016, 5, 17, 12, 0, 0).unwrap();
        assert_eq!(
            Window::parse("3w").unwrap().start(now),
            Utc.with_ymd_and_hms(2016, 4, 26, 12, 0, 0).unwrap()
        );
        assert_eq!(Window::parse("21d").unwrap(), Window::parse("3w").unwrap());
        assert_eq!(
            Window::parse("2016-05-01").unwrap().start(now),
            Utc.with_ymd_and_hms(2016, 5, 1, 0, 0, 0).unwrap()
        );
        assert!(Window::parse("soon").is_err());
        assert!(Window::parse("3y").is_err());
        assert!(Window::parse("99999999999w").is_err());
    }
}
