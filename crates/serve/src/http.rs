//! The HTTP side: one handler that checks who is asking (the host named, then the token or the
//! browser's session), refuses writes, finds the backup a path is about (the root, or
//! `/backups/NAME/` of a location) and what it asks for, and answers JSON, a Table, a watch
//! stream or a Status. Paths are parsed here, not by a router, so that a hostile path is a
//! Status like any other mistake.

use crate::budget::{Budget, Reservation};
use crate::objects::{self, Mount, Request};
use crate::status::Status;
use crate::subresource::Subresource;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a watch is held open at most (the apiserver's default request timeout is of this
/// order); a client's shorter `timeoutSeconds` wins.
const WATCH_MAX: Duration = Duration::from_secs(1800);

/// What the server serves: one backup at the root, or a location's backups each under
/// `/backups/NAME/`, opened (and indexed) the first time they are asked for.
pub enum Mounts {
    One(Arc<Mount>),
    Location {
        /// The location as given (a folder or a URL); a backup is `ROOT/backups/NAME`.
        root: String,
        /// Backups opened so far. One that failed to open is not kept: the next request tries
        /// again (a file being copied in, a store that was unreachable for a moment).
        opened: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Arc<Mount>>>>>,
        open: crate::Opener,
    },
}

pub struct App {
    pub mounts: Mounts,
    /// Velero's own API at the root, when a location is served.
    pub velero: Option<crate::velero::Rescanned>,
    /// The web UI at `/ui/`, when a location is served.
    pub ui: Option<Arc<crate::ui::Ui>>,
    pub access: crate::access::Access,
    /// Requests worked on at once.
    pub busy: Semaphore,
    /// The memory answers may hold until their clients take them.
    pub budget: Budget,
    /// How long a request body may take to arrive (the limit on heads).
    pub body_time: Duration,
    /// How often a held watch that allows bookmarks gets one.
    pub bookmarks: Duration,
    /// Secret values shown (`--show-secrets`) rather than redacted.
    pub show_secrets: bool,
}

/// Runs blocking work (file reads, parsing, rendering) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Status> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Status::internal(format!("request failed: {e}")))
}

impl App {
    /// A request body, within its time and size (a dry-run manifest, an access review).
    async fn read_body(&self, body: Body) -> Result<bytes::Bytes, Status> {
        tokio::time::timeout(self.body_time, axum::body::to_bytes(body, MAX_BODY))
            .await
            .map_err(|_| {
                Status::bad_request(format!(
                    "the request body did not arrive within {} s",
                    self.body_time.as_secs_f64()
                ))
            })?
            .map_err(|_| Status::bad_request(format!("the request body is over {MAX_BODY} bytes")))
    }

    /// A request permit, or 429 when the server already works on as many as it takes.
    fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Status> {
        self.busy
            .try_acquire()
            .map_err(|_| Status::too_many_requests("too many requests at once; retry shortly"))
    }

    /// An answer's body, sent in chunks, holding its reservation of the memory budget until
    /// the client has taken it (or gone); an answer built without one reserves it now.
    fn body(&self, bytes: bytes::Bytes, mut reserved: Reservation) -> Result<Body, Status> {
        if reserved.is_empty() {
            reserved = self.budget.reserve(bytes.len() as u64)?;
        }
        if reserved.is_empty() {
            return Ok(Body::from(bytes));
        }
        const CHUNK: usize = 64 * 1024;
        let chunks: Vec<bytes::Bytes> = (0..bytes.len())
            .step_by(CHUNK)
            .map(|i| bytes.slice(i..(i + CHUNK).min(bytes.len())))
            .collect();
        let stream = futures::stream::iter(chunks).map(move |c| {
            let _held = &reserved;
            Ok::<_, std::io::Error>(c)
        });
        Ok(Body::from_stream(stream))
    }

    fn respond(
        &self,
        code: StatusCode,
        content_type: &'static str,
        text: String,
        reserved: Reservation,
    ) -> Response {
        match self.body(bytes::Bytes::from(text), reserved) {
            Ok(body) => (code, [(header::CONTENT_TYPE, content_type)], body).into_response(),
            Err(s) => s.into_response(),
        }
    }

    fn json(&self, code: StatusCode, v: &Value) -> Response {
        self.respond(
            code,
            "application/json",
            v.to_string(),
            Reservation::default(),
        )
    }
}

/// What every page of the web UI sends: no script, no framing, no sniffing, no referrer (a
/// page's URL names backups and objects), and nothing kept in a cache.
fn html_response(code: StatusCode, html: String) -> Response {
    let mut r = (
        code,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    secure_headers(r.headers_mut());
    r
}

pub fn secure_headers(h: &mut HeaderMap) {
    use axum::http::HeaderValue;
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// The query's parameters, decoded as a form is (`+` a space); a key given twice keeps its last
/// value.
pub fn query_params(q: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The path's segments, decoded; a segment that decodes to a `/`, a control character or `..`
/// is refused (object names never hold them), and so is one that is not UTF-8.
pub fn segments(path: &str) -> Result<Vec<String>, Status> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let d = percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map_err(|_| Status::bad_request("malformed path"))?
                .into_owned();
            if d.contains('/') || d == ".." || d == "." || d.chars().any(char::is_control) {
                return Err(Status::bad_request("malformed path"));
            }
            Ok(d)
        })
        .collect()
}

/// The largest request body read (a dry-run create's manifest).
const MAX_BODY: usize = 1 << 20;

pub async fn handle(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        app.access.check_host(&headers)?;
        if uri.path() == "/ui/login" && app.ui.is_some() {
            return login(&app, &uri);
        }
        if let Err(refused) = app.access.check_credential(&headers) {
            // A browser without its session is sent to say how to get one.
            if uri.path().starts_with("/ui") && app.ui.is_some() {
                return Ok(html_response(
                    StatusCode::UNAUTHORIZED,
                    crate::ui::login_needed(),
                ));
            }
            return Err(refused);
        }
        if uri.path() == "/" && app.ui.is_some() && method == Method::GET {
            return Ok(redirect("/ui/"));
        }
        if matches!(uri.path(), "/healthz" | "/readyz" | "/livez") {
            return Ok(
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok").into_response(),
            );
        }
        // The path and the query, parsed once for whatever answers.
        let segs = segments(uri.path())?;
        let query = query_params(uri.query());
        if method == Method::POST
            && let Some(kind) = crate::review::kind_at(&segs)
        {
            let bytes = app.read_body(body).await?;
            return Ok(app.json(StatusCode::CREATED, &crate::review::answer(kind, &bytes)?));
        }
        match velero_write(&app, &method, &segs) {
            Some(Ok(target)) => dry_run(&app, &method, &headers, target, query, body).await,
            Some(Err(s)) => Err(s),
            None => answer(&app, &method, &uri, segs, query, &headers).await,
        }
    }
    .await;
    match result {
        Ok(r) => r,
        Err(s) => s.into_response(),
    }
}

fn redirect(to: &'static str) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    secure_headers(r.headers_mut());
    r
}

/// The login link: its one-time token for a session cookie that only this site's own pages
/// send (SameSite=Strict) and no script can read (HttpOnly). It lasts 12 hours (a session cookie
/// would end with the browser process, and a headless one is a process per page); it is worth
/// nothing once the server stops, as sessions live in its memory only.
fn login(app: &App, uri: &Uri) -> Result<Response, Status> {
    let query = query_params(uri.query());
    let given = query.get("token").map_or("", String::as_str);
    match app.access.login(given) {
        Ok(session) => {
            let mut r = redirect("/ui/");
            let cookie = format!(
                "{}={session}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict",
                crate::access::COOKIE
            );
            if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(s) => Ok(html_response(s.code, crate::ui::error_page(&s))),
    }
}

/// A write to Velero's API at a location's root: (plural, namespace, the object's name for a
/// write to one object). None for anything else.
type VeleroTarget = (String, String, Option<String>);

fn velero_write(
    app: &Arc<App>,
    method: &Method,
    segs: &[String],
) -> Option<Result<VeleroTarget, Status>> {
    if app.velero.is_none()
        || !matches!(
            *method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        )
    {
        return None;
    }
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (ns, plural, name) = match segs.as_slice() {
        ["apis", "velero.io", "v1", "namespaces", ns, plural] => (*ns, *plural, None),
        ["apis", "velero.io", "v1", "namespaces", ns, plural, name] => (*ns, *plural, Some(*name)),
        _ => return None,
    };
    // POST creates in a collection; PUT and PATCH name one object; DELETE either (a collection's
    // is deletecollection).
    if *method != Method::DELETE && (*method == Method::POST) != name.is_none() {
        return Some(Err(Status::method_not_allowed(method.as_str())));
    }
    Some(Ok((
        plural.to_string(),
        ns.to_string(),
        name.map(str::to_string),
    )))
}

async fn dry_run(
    app: &Arc<App>,
    method: &Method,
    headers: &HeaderMap,
    (plural, ns, name): VeleroTarget,
    query: HashMap<String, String>,
    body: Body,
) -> Result<Response, Status> {
    use crate::velero::{PatchKind, Write};
    // The body first, within its time: no request permit is held while it trickles in.
    let bytes = app.read_body(body).await?;
    let _permit = app.permit()?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| Status::bad_request("the request body is not UTF-8"))?;
    let write = match *method {
        Method::PUT => Some(Write::Replace(text.clone())),
        Method::PATCH => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            Some(Write::Patch(PatchKind::of(content_type)?, text.clone()))
        }
        Method::DELETE => Some(Write::Delete),
        _ => None,
    };
    let listing = match (&app.velero, &write) {
        (Some(listed), Some(_)) => Some(listed.current().await),
        _ => None,
    };
    // A delete may say dryRun in its DeleteOptions body rather than the query (kubectl does).
    let options_dry_run = (*method == Method::DELETE)
        .then(|| serde_json::from_str::<Value>(&text).ok())
        .flatten()
        .and_then(|o| {
            o["dryRun"]
                .get(0)
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let (code, created) = blocking(move || {
        let dry_run = query
            .get("dryRun")
            .map(String::as_str)
            .or(options_dry_run.as_deref());
        let field_validation = query.get("fieldValidation").map(String::as_str);
        match (write, name, listing) {
            (Some(Write::Delete), None, Some(listing)) => crate::velero::dry_run_delete_collection(
                &listing.api,
                &plural,
                &ns,
                dry_run,
                &query,
            )
            .map(|list| (StatusCode::OK, crate::velero::Created::plain(list))),
            (Some(write), Some(name), Some(listing)) => crate::velero::dry_run_write(
                &listing.api,
                &plural,
                &ns,
                &name,
                write,
                dry_run,
                field_validation,
            ),
            _ => crate::velero::dry_run_create(&plural, &ns, dry_run, field_validation, &text)
                .map(|c| (StatusCode::CREATED, c)),
        }
    })
    .await??;
    let mut response = app.json(code, &created.object);
    for w in created.warnings {
        let value = format!("299 - \"{}\"", w.replace('"', "'"));
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            response.headers_mut().append(header::WARNING, v);
        }
    }
    Ok(response)
}

async fn answer(
    app: &Arc<App>,
    method: &Method,
    uri: &Uri,
    segs: Vec<String>,
    query: HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Response, Status> {
    if method != Method::GET && method != Method::HEAD {
        return Err(Status::method_not_allowed(method.as_str()));
    }
    let _permit = app.permit()?;
    if let (Some(ui), Some("ui")) = (&app.ui, segs.first().map(String::as_str)) {
        let ui = ui.clone();
        let rest = segs[1..].to_vec();
        let html = blocking(move || ui.render(&rest, &query)).await?;
        return Ok(match html {
            Ok(html) => html_response(StatusCode::OK, html),
            Err(s) => html_response(s.code, crate::ui::error_page(&s)),
        });
    }
    let (mount, rest) = match &app.mounts {
        Mounts::One(m) => (Some(m.clone()), &segs[..]),
        Mounts::Location { .. } => match segs.as_slice() {
            [b, name, rest @ ..] if b == "backups" => (Some(mount_of(app, name).await?), rest),
            _ => (None, &segs[..]),
        },
    };
    // Some(how long to hold it) when the request is a watch.
    let watch = matches!(query.get("watch").map(String::as_str), Some("true" | "1")).then(|| {
        query
            .get("timeoutSeconds")
            .and_then(|t| t.parse::<u64>().ok())
            .map_or(WATCH_MAX, |t| Duration::from_secs(t).min(WATCH_MAX))
    });
    let rest: Vec<String> = rest.to_vec();
    if rest == ["version"] {
        return Ok(app.json(StatusCode::OK, &version()));
    }
    let Some(mount) = mount else {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let Some(listed) = &app.velero else {
            return Err(Status::no_resource(uri.path()));
        };
        let listing = listed.current().await;
        let answer = velero_root(&listing.api, &rest, &query, host, uri.path())?;
        if let (Some(timeout), Some(items)) = (watch, answer["items"].as_array()) {
            // A watch of Velero's objects starts as a watch of any resource's.
            let start = crate::objects::WatchStart::of(&query);
            let mut events: Vec<Value> = if start.current {
                items
                    .iter()
                    .map(|o| json!({"type": "ADDED", "object": o}))
                    .collect()
            } else {
                Vec::new()
            };
            let kind = answer["kind"]
                .as_str()
                .unwrap_or("")
                .trim_end_matches("List");
            start.end(&mut events, kind, "velero.io/v1");
            let bookmark =
                allows_bookmarks(&query).then(|| crate::objects::bookmark(kind, "velero.io/v1"));
            return watch_response(app, events, Reservation::default(), timeout, bookmark);
        }
        return Ok(app.json(StatusCode::OK, &answer));
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let answer_as = negotiate(accept)?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let path = uri.path().to_string();
    let redact = !app.show_secrets;
    let bookmarks = allows_bookmarks(&query);
    let (app2, mount2) = (app.clone(), mount.clone());
    let discovery = is_discovery(&rest);
    let work = move || {
        let routed = route(
            &mount2,
            &rest,
            &query,
            answer_as,
            watch.is_some(),
            redact,
            &app2.budget,
            &host,
            &path,
        )?;
        // Written out on the thread that built it: the tree is dropped where it was allocated,
        // whose allocator then reuses those pages for the next request's.
        Ok::<_, Status>(match (routed, answer_as) {
            (Routed::Json(v, reserved), AnswerAs::Json) => Routed::Written(v.to_string(), reserved),
            (Routed::Json(mut v, reserved), AnswerAs::Table(version)) => {
                v["apiVersion"] = json!(format!("meta.k8s.io/{version}"));
                Routed::Written(v.to_string(), reserved)
            }
            (routed, _) => routed,
        })
    };
    // Discovery is answered from memory, on this thread: a client's burst of discovery requests
    // (kubectl sends one per group at once) would otherwise start as many blocking threads, each
    // then keeping an allocator heap of its own. Everything else reads files: off the async
    // threads.
    let routed = if discovery {
        work()?
    } else {
        blocking(work).await??
    };
    Ok(match (routed, answer_as) {
        (Routed::Watch(events, reserved, bookmark), _) => {
            let bookmark = bookmarks.then_some(bookmark);
            watch_response(app, events, reserved, watch.unwrap_or(WATCH_MAX), bookmark)?
        }
        (Routed::Written(text, reserved), _)
        | (Routed::Text(text, reserved), AnswerAs::Json | AnswerAs::Partial) => {
            app.respond(StatusCode::OK, "application/json", text, reserved)
        }
        (Routed::Stream(list, first), _) => list_stream(app.clone(), mount, list, first),
        (routed, how) => {
            let (mut v, reserved) = match routed {
                Routed::Json(v, r) => (v, r),
                Routed::Text(t, r) => (
                    serde_json::from_str(&t)
                        .map_err(|e| Status::internal(format!("an answer is not JSON: {e}")))?,
                    r,
                ),
                Routed::Watch(..) | Routed::Stream(..) | Routed::Written(..) => {
                    unreachable_watch()?
                }
            };
            match how {
                AnswerAs::Yaml => app.respond(
                    StatusCode::OK,
                    "application/yaml",
                    veloscope_core::yaml::to_string(&v),
                    reserved,
                ),
                _ => app.respond(
                    StatusCode::OK,
                    "application/json",
                    objects::partial_object(&mut v).to_string(),
                    reserved,
                ),
            }
        }
    })
}

/// A discovery document (`/api`, `/apis`, `/api/v1`, `/apis/G`, `/apis/G/V`): built from the
/// mount's discovery, in memory, without reading the archive.
fn is_discovery(rest: &[String]) -> bool {
    match rest.first().map(String::as_str) {
        Some("api") => rest.len() <= 2,
        Some("apis") => rest.len() <= 3,
        _ => false,
    }
}

fn unreachable_watch() -> Result<(Value, Reservation), Status> {
    Err(Status::internal(
        "a watch or a streamed list answered as a document",
    ))
}

/// A list without `limit`, sent as it is read: its head and first chunk, then one chunk after
/// another, each read on a blocking thread only when the client has taken the one before (the
/// memory of one chunk at a time, whatever the collection's size). A chunk that fails to read
/// ends the connection without the list's closing bracket, so the client sees an error, never
/// a short list.
fn list_stream(
    app: Arc<App>,
    mount: Arc<Mount>,
    list: Box<objects::Continued>,
    first: objects::Chunk,
) -> Response {
    let head = bytes::Bytes::from(first.text);
    let list: Arc<objects::Continued> = Arc::from(list);
    let rest = futures::stream::unfold(
        Some((first.next, first.any, first.reserved)),
        move |state| {
            let (app, mount, list) = (app.clone(), mount.clone(), list.clone());
            async move {
                let (token, any, held) = state?;
                drop(held);
                let Some(token) = token else {
                    return Some((Ok(bytes::Bytes::from_static(b"]}")), None));
                };
                let read = blocking(move || list.chunk(&mount, &app.budget, &token, any)).await;
                match read.and_then(|chunk| chunk) {
                    Ok(c) => Some((
                        Ok(bytes::Bytes::from(c.text)),
                        Some((c.next, c.any, c.reserved)),
                    )),
                    Err(status) => Some((Err(std::io::Error::other(status.message)), None)),
                }
            }
        },
    );
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(rest);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response()
}

/// What a client takes, from its `Accept` (the first media range served wins, as the
/// apiserver's negotiation picks).
#[derive(Clone, Copy)]
enum AnswerAs {
    Json,
    Yaml,
    /// A `meta.k8s.io` Table of this version (`v1`, or `v1beta1` for older clients).
    Table(&'static str),
    /// `PartialObjectMetadata` (or its List): metadata only, as controllers ask.
    Partial,
}

fn negotiate(accept: &str) -> Result<AnswerAs, Status> {
    if accept.trim().is_empty() {
        return Ok(AnswerAs::Json);
    }
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: HashMap<String, String> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let json_like = matches!(media.as_str(), "application/json" | "application/*" | "*/*");
        match (media.as_str(), params.get("as").map(String::as_str)) {
            (_, Some("Table")) if json_like => {
                let group_ok = params.get("g").is_none_or(|g| g == "meta.k8s.io");
                match params.get("v").map(String::as_str) {
                    Some("v1") | None if group_ok => return Ok(AnswerAs::Table("v1")),
                    Some("v1beta1") if group_ok => return Ok(AnswerAs::Table("v1beta1")),
                    _ => {}
                }
            }
            (_, Some("PartialObjectMetadata" | "PartialObjectMetadataList")) if json_like => {
                return Ok(AnswerAs::Partial);
            }
            (_, None) if json_like => return Ok(AnswerAs::Json),
            ("application/yaml", None) => return Ok(AnswerAs::Yaml),
            _ => {}
        }
    }
    Err(Status::not_acceptable(accept))
}

enum Routed {
    Json(Value, Reservation),
    /// JSON already written out (a list of stored objects).
    Text(String, Reservation),
    /// The answer's final JSON text, as the client takes it.
    Written(String, Reservation),
    /// The events, what they hold, and the bookmark a held watch repeats (when it allows them).
    Watch(Vec<Value>, Reservation, Value),
    /// A list without `limit`: its head and first chunk, and how to read the rest.
    Stream(Box<objects::Continued>, objects::Chunk),
}

fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-veloscope",
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "",
        "goVersion": "",
        "compiler": "veloscope",
        "platform": "offline/backup"
    })
}

#[allow(clippy::too_many_arguments)]
fn route(
    m: &Mount,
    rest: &[String],
    query: &HashMap<String, String>,
    answer_as: AnswerAs,
    watch: bool,
    redact: bool,
    budget: &Budget,
    host: &str,
    path: &str,
) -> Result<Routed, Status> {
    let as_table = matches!(answer_as, AnswerAs::Table(_));
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let d = &m.discovery;
    let json = |v: Value| Routed::Json(v, Reservation::default());
    let found = |v: Option<Value>| v.map(json).ok_or_else(|| Status::no_resource(path));
    let (group, version, tail): (&str, &str, &[&str]) = match rest.as_slice() {
        ["openapi", "v3"] => {
            let prefix = path.strip_suffix("/openapi/v3").unwrap_or("");
            return Ok(json(m.openapi_v3_root(prefix)));
        }
        ["openapi", "v3", "api", v] => return found(m.openapi_v3("", v)),
        ["openapi", "v3", "apis", g, v] => return found(m.openapi_v3(g, v)),
        ["openapi", "v2"] => return Ok(json(m.openapi_v2())),
        ["api"] => return Ok(json(d.api(host))),
        ["apis"] => return Ok(json(d.apis())),
        ["api", "v1"] => return found(d.resource_list("", "v1")),
        ["apis", g] => return found(d.group(g)),
        ["apis", g, v] => return found(d.resource_list(g, v)),
        ["api", "v1", tail @ ..] => ("", "v1", tail),
        ["apis", g, v, tail @ ..] => (g, v, tail),
        _ => return Err(Status::no_resource(path)),
    };
    // [ns-scoped] namespaces/NS/RES[/NAME[/SUB]]; [cluster or all namespaces] RES[/NAME[/SUB]].
    let (namespace, plural, name, sub) = match tail {
        ["namespaces", ns, res] => (Some(*ns), *res, None, None),
        ["namespaces", ns, res, name] => (Some(*ns), *res, Some(*name), None),
        ["namespaces", ns, res, name, sub] => (Some(*ns), *res, Some(*name), Some(*sub)),
        [res] => (None, *res, None, None),
        [res, name] => (None, *res, Some(*name), None),
        [res, name, sub] => (None, *res, Some(*name), Some(*sub)),
        _ => return Err(Status::no_resource(path)),
    };
    let resource = d
        .find(group, version, plural)
        .ok_or_else(|| Status::no_resource(path))?;
    if namespace.is_some() && !resource.namespaced {
        return Err(Status::no_resource(path));
    }
    if name.is_some() && namespace.is_none() && resource.namespaced {
        return Err(Status::no_resource(path));
    }
    let sub = match sub {
        Some(s) => Some(
            d.subresource(&resource.gr, version, s)
                .ok_or_else(|| Status::no_resource(path))?,
        ),
        None => None,
    };
    let r = Request {
        resource,
        version,
        namespace,
        name,
        query,
        as_table,
        redact,
        budget,
    };
    if let Some(sub) = sub {
        if watch {
            return Err(Status::bad_request("a subresource cannot be watched"));
        }
        return subresource(m, &r, sub).map(|(v, held)| Routed::Json(v, held));
    }
    if watch {
        if name.is_some() {
            return Err(Status::bad_request(
                "watch a list, with fieldSelector=metadata.name=NAME for one object",
            ));
        }
        let bookmark = objects::bookmark(&r.resource.kind, &objects::group_version(&r));
        return objects::watch_events(m, &r).map(|(e, held)| Routed::Watch(e, held, bookmark));
    }
    if r.name.is_none() && !r.as_table {
        let form = match answer_as {
            AnswerAs::Partial => objects::ItemForm::Metadata,
            _ => objects::ItemForm::Stored,
        };
        let paged = query.get("limit").is_some_and(|l| l != "0");
        if paged || matches!(answer_as, AnswerAs::Yaml) {
            // One page (or, as YAML, a document made from the whole list's tree).
            let trees = matches!(answer_as, AnswerAs::Yaml);
            return objects::list_text(m, &r, form, trees).map(|(t, held)| Routed::Text(t, held));
        }
        let list = objects::Continued::of(&r, form);
        let first = list.first(m, &r)?;
        return Ok(Routed::Stream(Box::new(list), first));
    }
    objects::get(m, &r).map(|(v, held)| Routed::Json(v, held))
}

/// `…/NAME/status`: the object as a GET of it answers; `…/NAME/scale`: its Scale, as JSON or as
/// a Table (NAME, DESIRED, AVAILABLE, AGE, as the apiserver prints a Scale).
fn subresource(
    m: &Mount,
    r: &Request<'_>,
    (sub, paths): (Subresource, Option<crate::subresource::ScalePaths>),
) -> Result<(Value, Reservation), Status> {
    match sub {
        Subresource::Status => objects::get(m, r),
        Subresource::Scale => {
            let object = Request {
                as_table: false,
                ..*r
            };
            let (object, held) = objects::get(m, &object)?;
            // A custom resource's at its CRD's paths; a built-in's from its own fields.
            let scale = match &paths {
                Some(p) => crate::subresource::scale_at(&object, p).map_err(Status::internal)?,
                None => crate::subresource::scale(&object),
            };
            let answer = if r.as_table {
                crate::table::table(
                    crate::subresource::SCALE_TABLE,
                    vec![scale],
                    &m.ages,
                    objects::include(r),
                    None,
                    &[],
                )
            } else {
                scale
            };
            Ok((answer, held))
        }
    }
}

/// Whether a watch asks for bookmarks (`allowWatchBookmarks=true`).
fn allows_bookmarks(query: &HashMap<String, String>) -> bool {
    query.get("allowWatchBookmarks").map(String::as_str) == Some("true")
}

/// The ADDED events, then nothing but a `bookmark` now and then (when the watch allows them)
/// until the watch times out: a backup does not change. The events' memory counts against the
/// budget of answers in flight until they are sent.
fn watch_response(
    app: &App,
    events: Vec<Value>,
    mut permit: Reservation,
    timeout: Duration,
    bookmark: Option<Value>,
) -> Result<Response, Status> {
    let mut text = String::new();
    for e in events {
        text.push_str(&e.to_string());
        text.push('\n');
    }
    if permit.is_empty() {
        permit = app.budget.reserve(text.len() as u64)?;
    }
    let lines =
        futures::stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(text)) });
    let every = app.bookmarks.max(Duration::from_millis(100));
    let line = bookmark.map(|b| format!("{b}\n"));
    // Until the timeout: a bookmark every `every` when allowed, else one wait for all of it. The
    // events' reservation ends once they are sent (when the hold starts).
    let hold = futures::stream::unfold((timeout, Some(permit)), move |(left, permit)| {
        let line = line.clone();
        async move {
            drop(permit);
            if left.is_zero() {
                return None;
            }
            let wait = if line.is_some() {
                left.min(every)
            } else {
                left
            };
            tokio::time::sleep(wait).await;
            let left = left.saturating_sub(wait);
            let sent = match line {
                Some(l) if !left.is_zero() => bytes::Bytes::from(l),
                _ => bytes::Bytes::new(),
            };
            Some((Ok::<_, std::io::Error>(sent), (left, None)))
        }
    });
    let body = Body::from_stream(lines.chain(hold));
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// The mount of a location's backup, opened on first use (later requests wait for it); a
/// failed open is an error for this request and tried again by the next.
async fn mount_of(app: &Arc<App>, name: &str) -> Result<Arc<Mount>, Status> {
    let (Mounts::Location { root, opened, open }, Some(listed)) = (&app.mounts, &app.velero) else {
        return Err(Status::internal("not a location"));
    };
    if !listed.holds(name).await {
        return Err(Status::not_found("backups", name));
    }
    let cell = {
        let mut map = opened.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(name.to_string()).or_default().clone()
    };
    let source = format!("{}/backups/{name}", root.trim_end_matches('/'));
    let open = open.clone();
    let mount = cell
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || open(&source).map(Arc::new))
                .await
                .map_err(|e| veloscope_core::Error::internal_from("opening the backup", e))?
        })
        .await
        .map_err(Status::from)?;
    Ok(mount.clone())
}

/// A location's root: discovery of the `velero.io` group, its OpenAPI, its Backups and Restores.
fn velero_root(
    api: &crate::velero::VeleroApi,
    rest: &[String],
    query: &HashMap<String, String>,
    host: &str,
    path: &str,
) -> Result<Value, Status> {
    use crate::velero;
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match rest.as_slice() {
        ["api"] => Ok(json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]})),
        // The namespace Velero's objects live in, so that kubectl api-resources and NotFound
        // messages find the core group as on a cluster.
        ["api", "v1"] => Ok(json!({"kind": "APIResourceList", "groupVersion": "v1",
            "resources": [{"name": "namespaces", "singularName": "namespace", "namespaced": false,
                "kind": "Namespace", "shortNames": ["ns"], "verbs": ["get", "list", "watch"]}]})),
        ["api", "v1", "namespaces"] => Ok(json!({"kind": "NamespaceList", "apiVersion": "v1",
            "metadata": {"resourceVersion": crate::objects::LIST_VERSION},
            "items": velero::namespaces(api)})),
        ["api", "v1", "namespaces", name] => velero::namespaces(api)
            .into_iter()
            .find(|n| n["metadata"]["name"] == *name)
            .ok_or_else(|| Status::not_found("namespaces", name)),
        ["apis"] => {
            Ok(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [velero::api_group()]}))
        }
        ["apis", "velero.io"] => {
            let mut g = velero::api_group();
            g["kind"] = json!("APIGroup");
            g["apiVersion"] = json!("v1");
            Ok(g)
        }
        ["apis", "velero.io", "v1"] => Ok(velero::resource_list()),
        ["openapi", "v3"] => Ok(velero::openapi_root("")),
        ["openapi", "v3", "apis", "velero.io", "v1"] => Ok(velero::openapi_group()),
        ["apis", "velero.io", "v1", plural] => {
            velero::get(api, plural, None, None, false).and_then(|v| velero::selected(v, query))
        }
        ["apis", "velero.io", "v1", "namespaces", ns, plural] => {
            velero::get(api, plural, Some(ns), None, false).and_then(|v| velero::selected(v, query))
        }
        ["apis", "velero.io", "v1", "namespaces", ns, plural, name] => {
            velero::get(api, plural, Some(ns), Some(name), false)
        }
        [
            "apis",
            "velero.io",
            "v1",
            "namespaces",
            ns,
            plural,
            name,
            "status",
        ] => velero::get(api, plural, Some(ns), Some(name), true),
        _ => Err(Status::no_resource(path)),
    }
}
