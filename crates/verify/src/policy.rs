//! CI gates (`verify --policy FILE`): what a backup must hold, must not hold, how old it may be,
//! which phases and how many warnings are acceptable, and which findings are errors.

use crate::finding::{CHECKS, Finding, Severity, finding};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};
use veloscope_index::Index;
use veloscope_model::Backup;
use veloscope_model::duration::parse_duration;
use veloscope_select::{Resolution, Resolver};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Namespace → minimum number of items in it.
    #[serde(default)]
    pub required_namespaces: BTreeMap<String, u64>,
    /// Resource (any spelling Velero resolves) → minimum number of items.
    #[serde(default)]
    pub required_resources: BTreeMap<String, u64>,
    #[serde(default)]
    pub forbidden_namespaces: Vec<String>,
    #[serde(default)]
    pub forbidden_resources: Vec<String>,
    /// Go duration (`26h`, `1h30m`): the longest time since the backup started.
    #[serde(default)]
    pub max_age: Option<String>,
    #[serde(default)]
    pub allowed_phases: Vec<String>,
    /// The most warnings the backup may have recorded (`status.warnings`).
    #[serde(default)]
    pub max_warnings: Option<i64>,
    /// Finding code → severity, overriding the default.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, crate::VerifyError> {
        Policy::parse_text(text).map_err(crate::VerifyError::Policy)
    }

    fn parse_text(text: &str) -> Result<Policy, String> {
        let p: Policy = veloscope_model::manifest::from_str(text)
            .map_err(|e| format!("invalid policy: {e}"))?;
        if let Some(d) = &p.max_age {
            parse_duration(d).map_err(|e| format!("invalid policy: maxAge: {e}"))?;
        }
        for code in p.severity.keys() {
            if !CHECKS.iter().any(|c| c.0 == code) {
                return Err(format!(
                    "invalid policy: severity: unknown finding code {code:?}"
                ));
            }
        }
        Ok(p)
    }

    /// Applies the severity overrides.
    pub fn adjust(&self, findings: &mut [Finding]) {
        for f in findings {
            if let Some(s) = self.severity.get(f.code) {
                f.severity = *s;
            }
        }
    }

    pub fn check(
        &self,
        file: &str,
        index: &Index,
        resolver: &Resolver,
        backup: Option<&Backup>,
        now: SystemTime,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let ns_count = |ns: &str| {
            index
                .namespaces
                .iter()
                .find(|n| n.namespace == ns)
                .map_or(0, |n| n.items)
        };
        let gr_of = |name: &str| match resolver.resolve(name) {
            Resolution::Resource(gr) => gr,
            Resolution::Pattern(p) => p,
        };
        let gr_count = |gr: &str| index.resource(gr).map_or(0, |r| r.items);
        for (ns, min) in &self.required_namespaces {
            let n = ns_count(ns);
            if n < (*min).max(1) {
                out.push(finding(
                    "required-namespace",
                    file,
                    format!(
                        "namespace {ns} holds {n} items, the policy requires at least {}",
                        (*min).max(1)
                    ),
                ));
            }
        }
        for (res, min) in &self.required_resources {
            let gr = gr_of(res);
            let n = gr_count(&gr);
            if n < (*min).max(1) {
                out.push(finding(
                    "required-resource",
                    file,
                    format!(
                        "{gr} has {n} items, the policy requires at least {}",
                        (*min).max(1)
                    ),
                ));
            }
        }
        for ns in &self.forbidden_namespaces {
            let n = ns_count(ns);
            if n > 0 {
                out.push(finding(
                    "forbidden-namespace",
                    file,
                    format!("namespace {ns} holds {n} items, the policy forbids it"),
                ));
            }
        }
        for res in &self.forbidden_resources {
            let gr = gr_of(res);
            let n = gr_count(&gr);
            if n > 0 {
                out.push(finding(
                    "forbidden-resource",
                    file,
                    format!("{gr} has {n} items, the policy forbids it"),
                ));
            }
        }
        let status = backup.map(|b| &b.status);
        if let Some(max) = &self.max_age {
            let limit = parse_duration(max).unwrap_or(0.0);
            match status.and_then(|s| s.start_timestamp.as_deref()).and_then(veloscope_model::timestamp::seconds) {
                Some(started) => {
                    let now = now.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
                    let age = now - started;
                    if age > limit {
                        out.push(finding("max-age", file, format!("the backup started {} ago, the policy allows {max}", human(age))));
                    }
                }
                None => out.push(finding("max-age", file, "the backup's start time is unknown (no velero-backup.json status.startTimestamp)")),
            }
        }
        if !self.allowed_phases.is_empty() {
            let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("<none>");
            if !self.allowed_phases.iter().any(|p| p == phase) {
                out.push(finding(
                    "phase-not-allowed",
                    file,
                    format!(
                        "phase {phase}, the policy allows {}",
                        self.allowed_phases.join(", ")
                    ),
                ));
            }
        }
        if let Some(max) = self.max_warnings {
            let w = status.map_or(0, |s| s.warnings);
            if w > max {
                out.push(finding(
                    "max-warnings",
                    file,
                    format!("the backup recorded {w} warnings, the policy allows {max}"),
                ));
            }
        }
        out
    }
}

fn human(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        s if s >= 86_400 => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
        s if s >= 3600 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        s => format!("{}m{}s", s / 60, s % 60),
    }
}
