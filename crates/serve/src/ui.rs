//! The web UI at `/ui/` of a served location, for auditors who do not live in a terminal:
//! server-rendered HTML, no JavaScript, the style embedded, each page at a stable URL. Pages:
//! the backups (sortable, filterable), a backup (summary, errors and warnings, volumes, items per
//! namespace and resource), its items (paged), an item (as stored, managedFields folded, Secret
//! values redacted unless the server was started with `--show-secrets`), search across the
//! location, and the diff of two backups. Every answer comes from veloscope-core.
//!
//! Pages are maud templates: every value is escaped unless a template says otherwise (only the
//! style sheet does), so a forgotten call cannot become an XSS hole.

use crate::status::Status;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use veloscope_core::diff::{DiffRequest, LineOp, diff};
use veloscope_core::items::ItemQuery;
use veloscope_core::location::{BackupRow, FindQuery, Location};
use veloscope_core::{Backup, BackupFilters, DiffOptions, Quiet, Session};

/// Items listed on one page.
const PAGE: usize = 200;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse}td,th{padding:.25em .75em;border-bottom:1px solid #ddd;text-align:left}\
th a{color:inherit}.Completed{color:#176f2c}.PartiallyFailed{color:#a15c00}.Failed,.FailedValidation{color:#b00020}\
.InProgress{color:#1a57b0}pre{background:#f6f6f6;padding:1em;overflow:auto}nav a{margin-right:1em}\
.muted{color:#777}form{margin:1em 0}.del{color:#b00020}.add{color:#176f2c}";

/// What a path segment or query value keeps as it is in a link (RFC 3986's unreserved, and `:`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// What the UI shows: a location's backups, or one backup.
pub enum Scope {
    /// A location (a folder or a URL): its backups are `ROOT/backups/NAME`.
    Location(String),
    /// One backup, under its own name.
    Backup { name: String, path: PathBuf },
}

/// What the UI reads: the location and whether Secret data may be shown; and the outcome of
/// each backup verified since the server started (the badges of the Backups page).
pub struct Ui {
    pub scope: Scope,
    pub show_secrets: bool,
    pub verified: std::sync::Mutex<HashMap<String, bool>>,
    /// Verifies and diffs running in the background.
    pub jobs: crate::jobs::Jobs,
}

/// A path segment or query value percent-encoded for a link.
fn enc(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

fn page(title: &str, body: Markup) -> String {
    page_with(title, html! {}, body, true)
}

/// The page of work still running: its progress, reloaded every second until the outcome shows.
fn progress_page(title: &str, job: &crate::jobs::Job, whole: bool) -> String {
    page_with(
        title,
        html! { meta http-equiv="refresh" content="1"; },
        html! {
            p.InProgress {
                "Working — " (job.describe()) ". This page reloads itself until the answer is \
                 ready; other pages stay usable meanwhile."
            }
        },
        whole,
    )
}

/// A page; `location`: the navigation of a served location (its backups, search, diff), else
/// that of a single backup.
fn page_with(title: &str, head: Markup, body: Markup, location: bool) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                (head)
                title { (title) " — veloscope" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                nav {
                    @if location {
                        a href="/ui/" { "Backups" }
                        a href="/ui/search" { "Search" }
                        a href="/ui/diff" { "Diff" }
                    } @else {
                        a href="/ui/" { "Backup" }
                    }
                }
                h1 { (title) }
                (body)
            }
        }
    }
    .into_string()
}

/// The page of an error.
pub fn error_page(s: &Status) -> String {
    let title = format!(
        "{} {}",
        s.code.as_u16(),
        s.code.canonical_reason().unwrap_or("")
    );
    page(&title, html! { p { (s.message) } })
}

/// The page a browser without a session gets: how to log in.
pub fn login_needed() -> String {
    page(
        "Log in",
        html! {
            p {
                "This server needs a login: open the " strong { "web UI" } " link that "
                code { "veloscope serve" } " printed when it started (it works once and sets a \
                session for this browser). API clients send the bearer token of the kubeconfig \
                it wrote."
            }
        },
    )
}

fn session() -> Session<'static> {
    Session::new(veloscope_core::Options::default(), &Quiet)
}

/// `resource ns/name`, or `resource name` for a cluster-scoped item.
fn item_key(resource: &str, ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) => format!("{resource} {ns}/{name}"),
        None => format!("{resource} {name}"),
    }
}

/// "Items per namespace" (or resource): each linked to its items.
/// A page's filters from its query, keyed by the CLI's flag names and parsed by the same
/// definitions (the engine's one way), so a link means what the flags mean.
fn query_filters<T>(q: &HashMap<String, String>) -> Result<T, Status>
where
    T: clap::Args + clap::FromArgMatches,
{
    Ok(veloscope_core::filters_from_query(
        q.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )?)
}

/// Items per namespace or resource, each linking to its items (`flag`: the filter flag a link
/// sets).
fn item_counts<'a>(
    backup: &str,
    by: &str,
    flag: &str,
    counts: impl Iterator<Item = (&'a str, u64)>,
) -> Markup {
    let mut heading = by.to_string();
    heading[..1].make_ascii_uppercase();
    html! {
        h2 { "Items per " (by) }
        table {
            tr { th { (heading) } th { "Items" } }
            @for (value, items) in counts {
                tr {
                    td {
                        a href={ "/ui/backups/" (enc(backup)) "/items?" (flag) "=" (enc(value)) } {
                            (value)
                        }
                    }
                    td { (items) }
                }
            }
        }
    }
}

/// A table of two columns: a heading per row, then its value.
fn facts(rows: &[(&str, Markup)]) -> Markup {
    html! {
        table {
            @for (label, value) in rows {
                tr { th { (label) } td { (value) } }
            }
        }
    }
}

impl Ui {
    fn backup_path(&self, name: &str) -> PathBuf {
        match &self.scope {
            Scope::Location(root) => {
                PathBuf::from(format!("{}/backups/{name}", root.trim_end_matches('/')))
            }
            Scope::Backup { path, .. } => path.clone(),
        }
    }

    /// The location served, or a Status saying that a page needs one.
    fn root(&self) -> Result<&str, Status> {
        match &self.scope {
            Scope::Location(root) => Ok(root),
            Scope::Backup { .. } => Err(Status::no_resource(
                "/ui: one backup is served; search and diff need a location (veloscope serve LOCATION)",
            )),
        }
    }

    fn page(&self, title: &str, body: Markup) -> String {
        page_with(
            title,
            html! {},
            body,
            matches!(self.scope, Scope::Location(_)),
        )
    }

    /// Long work in a background job: its page when done within a moment, else its progress.
    fn background(
        &self,
        key: &str,
        title: &str,
        work: impl FnOnce(&crate::jobs::Job) -> Result<String, Status> + Send + 'static,
    ) -> Result<String, Status> {
        match self.jobs.run(key, work)? {
            crate::jobs::Outcome::Done(page) => page,
            crate::jobs::Outcome::Running(job) => Ok(progress_page(
                title,
                &job,
                matches!(self.scope, Scope::Location(_)),
            )),
        }
    }

    /// The page at `rest` (the path after `/ui/`), as HTML.
    pub fn render(
        self: &std::sync::Arc<Self>,
        rest: &[String],
        q: &HashMap<String, String>,
    ) -> Result<String, Status> {
        let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
        // The location is listed once per page: to know the backup, and for the item page's
        // other backups.
        let listed = match rest.as_slice() {
            ["backups", name, ..] => Some(self.known(name)?),
            _ => None,
        };
        match rest.as_slice() {
            [] => match &self.scope {
                Scope::Location(_) => self.backups(q),
                Scope::Backup { name, .. } => self.backup(name),
            },
            ["backups", name] => self.backup(name),
            ["backups", name, "items"] => self.items(name, q),
            ["backups", name, "items", resource, ns, item] => {
                let others = listed.unwrap_or_default();
                self.item(name, resource, ns, item, &others)
            }
            ["backups", name, "verify"] => self.verify(name),
            ["backups", name, "plan"] => self.plan(name, q),
            ["search"] => self.search(q),
            ["diff"] => self.diff(q),
            _ => Err(Status::no_resource(&format!("/ui/{}", rest.join("/")))),
        }
    }

    /// The location's backups when `name` is one of them, or 404.
    fn known(&self, name: &str) -> Result<Vec<BackupRow>, Status> {
        if let Scope::Backup { name: served, .. } = &self.scope {
            // One backup: no other to compare an item with.
            return if name == served {
                Ok(Vec::new())
            } else {
                Err(Status::not_found("backups", name))
            };
        }
        let rows = Location::open(self.root()?)?.backups(None, None)?.rows;
        if rows.iter().any(|r| r.name == name) {
            Ok(rows)
        } else {
            Err(Status::not_found("backups", name))
        }
    }

    fn backups(&self, q: &HashMap<String, String>) -> Result<String, Status> {
        let root = self.root()?;
        let mut rows = Location::open(root)?.backups(None, None)?.rows;
        let name_filter = q.get("name").map(String::as_str).unwrap_or("");
        let phase_filter = q.get("phase").map(String::as_str).unwrap_or("");
        let schedule = q.get("schedule").map(String::as_str).unwrap_or("");
        rows.retain(|r| {
            r.name.contains(name_filter)
                && (phase_filter.is_empty() || r.phase.as_deref() == Some(phase_filter))
                && (schedule.is_empty()
                    || r.labels.get("velero.io/schedule-name").map(String::as_str)
                        == Some(schedule))
        });
        match q.get("sort").map(String::as_str) {
            Some("name") => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            Some("items") => rows.sort_by_key(|r| std::cmp::Reverse(r.items)),
            Some("size") => rows.sort_by_key(|r| std::cmp::Reverse(r.bytes)),
            Some("errors") => rows.sort_by_key(|r| std::cmp::Reverse(r.errors)),
            _ => {} // newest first, as listed
        }
        let verified = self.verified.lock().map(|v| v.clone()).unwrap_or_default();
        let columns = [
            ("name", "Name"),
            ("", "Phase"),
            ("", "Started"),
            ("", "Expires"),
            ("items", "Items"),
            ("size", "Size"),
            ("errors", "Errors / warnings"),
        ];
        let body = html! {
            form method="get" action="/ui/" {
                input name="name" placeholder="name contains";
                select name="phase" {
                    option value="" { "any phase" }
                    @for phase in ["Completed", "PartiallyFailed", "Failed", "InProgress"] {
                        option { (phase) }
                    }
                }
                input name="schedule" placeholder="schedule";
                button { "Filter" }
            }
            table {
                tr {
                    @for (key, label) in columns {
                        @if key.is_empty() {
                            th { (label) }
                        } @else {
                            th { a href={ "/ui/?sort=" (key) } { (label) } }
                        }
                    }
                }
                @for r in &rows {
                    @let phase = r.phase.as_deref().unwrap_or("");
                    @let expired = r.expired();
                    tr {
                        td {
                            a href={ "/ui/backups/" (enc(&r.name)) } { (r.name) }
                            @match verified.get(&r.name) {
                                Some(true) => { " " span.Completed { "✓ verified" } }
                                Some(false) => { " " span.Failed { "✗ verify failed" } }
                                None => {}
                            }
                        }
                        td class=(phase) { (phase) }
                        td { (r.started.as_deref().unwrap_or("")) }
                        td {
                            (r.expires.as_deref().unwrap_or(""))
                            @if expired { " " span.muted { "(expired)" } }
                        }
                        td { (r.items.map_or(String::new(), |n| n.to_string())) }
                        td { (r.bytes.map_or(String::new(), veloscope_core::human_bytes)) }
                        td { (r.errors) " / " (r.warnings) }
                    }
                }
            }
        };
        Ok(self.page(&format!("Backups of {root}"), body))
    }

    /// A backup's page; the first visit may index the archive, so it runs as a background job.
    fn backup(self: &std::sync::Arc<Self>, name: &str) -> Result<String, Status> {
        let (ui, owned) = (self.clone(), name.to_string());
        self.background(&format!("backup/{name}"), name, move |job| {
            ui.backup_page(&owned, job)
        })
    }

    fn backup_page(&self, name: &str, job: &crate::jobs::Job) -> Result<String, Status> {
        let s = Session::new(veloscope_core::Options::default(), job);
        let path = self.backup_path(name);
        let b = Backup::open_in(&path, &veloscope_core::Scope::head(), &s)?;
        let summary = b.summary()?;
        let details = b.details(veloscope_core::details::Describe::Details)?;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let body = html! {
            @if let Some(info) = &summary.backup {
                @let phase = info.phase.as_deref().unwrap_or("");
                (facts(&[
                    ("Phase", html! { span class=(phase) { (phase) } }),
                    ("Started", html! { (text(&info.started)) }),
                    ("Completed", html! { (text(&info.completed)) }),
                    ("Expires", html! { (text(&info.expires)) }),
                    ("Errors / warnings", html! { (info.errors) " / " (info.warnings) }),
                ]))
                h2 { "Spec" }
                pre { (veloscope_core::yaml::to_string(&info.spec)) }
            }
            p {
                (summary.items) " items (" (summary.entries) " entries), " (summary.compression) ". "
                a href={ "/ui/backups/" (enc(name)) "/verify" } { "Verify" } " "
                a href={ "/ui/backups/" (enc(name)) "/plan" } { "Restore plan" }
            }
            @if let Some(d) = &details {
                @for (title, messages) in [("Errors", &d.errors), ("Warnings", &d.warnings)] {
                    h2 { (title) }
                    @match messages {
                        None => p.muted { "no results file" },
                        Some(m) => {
                            @let lines: Vec<String> = m
                                .velero
                                .iter()
                                .chain(&m.cluster)
                                .cloned()
                                .chain(m.namespaces.iter().flat_map(|(ns, msgs)| {
                                    msgs.iter().map(move |msg| format!("{ns}: {msg}"))
                                }))
                                .collect();
                            ul { @for line in &lines { li { (line) } } }
                            @if lines.is_empty() { p.muted { "none" } }
                        }
                    }
                }
                @if !d.volumes.is_empty() {
                    h2 { "Volumes" }
                    table {
                        tr { th { "PVC" } th { "PV" } th { "Method" } th { "Result" } }
                        @for v in &d.volumes {
                            tr {
                                td { (v.pvc.as_deref().unwrap_or("")) }
                                td { (v.pv.as_deref().unwrap_or("")) }
                                td { (v.method.as_deref().unwrap_or("")) }
                                td { (v.skipped.as_deref().or(v.result.as_deref()).unwrap_or("")) }
                            }
                        }
                    }
                }
            }
            (item_counts(name, "namespace", "include-namespaces", summary.namespaces.iter().map(|n| (n.namespace.as_str(), n.items))))
            (item_counts(name, "resource", "include-resources", summary.resources.iter().map(|r| (r.resource.as_str(), r.items))))
        };
        Ok(self.page(&format!("Backup {name}"), body))
    }

    fn items(&self, name: &str, q: &HashMap<String, String>) -> Result<String, Status> {
        let s = session();
        let filters: BackupFilters = query_filters(q)?;
        let b = Backup::open_in(
            &self.backup_path(name),
            &veloscope_core::Scope::items(&filters),
            &s,
        )?;
        let version = veloscope_core::VeleroVersion::LATEST;
        let rows = b.item_rows(&filters, version, &s)?;
        let total = rows.iter().count();
        let page_no = q
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0);
        let start = page_no.saturating_mul(PAGE);
        let next = (start.saturating_add(PAGE) < total).then(|| {
            let mut next = format!("/ui/backups/{}/items?page={}", enc(name), page_no + 1);
            for k in ["include-namespaces", "include-resources"] {
                if let Some(v) = q.get(k) {
                    next.push_str(&format!("&{k}={}", enc(v)));
                }
            }
            next
        });
        let body = html! {
            p { (total) " items." }
            table {
                tr { th { "Namespace" } th { "Resource" } th { "Name" } }
                @for r in rows.iter().skip(start).take(PAGE) {
                    tr {
                        td { (r.namespace.unwrap_or("")) }
                        td { (r.resource) }
                        td {
                            a href={ "/ui/backups/" (enc(name)) "/items/" (enc(r.resource)) "/"
                                (enc(r.namespace.unwrap_or("_cluster"))) "/" (enc(r.name)) } {
                                (r.name)
                            }
                        }
                    }
                }
            }
            @if let Some(next) = &next {
                p { a href=(next) { "next page" } }
            }
        };
        Ok(self.page(&format!("Items of {name}"), body))
    }

    fn item(
        &self,
        backup: &str,
        resource: &str,
        ns: &str,
        name: &str,
        rows: &[BackupRow],
    ) -> Result<String, Status> {
        let s = session();
        let namespace = (ns != "_cluster").then_some(ns);
        let query = ItemQuery {
            resource,
            name,
            namespace,
            api_version: None,
        };
        let path = self.backup_path(backup);
        let stored =
            Backup::open_in(&path, &veloscope_core::Scope::item(&query), &s)?.item(&query, &s)?;
        let mut value = stored.value()?;
        let mut notes = Vec::new();
        if veloscope_core::json::drop_managed_fields(&mut value) {
            notes.push("metadata.managedFields folded");
        }
        // Decided by the item as stored, whatever the URL called its resource.
        if !self.show_secrets && veloscope_core::redact::redact(&stored.group_resource, &mut value)
        {
            notes.push(
                "Secret values redacted, and annotations that could embed them (start the server \
                 with --show-secrets to see them)",
            );
        }
        let body = html! {
            p.muted { (stored.entry) " in " a href={ "/ui/backups/" (enc(backup)) } { (backup) } }
            @for n in &notes { p.muted { (n) } }
            pre { (veloscope_core::yaml::to_string(&value)) }
            (self.elsewhere(backup, &query, &stored.body, rows))
        };
        Ok(self.page(&format!("{resource} {name}"), body))
    }

    fn verify(self: &std::sync::Arc<Self>, name: &str) -> Result<String, Status> {
        let (ui, owned) = (self.clone(), name.to_string());
        self.background(
            &format!("verify/{name}"),
            &format!("Verify {name}"),
            move |job| ui.verify_page(&owned, job),
        )
    }

    fn verify_page(&self, name: &str, job: &crate::jobs::Job) -> Result<String, Status> {
        use veloscope_core::verify::{Severity, VerifyRequest, verify};
        let path = self.backup_path(name);
        let report = verify(
            &VerifyRequest {
                source: &path,
                policy: None,
                junit: None,
                write_manifest: false,
                manifest: None,
            },
            &Session::new(veloscope_core::Options::default(), job),
        )?;
        if let Ok(mut v) = self.verified.lock() {
            v.insert(name.to_string(), report.ok);
        }
        // Grouped by code, errors first, the root cause first (veloscope-verify's order).
        let codes = veloscope_core::verify::grouped(&report.problems);
        let body = html! {
            @if report.ok {
                p.Completed { "Sound: no error." }
            } @else {
                p.Failed { "Not sound." }
            }
            p { (report.items) " items checked." }
            @if !codes.is_empty() {
                table {
                    tr { th { "Code" } th { "Severity" } th { "Count" } th { "First" } }
                    @for g in &codes {
                        tr {
                            td { (g.code) }
                            td { (if g.severity == Severity::Error { "error" } else { "warning" }) }
                            td { (g.findings.len()) }
                            td {
                                @if let Some(f) = g.findings.first() {
                                    (f.entry) ": " (f.message)
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(self.page(&format!("Verify {name}"), body))
    }

    fn plan(&self, name: &str, q: &HashMap<String, String>) -> Result<String, Status> {
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        let filters: veloscope_core::RestoreFilters = query_filters(q)?;
        let fields = [
            "include-namespaces",
            "exclude-namespaces",
            "include-resources",
            "exclude-resources",
            "namespace-mappings",
            "selector",
        ];
        let s = session();
        let backup = Backup::open_in(
            &self.backup_path(name),
            &veloscope_core::Scope::restore(&filters, false),
            &s,
        )?;
        let report = backup.plan(&filters, &s)?;
        let mut by_reason: std::collections::BTreeMap<&str, u64> =
            std::collections::BTreeMap::new();
        for sk in &report.skipped {
            *by_reason.entry(sk.reason.as_str()).or_default() += 1;
        }
        for o in &report.omitted {
            *by_reason.entry(o.reason.as_str()).or_default() += o.items;
        }
        let body = html! {
            form method="get" action={ "/ui/backups/" (enc(name)) "/plan" } {
                @for k in fields {
                    label { (k) " " input name=(k) value=(get(k).unwrap_or_default()); } " "
                }
                label {
                    "include-cluster-resources "
                    select name="include-cluster-resources" {
                        option value="" { "unset" }
                        option { "true" }
                        option { "false" }
                    }
                }
                " "
                button { "Plan" }
            }
            @for w in report.empty_claims.iter().chain(&report.warnings) {
                p.PartiallyFailed { (w) }
            }
            h2 { "Steps (" (report.steps.len()) ")" }
            table {
                tr {
                    th { "Order" } th { "Action" } th { "Resource" } th { "Namespace" }
                    th { "Name" } th { "Note" }
                }
                @for st in report.steps.iter().take(PAGE * 5) {
                    @let action = serde_json::to_value(st.action)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    tr {
                        td { (st.order) }
                        td { (action) }
                        td { (st.resource) }
                        td { (st.target_namespace.unwrap_or("")) }
                        td { (st.name) }
                        td { (st.note.unwrap_or("")) }
                    }
                }
            }
            h2 { "Not restored" }
            table {
                tr { th { "Reason" } th { "Items" } }
                @for (reason, n) in &by_reason {
                    tr { td { (reason) } td { (n) } }
                }
            }
        };
        Ok(self.page(&format!("Restore plan of {name}"), body))
    }

    /// The other backups of the location (the newest 20) that hold the same item, and whether
    /// it differs there, with a link to the diff.
    fn elsewhere(
        &self,
        here: &str,
        query: &ItemQuery<'_>,
        body: &[u8],
        rows: &[BackupRow],
    ) -> Markup {
        let s = session();
        html! {
            h2 { "In other backups" }
            ul {
                @for r in rows.iter().filter(|r| r.name != here).take(20) {
                    @let path = self.backup_path(&r.name);
                    @let there = Backup::open_in(&path, &veloscope_core::Scope::item(query), &s).and_then(|b| b.item(query, &s));
                    li {
                        a href={ "/ui/backups/" (enc(&r.name)) } { (r.name) } ": "
                        @match there {
                            Ok(other) if other.body == body => "same",
                            Ok(_) => {
                                "differs ("
                                a href={ "/ui/diff?a=" (enc(&r.name)) "&b=" (enc(here)) } { "diff" }
                                ")"
                            }
                            Err(_) => "absent",
                        }
                    }
                }
            }
        }
    }

    fn search(&self, q: &HashMap<String, String>) -> Result<String, Status> {
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        let inputs = [
            ("include-resources", "resource"),
            ("include-namespaces", "namespace"),
            ("name", "name glob"),
            ("selector", "label selector"),
        ];
        let form = html! {
            form method="get" action="/ui/search" {
                @for (k, hint) in inputs {
                    input name=(k) placeholder=(hint) value=(get(k).unwrap_or_default());
                }
                button { "Search" }
            }
        };
        if inputs.iter().all(|(k, _)| get(k).is_none()) {
            return Ok(self.page("Search", form));
        }
        let filters: BackupFilters = query_filters(q)?;
        let name = get("name");
        let found = Location::open(self.root()?)?.find(
            &FindQuery {
                filters: &filters,
                name: name.as_deref(),
                kind: None,
            },
            &session(),
        )?;
        let body = html! {
            (form)
            @if found.rows.is_empty() { p { "No backup holds a match." } }
            @for b in &found.rows {
                h2 {
                    a href={ "/ui/backups/" (enc(&b.backup)) } { (b.backup) } " "
                    span.muted { (b.started.as_deref().unwrap_or("")) }
                }
                ul {
                    @for i in &b.items {
                        li {
                            a href={ "/ui/backups/" (enc(&b.backup)) "/items/" (enc(&i.resource)) "/"
                                (enc(i.namespace.as_deref().unwrap_or("_cluster"))) "/" (enc(&i.name)) } {
                                (item_key(&i.resource, i.namespace.as_deref(), &i.name))
                            }
                        }
                    }
                }
            }
        };
        Ok(self.page("Search", body))
    }

    fn diff(self: &std::sync::Arc<Self>, q: &HashMap<String, String>) -> Result<String, Status> {
        let names: Vec<String> = Location::open(self.root()?)?
            .backups(None, None)?
            .rows
            .into_iter()
            .map(|r| r.name)
            .collect();
        let (a, b) = (
            q.get("a").cloned().unwrap_or_default(),
            q.get("b").cloned().unwrap_or_default(),
        );
        // Namespaces narrow the diff as `diff --include-namespaces` does (globs, comma-separated).
        let namespaces = q.get("include-namespaces").cloned().unwrap_or_default();
        let choose = |field: &str, selected: &str| {
            html! {
                select name=(field) {
                    @for n in &names { option selected[n == selected] { (n) } }
                }
            }
        };
        let form = html! {
            form method="get" action="/ui/diff" {
                (choose("a", &a)) " → " (choose("b", &b)) " "
                label { "namespaces " input name="include-namespaces" value=(namespaces) placeholder="all"; }
                " " button { "Compare" }
            }
        };
        if a.is_empty() || b.is_empty() {
            return Ok(self.page("Diff", form));
        }
        for n in [&a, &b] {
            if !names.contains(n) {
                return Err(Status::not_found("backups", n));
            }
        }
        let ui = self.clone();
        let title = format!("Diff {a} → {b}");
        let filters: BackupFilters = query_filters(q)?;
        let key = format!("diff/{a}/{b}/{namespaces}");
        self.background(&key, &title, move |job| {
            ui.diff_page(&a, &b, &filters, form, job)
        })
    }

    fn diff_page(
        &self,
        a: &str,
        b: &str,
        filters: &BackupFilters,
        form: Markup,
        job: &crate::jobs::Job,
    ) -> Result<String, Status> {
        let (pa, pb) = (self.backup_path(a), self.backup_path(b));
        let options = DiffOptions {
            show_secrets: self.show_secrets,
            ..DiffOptions::default()
        };
        let d = diff(
            &DiffRequest {
                a: &pa,
                b: &pb,
                filters,
                diff: &options,
                velero_version: veloscope_core::VeleroVersion::LATEST,
            },
            &Session::new(veloscope_core::Options::default(), job),
        )?;
        let r = d.report();
        let show = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let body = html! {
            (form)
            p {
                (r.added.len()) " added, " (r.removed.len()) " removed, "
                (r.changed.len()) " changed, " (r.unchanged) " unchanged."
            }
            @for (title, list) in [("Added", &r.added), ("Removed", &r.removed)] {
                @if !list.is_empty() {
                    h2 { (title) }
                    ul { @for i in list.iter() { li { (item_key(i.resource, i.namespace, i.name)) } } }
                }
            }
            @if !r.changed.is_empty() {
                h2 { "Changed" }
                @for c in &r.changed {
                    h3 { (item_key(c.resource, c.namespace, c.name)) }
                    table {
                        tr { th { "Field" } th { "Before" } th { "After" } }
                        @for ch in c.changes {
                            tr {
                                td { (ch.path) }
                                // Multi-line strings read line by line: what was removed and added.
                                @match veloscope_core::diff::line_diff(&ch.old, &ch.new) {
                                    Some(lines) => td colspan="2" { pre { (line_markup(&lines)) } },
                                    None => {
                                        td { pre { (show(&ch.old)) } }
                                        td { pre { (show(&ch.new)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(self.page(&format!("Diff {a} → {b}"), body))
    }
}

/// A line diff: removed lines red with `-`, added green with `+`, `…` between runs.
fn line_markup(lines: &[(LineOp, String)]) -> Markup {
    html! {
        @for (op, text) in lines {
            @match op {
                LineOp::Same => { "  " (text) "\n" }
                LineOp::Removed => { span.del { "- " (text) } "\n" }
                LineOp::Added => { span.add { "+ " (text) } "\n" }
                LineOp::Gap => { "  …\n" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_links_encoded() {
        let hostile = "<script>alert('x')</script>\"&";
        let html = page(
            hostile,
            html! { a href={ "/ui/backups/" (enc(hostile)) } { (hostile) } },
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert('x')&lt;/script&gt;&quot;&amp;"),
            "{html}"
        );
        assert_eq!(enc("a b/c?d:e"), "a%20b%2Fc%3Fd:e");
    }

    #[test]
    fn multi_line_changes_read_line_by_line() {
        let old = serde_json::json!("set -e\necho <one>\nexec app\n");
        let new = serde_json::json!("set -e\necho two\nexec app\n");
        let lines = veloscope_core::diff::line_diff(&old, &new).unwrap();
        assert_eq!(
            line_markup(&lines).into_string(),
            "  set -e\n<span class=\"del\">- echo &lt;one&gt;</span>\n\
             <span class=\"add\">+ echo two</span>\n  exec app\n"
        );
    }
}
