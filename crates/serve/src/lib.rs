//! `veloscope serve`: a Velero backup (or a storage location's backups) as a read-only
//! Kubernetes API that kubectl, k9s and client libraries browse as they would a cluster:
//! discovery from what the archive holds, `get`/`list`/`watch` with label and field selectors
//! and paging, server-side Tables, `meta.k8s.io/v1` Status errors, and 405 for every write.
//!
//! Built on `veloscope-core` only. Backups hold Secrets: the server binds loopback unless given a
//! token and TLS, compares tokens in constant time, reads no request body, bounds the requests
//! it works on at once and the objects of one answer, and never writes to its source.

mod discovery;
mod http;
mod jobs;
mod objects;
mod status;
mod table;
mod tls;
mod ui;
mod velero;

pub use objects::Mount;

use http::{App, Mounts};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Requests worked on at once; more are told to retry (503).
const CONCURRENT_REQUESTS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A setting that would expose the backup: a non-loopback address without token and TLS.
    #[error("{0}")]
    Insecure(String),
    #[error("{0}")]
    Tls(String),
    #[error("{addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Where and how to listen.
pub struct Config {
    pub listen: SocketAddr,
    /// The bearer token every request must carry (required beyond loopback).
    pub token: Option<String>,
    /// PEM certificate chain and key (required beyond loopback).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Show Secret data in the web UI (redacted by default).
    pub show_secrets: bool,
}

/// Opens (and indexes, if need be) the backup at a path or URL, for a location's mounts.
pub type Opener = Arc<dyn Fn(&str) -> Result<Mount, String> + Send + Sync>;

/// What is served.
pub enum Serving {
    /// One backup, at the root.
    Backup(Box<Mount>),
    /// A location's backups, each under `/backups/NAME/`, opened on first use by `open`; and at
    /// the root Velero's own API: these Backup objects (`velero-backup.json`) and Restores.
    Location {
        root: String,
        names: Vec<String>,
        open: Opener,
        backups: Vec<serde_json::Value>,
        restores: Vec<serde_json::Value>,
    },
}

impl Config {
    /// Refuses to expose backups beyond this machine without a token and TLS.
    pub fn check(&self) -> Result<(), ServeError> {
        if self.listen.ip().is_loopback() {
            return Ok(());
        }
        if self.token.is_none() || self.tls.is_none() {
            return Err(ServeError::Insecure(format!(
                "{} is not a loopback address: backups hold Secrets, so serving them there needs a bearer token (--token-file) and TLS (--tls-cert and --tls-key)",
                self.listen
            )));
        }
        Ok(())
    }

    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// Serves until interrupted (Ctrl-C); `ready` hears the address bound (port 0 picks one).
pub fn run(
    config: Config,
    serving: Serving,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    config.check()?;
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::config(cert, key).map_err(ServeError::Tls)?),
        None => None,
    };
    let ui_of = |root: &str| {
        Arc::new(ui::Ui {
            root: root.to_string(),
            show_secrets: config.show_secrets,
            verified: Default::default(),
            jobs: Default::default(),
        })
    };
    let (mounts, velero, ui) = match serving {
        Serving::Backup(m) => (Mounts::One(Arc::new(*m)), None, None),
        Serving::Location {
            root,
            names,
            open,
            backups,
            restores,
        } => (
            Mounts::Location {
                root: root.clone(),
                names,
                opened: Default::default(),
                open,
            },
            Some(velero::VeleroApi { backups, restores }),
            Some(ui_of(&root)),
        ),
    };
    let app = Arc::new(App {
        mounts,
        velero,
        ui,
        token: config.token.clone(),
        busy: tokio::sync::Semaphore::new(CONCURRENT_REQUESTS),
    });
    let router = axum::Router::new().fallback(http::handle).with_state(app);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: config.listen,
                source,
            })?;
        let local = listener.local_addr()?;
        ready(local);
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match tls {
            Some(tls) => {
                let listener = tls::TlsListener::new(listener, tls)?;
                axum::serve(listener, router)
                    .with_graceful_shutdown(stop)
                    .await?
            }
            None => {
                axum::serve(listener, router)
                    .with_graceful_shutdown(stop)
                    .await?
            }
        }
        Ok(())
    })
}

/// A kubeconfig for the server: one cluster and context per backup (`paths` as (context name,
/// path under the server), the root for a single backup), with the token and, for TLS, the
/// certificate as the authority to trust.
pub fn kubeconfig(
    server: &str,
    token: Option<&str>,
    paths: &[(String, String)],
    ca_pem: Option<&[u8]>,
) -> String {
    use serde_json::json;
    let clusters: Vec<_> = paths
        .iter()
        .map(|(name, path)| {
            let mut cluster = json!({"server": format!("{}{path}", server.trim_end_matches('/'))});
            if let Some(ca) = ca_pem {
                cluster["certificate-authority-data"] = json!(base64(ca));
            }
            json!({"name": name, "cluster": cluster})
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

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = u32::from(chunk[0]) << 16
            | u32::from(*chunk.get(1).unwrap_or(&0)) << 8
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn beyond_loopback_needs_a_token_and_tls() {
        let config = |listen: &str, token: bool, tls: bool| Config {
            listen: listen.parse().unwrap(),
            token: token.then(|| "t".to_string()),
            tls: tls.then(|| (PathBuf::from("c"), PathBuf::from("k"))),
            show_secrets: false,
        };
        assert!(config("127.0.0.1:0", false, false).check().is_ok());
        assert!(config("[::1]:0", false, false).check().is_ok());
        assert!(config("0.0.0.0:8443", true, false).check().is_err());
        assert!(config("0.0.0.0:8443", false, true).check().is_err());
        assert!(config("0.0.0.0:8443", true, true).check().is_ok());
    }
}
