//! A draft's front matter, read back: its title and date (the editor's, never a window), and
//! where its body starts.

use chrono::{DateTime, Utc};

/// The title, the date and the body of a draft.
pub fn front_matter(text: &str) -> Result<(String, DateTime<Utc>, &str), String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(
            "it does not start with front matter (a first line \"---\"); was it a roundup draft?"
                .into(),
        );
    }
    let mut consumed = first.len();
    let mut title = None;
    let mut date = None;
    let mut closed = false;
    for (n, line) in lines.enumerate() {
        consumed += line.len();
        let l = line.trim_end();
        if l == "---" || l == "..." {
            closed = true;
            break;
        }
        if let Some((key, value)) = l.split_once(':') {
            match key {
                "title" => title = Some(unquote(value.trim())),
                "date" => date = Some((n + 2, unquote(value.trim()))),
                _ => {}
            }
        }
    }
    if !closed {
        return Err("its front matter never ends (no closing line \"---\")".into());
    }
    let title = title
        .filter(|t| !t.is_empty())
        .ok_or("its front matter has no title (a line \"title: ...\")")?;
    let (line, date) =
        date.ok_or("its front matter has no date (a line \"date: 2016-05-17 17:18:56 UTC\")")?;
    let date = crate::text::date::parse(&date, Utc::now()).ok_or_else(|| {
        format!("line {line}: the date {date:?} is not like 2016-05-17 17:18:56 UTC")
    })?;
    Ok((title, date, &text[consumed..]))
}

fn unquote(v: &str) -> String {
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        let inner = &v[1..v.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push(' '),
                    Some('t') => out.push('\t'),
                    Some(o) => out.push(o),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        v[1..v.len() - 1].replace("''", "'")
    } else {
        v.to_owned()
    }
}
