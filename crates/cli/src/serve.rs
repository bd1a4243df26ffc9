use crate::args::Global;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use veloscope_core::location::Location;
use veloscope_core::{Backup, Quiet, Session};
use veloscope_serve::{Config, Mount, Serving};

/// The arguments of `veloscope serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A backup (served at the root), or a storage location (each backup under /backups/NAME/).
    pub source: PathBuf,
    /// Address to listen on. Anything but loopback needs --token-file, --tls-cert and --tls-key.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The bearer token clients must send; generated into this file (mode 0600) when it does not
    /// exist.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// PEM certificate chain for TLS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Write a kubeconfig for this server (one context per backup) to this file.
    #[arg(long, value_name = "FILE")]
    pub write_kubeconfig: Option<PathBuf>,
    /// Show Secret data in the web UI (it is redacted unless this is given).
    #[arg(long)]
    pub show_secrets: bool,
}

/// Is `source` a storage location rather than one backup? A folder with a `backups/` folder, or
/// a URL that does not name `…/backups/NAME`.
fn is_location(source: &str) -> bool {
    if source.contains("://") {
        let path = source.split_once("://").map_or("", |(_, p)| p);
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        return !matches!(segs.as_slice(), [.., "backups", _]);
    }
    Path::new(source).join("backups").is_dir()
}

/// The token from `file`, or a new random one written there (readable by the owner only).
fn token(file: &Path) -> Result<String> {
    if file.exists() {
        let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
        let t = text.trim().to_string();
        if t.is_empty() {
            bail!("{}: the token file is empty", file.display());
        }
        return Ok(t);
    }
    let mut raw = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut raw)?;
    let t: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .with_context(|| file.display().to_string())?;
    writeln!(f, "{t}")?;
    Ok(t)
}

pub fn run(a: &Args, _g: &Global, s: &Session<'_>) -> Result<u8> {
    let source = a.source.to_string_lossy().into_owned();
    let token = a.token_file.as_deref().map(token).transpose()?;
    let config = Config {
        listen: a.listen,
        token: token.clone(),
        tls: a.tls_cert.clone().zip(a.tls_key.clone()),
        show_secrets: a.show_secrets,
    };
    config.check()?;
    if config.token.is_some() && config.tls.is_none() {
        eprintln!(
            "warning: kubectl sends a bearer token only over TLS: add --tls-cert and --tls-key"
        );
    }
    let (serving, contexts) = if is_location(&source) {
        let location = Location::open(&source)?;
        let rows = location.backups(None, None)?.rows;
        let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
        let backups = rows.into_iter().map(|r| r.object).collect();
        // Velero keeps no Restore object in the location: its results stand for it.
        let restores = location
            .restores()?
            .rows
            .into_iter()
            .map(|r| {
                serde_json::json!({"apiVersion": "velero.io/v1", "kind": "Restore",
                    "metadata": {"name": r.name, "namespace": "velero"},
                    "status": {"errors": r.errors, "warnings": r.warnings}})
            })
            .collect();
        // The location's own context first: Velero's API at the root.
        let contexts = std::iter::once(("velero".to_string(), String::new()))
            .chain(names.iter().map(|n| (n.clone(), format!("/backups/{n}"))))
            .collect();
        let open = Arc::new(|path: &str| {
            let s = Session::new(veloscope_core::Options::default(), &Quiet);
            Backup::open_for_serving(Path::new(path), &s)
                .map(|b| Mount::new(PathBuf::from(path), b))
                .map_err(|e| e.to_string())
        });
        let serving = Serving::Location {
            root: source.clone(),
            names,
            open,
            backups,
            restores,
        };
        (serving, contexts)
    } else {
        let backup = Backup::open_for_serving(&a.source, s)?;
        let serving = Serving::Backup(Box::new(Mount::new(a.source.clone(), backup)));
        (serving, vec![("veloscope".to_string(), String::new())])
    };
    let ca = a
        .tls_cert
        .as_deref()
        .map(std::fs::read)
        .transpose()
        .context("reading --tls-cert")?;
    let scheme = config.scheme();
    let kubeconfig = a.write_kubeconfig.clone();
    let ready = move |addr: SocketAddr| {
        let host = if addr.ip().is_unspecified() {
            SocketAddr::new([127, 0, 0, 1].into(), addr.port())
        } else {
            addr
        };
        let server = format!("{scheme}://{host}");
        if let Some(f) = &kubeconfig {
            let text =
                veloscope_serve::kubeconfig(&server, token.as_deref(), &contexts, ca.as_deref());
            if let Err(e) = std::fs::write(f, text) {
                eprintln!("warning: {}: {e}", f.display());
            }
        }
        eprintln!("serving {source} read-only at {server}");
        if is_location(&source) {
            eprintln!("  web UI: {server}/ui/");
        }
        if let Some(f) = &kubeconfig {
            eprintln!("  KUBECONFIG={} kubectl get pods -A", f.display());
        } else {
            eprintln!("  kubectl --server {server} get pods -A");
        }
    };
    veloscope_serve::run(config, serving, ready)?;
    Ok(0)
}
