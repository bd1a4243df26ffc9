//! The HTTP side: one handler that checks the token, refuses writes, finds the backup a path is
//! about (the root, or `/backups/NAME/` of a location) and what it asks for, and answers JSON,
//! a Table, a watch stream or a Status. Paths are parsed here, not by a router, so that a hostile
//! path is a Status like any other mistake.

use crate::objects::{self, Mount, Request};
use crate::status::Status;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
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
        names: Vec<String>,
        opened: Mutex<HashMap<String, Arc<Opened>>>,
        open: crate::Opener,
    },
}

/// A location's backup, once its first request has opened it (or failed to).
pub type Opened = OnceLock<Result<Arc<Mount>, String>>;

pub struct App {
    pub mounts: Mounts,
    /// Velero's own API at the root, when a location is served.
    pub velero: Option<crate::velero::VeleroApi>,
    /// The web UI at `/ui/`, when a location is served.
    pub ui: Option<Arc<crate::ui::Ui>>,
    pub token: Option<String>,
    pub busy: Semaphore,
}

/// Compares in time that does not depend on where the strings first differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn html_response(code: StatusCode, html: String) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

fn json_response(code: StatusCode, v: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// `%XX` and `+` decoded; None for a malformed escape or bytes that are not UTF-8.
fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn query_params(q: Option<&str>) -> Result<HashMap<String, String>, Status> {
    let mut out = HashMap::new();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (percent_decode(k, true), percent_decode(v, true)) else {
            return Err(Status::bad_request("malformed query string"));
        };
        out.insert(k, v);
    }
    Ok(out)
}

/// The path's segments, decoded; a segment that decodes to a `/`, a control character or `..`
/// is refused (object names never hold them).
fn segments(path: &str) -> Result<Vec<String>, Status> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let d =
                percent_decode(s, false).ok_or_else(|| Status::bad_request("malformed path"))?;
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
    let result = match velero_write(&app, &method, &uri, &headers) {
        Some(Ok(target)) => dry_run(&app, target, &uri, body).await,
        Some(Err(s)) => Err(s),
        None => answer(&app, &method, &uri, &headers).await,
    };
    match result {
        Ok(r) => r,
        Err(s) => s.into_response(),
    }
}

/// A write to Velero's API at a location's root: (plural, namespace). None for anything else.
fn velero_write(
    app: &Arc<App>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Result<(String, String), Status>> {
    if app.velero.is_none() || !matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        return None;
    }
    let segs = segments(uri.path()).ok()?;
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let ["apis", "velero.io", "v1", "namespaces", ns, plural] = segs.as_slice() else {
        return None;
    };
    if let Err(s) = authorized(app, headers) {
        return Some(Err(s));
    }
    if *method != Method::POST {
        return Some(Err(Status::method_not_allowed(method.as_str())));
    }
    Some(Ok((plural.to_string(), ns.to_string())))
}

async fn dry_run(
    app: &Arc<App>,
    (plural, ns): (String, String),
    uri: &Uri,
    body: Body,
) -> Result<Response, Status> {
    let _permit = app
        .busy
        .try_acquire()
        .map_err(|_| Status::unavailable("too many requests at once; retry"))?;
    let query = query_params(uri.query())?;
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| Status::bad_request(format!("the request body is over {MAX_BODY} bytes")))?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| Status::bad_request("the request body is not UTF-8"))?;
    let created = tokio::task::spawn_blocking(move || {
        crate::velero::dry_run_create(
            &plural,
            &ns,
            query.get("dryRun").map(String::as_str),
            query.get("fieldValidation").map(String::as_str),
            &text,
        )
    })
    .await
    .map_err(|e| Status::internal(format!("request failed: {e}")))??;
    let mut response = json_response(StatusCode::CREATED, &created.object);
    for w in created.warnings {
        let value = format!("299 - \"{}\"", w.replace('"', "'"));
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            response.headers_mut().append(header::WARNING, v);
        }
    }
    Ok(response)
}

fn authorized(app: &App, headers: &HeaderMap) -> Result<(), Status> {
    if let Some(token) = &app.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same_secret(given.as_bytes(), token.as_bytes()) {
            return Err(Status::unauthorized());
        }
    }
    Ok(())
}

async fn answer(
    app: &Arc<App>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, Status> {
    authorized(app, headers)?;
    if method != Method::GET && method != Method::HEAD {
        return Err(Status::method_not_allowed(method.as_str()));
    }
    let _permit = app
        .busy
        .try_acquire()
        .map_err(|_| Status::unavailable("too many requests at once; retry"))?;
    let segs = segments(uri.path())?;
    let query = query_params(uri.query())?;
    if let (Some(ui), Some("ui")) = (&app.ui, segs.first().map(String::as_str)) {
        let ui = ui.clone();
        let rest = segs[1..].to_vec();
        let html = tokio::task::spawn_blocking(move || ui.render(&rest, &query))
            .await
            .map_err(|e| Status::internal(format!("request failed: {e}")))?;
        return Ok(match html {
            Ok(html) => html_response(StatusCode::OK, html),
            Err(s) => {
                let body = format!(
                    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><h1>{}</h1><p>{}</p><p><a href=\"/ui/\">Backups</a></p></body></html>",
                    s.code.as_u16(),
                    s.code,
                    crate::ui::esc(&s.message)
                );
                html_response(s.code, body)
            }
        });
    }
    let (mount, rest) = match &app.mounts {
        Mounts::One(m) => (Some(m.clone()), &segs[..]),
        Mounts::Location { .. } => match segs.as_slice() {
            [b, name, rest @ ..] if b == "backups" => (Some(mount_of(app, name).await?), rest),
            _ => (None, &segs[..]),
        },
    };
    let rest: Vec<String> = rest.to_vec();
    if rest == ["version"] {
        return Ok(json_response(StatusCode::OK, &version()));
    }
    let Some(mount) = mount else {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        return match &app.velero {
            Some(api) => {
                velero_root(api, &rest, host, uri.path()).map(|v| json_response(StatusCode::OK, &v))
            }
            None => Err(Status::no_resource(uri.path())),
        };
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let as_table = accept.contains("as=Table");
    let watch = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let path = uri.path().to_string();
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map_or(WATCH_MAX, |t| Duration::from_secs(t).min(WATCH_MAX));
    // Body reads are blocking file reads: off the async threads.
    let work = tokio::task::spawn_blocking(move || {
        route(&mount, &rest, &query, as_table, watch, &host, &path)
    });
    let routed = work
        .await
        .map_err(|e| Status::internal(format!("request failed: {e}")))??;
    Ok(match routed {
        Routed::Json(v) => json_response(StatusCode::OK, &v),
        Routed::Text(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response(),
        Routed::Watch(events) => watch_response(events, timeout),
    })
}

enum Routed {
    Json(Value),
    /// JSON already written out (a list of stored objects).
    Text(String),
    Watch(Vec<Value>),
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

fn route(
    m: &Mount,
    rest: &[String],
    query: &HashMap<String, String>,
    as_table: bool,
    watch: bool,
    host: &str,
    path: &str,
) -> Result<Routed, Status> {
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let d = &m.discovery;
    let found = |v: Option<Value>| v.map(Routed::Json).ok_or_else(|| Status::no_resource(path));
    let (group, version, tail): (&str, &str, &[&str]) = match rest.as_slice() {
        ["api"] => return Ok(Routed::Json(d.api(host))),
        ["apis"] => return Ok(Routed::Json(d.apis())),
        ["api", "v1"] => return found(d.resource_list("", "v1")),
        ["apis", g] => return found(d.group(g)),
        ["apis", g, v] => return found(d.resource_list(g, v)),
        ["api", "v1", tail @ ..] => ("", "v1", tail),
        ["apis", g, v, tail @ ..] => (g, v, tail),
        _ => return Err(Status::no_resource(path)),
    };
    // [ns-scoped] namespaces/NS/RES[/NAME]; [cluster or all namespaces] RES[/NAME].
    let (namespace, plural, name) = match tail {
        ["namespaces", ns, res] => (Some(*ns), *res, None),
        ["namespaces", ns, res, name] => (Some(*ns), *res, Some(*name)),
        [res] => (None, *res, None),
        [res, name] => (None, *res, Some(*name)),
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
    let r = Request {
        resource,
        version,
        namespace,
        name,
        query,
        as_table,
    };
    if watch {
        if name.is_some() {
            return Err(Status::bad_request(
                "watch a list, with fieldSelector=metadata.name=NAME for one object",
            ));
        }
        return objects::watch_events(m, &r).map(Routed::Watch);
    }
    if r.name.is_none() && !r.as_table {
        return objects::list_text(m, &r).map(Routed::Text);
    }
    objects::get(m, &r).map(Routed::Json)
}

/// The ADDED events, then nothing until the watch times out: a backup does not change.
fn watch_response(events: Vec<Value>, timeout: Duration) -> Response {
    let lines = events
        .into_iter()
        .map(|e| Ok::<_, std::io::Error>(bytes::Bytes::from(format!("{e}\n"))));
    let hold = futures::stream::once(async move {
        tokio::time::sleep(timeout).await;
        Ok::<_, std::io::Error>(bytes::Bytes::new())
    });
    let body = Body::from_stream(futures::stream::iter(lines).chain(hold));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

use futures::StreamExt;

/// The mount of a location's backup, opened on first use (later requests wait for it).
async fn mount_of(app: &Arc<App>, name: &str) -> Result<Arc<Mount>, Status> {
    let Mounts::Location {
        root,
        names,
        opened,
        open,
    } = &app.mounts
    else {
        return Err(Status::internal("not a location"));
    };
    if !names.iter().any(|n| n == name) {
        return Err(Status::not_found("backups", name));
    }
    let cell = {
        let mut map = opened.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(name.to_string()).or_default().clone()
    };
    let open = open.clone();
    let source = format!("{}/backups/{name}", root.trim_end_matches('/'));
    let result = tokio::task::spawn_blocking(move || {
        cell.get_or_init(|| open(&source).map(Arc::new)).clone()
    })
    .await
    .map_err(|e| Status::internal(format!("opening the backup failed: {e}")))?;
    result.map_err(Status::internal)
}

/// A location's root: discovery of the `velero.io` group, its OpenAPI, its Backups and Restores.
fn velero_root(
    api: &crate::velero::VeleroApi,
    rest: &[String],
    host: &str,
    path: &str,
) -> Result<Value, Status> {
    use crate::velero;
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match rest.as_slice() {
        ["api"] => Ok(json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]})),
        ["api", "v1"] => {
            Ok(json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": []}))
        }
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
        ["apis", "velero.io", "v1", plural] => velero::get(api, plural, None, None, false),
        ["apis", "velero.io", "v1", "namespaces", ns, plural] => {
            velero::get(api, plural, Some(ns), None, false)
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
