//! Items -> `DraftView` -> handlebars -> markdown. Owns the view the template sees (made for it,
//! never the stored `Item`), loading the editor's template (with the built-in copy as fallback),
//! and the markdown and YAML escaping registered with handlebars (see `escape`).

mod builtin;
pub mod escape;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::Serialize;
use serde_json::Value;

/// The template shipped in templates/roundup.md.hbs, used when the configured file is missing.
pub const BUILTIN_TEMPLATE: &str = include_str!("../../templates/roundup.md.hbs");

/// The name the built-in template reports in errors.
const BUILTIN_NAME: &str = "built-in templates/roundup.md.hbs";

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot read the template {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template {name} line {line}, column {column}: {reason} (fix the template; delete the file to use the built-in one)")]
    Syntax {
        name: String,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("template {name} line {line}, column {column}: {reason} (check the spelling against the fields listed at the top of templates/roundup.md.hbs)")]
    Render {
        name: String,
        line: usize,
        column: usize,
        reason: String,
    },
}

impl RenderError {
    /// The editor's template is at fault (it does not parse, names a field the view lacks, or
    /// cannot be read), not the program: a configuration problem.
    pub fn is_template_problem(&self) -> bool {
        match self {
            RenderError::Read { .. } => true,
            RenderError::Syntax { name, .. } | RenderError::Render { name, .. } => {
                name != BUILTIN_NAME
            }
        }
    }
}

/// What the template sees.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DraftView {
    /// The post's title, `{date}` replaced.
    pub title: String,
    pub author: String,
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    pub date: String,
    /// Joined with ", ".
    pub tags: String,
    /// Config text (markdown, printed as written).
    pub intro: String,
    /// Nothing new arrived: the body says so with `empty_text`.
    pub empty: bool,
    pub empty_text: String,
    pub series: Vec<SeriesView>,
    pub series_outro: String,
    pub items: Vec<ItemView>,
    pub read_more: String,
}

/// One configured series and the posts in it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeriesView {
    /// Config text (markdown).
    pub intro: String,
    pub entries: Vec<EntryView>,
}

/// One line of a series list: the title without the series prefix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntryView {
    pub title: String,
    pub link: String,
}

/// One post outside the series, its text as stored: the renderer `finish`es it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemView {
    pub title: String,
    pub author: String,
    pub summary: String,
    /// The short link, or the full link when there is none.
    pub link: String,
    pub full_link: String,
}

impl ItemView {
    /// The post as the template sees it: title, author and summary each one line
    /// (`escape::collapse`; a text that is one line already is kept, not copied), so that
    /// `{{#if summary}}` sees what the escape would print; an empty title is the link (`****`
    /// alone would print a rule).
    fn finish(&mut self) {
        use escape::collapsed;
        self.title = collapsed(std::mem::take(&mut self.title));
        if self.title.is_empty() {
            self.title.clone_from(&self.full_link);
        }
        self.author = collapsed(std::mem::take(&mut self.author));
        self.summary = collapsed(std::mem::take(&mut self.summary));
    }

    /// About how long the post is written out, `read_more` before its link.
    fn text_len(&self, read_more: &str) -> usize {
        self.title.len()
            + self.author.len()
            + self.summary.len()
            + 2 * self.link.len()
            + read_more.len()
            + 64
    }
}

/// The post's title with `{date}` replaced by the draft's date.
pub fn title_for(template: &str, now: DateTime<Utc>) -> String {
    template.replace("{date}", &now.format("%Y-%m-%d").to_string())
}

/// Where the `---` line that closes the front matter `text` opens with starts; `None` when it
/// opens with none.
pub fn front_matter_close(text: &str) -> Option<usize> {
    let rest = text.strip_prefix("---\n")?;
    if rest.starts_with("---\n") {
        return Some(4); // empty front matter
    }
    rest.find("\n---\n").map(|i| 4 + i + 1)
}

/// The front matter's date format.
pub fn front_matter_date(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `{{yaml v}}` and `{{url v}}`: helpers write straight to the output, so the markdown escape
/// does not run over what they already made safe for their place.
fn string_helper(
    name: &'static str,
    f: fn(&str) -> String,
) -> impl Fn(
    &Helper<'_>,
    &Handlebars<'_>,
    &Context,
    &mut RenderContext<'_, '_>,
    &mut dyn Output,
) -> HelperResult
       + Send
       + Sync {
    move |h, _, _, _, out| {
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
        let value = param.value().as_str().ok_or_else(|| {
            RenderErrorReason::ParamTypeMismatchForName(name, "0".into(), "string".into())
        })?;
        out.write(&f(value))?;
        Ok(())
    }
}

/// A URL as a markdown link target: whitespace and the characters that would end or confuse
/// the `(...)` part percent-encoded.
pub fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    link_target_into(url, &mut out);
    out
}

/// `link_target`, appended to `out`.
pub fn link_target_into(url: &str, out: &mut String) {
    let url = url.trim();
    // Nearly every link is printable ASCII with nothing to encode: copied whole.
    if url
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b'<' | b'>' | b'\\' | b'`'))
    {
        out.push_str(url);
        return;
    }
    for c in url.chars() {
        match c {
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '\\' => out.push_str("%5C"),
            '`' => out.push_str("%60"),
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

/// A compiled roundup template.
pub struct Renderer {
    hb: Handlebars<'static>,
    name: String,
    /// The template is the built-in one, word for word: rendered by `builtin`, not handlebars.
    builtin: bool,
    /// Set when the configured file was missing and the built-in template is used.
    pub warning: Option<String>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("name", &self.name)
            .finish()
    }
}

impl Renderer {
    /// Reads the template at `path` (read at every run, so editors can change it); without
    /// one, or when the named file does not exist, the built-in copy is used, and for a missing
    /// file `warning` says so.
    pub fn load(path: Option<&Path>) -> Result<Renderer, RenderError> {
        let Some(path) = path else {
            return Ok(Renderer::builtin());
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Renderer::compile(&path.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut r = Renderer::builtin();
                let warning = format!(
                    "template {} not found; using the built-in template",
                    path.display()
                );
                tracing::warn!(template = %path.display(), "template not found; using the built-in one");
                r.warning = Some(warning);
                Ok(r)
            }
            Err(source) => Err(RenderError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The template compiled into the program.
    pub fn builtin() -> Renderer {
        Renderer::compile(BUILTIN_NAME, BUILTIN_TEMPLATE)
            .expect("the built-in template compiles (checked by render tests)")
    }

    /// Compiles `text` in strict mode: a misspelt field is an error naming `name`, line and column.
    pub fn compile(name: &str, text: &str) -> Result<Renderer, RenderError> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(escape::markdown);
        hb.register_helper("yaml", Box::new(string_helper("yaml", escape::yaml)));
        hb.register_helper("url", Box::new(string_helper("url", link_target)));
        hb.register_template_string(name, text).map_err(|e| {
            let (line, column) = e.pos().unwrap_or((0, 0));
            RenderError::Syntax {
                name: name.to_owned(),
                line,
                column,
                reason: plain_reason(&e.reason().to_string()),
            }
        })?;
        Ok(Renderer {
            hb,
            name: name.to_owned(),
            builtin: text == BUILTIN_TEMPLATE,
            warning: None,
        })
    }

    /// The markdown post: blank-line runs collapsed, trailing spaces dropped (they would be
    /// hard line breaks), one final newline. The built-in template is written out by
    /// `builtin` (a fifth of a draft's time went to handlebars walking it); any other goes
    /// through handlebars.
    pub fn render(&self, mut view: DraftView) -> Result<String, RenderError> {
        let text = view.text_len();
        let size = text + text / 4 + 4096;
        if self.builtin {
            return Ok(tidy(builtin::render(view, size)));
        }
        view.items.iter_mut().for_each(ItemView::finish);
        self.render_with_handlebars(view, size).map(tidy)
    }

    /// What handlebars makes of the template, untidied. The view is taken whole: once
    /// handlebars holds its own copy of the text, ours goes (moved into it, not copied), and
    /// the output is sized for the text from the start (a draft of thousands of posts is tens
    /// of megabytes).
    fn render_with_handlebars(&self, view: DraftView, size: usize) -> Result<String, RenderError> {
        let failed = |e: handlebars::RenderError| RenderError::Render {
            name: self.name.clone(),
            line: e.line_no.unwrap_or(0),
            column: e.column_no.unwrap_or(0),
            reason: plain_reason(&e.reason().to_string()),
        };
        let ctx = Context::from(view.into_json());
        let mut raw = Vec::with_capacity(size);
        self.hb
            .render_with_context_to_write(&self.name, &ctx, &mut raw)
            .map_err(failed)?;
        drop(ctx);
        // Handlebars writes only `&str`s: the bytes are UTF-8.
        Ok(String::from_utf8(raw)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}

impl DraftView {
    /// The view as the template's data, what `serde_json::to_value` makes of it, with every
    /// string moved rather than copied.
    fn into_json(self) -> Value {
        fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
            Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        }
        let text = Value::String;
        let series = self.series.into_iter().map(|s| {
            let entries = s
                .entries
                .into_iter()
                .map(|e| object([("title", text(e.title)), ("link", text(e.link))]));
            object([
                ("intro", text(s.intro)),
                ("entries", Value::Array(entries.collect())),
            ])
        });
        let items = self.items.into_iter().map(|i| {
            object([
                ("title", text(i.title)),
                ("author", text(i.author)),
                ("summary", text(i.summary)),
                ("link", text(i.link)),
                ("full_link", text(i.full_link)),
            ])
        });
        object([
            ("title", text(self.title)),
            ("author", text(self.author)),
            ("date", text(self.date)),
            ("tags", text(self.tags)),
            ("intro", text(self.intro)),
            ("empty", Value::Bool(self.empty)),
            ("empty_text", text(self.empty_text)),
            ("series", Value::Array(series.collect())),
            ("series_outro", text(self.series_outro)),
            ("items", Value::Array(items.collect())),
            ("read_more", text(self.read_more)),
        ])
    }

    /// The bytes of text the view holds, about what it renders to.
    fn text_len(&self) -> usize {
        let items: usize = self.items.iter().map(|i| i.text_len(&self.read_more)).sum();
        let series: usize = self
            .series
            .iter()
            .flat_map(|s| &s.entries)
            .map(|e| e.title.len() + e.link.len() + 8)
            .sum();
        items + series
    }
}

/// Handlebars' reasons in words: `Failed to access variable in strict mode Some("titel")`
/// names no field a reader knows; the parser's expectations are grammar rule names.
fn plain_reason(reason: &str) -> String {
    if let Some(rest) = reason.strip_prefix("Failed to access variable in strict mode ") {
        let field = rest
            .trim_start_matches("Some(")
            .trim_end_matches(')')
            .trim_matches('"');
        return format!("no field named {field:?}");
    }
    if reason.contains("expected ") && reason.contains('_') {
        return "invalid handlebars syntax: a {{ or }} out of place, or a block not closed"
            .to_owned();
    }
    reason.to_owned()
}

/// Leading blank lines dropped, blank-line runs made one, trailing white space dropped, a
/// newline after every line: in place, each line moved toward the front over what was dropped
/// (a draft of thousands of posts is megabytes; a copy of it costs more).
fn tidy(text: String) -> String {
    let mut bytes = text.into_bytes();
    let len = bytes.len();
    let mut read = bytes
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .count();
    let (mut write, mut blank) = (0, false);
    while read < len {
        let end = memchr::memchr(b'\n', &bytes[read..]).map_or(len, |i| read + i);
        let kept = trimmed_len(&bytes[read..end]);
        if kept == 0 {
            blank = true;
        } else {
            // Every line dropped took a byte at least: the write end stays behind the read.
            if blank && write > 0 {
                bytes[write] = b'\n';
                write += 1;
            }
            blank = false;
            bytes.copy_within(read..read + kept, write);
            write += kept;
            if write < len {
                bytes[write] = b'\n';
            } else {
                bytes.push(b'\n');
            }
            write += 1;
        }
        read = end + 1;
    }
    bytes.truncate(write);
    // Only whole lines and newlines were moved: the bytes are still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The length of `line` without its trailing white space (as `str::trim_end` has it).
fn trimmed_len(line: &[u8]) -> usize {
    let mut n = line.len();
    while n > 0
        && matches!(
            line[n - 1],
            b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r'
        )
    {
        n -= 1;
    }
    if n > 0 && line[n - 1] >= 0x80 {
        return std::str::from_utf8(&line[..n]).map_or(n, |s| s.trim_end().len());
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2016, 5, 17, 17, 18, 56).unwrap()
    }

    fn view() -> DraftView {
        DraftView {
            title: title_for("RDO blogs over the last few weeks", now()),
            author: "rbowen".into(),
            date: front_matter_date(now()),
            tags: "blogs, openstack".into(),
            intro: "Here's what RDO enthusiasts have been blogging about over the last few weeks.".into(),
            empty: false,
            empty_text: "Nothing new has been posted since the last roundup.".into(),
            series: vec![SeriesView {
                intro: "I posted a number of \"**What Did You Do In Mitaka**\" interview posts, so here those are, all together:".into(),
                entries: vec![
                    EntryView { title: "Ivan Chavero".into(), link: "https://www.rdoproject.org/blog/2016/04/what-did-you-do-in-mitaka-ivan-chavero/".into() },
                    EntryView { title: "Haïkel Guémar".into(), link: "https://www.rdoproject.org/blog/2016/04/what-did-you-do-in-mitaka-haikel-guemar/".into() },
                ],
            }],
            series_outro: "Additionally, there were the following:".into(),
            items: vec![
                ItemView {
                    title: "Deploying the new OpenStack EC2 API project".into(),
                    author: "Tim Bell".into(),
                    summary: "OpenStack has supported a subset of the EC2 API since the start of the project. This was originally built in to Nova directly.".into(),
                    link: "http://tm3.org/6e".into(),
                    full_link: "http://openstack-in-production.blogspot.com/2016/04/deploying-new-openstack-ec2-api-project.html".into(),
                },
                ItemView {
                    title: "# *Hostile* [x](javascript:alert(1)) <script>alert(1)</script>".into(),
                    author: "<img src=x onerror=alert(1)>".into(),
                    summary: "---\n> not a quote\n- not a list _nor emphasis_".into(),
                    link: "https://example.org/a_(b)".into(),
                    full_link: "https://example.org/a_(b)".into(),
                },
            ],
            read_more: "... read more at".into(),
        }
    }

    #[test]
    fn rendered_format_is_pinned() {
        let out = Renderer::builtin().render(view()).unwrap();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn empty_window_still_makes_a_valid_post() {
        let mut v = view();
        v.series.clear();
        v.items.clear();
        v.empty = true;
        let out = Renderer::builtin().render(v).unwrap();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn misspelt_field_names_the_template_line_and_column() {
        let r = Renderer::compile("my.hbs", "---\ntitle: {{titel}}\n").unwrap();
        let err = r.render(view()).unwrap_err().to_string();
        assert!(err.contains("my.hbs line 2, column 8"), "{err}");
        assert!(err.contains("titel"), "{err}");
    }

    #[test]
    fn misspelt_field_in_an_editors_file_names_that_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/render/misspelt-field.md.hbs");
        let err = Renderer::load(Some(&path))
            .unwrap()
            .render(view())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("misspelt-field.md.hbs line 6, column"),
            "{err}"
        );
        assert!(err.contains("titel"), "{err}");
    }

    #[test]
    fn broken_template_is_a_syntax_error_naming_the_file() {
        let err = Renderer::compile("my.hbs", "{{#each items}}\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("template my.hbs line"), "{err}");
    }

    #[test]
    fn missing_template_file_falls_back_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let r = Renderer::load(Some(&dir.path().join("nope.hbs"))).unwrap();
        assert!(r.warning.as_deref().unwrap().contains("nope.hbs"));
        let custom = dir.path().join("t.hbs");
        std::fs::write(&custom, "{{title}}|{{yaml title}}").unwrap();
        let mut v = view();
        v.title = "A: *b*".into();
        let out = Renderer::load(Some(&custom)).unwrap().render(v).unwrap();
        assert_eq!(out, "A: \\*b\\*|\"A: *b*\"\n");
    }

    #[test]
    fn template_mistakes_are_said_in_words() {
        assert_eq!(
            plain_reason("Failed to access variable in strict mode Some(\"titel\")"),
            "no field named \"titel\""
        );
        assert!(plain_reason(
            "invalid handlebars syntax: expected trailing_tilde_to_omit_whitespace"
        )
        .contains("out of place"));
    }

    #[test]
    fn no_template_named_means_the_built_in_one_without_a_warning() {
        assert_eq!(Renderer::load(None).unwrap().warning, None);
    }

    #[test]
    fn title_takes_the_date() {
        assert_eq!(title_for("Roundup {date}", now()), "Roundup 2016-05-17");
        assert_eq!(front_matter_date(now()), "2016-05-17 17:18:56 UTC");
    }

    #[test]
    fn link_targets_cannot_break_out() {
        assert_eq!(link_target("https://x/a (b)"), "https://x/a%20%28b%29");
    }

    /// `tidy` as it was before it worked in place: what it must still do.
    fn tidy_by_lines(raw: &str) -> String {
        let mut out = String::new();
        let mut blank = 0;
        for line in raw.trim_start_matches(['\n', '\r']).lines() {
            let line = line.trim_end();
            if line.is_empty() {
                blank += 1;
                continue;
            }
            if blank > 0 && !out.is_empty() {
                out.push('\n');
            }
            blank = 0;
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    #[test]
    fn tidy_in_place_does_what_tidy_by_lines_did() {
        let parts = [
            "",
            "\n",
            "\r\n",
            "a",
            "é",
            "b  ",
            "c\t",
            " ",
            "\u{a0}",
            "x\u{a0}",
            "\u{3000}",
            "\x0b",
            "\r",
            "\n\n\n",
            "---",
            "* **[T](https://x/)** by A",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in ["", "\n", "\r\n", " \n\n"] {
                        let raw = format!("{a}{d}{b}\n{c}{d}");
                        assert_eq!(tidy(raw.clone()), tidy_by_lines(&raw), "{raw:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 16 * 16 * 16 * 4);
        let long = "line  \n\n\n\u{a0}\n".repeat(10_000) + "last";
        assert_eq!(tidy(long.clone()), tidy_by_lines(&long));
    }

    #[test]
    fn the_views_data_is_what_serde_makes_of_it() {
        let mut v = view();
        v.series = vec![SeriesView {
            intro: "A series".into(),
            entries: vec![EntryView {
                title: "Part 1".into(),
                link: "https://x/1".into(),
            }],
        }];
        assert_eq!(v.clone().into_json(), serde_json::to_value(&v).unwrap());
        assert!(!v.items.is_empty());
    }
}
