//! The review page: the current draft's posts as cards an editor can leave out, move, retitle
//! and publish from a browser, a preview of exactly what `publish` will write, feed health, and
//! the last roundup's posts by clicks. Server-rendered HTML (templates/review.html.hbs), plain
//! forms, no JavaScript. It listens on loopback; every change is a POST carrying the page's
//! token (and, when the browser sends one, an Origin of this page), so no other site can publish.
//!
//! The page works on the draft's record (`draft::review`); it writes the file only to publish,
//! and only when the file is still what roundup wrote: an editor's hand edits are never
//! overwritten, the page says so instead.

mod access;

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use handlebars::Handlebars;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::Config;
use crate::draft::record::DraftRecord;
use crate::draft::review::{self, Change, Edit, Review};
use crate::draft::select::LastPublished;
use crate::item::ItemState;
use crate::store::{Meta, Store};

const TEMPLATE: &str = include_str!("../../templates/review.html.hbs");

#[derive(Clone)]
struct Page {
    cfg: Arc<Config>,
    store: Store,
    token: Arc<String>,
    hb: Arc<Handlebars<'static>>,
    desk: Desk,
}

/// Held while the page changes the draft or publishes; the daemon's drafts hold it too, so a
/// scheduled draft never lands in the middle of a publish.
pub type Desk = Arc<tokio::sync::Mutex<()>>;

/// How the page is served.
#[derive(Clone, Default)]
pub struct Access {
    /// Answer requests naming any host, not only loopback ones.
    pub allow_remote: bool,
    pub desk: Desk,
}

/// The review page's routes; `token` must come back with every change.
pub fn router(cfg: Arc<Config>, store: Store, token: String, access: Access) -> Router {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_template_string("review", TEMPLATE)
        .expect("the review template parses");
    Router::new()
        .route("/", get(index))
        .route("/preview", get(preview))
        .route("/download", get(download))
        .route("/post/{key}", post(change))
        .route("/publish", post(publish))
        .with_state(Page {
            cfg,
            store,
            token: Arc::new(token),
            hb: Arc::new(hb),
            desk: access.desk,
        })
        .layer(axum::middleware::from_fn_with_state(
            access.allow_remote,
            access::loopback_host,
        ))
}

/// A form's fields: the token, what to do, and an edit's text.
#[derive(Debug, Deserialize)]
struct ChangeForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    action: String,
    title: Option<String>,
    author: Option<String>,
    summary: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
}

/// A post of the last roundup and the clicks on its short link.
#[derive(Serialize)]
struct Clicked {
    title: String,
    clicks: u64,
}

/// What the template sees on every page.
#[derive(Serialize)]
struct View<'a> {
    title: String,
    token: &'a str,
    file: String,
    /// The config's path, for the commands the page suggests.
    config: String,
    edited_by_hand: bool,
    health: String,
    posts: Vec<review::Card>,
    clicks: Vec<Clicked>,
    preview: Option<serde_json::Value>,
    message: Option<String>,
    error: Option<String>,
    published: bool,
}

impl Page {
    fn render(&self, view: &View<'_>) -> Response {
        match self.hb.render("review", view) {
            Ok(html) => Html(html).into_response(),
            Err(e) => fail(format!("the review page could not be rendered: {e}")),
        }
    }

    fn current(&self) -> Result<DraftRecord, Box<Response>> {
        match review::current(&self.store) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => {
                let clicks: String = self
                    .last_roundup_clicks()
                    .iter()
                    .map(|row| {
                        format!(
                            "<li>{}: {}</li>",
                            html_escape::encode_text(&row.title),
                            row.clicks
                        )
                    })
                    .collect();
                let clicks = if clicks.is_empty() {
                    String::new()
                } else {
                    format!("<section id=clicks><h2>The last roundup, by clicks</h2><ol>{clicks}</ol></section>")
                };
                Err(Box::new(Html(format!(
                    "<!doctype html><meta charset=utf-8><title>No draft</title><p id=message>There is no draft to review: run <code>roundup --config {} draft</code> first.</p>{clicks}",
                    html_escape::encode_text(&self.cfg.path.display().to_string())
                ))
                .into_response()))
            }
            Err(e) => Err(Box::new(fail(e.to_string()))),
        }
    }

    fn view(&self, record: &DraftRecord, message: Option<String>) -> Result<View<'_>, String> {
        let posts = review::cards(&self.cfg, &self.store, record).map_err(|e| e.to_string())?;
        let health = crate::health::check(&self.cfg, &self.store, Utc::now())
            .map_err(|e| e.to_string())?
            .comment(&self.cfg);
        let health = health
            .trim_start_matches("<!-- roundup: feed health (this comment is not published)")
            .trim_end()
            .trim_end_matches("-->")
            .trim()
            .to_owned();
        Ok(View {
            title: record.title.clone(),
            token: &self.token,
            file: record
                .file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default(),
            config: self.cfg.path.display().to_string(),
            edited_by_hand: review::edited_by_hand(record),
            health,
            posts,
            clicks: self.last_roundup_clicks(),
            preview: None,
            message,
            error: None,
            published: false,
        })
    }

    /// The posts of the last published roundup, most clicked first.
    fn last_roundup_clicks(&self) -> Vec<Clicked> {
        let Ok(Some(last)) = self.store.meta::<LastPublished>(Meta::LastPublished) else {
            return Vec::new();
        };
        let Some(Ok(Some(record))) = last
            .draft
            .as_deref()
            .map(|id| crate::draft::record::load(&self.store, id))
        else {
            return Vec::new();
        };
        let mut rows: Vec<(u64, String)> = record
            .items
            .iter()
            .filter_map(|d| {
                let item = self.store.item(&d.key).ok()??;
                if item.state != ItemState::Published {
                    return None;
                }
                let code = self.store.code_for(&d.link).ok()??;
                Some((self.store.clicks(&code).unwrap_or(0), item.title))
            })
            .collect();
        rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        rows.into_iter()
            .map(|(clicks, title)| Clicked { title, clicks })
            .collect()
    }
}

/// 128 bits from the operating system's random source, as hex.
fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn fail(message: String) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("error: {message}\n"),
    )
        .into_response()
}

async fn index(State(page): State<Page>) -> Response {
    let record = match page.current() {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    match page.view(&record, None) {
        Ok(view) => page.render(&view),
        Err(e) => fail(e),
    }
}

async fn preview(State(page): State<Page>) -> Response {
    let record = match page.current() {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let markdown = match review::markdown(&page.cfg, &page.store, &record, Utc::now()) {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(body_of(&markdown)));
    match page.view(&record, None) {
        Ok(mut view) => {
            view.preview = Some(json!({"markdown": markdown, "html": html}));
            page.render(&view)
        }
        Err(e) => fail(e),
    }
}

/// The markdown after its front matter: what a site renders.
fn body_of(markdown: &str) -> &str {
    markdown
        .strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|i| &rest[i + 5..]))
        .unwrap_or(markdown)
}

async fn download(State(page): State<Page>) -> Response {
    let record = match page.current() {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    match review::markdown(&page.cfg, &page.store, &record, Utc::now()) {
        Ok(markdown) => {
            let name = record
                .file
                .as_ref()
                .and_then(|f| f.file_name())
                .map(|n| n.to_string_lossy().replace('"', ""))
                .unwrap_or_else(|| "roundup.md".into());
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "text/markdown; charset=utf-8".to_owned(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                markdown,
            )
                .into_response()
        }
        Err(e) => fail(e.to_string()),
    }
}

async fn change(
    State(page): State<Page>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Response {
    if let Some(refused) = access::refusal(&headers, &form.token, &page.token) {
        return refused;
    }
    let _desk = page.desk.lock().await;
    let mut record = match page.current() {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    if !record.holds(&key) {
        return (StatusCode::NOT_FOUND, "error: no such post in this draft\n").into_response();
    }
    let change = match form.action.as_str() {
        "include" => Change::Include,
        "leave_out" => Change::LeaveOut,
        "up" => Change::Up,
        "down" => Change::Down,
        "edit" => Change::Edit(edit_of(&page, &record, &key, &form)),
        other => {
            return (
                StatusCode::BAD_REQUEST,
                format!("error: unknown action {other:?}\n"),
            )
                .into_response()
        }
    };
    let mut review: Review = record.review.take().map(|r| *r).unwrap_or_default();
    review.apply(&record, &key, change);
    record.review = Some(Box::new(review));
    let stored = page
        .store
        .put_draft(&record.id, None, &record)
        .and_then(|()| page.store.flush());
    match stored {
        Ok(()) => Redirect::to(&format!("/#post-{key}")).into_response(),
        Err(e) => fail(e.to_string()),
    }
}

/// The edit a form asks for: only what differs from the feed's text is kept.
fn edit_of(page: &Page, record: &DraftRecord, key: &str, form: &ChangeForm) -> Edit {
    let item = page.store.item(key).ok().flatten();
    let differs = |new: &Option<String>, old: Option<&String>| {
        new.as_ref()
            .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|n| Some(n) != old)
    };
    let _ = record;
    Edit {
        // A post needs a title: an empty one keeps the feed's.
        title: differs(&form.title, item.as_ref().map(|i| &i.title)).filter(|t| !t.is_empty()),
        author: differs(&form.author, item.as_ref().map(|i| &i.author)),
        summary: differs(&form.summary, item.as_ref().map(|i| &i.summary)),
    }
}

async fn publish(
    State(page): State<Page>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Some(refused) = access::refusal(&headers, &form.token, &page.token) {
        return refused;
    }
    let _desk = page.desk.lock().await;
    let record = match page.current() {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let mut view = match page.view(&record, None) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    if view.edited_by_hand {
        view.error = Some(format!(
            "Not published: {} was edited by hand since roundup wrote it, and this page does not overwrite an editor's file. Publish the file with: roundup --config {} publish {} (if roundup review opened this page, stop it first: it holds the store).",
            view.file, view.config, view.file
        ));
        return page.render(&view);
    }
    if !view.posts.iter().any(|p| p.included) {
        view.error = Some(
            "Not published: every post is left out, so nothing would go out. Include at least one post.".to_owned(),
        );
        return page.render(&view);
    }
    let now = Utc::now();
    let result = review::write(&page.cfg, &page.store, &record, now)
        .map_err(|e| e.to_string())
        .and_then(|path| {
            crate::publish::run(&page.cfg, &page.store, &path, now)
                .map(|r| {
                    format!(
                        "Published {} in \"{}\" of {}: {} went out, {} skipped. The file is {}.",
                        plural(r.posts.len(), "post", "posts"),
                        r.title,
                        r.date.format("%Y-%m-%d"),
                        r.published,
                        r.skipped,
                        path.display()
                    )
                })
                .map_err(|e| e.to_string())
        });
    match result {
        Ok(said) => {
            view.message = Some(said.trim().to_owned());
            view.published = true;
            view.posts = Vec::new();
            page.render(&view)
        }
        Err(e) => {
            view.error = Some(format!("Not published: {e}"));
            page.render(&view)
        }
    }
}

/// Serves the review page on `listener` until `stop`; `roundup review` and the daemon call it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    cfg: Arc<Config>,
    store: Store,
    access: Access,
    stop: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    let token = new_token()?;
    let app = router(cfg, store, token, access);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
}
