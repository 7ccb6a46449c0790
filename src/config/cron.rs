//! Crontab lines -> schedules in a time zone. Owns the translation of standard crontab syntax
//! (5 fields, or 6 with seconds first; day-of-week 0-7 with 0 and 7 = Sunday) to the `cron`
//! crate's, the crontab rule that a day matches when either a restricted day-of-month or a
//! restricted day-of-week matches, and daylight-saving behaviour as cronie has it: a fixed-time
//! job whose local time is skipped by the spring-forward change runs once at the first instant
//! after the gap, and one whose local time is repeated by the fall-back change runs once.
//! Jobs with `*` in the minute or hour field ("every N minutes") keep their rhythm instead.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};

/// How far around a local wall-clock time its instant can move (daylight-saving shifts are at
/// most two hours; three leaves room).
const SHIFT_SLACK: Duration = Duration::hours(3);

/// Longest daylight-saving gap searched for, in minutes.
const MAX_GAP_MINUTES: i64 = 48 * 60;

/// Candidate local times examined for one `next_after` before giving up.
const MAX_CANDIDATES: usize = 10_000;

/// A crontab schedule as the user wrote it.
#[derive(Debug, Clone)]
pub struct Cron {
    source: String,
    /// One schedule, or two when both day fields are restricted (crontab's "either day" rule).
    schedules: Vec<cron::Schedule>,
    /// `*` in the minute or hour field: local times skipped by a clock change are not made
    /// up for, and repeated ones run twice (as cron does for such jobs).
    repeats_hourly: bool,
}

impl PartialEq for Cron {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for Cron {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cron::parse(s)
    }
}

struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const SECOND: FieldSpec = FieldSpec {
    name: "second",
    min: 0,
    max: 59,
    names: &[],
};
const MINUTE: FieldSpec = FieldSpec {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: FieldSpec = FieldSpec {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY_OF_MONTH: FieldSpec = FieldSpec {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
/// Crontab numbering: 0 = Sunday … 6 = Saturday, 7 = Sunday again.
const DAY_OF_WEEK: FieldSpec = FieldSpec {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};
const DOW_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS_HELP: &str = "give 5 fields (minute hour day-of-month month day-of-week), like \"0 9 * * 1\", or 6 with seconds first";

/// `@daily` and its kind as five fields; any other line as it is.
fn expand_shortcut(source: &str) -> Result<String, String> {
    Ok(match source.to_ascii_lowercase().as_str() {
        "@hourly" => "0 * * * *".to_owned(),
        "@daily" | "@midnight" => "0 0 * * *".to_owned(),
        "@weekly" => "0 0 * * 0".to_owned(),
        "@monthly" => "0 0 1 * *".to_owned(),
        "@yearly" | "@annually" => "0 0 1 1 *".to_owned(),
        _ if source.starts_with('@') => {
            return Err(format!(
                "{source:?} is not a known shortcut (give @hourly, @daily, @weekly, @monthly or @yearly)"
            ))
        }
        _ => source.to_owned(),
    })
}

/// The cron crate's expressions for a crontab line (`rest`: minute to day of week): every
/// field checked and spelled out, and two expressions when both day fields are restricted
/// (crontab then runs on a day matching either).
fn cron_expressions(second: &str, rest: &[&str]) -> Result<Vec<String>, String> {
    let second_set = expand(second, &SECOND)?;
    let minute = expand(rest[0], &MINUTE)?;
    let hour = expand(rest[1], &HOUR)?;
    let dom = expand(rest[2], &DAY_OF_MONTH)?;
    let month = expand(rest[3], &MONTH)?;
    let mut dow = expand(rest[4], &DAY_OF_WEEK)?;
    if dow.contains(&7) {
        dow.retain(|&d| d != 7);
        if !dow.contains(&0) {
            dow.insert(0, 0);
        }
    }
    let numbers = |v: &[u32]| {
        v.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let dow_names = dow
        .iter()
        .map(|&d| DOW_NAMES[d as usize])
        .collect::<Vec<_>>()
        .join(",");
    let head = format!(
        "{} {} {}",
        numbers(&second_set),
        numbers(&minute),
        numbers(&hour)
    );
    let month_s = numbers(&month);
    Ok(if rest[2].starts_with('*') || rest[4].starts_with('*') {
        // One of them is unrestricted (or `*/n`): both must match, as crontab does.
        vec![format!("{head} {} {month_s} {dow_names}", numbers(&dom))]
    } else {
        vec![
            format!("{head} {} {month_s} *", numbers(&dom)),
            format!("{head} * {month_s} {dow_names}"),
        ]
    })
}

impl Cron {
    /// Parses a crontab line: `minute hour day-of-month month day-of-week`, optionally with a
    /// seconds field first, or one of `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`.
    pub fn parse(s: &str) -> Result<Cron, String> {
        let source = s.trim().to_owned();
        let expanded = expand_shortcut(&source)?;
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let (second, rest) = match fields.len() {
            5 => ("0", &fields[..]),
            6 => (fields[0], &fields[1..]),
            0 => return Err(format!("the schedule is empty; {FIELDS_HELP}")),
            n => return Err(format!("{source:?} has {n} fields; {FIELDS_HELP}")),
        };
        let mut schedules = Vec::new();
        for e in &cron_expressions(second, rest).map_err(|e| format!("{source:?}: {e}"))? {
            match cron::Schedule::from_str(e) {
                Ok(s) => schedules.push(s),
                Err(err) => return Err(format!("{source:?} cannot be scheduled: {err}")),
            }
        }
        let repeats_hourly = rest[0].starts_with('*') || rest[1].starts_with('*');
        let cron = Cron {
            source,
            schedules,
            repeats_hourly,
        };
        // A day that never comes (30 February) is a mistake, not a schedule.
        if cron.next_local(NaiveDateTime::default()).is_none() {
            return Err(format!(
                "{:?} never runs (no month has that day); check the day-of-month and month fields",
                cron.source
            ));
        }
        Ok(cron)
    }

    /// The first run strictly after `after`, the schedule read in local time in `tz`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
        // Outside these years local times overflow chrono; cron schedules no earlier runs.
        let earliest = DateTime::<Utc>::UNIX_EPOCH + Duration::days(1);
        if after.year() > 9000 {
            return None;
        }
        let after = after.max(earliest);
        let local_after = after.with_timezone(&tz).naive_local();
        // Around a daylight-saving change the next instant may have an earlier wall-clock time
        // than `after` (a repeated hour): look back then, and only then, so that schedules that
        // fire every second do not wade through hours of candidates.
        let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
        let steady = match (
            after.checked_sub_signed(SHIFT_SLACK),
            after.checked_add_signed(SHIFT_SLACK),
        ) {
            (Some(a), Some(b)) => offset(a) == offset(b),
            _ => false,
        };
        let mut cursor = if steady {
            local_after
        } else {
            local_after.checked_sub_signed(SHIFT_SLACK)?
        };
        let mut best: Option<DateTime<Utc>> = None;
        for _ in 0..MAX_CANDIDATES {
            let candidate = self.next_local(cursor)?;
            if let Some(b) = best {
                // Later local times cannot map to an earlier instant than `b` any more.
                if candidate - b.with_timezone(&tz).naive_local() > SHIFT_SLACK {
                    return best;
                }
            }
            for instant in self.instants(candidate, tz) {
                if instant > after && best.is_none_or(|b| instant < b) {
                    best = Some(instant);
                }
            }
            cursor = candidate;
        }
        best
    }

    /// The next `n` runs strictly after `after`.
    pub fn upcoming(
        &self,
        after: DateTime<Utc>,
        tz: chrono_tz::Tz,
        n: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut t = after;
        while out.len() < n {
            match self.next_after(t, tz) {
                Some(next) => {
                    out.push(next);
                    t = next;
                }
                None => break,
            }
        }
        out
    }

    /// The next matching wall-clock time strictly after `after` (no zone: every time exists).
    fn next_local(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        let start = Utc.from_utc_datetime(&after);
        self.schedules
            .iter()
            .filter_map(|s| s.after(&start).next())
            .min()
            .map(|t| t.naive_utc())
    }

    /// The instants at which a matching local time runs.
    fn instants(&self, local: NaiveDateTime, tz: chrono_tz::Tz) -> Vec<DateTime<Utc>> {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
            LocalResult::Ambiguous(early, late) if self.repeats_hourly => {
                vec![early.with_timezone(&Utc), late.with_timezone(&Utc)]
            }
            LocalResult::Ambiguous(early, _) => vec![early.with_timezone(&Utc)],
            LocalResult::None if self.repeats_hourly => Vec::new(),
            LocalResult::None => first_after_gap(local, tz).into_iter().collect(),
        }
    }
}

/// The first instant after the daylight-saving gap that swallowed `local`.
fn first_after_gap(local: NaiveDateTime, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let mut t = local.with_second(0)?.with_nanosecond(0)?;
    for _ in 0..MAX_GAP_MINUTES {
        t = t.checked_add_signed(Duration::minutes(1))?;
        if let Some(found) = tz.from_local_datetime(&t).earliest() {
            return Some(found.with_timezone(&Utc));
        }
    }
    None
}

/// One crontab field -> the sorted values it selects, in crontab numbering.
fn expand(field: &str, spec: &FieldSpec) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in field.split(',') {
        if part.is_empty() {
            return Err(format!(
                "{} field {field:?} has an empty list item",
                spec.name
            ));
        }
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("{} step {s:?} in {part:?} is not a number", spec.name))?;
                if step == 0 {
                    return Err(format!("{} step in {part:?} must be at least 1", spec.name));
                }
                // A step past the field's largest value selects only the first one: `*/90`
                // would run hourly, not every 90 minutes.
                if step > spec.max {
                    return Err(format!(
                        "{} step {step} is out of range 1-{}",
                        spec.name, spec.max
                    ));
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (
                spec.min,
                if spec.name == "day-of-week" {
                    6
                } else {
                    spec.max
                },
            )
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a, spec)?, value(b, spec)?);
            if a > b {
                return Err(format!(
                    "{} range {range:?} runs backwards (write the smaller value first)",
                    spec.name
                ));
            }
            (a, b)
        } else {
            let a = value(range, spec)?;
            // `5/15` means from 5 to the end, every 15.
            (a, if step > 1 { spec.max } else { a })
        };
        out.extend((lo..=hi).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn value(s: &str, spec: &FieldSpec) -> Result<u32, String> {
    if let Some(i) = spec.names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + if spec.name == "month" { 1 } else { 0 });
    }
    let n: u32 = s.parse().map_err(|_| {
        if spec.names.is_empty() {
            format!("{} {s:?} is not a number", spec.name)
        } else {
            format!(
                "{} {s:?} is not a number or a name like {}",
                spec.name, spec.names[1]
            )
        }
    })?;
    if n < spec.min || n > spec.max {
        return Err(format!(
            "{} {n} is out of range (give {}-{})",
            spec.name, spec.min, spec.max
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use chrono_tz::Tz;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn next(expr: &str, after: &str, tz: Tz) -> DateTime<Utc> {
        Cron::parse(expr)
            .unwrap()
            .next_after(utc(after), tz)
            .unwrap()
    }

    fn runs(expr: &str, after: &str, tz: Tz, n: usize) -> Vec<String> {
        Cron::parse(expr)
            .unwrap()
            .upcoming(utc(after), tz, n)
            .iter()
            .map(|t| t.to_rfc3339())
            .collect()
    }

    #[test]
    fn day_of_week_1_is_monday() {
        // 2016-05-17 was a Tuesday; the next Monday is 2016-05-23.
        let t = next("0 9 * * 1", "2016-05-17T12:00:00Z", chrono_tz::UTC);
        assert_eq!(t, utc("2016-05-23T09:00:00Z"));
        assert_eq!(t.weekday(), Weekday::Mon);
    }

    #[test]
    fn day_of_week_0_and_7_are_sunday() {
        for e in ["0 9 * * 0", "0 9 * * 7", "0 9 * * SUN", "0 9 * * sun"] {
            let t = next(e, "2016-05-17T12:00:00Z", chrono_tz::UTC);
            assert_eq!(t, utc("2016-05-22T09:00:00Z"), "{e}");
            assert_eq!(t.weekday(), Weekday::Sun, "{e}");
        }
        // 5-7 is Friday, Saturday, Sunday.
        let days: Vec<Weekday> = Cron::parse("0 9 * * 5-7")
            .unwrap()
            .upcoming(utc("2016-05-16T00:00:00Z"), chrono_tz::UTC, 3)
            .iter()
            .map(|t| t.weekday())
            .collect();
        assert_eq!(days, [Weekday::Fri, Weekday::Sat, Weekday::Sun]);
    }

    #[test]
    fn weekdays_by_name_and_number_agree() {
        let a = runs("0 9 * * MON-FRI", "2016-05-13T10:00:00Z", chrono_tz::UTC, 6);
        let b = runs("0 9 * * 1-5", "2016-05-13T10:00:00Z", chrono_tz::UTC, 6);
        assert_eq!(a, b);
        assert_eq!(
            a,
            [
                "2016-05-16T09:00:00+00:00",
                "2016-05-17T09:00:00+00:00",
                "2016-05-18T09:00:00+00:00",
                "2016-05-19T09:00:00+00:00",
                "2016-05-20T09:00:00+00:00",
                "2016-05-23T09:00:00+00:00",
            ]
        );
        assert_eq!(
            runs("0 9 * * 1,3", "2016-05-17T00:00:00Z", chrono_tz::UTC, 2),
            ["2016-05-18T09:00:00+00:00", "2016-05-23T09:00:00+00:00"]
        );
    }

    #[test]
    fn every_thirty_minutes() {
        assert_eq!(
            runs("*/30 * * * *", "2016-05-17T10:10:00Z", chrono_tz::UTC, 3),
            [
                "2016-05-17T10:30:00+00:00",
                "2016-05-17T11:00:00+00:00",
                "2016-05-17T11:30:00+00:00",
            ]
        );
        // Strictly after: a run time itself is not returned again.
        assert_eq!(
            next("*/30 * * * *", "2016-05-17T10:30:00Z", chrono_tz::UTC),
            utc("2016-05-17T11:00:00Z")
        );
    }

    #[test]
    fn month_names() {
        assert_eq!(
            runs("0 0 1 JAN,jul *", "2016-05-17T00:00:00Z", chrono_tz::UTC, 2),
            ["2016-07-01T00:00:00+00:00", "2017-01-01T00:00:00+00:00"]
        );
        assert_eq!(
            next("0 0 1 mar-may *", "2016-05-17T00:00:00Z", chrono_tz::UTC),
            utc("2017-03-01T00:00:00Z")
        );
    }

    #[test]
    fn six_fields_have_seconds_first() {
        assert_eq!(
            runs("30 0 9 * * 1", "2016-05-17T00:00:00Z", chrono_tz::UTC, 1),
            ["2016-05-23T09:00:30+00:00"]
        );
        assert_eq!(
            runs("*/20 * * * * *", "2016-05-17T00:00:00Z", chrono_tz::UTC, 3),
            [
                "2016-05-17T00:00:20+00:00",
                "2016-05-17T00:00:40+00:00",
                "2016-05-17T00:01:00+00:00"
            ]
        );
    }

    #[test]
    fn either_day_field_matches_when_both_are_restricted() {
        // crontab: the 1st of the month OR a Monday. 2016-05-17 is a Tuesday.
        assert_eq!(
            runs("0 9 1 * 1", "2016-05-24T00:00:00Z", chrono_tz::UTC, 3),
            [
                "2016-05-30T09:00:00+00:00",
                "2016-06-01T09:00:00+00:00",
                "2016-06-06T09:00:00+00:00"
            ]
        );
    }

    #[test]
    fn shortcuts_and_display() {
        let c = Cron::parse(" @weekly ").unwrap();
        assert_eq!(c.to_string(), "@weekly");
        assert_eq!(
            c.next_after(utc("2016-05-17T00:00:00Z"), chrono_tz::UTC),
            Some(utc("2016-05-22T00:00:00Z"))
        );
        assert_eq!(
            Cron::parse("0 9 * * MON-FRI").unwrap().to_string(),
            "0 9 * * MON-FRI"
        );
    }

    #[test]
    fn invalid_lines_say_what_is_wrong() {
        let e = Cron::parse("61 * * * *").unwrap_err();
        assert_eq!(e, "\"61 * * * *\": minute 61 is out of range (give 0-59)");
        let e = Cron::parse("* * * *").unwrap_err();
        assert!(
            e.contains("has 4 fields") && e.contains("give 5 fields"),
            "{e}"
        );
        let e = Cron::parse("0 24 * * *").unwrap_err();
        assert!(e.contains("hour 24 is out of range (give 0-23)"), "{e}");
        let e = Cron::parse("0 9 * * 8").unwrap_err();
        assert!(
            e.contains("day-of-week 8 is out of range (give 0-7)"),
            "{e}"
        );
        let e = Cron::parse("0 9 * * FUN").unwrap_err();
        assert!(e.contains("day-of-week \"FUN\" is not a number"), "{e}");
        let e = Cron::parse("*/0 * * * *").unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
        let e = Cron::parse("0 9 * * 5-1").unwrap_err();
        assert!(e.contains("runs backwards"), "{e}");
        let e = Cron::parse("0 0 30 2 *").unwrap_err();
        assert!(e.contains("never runs"), "{e}");
        assert!(Cron::parse("").unwrap_err().contains("empty"));
        assert!(Cron::parse("@sometimes").is_err());
        assert!(Cron::parse("0 9 * * 1,").is_err());
    }

    #[test]
    fn steps_past_a_fields_range_are_refused() {
        // `*/90` used to be accepted and ran hourly, while `61` was refused.
        for (line, message) in [
            ("*/90 * * * *", "minute step 90 is out of range 1-59"),
            ("*/61 * * * *", "minute step 61 is out of range 1-59"),
            ("*/60 * * * *", "minute step 60 is out of range 1-59"),
            ("10-40/75 * * * *", "minute step 75 is out of range 1-59"),
            ("0 */24 * * *", "hour step 24 is out of range 1-23"),
            ("0 0 */32 * *", "day-of-month step 32 is out of range 1-31"),
            ("0 0 1 */13 *", "month step 13 is out of range 1-12"),
            ("0 0 * * */8", "day-of-week step 8 is out of range 1-7"),
            ("*/60 * * * * *", "second step 60 is out of range 1-59"),
            ("0 5,*/70 * * * *", "minute step 70 is out of range 1-59"),
        ] {
            let e = Cron::parse(line).unwrap_err();
            assert_eq!(e, format!("{line:?}: {message}"));
        }
        // The largest steps still work.
        assert_eq!(
            runs("*/59 * * * *", "2016-05-17T10:10:00Z", chrono_tz::UTC, 2),
            ["2016-05-17T10:59:00+00:00", "2016-05-17T11:00:00+00:00"]
        );
        assert!(Cron::parse("0 0 */31 */12 */7").is_ok());
        assert!(Cron::parse("*/59 0 0 * * *").is_ok());
    }

    #[test]
    fn spring_forward_runs_a_skipped_daily_job_once_after_the_gap() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 2016-03-27: 02:00 CET jumps to 03:00 CEST (01:00Z); 02:30 does not exist.
        assert_eq!(
            runs("30 2 * * *", "2016-03-26T00:00:00Z", paris, 3),
            [
                "2016-03-26T01:30:00+00:00", // 02:30 CET
                "2016-03-27T01:00:00+00:00", // 03:00 CEST, the first instant after the gap
                "2016-03-28T00:30:00+00:00", // 02:30 CEST
            ]
        );
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2016-03-13: 02:00 EST jumps to 03:00 EDT (07:00Z).
        assert_eq!(
            runs("0 2 * * *", "2016-03-12T00:00:00Z", ny, 3),
            [
                "2016-03-12T07:00:00+00:00",
                "2016-03-13T07:00:00+00:00",
                "2016-03-14T06:00:00+00:00",
            ]
        );
    }

    #[test]
    fn fall_back_runs_a_repeated_daily_job_once() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 2016-10-30: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
        assert_eq!(
            runs("30 2 * * *", "2016-10-29T00:00:00Z", paris, 3),
            [
                "2016-10-29T00:30:00+00:00",
                "2016-10-30T00:30:00+00:00",
                "2016-10-31T01:30:00+00:00",
            ]
        );
        // Asked from inside the repeated hour, it does not run a second time.
        assert_eq!(
            next("30 2 * * *", "2016-10-30T01:00:00Z", paris),
            utc("2016-10-31T01:30:00Z")
        );
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2016-11-06: 02:00 EDT falls back to 01:00 EST; 01:30 happens at 05:30Z and 06:30Z.
        assert_eq!(
            runs("30 1 * * *", "2016-11-05T12:00:00Z", ny, 2),
            ["2016-11-06T05:30:00+00:00", "2016-11-07T06:30:00+00:00"]
        );
    }

    #[test]
    fn polling_keeps_its_rhythm_across_daylight_saving() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // Spring: 01:30 CET (00:30Z), then 03:00 CEST (01:00Z); the missing 02:xx are not made up.
        assert_eq!(
            runs("*/30 * * * *", "2016-03-27T00:15:00Z", paris, 3),
            [
                "2016-03-27T00:30:00+00:00",
                "2016-03-27T01:00:00+00:00",
                "2016-03-27T01:30:00+00:00"
            ]
        );
        // Autumn: every real half hour, through both passes of the repeated hour.
        assert_eq!(
            runs("*/30 * * * *", "2016-10-29T23:45:00Z", paris, 5),
            [
                "2016-10-30T00:00:00+00:00",
                "2016-10-30T00:30:00+00:00",
                "2016-10-30T01:00:00+00:00",
                "2016-10-30T01:30:00+00:00",
                "2016-10-30T02:00:00+00:00"
            ]
        );
    }

    #[test]
    fn the_cron_crate_alone_loses_and_doubles_runs() {
        // Why this module maps local times itself: cron 0.17 skips a local time that does not
        // exist and returns both instants of one that happens twice.
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let raw = cron::Schedule::from_str("0 30 2 * * *").unwrap();
        let spring: Vec<_> = raw
            .after(&utc("2016-03-26T12:00:00Z").with_timezone(&paris))
            .take(1)
            .map(|t| t.with_timezone(&Utc).to_rfc3339())
            .collect();
        assert_eq!(spring, ["2016-03-28T00:30:00+00:00"]);
        let autumn: Vec<_> = raw
            .after(&utc("2016-10-29T12:00:00Z").with_timezone(&paris))
            .take(2)
            .map(|t| t.with_timezone(&Utc).to_rfc3339())
            .collect();
        assert_eq!(
            autumn,
            ["2016-10-30T00:30:00+00:00", "2016-10-30T01:30:00+00:00"]
        );
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let c = Cron::parse("30 2 * * *").unwrap();
        let paris: Tz = "Europe/Paris".parse().unwrap();
        for t in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::UNIX_EPOCH,
        ] {
            let _ = c.next_after(t, paris);
            let _ = c.upcoming(t, paris, 3);
        }
        assert!(c.next_after(utc("2300-01-01T00:00:00Z"), paris).is_none());
    }

    #[test]
    fn weekly_draft_in_a_zone() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // Mondays 09:00 Paris: 07:00Z in summer.
        assert_eq!(
            next("0 9 * * 1", "2016-05-17T12:00:00Z", paris),
            utc("2016-05-23T07:00:00Z")
        );
    }

    #[test]
    fn every_second_schedules_fire_every_second() {
        let c = Cron::parse("* * * * * *").unwrap();
        for tz in [chrono_tz::UTC, chrono_tz::Europe::Paris] {
            let t = Utc.with_ymd_and_hms(2016, 5, 17, 12, 0, 0).unwrap();
            assert_eq!(c.next_after(t, tz), Some(t + Duration::seconds(1)));
        }
        // Also across the fall-back change, where wall-clock times repeat.
        let c = Cron::parse("*/10 * * * * *").unwrap();
        let t = Utc.with_ymd_and_hms(2016, 10, 30, 0, 59, 55).unwrap();
        assert_eq!(
            c.next_after(t, chrono_tz::Europe::Paris),
            Some(t + Duration::seconds(5))
        );
    }
}
