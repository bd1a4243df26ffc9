//! `veloscope serve`: a Velero backup (or a storage location's backups) as a read-only
//! Kubernetes API that kubectl, k9s and client libraries browse as they would a cluster:
//! discovery from what the archive holds, `get`/`list`/`watch` with label and field selectors
//! and paging, server-side Tables, `meta.k8s.io/v1` Status errors, and 405 for every write.
//!
//! Built on `veloscope-core` only. Backups hold Secrets, so: the server binds loopback unless
//! given TLS; every request needs the bearer token (made at start unless given) or the session
//! of the one-time login link, and must name the server by a host it answers to (no DNS
//! rebinding); Secret values are redacted in every answer unless `--show-secrets`; every
//! client's time and memory are bounded (see `server`); it never writes to its source.
//!
//! ```
//! use veloscope_serve::{Config, Limits};
//!
//! // Beyond loopback, backups (which hold Secrets) are served only with a token and TLS.
//! let open = Config {
//!     listen: "0.0.0.0:8443".parse()?,
//!     token: None,
//!     tls: None,
//!     allow_hosts: Vec::new(),
//!     show_secrets: false,
//!     limits: Limits::default(),
//! };
//! assert!(open.check().is_err());
//! let local = Config { listen: "127.0.0.1:8443".parse()?, ..open };
//! assert!(local.check().is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access;
mod budget;
mod discovery;
mod http;
mod jobs;
mod objects;
mod openapi;
mod review;
mod server;
mod status;
mod subresource;
mod table;
mod tls;
mod ui;
mod velero;

pub use access::random_hex;
pub use objects::Mount;
pub use server::Limits;
pub use velero::{Listing, list as list_location};

use http::{App, Mounts};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Requests worked on at once; more are told to retry (429).
const CONCURRENT_REQUESTS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A setting that would expose the backup: a non-loopback address without token and TLS.
    #[error("{0}")]
    Insecure(String),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("{addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("no random numbers from the operating system: {0}")]
    Random(getrandom::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Where and how to listen.
pub struct Config {
    pub listen: SocketAddr,
    /// The bearer token every request must carry; None only with `--no-auth` (loopback only).
    pub token: Option<String>,
    /// PEM certificate chain and key (required beyond loopback; on loopback one is made).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// More host names the server answers to (beyond its address and `localhost`).
    pub allow_hosts: Vec<String>,
    /// Show Secret values in the API and the web UI (redacted by default).
    pub show_secrets: bool,
    pub limits: Limits,
}

/// What a started server tells its caller.
pub struct Ready {
    pub addr: SocketAddr,
    /// Where kubectl and client libraries reach it (https: they send a token only over TLS).
    pub api_url: String,
    /// Plain HTTP on the same port (loopback only), for a browser and curl.
    pub plain_url: Option<String>,
    /// The web UI's one-time login link, when there is a UI and a token.
    pub login_url: Option<String>,
    /// The certificate (or authority) a client must trust, PEM.
    pub authority_pem: Vec<u8>,
}

/// Told a location's backup names (newest first) whenever a reading of the location finds them
/// changed: the CLI writes its kubeconfig's contexts again.
pub type NamesChanged = Box<dyn Fn(&[String]) + Send + Sync>;

/// Opens (and indexes, if need be) the backup at a path or URL, for a location's mounts.
pub type Opener = Arc<dyn Fn(&str) -> Result<Mount, veloscope_core::Error> + Send + Sync>;

/// What is served.
pub enum Serving {
    /// One backup, at the root.
    Backup(Box<Mount>),
    /// A location's backups, each under `/backups/NAME/`, opened on first use by `open`; and at
    /// the root Velero's own API: its Backup objects (`velero-backup.json`) and Restores. The
    /// listing is read again when a request comes after `Limits::rescan`.
    Location {
        root: String,
        open: Opener,
        listing: velero::Listing,
    },
}

impl Config {
    /// Refuses to expose backups beyond this machine without a token and TLS, and `--no-auth`
    /// beyond loopback.
    pub fn check(&self) -> Result<(), ServeError> {
        if self.listen.ip().is_loopback() {
            return Ok(());
        }
        if self.token.is_none() || self.tls.is_none() {
            return Err(ServeError::Insecure(format!(
                "{} is not a loopback address: backups hold Secrets, so serving them there needs a token (not --no-auth) and TLS (--tls-cert and --tls-key)",
                self.listen
            )));
        }
        Ok(())
    }

    /// The names a made certificate is for: loopback, the bound address, the allowed hosts.
    fn certificate_names(&self) -> Vec<String> {
        let mut names: Vec<String> = vec!["127.0.0.1".into(), "::1".into(), "localhost".into()];
        if !self.listen.ip().is_unspecified() && !self.listen.ip().is_loopback() {
            names.push(self.listen.ip().to_string());
        }
        // As the Host check compares them: a port or a trailing dot is no part of a name.
        names.extend(self.allow_hosts.iter().map(|h| access::host_name(h)));
        names
    }
}

/// Serves until interrupted (Ctrl-C); `ready` hears where (port 0 picks one) and how to reach it,
/// and may answer with who to tell when a location's backups change: the location is then read
/// again every `Limits::rescan` even without requests, so that news reaches it.
pub fn run(
    config: Config,
    serving: Serving,
    ready: impl FnOnce(Ready) -> Option<NamesChanged>,
) -> Result<(), ServeError> {
    config.check()?;
    let tls = match &config.tls {
        Some((cert, key)) => tls::from_files(cert, key)?,
        None => tls::generated(&config.certificate_names())?,
    };
    let plain = config.listen.ip().is_loopback();
    let login = match &config.token {
        Some(_) => Some(random_hex(32).map_err(ServeError::Random)?),
        None => None,
    };
    let ui_of = |scope: ui::Scope| {
        Arc::new(ui::Ui {
            scope,
            show_secrets: config.show_secrets,
            verified: Default::default(),
            jobs: Default::default(),
        })
    };
    let (mounts, velero, ui) = match serving {
        Serving::Backup(m) => {
            let name = m.path.file_name().map_or_else(
                || "backup".to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let scope = ui::Scope::Backup {
                name,
                path: m.path.clone(),
            };
            (Mounts::One(Arc::new(*m)), None, Some(ui_of(scope)))
        }
        Serving::Location {
            root,
            open,
            listing,
        } => (
            Mounts::Location {
                root: root.clone(),
                opened: Default::default(),
                open,
            },
            Some(velero::Rescanned::new(
                root.clone(),
                listing,
                config.limits.rescan,
            )),
            Some(ui_of(ui::Scope::Location(root))),
        ),
    };
    let app = Arc::new(App {
        mounts,
        velero,
        ui,
        access: access::Access::new(
            config.token.clone(),
            login.clone(),
            config.listen,
            &config.allow_hosts,
        ),
        busy: tokio::sync::Semaphore::new(CONCURRENT_REQUESTS),
        budget: budget::Budget::new(config.limits.answers_kib),
        body_time: config.limits.head,
        bookmarks: config.limits.bookmarks,
        show_secrets: config.show_secrets,
    });
    let rescans = app.clone();
    let router = axum::Router::new().fallback(http::handle).with_state(app);
    // The process's one runtime, shared with object storage. Its blocking work (reading bodies,
    // rendering pages) runs on a few threads; more requests wait in the queue (and past
    // CONCURRENT_REQUESTS are told to retry).
    veloscope_core::runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            SocketAddr::new([127, 0, 0, 1].into(), addr.port())
        } else {
            addr
        };
        let plain_url = plain.then(|| format!("http://{host}"));
        let base = plain_url
            .clone()
            .unwrap_or_else(|| format!("https://{host}"));
        let told = ready(Ready {
            addr,
            api_url: format!("https://{host}"),
            login_url: login.map(|t| format!("{base}/ui/login?token={t}")),
            plain_url,
            authority_pem: tls.authority_pem.clone(),
        });
        // Ended with the server (the runtime outlives it): nothing is told after the caller
        // has cleaned up.
        let rescanning = match (told, &rescans.velero) {
            (Some(told), Some(listed)) => {
                listed.on_change(told);
                Some(tokio::spawn(async move {
                    if let Some(listed) = &rescans.velero {
                        listed.keep_fresh().await;
                    }
                }))
            }
            _ => None,
        };
        // Ctrl-C or a service manager's SIGTERM: a clean stop (the caller removes its files).
        let stop = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        server::serve(
            listener,
            Some(tls.config),
            plain,
            router,
            config.limits,
            stop,
        )
        .await;
        if let Some(task) = rescanning {
            task.abort();
        }
        Ok(())
    })
}

/// Parses a request's parts as the server does before it answers (path segments, query, label
/// and field selectors, the `Host`, the session cookie) and says whether they were accepted:
/// for the fuzz target, as no input a client sends may panic these parsers.
#[doc(hidden)]
pub fn parse_request_parts(path: &str, query: &str, host: &str, cookie: &str) -> bool {
    use axum::http::{HeaderMap, HeaderValue, header};
    let mut ok = http::segments(path).is_ok();
    let q = http::query_params(Some(query));
    if let Some(l) = q.get("labelSelector") {
        ok &= veloscope_core::api::Selector::parse(l).is_ok();
    }
    if let Some(f) = q.get("fieldSelector") {
        for gr in ["pods", "events", "secrets", "configmaps"] {
            ok &= objects::FieldSelector::parse(f, gr).is_ok();
        }
    }
    let access = access::Access::new(
        Some("token".into()),
        Some("login".into()),
        SocketAddr::from(([127, 0, 0, 1], 8080)),
        &[],
    );
    let mut headers = HeaderMap::new();
    for (name, value) in [(header::HOST, host), (header::COOKIE, cookie)] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    ok &= access.check_host(&headers).is_ok();
    ok &= access.check_credential(&headers).is_ok();
    ok
}

/// A kubeconfig for the server: one cluster and context per backup (`paths` as (context name,
/// path under the server), the root for a single backup), with the token and the certificate
/// authority to trust. The first context is the current one.
pub fn kubeconfig(
    server: &str,
    token: Option<&str>,
    paths: &[(String, String)],
    ca_pem: &[u8],
) -> String {
    use base64::Engine as _;
    use serde_json::json;
    let authority = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let clusters: Vec<_> = paths
        .iter()
        .map(|(name, path)| {
            json!({"name": name, "cluster": {
                "server": format!("{}{path}", server.trim_end_matches('/')),
                "certificate-authority-data": authority,
            }})
        })
        .collect();
    let user = match token {
        Some(t) => json!({"token": t}),
        None => json!({}),
    };
    let contexts: Vec<_> = paths
        .iter()
        .map(|(name, _)| json!({"name": name, "context": {"cluster": name, "user": "veloscope"}}))
        .collect();
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": [{"name": "veloscope", "user": user}],
        "contexts": contexts,
        "current-context": paths.first().map(|p| p.0.clone()).unwrap_or_default(),
        "preferences": {},
    });
    veloscope_core::yaml::to_string(&config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name given with a port (as a Host header carries one) is certified without it.
    #[test]
    fn allowed_hosts_are_certified_as_they_are_compared() {
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            token: None,
            tls: None,
            allow_hosts: vec!["Backups.Internal.:443".into()],
            show_secrets: false,
            limits: Limits::default(),
        };
        assert!(
            config
                .certificate_names()
                .contains(&"backups.internal".to_string())
        );
    }

    #[test]
    fn beyond_loopback_needs_a_token_and_tls() {
        let config = |listen: &str, token: bool, tls: bool| Config {
            listen: listen.parse().unwrap(),
            token: token.then(|| "t".to_string()),
            tls: tls.then(|| (PathBuf::from("c"), PathBuf::from("k"))),
            allow_hosts: Vec::new(),
            show_secrets: false,
            limits: Limits::default(),
        };
        assert!(config("127.0.0.1:0", false, false).check().is_ok());
        assert!(config("[::1]:0", false, false).check().is_ok());
        assert!(config("0.0.0.0:8443", true, false).check().is_err());
        assert!(config("0.0.0.0:8443", false, true).check().is_err());
        assert!(config("0.0.0.0:8443", true, true).check().is_ok());
    }
}
