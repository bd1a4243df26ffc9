//! The web UI at `/ui/` of a served location, for auditors who do not live in a terminal:
//! server-rendered HTML, no JavaScript, the style embedded, each page at a stable URL. Pages:
//! the backups (sortable, filterable), a backup (summary, errors and warnings, volumes, items per
//! namespace and resource), its items (paged), an item (as stored, managedFields folded, Secret
//! data redacted unless the server was started with `--show-secrets`), search across the
//! location, and the diff of two backups. Every answer comes from veloscope-core.

use crate::status::Status;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use veloscope_core::diff::{DiffRequest, diff};
use veloscope_core::items::ItemQuery;
use veloscope_core::location::{BackupRow, FindQuery, Location};
use veloscope_core::{Backup, BackupFilters, DiffOptions, Part, Quiet, Session};

/// Items listed on one page.
const PAGE: usize = 200;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse}td,th{padding:.25em .75em;border-bottom:1px solid #ddd;text-align:left}\
th a{color:inherit}.Completed{color:#176f2c}.PartiallyFailed{color:#a15c00}.Failed,.FailedValidation{color:#b00020}\
.InProgress{color:#1a57b0}pre{background:#f6f6f6;padding:1em;overflow:auto}nav a{margin-right:1em}\
.muted{color:#777}form{margin:1em 0}.del{color:#b00020}.add{color:#176f2c}";

/// What the UI reads: the location and whether Secret data may be shown; and the outcome of
/// each backup verified since the server started (the badges of the Backups page).
pub struct Ui {
    pub root: String,
    pub show_secrets: bool,
    pub verified: std::sync::Mutex<HashMap<String, bool>>,
    /// Verifies and diffs running in the background.
    pub jobs: crate::jobs::Jobs,
}

/// `&`, `<`, `>`, `"` and `'` escaped, for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment or query value percent-encoded for a link.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn page(title: &str, body: &str) -> String {
    page_with(title, "", body)
}

/// The page of work still running: its progress, reloaded every second until the outcome shows.
fn progress_page(title: &str, job: &crate::jobs::Job) -> String {
    page_with(
        title,
        "<meta http-equiv=\"refresh\" content=\"1\">",
        &format!(
            "<p class=\"InProgress\">Working — {}. This page reloads itself until the answer is \
             ready; other pages stay usable meanwhile.</p>",
            esc(&job.describe())
        ),
    )
}

fn page_with(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">{head}<title>{} — veloscope</title>\
<style>{STYLE}</style></head><body><nav><a href=\"/ui/\">Backups</a><a href=\"/ui/search\">Search</a>\
<a href=\"/ui/diff\">Diff</a></nav><h1>{}</h1>{body}</body></html>",
        esc(title),
        esc(title)
    )
}

/// The page of an error.
pub fn error_page(s: &Status) -> String {
    page(
        &format!(
            "{} {}",
            s.code.as_u16(),
            s.code.canonical_reason().unwrap_or("")
        ),
        &format!("<p>{}</p>", esc(&s.message)),
    )
}

/// The page a browser without a session gets: how to log in.
pub fn login_needed() -> String {
    page(
        "Log in",
        "<p>This server needs a login: open the <strong>web UI</strong> link that \
         <code>veloscope serve</code> printed when it started (it works once and sets a session \
         for this browser). API clients send the bearer token of the kubeconfig it wrote.</p>",
    )
}

fn session() -> Session<'static> {
    Session::new(veloscope_core::Options::default(), &Quiet)
}

impl Ui {
    fn backup_path(&self, name: &str) -> PathBuf {
        PathBuf::from(format!(
            "{}/backups/{name}",
            self.root.trim_end_matches('/')
        ))
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
            crate::jobs::Outcome::Running(job) => Ok(progress_page(title, &job)),
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
            [] => self.backups(q),
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
        let rows = Location::open(&self.root)?.backups(None, None)?.rows;
        if rows.iter().any(|r| r.name == name) {
            Ok(rows)
        } else {
            Err(Status::not_found("backups", name))
        }
    }

    fn backups(&self, q: &HashMap<String, String>) -> Result<String, Status> {
        let mut rows = Location::open(&self.root)?.backups(None, None)?.rows;
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
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut body = String::from(
            "<form method=\"get\" action=\"/ui/\"><input name=\"name\" placeholder=\"name contains\">\
<select name=\"phase\"><option value=\"\">any phase</option><option>Completed</option>\
<option>PartiallyFailed</option><option>Failed</option><option>InProgress</option></select>\
<input name=\"schedule\" placeholder=\"schedule\"><button>Filter</button></form><table><tr>",
        );
        for (key, label) in [
            ("name", "Name"),
            ("", "Phase"),
            ("", "Started"),
            ("", "Expires"),
            ("items", "Items"),
            ("size", "Size"),
            ("errors", "Errors / warnings"),
        ] {
            if key.is_empty() {
                let _ = write!(body, "<th>{label}</th>");
            } else {
                let _ = write!(body, "<th><a href=\"/ui/?sort={key}\">{label}</a></th>");
            }
        }
        body.push_str("</tr>");
        for r in &rows {
            let phase = r.phase.as_deref().unwrap_or("");
            let expired = r
                .expires
                .as_deref()
                .and_then(crate::table::epoch_seconds)
                .is_some_and(|e| e < now);
            let badge = match self
                .verified
                .lock()
                .ok()
                .and_then(|v| v.get(&r.name).copied())
            {
                Some(true) => " <span class=\"Completed\">✓ verified</span>",
                Some(false) => " <span class=\"Failed\">✗ verify failed</span>",
                None => "",
            };
            let _ = write!(
                body,
                "<tr><td><a href=\"/ui/backups/{}\">{}</a>{badge}</td><td class=\"{}\">{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{} / {}</td></tr>",
                enc(&r.name),
                esc(&r.name),
                esc(phase),
                esc(phase),
                esc(r.started.as_deref().unwrap_or("")),
                esc(r.expires.as_deref().unwrap_or("")),
                if expired {
                    " <span class=\"muted\">(expired)</span>"
                } else {
                    ""
                },
                r.items.map_or(String::new(), |n| n.to_string()),
                r.bytes.map_or(String::new(), human_bytes),
                r.errors,
                r.warnings
            );
        }
        body.push_str("</table>");
        Ok(page(&format!("Backups of {}", self.root), &body))
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
        let b = Backup::open_with(&path, &s, Part::Sections(&|_, _, _| false), None)?;
        let summary = b.summary()?;
        let details = b.details()?;
        let mut body = String::new();
        if let Some(info) = &summary.backup {
            let phase = info.phase.as_deref().unwrap_or("");
            let _ = write!(
                body,
                "<table><tr><th>Phase</th><td class=\"{}\">{}</td></tr><tr><th>Started</th><td>{}</td></tr>\
<tr><th>Completed</th><td>{}</td></tr><tr><th>Expires</th><td>{}</td></tr><tr><th>Errors / warnings</th><td>{} / {}</td></tr></table>",
                esc(phase),
                esc(phase),
                esc(info.started.as_deref().unwrap_or("")),
                esc(info.completed.as_deref().unwrap_or("")),
                esc(info.expires.as_deref().unwrap_or("")),
                info.errors,
                info.warnings
            );
            let spec = veloscope_core::yaml::to_string(&info.spec);
            let _ = write!(body, "<h2>Spec</h2><pre>{}</pre>", esc(&spec));
        }
        let _ = write!(
            body,
            "<p>{} items ({} entries), {}. <a href=\"/ui/backups/{}/verify\">Verify</a> \
<a href=\"/ui/backups/{}/plan\">Restore plan</a></p>",
            summary.items,
            summary.entries,
            esc(&summary.compression),
            enc(name),
            enc(name)
        );
        if let Some(d) = &details {
            for (title, messages) in [("Errors", &d.errors), ("Warnings", &d.warnings)] {
                let _ = write!(body, "<h2>{title}</h2>");
                match messages {
                    None => body.push_str("<p class=\"muted\">no results file</p>"),
                    Some(m) => {
                        let mut any = false;
                        body.push_str("<ul>");
                        for msg in m.velero.iter().chain(&m.cluster) {
                            any = true;
                            let _ = write!(body, "<li>{}</li>", esc(msg));
                        }
                        for (ns, msgs) in &m.namespaces {
                            for msg in msgs {
                                any = true;
                                let _ = write!(body, "<li>{}: {}</li>", esc(ns), esc(msg));
                            }
                        }
                        body.push_str("</ul>");
                        if !any {
                            body.push_str("<p class=\"muted\">none</p>");
                        }
                    }
                }
            }
            if !d.volumes.is_empty() {
                body.push_str("<h2>Volumes</h2><table><tr><th>PVC</th><th>PV</th><th>Method</th><th>Result</th></tr>");
                for v in &d.volumes {
                    let _ = write!(
                        body,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(v.pvc.as_deref().unwrap_or("")),
                        esc(v.pv.as_deref().unwrap_or("")),
                        esc(v.method.as_deref().unwrap_or("")),
                        esc(v.skipped.as_deref().or(v.result.as_deref()).unwrap_or(""))
                    );
                }
                body.push_str("</table>");
            }
        }
        body.push_str(
            "<h2>Items per namespace</h2><table><tr><th>Namespace</th><th>Items</th></tr>",
        );
        for ns in summary.namespaces {
            let _ = write!(
                body,
                "<tr><td><a href=\"/ui/backups/{}/items?namespace={}\">{}</a></td><td>{}</td></tr>",
                enc(name),
                enc(&ns.namespace),
                esc(&ns.namespace),
                ns.items
            );
        }
        body.push_str(
            "</table><h2>Items per resource</h2><table><tr><th>Resource</th><th>Items</th></tr>",
        );
        for r in summary.resources {
            let _ = write!(
                body,
                "<tr><td><a href=\"/ui/backups/{}/items?resource={}\">{}</a></td><td>{}</td></tr>",
                enc(name),
                enc(&r.resource),
                esc(&r.resource),
                r.items
            );
        }
        body.push_str("</table>");
        Ok(page(&format!("Backup {name}"), &body))
    }

    fn items(&self, name: &str, q: &HashMap<String, String>) -> Result<String, Status> {
        let s = session();
        let filters = BackupFilters {
            include_namespaces: q
                .get("namespace")
                .filter(|n| !n.is_empty())
                .cloned()
                .into_iter()
                .collect(),
            include_resources: q
                .get("resource")
                .filter(|n| !n.is_empty())
                .cloned()
                .into_iter()
                .collect(),
            ..BackupFilters::default()
        };
        let b = Backup::open_for_items(&self.backup_path(name), &filters, &s)?;
        let version = veloscope_core::velero_version("1.18")?;
        let rows = b.items(&filters, version, &s)?;
        let start = q
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0)
            * PAGE;
        let mut body = format!(
            "<p>{} items.</p><table><tr><th>Namespace</th><th>Resource</th><th>Name</th></tr>",
            rows.len()
        );
        for r in rows.iter().skip(start).take(PAGE) {
            let ns = r.namespace.unwrap_or("_cluster");
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td><a href=\"/ui/backups/{}/items/{}/{}/{}\">{}</a></td></tr>",
                esc(r.namespace.unwrap_or("")),
                esc(r.resource),
                enc(name),
                enc(r.resource),
                enc(ns),
                enc(r.name),
                esc(r.name)
            );
        }
        body.push_str("</table>");
        if start + PAGE < rows.len() {
            let page_no = start / PAGE + 1;
            let mut next = format!("/ui/backups/{}/items?page={page_no}", enc(name));
            for k in ["namespace", "resource"] {
                if let Some(v) = q.get(k) {
                    let _ = write!(next, "&{k}={}", enc(v));
                }
            }
            let _ = write!(body, "<p><a href=\"{}\">next page</a></p>", esc(&next));
        }
        Ok(page(&format!("Items of {name}"), &body))
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
        let stored = Backup::open_for_item(&path, &query, &s)?.item(&query, &s)?;
        let mut value = stored.value()?;
        let mut notes = Vec::new();
        if let Some(m) = value.get_mut("metadata").and_then(Value::as_object_mut)
            && m.remove("managedFields").is_some()
        {
            notes.push("metadata.managedFields folded".to_string());
        }
        // Decided by the item as stored, whatever the URL called its resource.
        if !self.show_secrets && veloscope_core::redact::redact(&stored.group_resource, &mut value)
        {
            notes.push(
                "Secret values redacted, and annotations that could embed them (start the server with --show-secrets to see them)".into(),
            );
        }
        let yaml = veloscope_core::yaml::to_string(&value);
        let mut body = format!(
            "<p class=\"muted\">{} in <a href=\"/ui/backups/{}\">{}</a></p>",
            esc(&stored.entry),
            enc(backup),
            esc(backup)
        );
        for n in notes {
            let _ = write!(body, "<p class=\"muted\">{}</p>", esc(&n));
        }
        let _ = write!(body, "<pre>{}</pre>", esc(&yaml));
        body.push_str(&self.elsewhere(backup, &query, &stored.body, rows));
        Ok(page(&format!("{resource} {name}"), &body))
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
        let verdict = if report.ok {
            "<p class=\"Completed\">Sound: no error.</p>"
        } else {
            "<p class=\"Failed\">Not sound.</p>"
        };
        let mut body = format!("{verdict}<p>{} items checked.</p>", report.items);
        // Grouped by code, errors first, the root cause first (veloscope-verify's order).
        let codes = veloscope_core::verify::grouped(&report.problems);
        if !codes.is_empty() {
            body.push_str(
                "<table><tr><th>Code</th><th>Severity</th><th>Count</th><th>First</th></tr>",
            );
        }
        for g in &codes {
            let (code, list) = (g.code, &g.findings);
            let sev = if g.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            let first = list
                .first()
                .map_or(String::new(), |f| format!("{}: {}", f.entry, f.message));
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{sev}</td><td>{}</td><td>{}</td></tr>",
                esc(code),
                list.len(),
                esc(&first)
            );
        }
        if !codes.is_empty() {
            body.push_str("</table>");
        }
        Ok(page(&format!("Verify {name}"), &body))
    }

    fn plan(&self, name: &str, q: &HashMap<String, String>) -> Result<String, Status> {
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        let list = |k: &str| -> Vec<String> {
            get(k)
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default()
        };
        let filters = veloscope_core::RestoreFilters {
            include_namespaces: list("include-namespaces"),
            exclude_namespaces: list("exclude-namespaces"),
            include_resources: list("include-resources"),
            exclude_resources: list("exclude-resources"),
            namespace_mappings: get("namespace-mappings"),
            selector: get("selector"),
            include_cluster_resources: get("include-cluster-resources").map(|v| v == "true"),
            velero_version: "1.18".into(),
            ..veloscope_core::RestoreFilters::default()
        };
        let field = |k: &str| {
            format!(
                "<label>{k} <input name=\"{k}\" value=\"{}\"></label> ",
                esc(&get(k).unwrap_or_default())
            )
        };
        let mut body = format!(
            "<form method=\"get\" action=\"/ui/backups/{}/plan\">{}{}{}{}{}{}<label>include-cluster-resources \
<select name=\"include-cluster-resources\"><option value=\"\">unset</option><option>true</option><option>false</option></select></label> \
<button>Plan</button></form>",
            enc(name),
            field("include-namespaces"),
            field("exclude-namespaces"),
            field("include-resources"),
            field("exclude-resources"),
            field("namespace-mappings"),
            field("selector")
        );
        let s = session();
        let backup = Backup::open_for_plan(&self.backup_path(name), &filters, false, &s)?;
        let report = backup.plan(&filters, &s)?;
        for w in report.empty_claims.iter().chain(&report.warnings) {
            let _ = write!(body, "<p class=\"PartiallyFailed\">{}</p>", esc(w));
        }
        let _ = write!(
            body,
            "<h2>Steps ({})</h2><table><tr><th>Order</th><th>Action</th><th>Resource</th><th>Namespace</th><th>Name</th><th>Note</th></tr>",
            report.steps.len()
        );
        for st in report.steps.iter().take(PAGE * 5) {
            let action = serde_json::to_value(st.action)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                st.order,
                esc(&action),
                esc(&st.resource),
                esc(st.target_namespace.as_deref().unwrap_or("")),
                esc(&st.name),
                esc(st.note.as_deref().unwrap_or(""))
            );
        }
        body.push_str("</table>");
        let mut by_reason: std::collections::BTreeMap<&str, u64> =
            std::collections::BTreeMap::new();
        for sk in &report.skipped {
            *by_reason.entry(sk.reason.as_str()).or_default() += 1;
        }
        for o in &report.omitted {
            *by_reason.entry(o.reason.as_str()).or_default() += o.items;
        }
        body.push_str("<h2>Not restored</h2><table><tr><th>Reason</th><th>Items</th></tr>");
        for (reason, n) in by_reason {
            let _ = write!(body, "<tr><td>{}</td><td>{n}</td></tr>", esc(reason));
        }
        body.push_str("</table>");
        Ok(page(&format!("Restore plan of {name}"), &body))
    }

    /// The other backups of the location (the newest 20) that hold the same item, and whether
    /// it differs there, with a link to the diff.
    fn elsewhere(
        &self,
        here: &str,
        query: &ItemQuery<'_>,
        body: &[u8],
        rows: &[BackupRow],
    ) -> String {
        let s = session();
        let mut out = String::from("<h2>In other backups</h2><ul>");
        for r in rows.iter().filter(|r| r.name != here).take(20) {
            let path = self.backup_path(&r.name);
            let there = Backup::open_for_item(&path, query, &s).and_then(|b| b.item(query, &s));
            let state = match there {
                Ok(other) if other.body == body => "same".to_string(),
                Ok(_) => format!(
                    "differs (<a href=\"/ui/diff?a={}&amp;b={}\">diff</a>)",
                    enc(&r.name),
                    enc(here)
                ),
                Err(_) => "absent".to_string(),
            };
            let _ = write!(
                out,
                "<li><a href=\"/ui/backups/{}\">{}</a>: {state}</li>",
                enc(&r.name),
                esc(&r.name)
            );
        }
        out.push_str("</ul>");
        out
    }

    fn search(&self, q: &HashMap<String, String>) -> Result<String, Status> {
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        let mut body = format!(
            "<form method=\"get\" action=\"/ui/search\"><input name=\"resource\" placeholder=\"resource\" value=\"{}\">\
<input name=\"namespace\" placeholder=\"namespace\" value=\"{}\"><input name=\"name\" placeholder=\"name glob\" value=\"{}\">\
<input name=\"selector\" placeholder=\"label selector\" value=\"{}\"><button>Search</button></form>",
            esc(&get("resource").unwrap_or_default()),
            esc(&get("namespace").unwrap_or_default()),
            esc(&get("name").unwrap_or_default()),
            esc(&get("selector").unwrap_or_default())
        );
        if ["resource", "namespace", "name", "selector"]
            .iter()
            .all(|k| get(k).is_none())
        {
            return Ok(page("Search", &body));
        }
        let filters = BackupFilters {
            include_namespaces: get("namespace").into_iter().collect(),
            include_resources: get("resource").into_iter().collect(),
            selector: get("selector"),
            ..BackupFilters::default()
        };
        let name = get("name");
        let found = Location::open(&self.root)?.find(
            &FindQuery {
                filters: &filters,
                name: name.as_deref(),
                kind: None,
            },
            &session(),
        )?;
        if found.rows.is_empty() {
            body.push_str("<p>No backup holds a match.</p>");
        }
        for b in &found.rows {
            let _ = write!(
                body,
                "<h2><a href=\"/ui/backups/{}\">{}</a> <span class=\"muted\">{}</span></h2><ul>",
                enc(&b.backup),
                esc(&b.backup),
                esc(b.started.as_deref().unwrap_or(""))
            );
            for i in &b.items {
                let ns = i.namespace.as_deref().unwrap_or("_cluster");
                let shown = match &i.namespace {
                    Some(ns) => format!("{ns}/{}", i.name),
                    None => i.name.clone(),
                };
                let _ = write!(
                    body,
                    "<li><a href=\"/ui/backups/{}/items/{}/{}/{}\">{} {}</a></li>",
                    enc(&b.backup),
                    enc(&i.resource),
                    enc(ns),
                    enc(&i.name),
                    esc(&i.resource),
                    esc(&shown)
                );
            }
            body.push_str("</ul>");
        }
        Ok(page("Search", &body))
    }

    fn diff(self: &std::sync::Arc<Self>, q: &HashMap<String, String>) -> Result<String, Status> {
        let names: Vec<String> = Location::open(&self.root)?
            .backups(None, None)?
            .rows
            .into_iter()
            .map(|r| r.name)
            .collect();
        let (a, b) = (
            q.get("a").cloned().unwrap_or_default(),
            q.get("b").cloned().unwrap_or_default(),
        );
        let options = |selected: &str| {
            names
                .iter()
                .map(|n| {
                    let sel = if n == selected { " selected" } else { "" };
                    format!("<option{sel}>{}</option>", esc(n))
                })
                .collect::<String>()
        };
        // Namespaces narrow the diff as `diff --include-namespaces` does (globs, comma-separated).
        let namespaces = q.get("namespaces").cloned().unwrap_or_default();
        let body = format!(
            "<form method=\"get\" action=\"/ui/diff\"><select name=\"a\">{}</select> → <select name=\"b\">{}</select> \
             <label>namespaces <input name=\"namespaces\" value=\"{}\" placeholder=\"all\"></label> <button>Compare</button></form>",
            options(&a),
            options(&b),
            esc(&namespaces)
        );
        if a.is_empty() || b.is_empty() {
            return Ok(page("Diff", &body));
        }
        for n in [&a, &b] {
            if !names.contains(n) {
                return Err(Status::not_found("backups", n));
            }
        }
        let ui = self.clone();
        let title = format!("Diff {a} → {b}");
        let filters = BackupFilters {
            include_namespaces: namespaces
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect(),
            ..BackupFilters::default()
        };
        let key = format!("diff/{a}/{b}/{namespaces}");
        self.background(&key, &title, move |job| {
            ui.diff_page(&a, &b, &filters, body, job)
        })
    }

    fn diff_page(
        &self,
        a: &str,
        b: &str,
        filters: &BackupFilters,
        mut body: String,
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
                velero_version: veloscope_core::velero_version("1.18")?,
            },
            &Session::new(veloscope_core::Options::default(), job),
        )?;
        let r = d.report();
        let _ = write!(
            body,
            "<p>{} added, {} removed, {} changed, {} unchanged.</p>",
            r.added.len(),
            r.removed.len(),
            r.changed.len(),
            r.unchanged
        );
        let key = |resource: &str, ns: Option<&str>, name: &str| match ns {
            Some(ns) => format!("{} {}/{}", esc(resource), esc(ns), esc(name)),
            None => format!("{} {}", esc(resource), esc(name)),
        };
        for (title, list) in [("Added", &r.added), ("Removed", &r.removed)] {
            if !list.is_empty() {
                let _ = write!(body, "<h2>{title}</h2><ul>");
                for i in list.iter() {
                    let _ = write!(body, "<li>{}</li>", key(i.resource, i.namespace, i.name));
                }
                body.push_str("</ul>");
            }
        }
        if !r.changed.is_empty() {
            body.push_str("<h2>Changed</h2>");
            for c in &r.changed {
                let _ = write!(
                    body,
                    "<h3>{}</h3><table><tr><th>Field</th><th>Before</th><th>After</th></tr>",
                    key(c.resource, c.namespace, c.name)
                );
                for ch in c.changes {
                    let show = |v: &Value| match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    // Multi-line strings read line by line: what was removed and added.
                    let cells = match veloscope_core::diff::line_diff(&ch.old, &ch.new) {
                        Some(lines) => {
                            format!("<td colspan=\"2\"><pre>{}</pre></td>", line_html(&lines))
                        }
                        None => format!(
                            "<td><pre>{}</pre></td><td><pre>{}</pre></td>",
                            esc(&show(&ch.old)),
                            esc(&show(&ch.new))
                        ),
                    };
                    let _ = write!(body, "<tr><td>{}</td>{cells}</tr>", esc(&ch.path));
                }
                body.push_str("</table>");
            }
        }
        Ok(page(&format!("Diff {a} → {b}"), &body))
    }
}

/// A line diff as HTML: removed lines red with `-`, added green with `+`, `…` between runs.
fn line_html(lines: &[(veloscope_core::diff::LineOp, String)]) -> String {
    use veloscope_core::diff::LineOp;
    lines
        .iter()
        .map(|(op, text)| match op {
            LineOp::Same => format!("  {}\n", esc(text)),
            LineOp::Removed => format!("<span class=\"del\">- {}</span>\n", esc(text)),
            LineOp::Added => format!("<span class=\"add\">+ {}</span>\n", esc(text)),
            LineOp::Gap => "  …\n".to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(enc("a b/c?d"), "a%20b%2Fc%3Fd");
    }

    #[test]
    fn multi_line_changes_read_line_by_line() {
        let old = serde_json::json!("set -e\necho <one>\nexec app\n");
        let new = serde_json::json!("set -e\necho two\nexec app\n");
        let lines = veloscope_core::diff::line_diff(&old, &new).unwrap();
        assert_eq!(
            line_html(&lines),
            "  set -e\n<span class=\"del\">- echo &lt;one&gt;</span>\n\
             <span class=\"add\">+ echo two</span>\n  exec app\n"
        );
    }
}
