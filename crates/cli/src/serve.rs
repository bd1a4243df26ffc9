use crate::args::Global;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use veloscope_core::{Backup, Quiet, Session};
use veloscope_serve::{Config, Mount, Ready, Serving};

/// The arguments of `veloscope serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A backup (served at the root), or a storage location (each backup under /backups/NAME/).
    pub source: PathBuf,
    /// Address to listen on. Anything but loopback needs --tls-cert and --tls-key.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// The bearer token clients must send; generated into this file (mode 0600) when it does not
    /// exist. Without it, a new token is made at start (and written into the kubeconfig).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// No token (loopback only): any local user and process can read the backups, Secrets
    /// included unless redacted.
    #[arg(long, conflicts_with = "token_file")]
    pub no_auth: bool,
    /// Another host name the server answers to (requests naming any other host are refused, as
    /// a defence against DNS rebinding). Repeat or comma-separate.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub allow_host: Vec<String>,
    /// PEM certificate chain for TLS (on loopback, one is made at start when not given).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Write the kubeconfig for this server (one context per backup, mode 0600) to this file;
    /// by default it goes to a private temporary folder removed at exit.
    #[arg(long, value_name = "FILE")]
    pub write_kubeconfig: Option<PathBuf>,
    /// Show Secret values in the API and the web UI (they are redacted unless this is given).
    #[arg(long)]
    pub show_secrets: bool,
}

/// `IP:PORT`, `[IPv6]:PORT`, or `localhost:PORT` (loopback, as kubectl users write it).
fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    match text.rsplit_once(':') {
        Some((host, port)) if host.eq_ignore_ascii_case("localhost") => port
            .parse::<u16>()
            .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
            .map_err(|_| format!("{port:?} is not a port number")),
        _ => Err("an address as IP:PORT, [IPv6]:PORT or localhost:PORT".into()),
    }
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
    let t = veloscope_serve::random_hex(32)?;
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

/// The server's bounds; `VELOSCOPE_SERVE_LIMITS=HEAD_MS,STALL_MS,ANSWERS_KIB[,BOOKMARK_MS
/// [,RESCAN_MS]]` narrows them (the tests of slow clients, held watches and new backups use it, so
/// that they take seconds rather than minutes).
fn limits() -> veloscope_serve::Limits {
    let mut l = veloscope_serve::Limits::default();
    if let Ok(v) = std::env::var("VELOSCOPE_SERVE_LIMITS") {
        let n: Vec<u64> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
        if let [head, stall, answers, ..] = n[..] {
            l.head = std::time::Duration::from_millis(head);
            l.stall = std::time::Duration::from_millis(stall);
            l.answers_kib = answers as usize;
        }
        if let [_, _, _, bookmarks, ..] = n[..] {
            l.bookmarks = std::time::Duration::from_millis(bookmarks);
        }
        if let [_, _, _, _, rescan] = n[..] {
            l.rescan = std::time::Duration::from_millis(rescan);
        }
    }
    l
}

/// Where the kubeconfig goes: the given file, or a private folder (mode 0700) removed at exit.
struct KubeconfigPath {
    file: PathBuf,
    _private: Option<tempfile::TempDir>,
}

impl KubeconfigPath {
    fn new(given: Option<&Path>) -> Result<KubeconfigPath> {
        if let Some(f) = given {
            return Ok(KubeconfigPath {
                file: f.to_path_buf(),
                _private: None,
            });
        }
        // tempfile makes the folder mode 0700 under a random name.
        let dir = tempfile::Builder::new()
            .prefix("veloscope-serve-")
            .tempdir()
            .context("a private folder for the kubeconfig")?;
        Ok(KubeconfigPath {
            file: dir.path().join("kubeconfig"),
            _private: Some(dir),
        })
    }
}

/// A location's contexts: `current` first when it is still one of them (the first is the current
/// context), else the newest backup's (`kubectl get pods -A` answers from it); then the other
/// backups, newest first, and Velero's API at the root.
fn location_contexts(names: &[String], current: Option<&str>) -> Vec<(String, String)> {
    let mut contexts: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), format!("/backups/{n}")))
        .chain(std::iter::once(("velero".to_string(), String::new())))
        .collect();
    if let Some(at) = contexts
        .iter()
        .position(|(n, _)| Some(n.as_str()) == current)
    {
        let kept = contexts.remove(at);
        contexts.insert(0, kept);
    }
    contexts
}

/// The current context of the kubeconfig at `file`, if it can be read.
fn current_context(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let config = veloscope_core::manifest_value(&text).ok()?;
    config["current-context"].as_str().map(str::to_string)
}

/// Writes the kubeconfig, mode 0600 as it holds the token; a failure is a warning (the server
/// still serves).
fn write_kubeconfig(file: &Path, r: &Ready, token: Option<&str>, contexts: &[(String, String)]) {
    let text = veloscope_serve::kubeconfig(&r.api_url, token, contexts, &r.authority_pem);
    if let Err(e) = veloscope_core::atomic::write(file, 0o600, text.as_bytes()) {
        eprintln!("warning: {}: {e}", file.display());
    }
}

pub fn run(a: &Args, _g: &Global, s: &Session<'_>) -> Result<u8> {
    let source = a.source.to_string_lossy().into_owned();
    let token = match (&a.token_file, a.no_auth) {
        (_, true) => None,
        (Some(f), false) => Some(token(f)?),
        (None, false) => Some(veloscope_serve::random_hex(32)?),
    };
    let config = Config {
        listen: a.listen,
        token: token.clone(),
        tls: a.tls_cert.clone().zip(a.tls_key.clone()),
        allow_hosts: a.allow_host.clone(),
        show_secrets: a.show_secrets,
        limits: limits(),
    };
    config.check()?;
    let location = is_location(&source);
    let (serving, contexts) = if location {
        let listing = veloscope_serve::list_location(&source)?;
        for p in &listing.problems {
            eprintln!("warning: {}", crate::output::Esc(p));
        }
        let contexts = location_contexts(&listing.names, None);
        let open = Arc::new(|path: &str| {
            let s = Session::new(veloscope_core::Options::default(), &Quiet);
            Backup::open_for_serving(Path::new(path), &s)
                .map(|b| Mount::new(PathBuf::from(path), b))
        });
        let serving = Serving::Location {
            root: source.clone(),
            open,
            listing,
        };
        (serving, contexts)
    } else {
        let backup = Backup::open_for_serving(&a.source, s)?;
        let serving = Serving::Backup(Box::new(Mount::new(a.source.clone(), backup)));
        (serving, vec![("veloscope".to_string(), String::new())])
    };
    let kubeconfig = KubeconfigPath::new(a.write_kubeconfig.as_deref())?;
    let file = kubeconfig.file.clone();
    let (no_auth, show_secrets) = (a.no_auth, a.show_secrets);
    let ready = move |r: Ready| -> Option<veloscope_serve::NamesChanged> {
        write_kubeconfig(&file, &r, token.as_deref(), &contexts);
        let shown = r.plain_url.as_deref().unwrap_or(&r.api_url);
        eprintln!("serving {source} read-only at {shown}");
        if let Some(login) = &r.login_url {
            eprintln!("  web UI (this link works once): {login}");
        } else if location {
            eprintln!("  web UI: {shown}/ui/");
        }
        if no_auth {
            eprintln!("warning: --no-auth: every local user and process can read these backups");
        }
        if show_secrets {
            eprintln!("warning: --show-secrets: Secret values are shown in the API and the web UI");
        }
        eprintln!("  KUBECONFIG={} kubectl get pods -A", file.display());
        // A backup uploaded (or expired) while serving gets (or loses) its context; the context
        // the user chose stays current while it exists.
        location.then(|| -> veloscope_serve::NamesChanged {
            Box::new(move |names: &[String]| {
                let current = current_context(&file);
                let contexts = location_contexts(names, current.as_deref());
                write_kubeconfig(&file, &r, token.as_deref(), &contexts);
            })
        })
    };
    veloscope_serve::run(config, serving, ready)?;
    drop(kubeconfig);
    Ok(0)
}
