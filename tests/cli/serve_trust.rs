//! `serve` tried as an attacker would, on loopback only: Secrets under every spelling and on every
//! route and page, requests without the token or naming a rebinding host, the one-time login,
//! slow heads, trickling bodies and answers nobody reads (bounded in count and time), a bad entry
//! in a location, a backup whose first open failed, and the files it writes.

use crate::common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Values that must never reach a client unless `--show-secrets` is given.
const CANARIES: [&str; 6] = [
    "canary-monday-pw",
    "Y2FuYXJ5LW1vbmRheS1wdw==",
    "canary-tuesday-pw",
    "Y2FuYXJ5LXR1ZXNkYXktcHc=",
    "canary-string-token",
    "Y2FuYXJ5LXN0cmluZy10b2tlbg",
];

struct Server {
    spawned: Spawned,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.spawned.child.kill();
        let _ = self.spawned.child.wait();
    }
}

fn serve(location: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let spawned = spawn_serve(
        Command::new(env!("CARGO_BIN_EXE_veloscope"))
            .args(["serve", path_str(location), "--listen", "127.0.0.1:0"])
            .args(extra)
            .envs(env.iter().copied()),
    );
    Server { spawned }
}

/// A Secret whose values appear in `data`, in `stringData` and in kubectl's last-applied
/// annotation, as `kubectl apply` leaves them.
fn secret(password: &str) -> Value {
    let encoded = base64(password);
    let applied = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "creds", "namespace": "app"},
        "data": {"password": encoded}, "stringData": {"token": "canary-string-token"}});
    json!({"type": "Opaque",
        "metadata": {"annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": applied.to_string(),
            "team": "payments"}},
        "data": {"password": encoded},
        "stringData": {"token": "canary-string-token"}})
}

fn base64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Two backups of a namespace with a Secret whose password rotates, and `extra` objects.
fn location(extra: impl Fn() -> Vec<Obj>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, password, started) in [
        ("monday", "canary-monday-pw", "2024-01-01T00:00:00Z"),
        ("tuesday", "canary-tuesday-pw", "2024-01-02T00:00:00Z"),
    ] {
        let mut objects = vec![
            obj("namespaces", "app", json!({})),
            obj(
                "configmaps",
                "app/settings",
                json!({"data": {"day": name, "page": "<script>alert(1)</script>"}}),
            ),
            obj("secrets", "app/creds", secret(password)),
        ];
        objects.extend(extra());
        write_backup(tmp.path(), name, started, objects);
    }
    tmp
}

use fixture_gen::Obj;

/// One request as written; the status code, the head and the body (chunks joined).
fn send(url: &str, request: &str) -> (u16, String, String) {
    let addr = url.trim_start_matches("http://");
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let _ = conn.write_all(request.as_bytes());
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.to_string()
    };
    (code, head.to_string(), body)
}

/// A GET with these extra header lines (each ending in \r\n).
fn get_with(s: &Server, path: &str, headers: &str) -> (u16, String, String) {
    send(
        &s.spawned.url,
        &format!("GET {path} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n"),
    )
}

fn bearer(s: &Server) -> String {
    format!(
        "Host: 127.0.0.1\r\nAuthorization: Bearer {}\r\n",
        s.spawned.token.as_deref().expect("a token")
    )
}

fn get(s: &Server, path: &str) -> (u16, String, String) {
    get_with(s, path, &bearer(s))
}

fn no_canary(what: &str, text: &str) {
    for c in CANARIES {
        assert!(!text.contains(c), "{what} shows {c}: {text}");
    }
}

/// Every way to ask for the Secret, from the API and the UI, with the server's defaults: keys and
/// types are shown, values and the annotation that embeds them never.
#[test]
fn secrets_stay_redacted_on_every_route_and_page() {
    let loc = location(Vec::new);
    let s = serve(loc.path(), &[], &[]);
    let marker = "dmVsb3Njb3BlOnJlZGFjdGVk";
    let api = "/backups/tuesday/api/v1";
    let table = "Accept: application/json;as=Table;v=v1;g=meta.k8s.io\r\n";
    let object_table = "Accept: application/json;as=Table;v=v1;g=meta.k8s.io\r\n";
    for (path, accept) in [
        (format!("{api}/namespaces/app/secrets/creds"), ""),
        (format!("{api}/namespaces/app/secrets"), ""),
        (format!("{api}/secrets"), ""),
        (format!("{api}/secrets?fieldSelector=type%3DOpaque"), ""),
        (format!("{api}/secrets?limit=1"), ""),
        (format!("{api}/secrets?watch=true&timeoutSeconds=1"), ""),
        (format!("{api}/namespaces/app/secrets"), table),
        (
            format!("{api}/namespaces/app/secrets?includeObject=Object"),
            object_table,
        ),
        (
            format!("{api}/namespaces/app/secrets/creds?includeObject=Object"),
            object_table,
        ),
        (
            format!("{api}/secrets?watch=1&includeObject=Object&timeoutSeconds=1"),
            object_table,
        ),
    ] {
        let (code, _, body) = get_with(&s, &path, &format!("{}{accept}", bearer(&s)));
        assert_eq!(code, 200, "{path}: {body}");
        no_canary(&path, &body);
        if accept.is_empty() {
            assert!(body.contains(marker), "{path}: {body}");
            assert!(body.contains("\"password\""), "the keys stay: {body}");
        }
    }
    // The UI, logged in with the bearer token; a Secret under every spelling of its resource.
    for spelling in [
        "secrets", "secret", "Secret", "SECRETS", "Secrets", "secrets.",
    ] {
        let path = format!("/ui/backups/tuesday/items/{spelling}/app/creds");
        let (code, _, page) = get(&s, &path);
        no_canary(&path, &page);
        // The plural, the singular and the kind resolve as kubectl's do; the others may be
        // unknown names, but never a page with the values.
        if matches!(spelling, "secrets" | "secret" | "Secret") {
            assert_eq!(code, 200, "{path}: {page}");
        }
        assert!(matches!(code, 200 | 404), "{path}: {code}");
        if code == 200 {
            assert!(page.contains("redacted"), "{path}: {page}");
            assert!(page.contains("payments"), "other annotations stay: {page}");
        }
    }
    for path in [
        "/ui/",
        "/ui/backups/tuesday",
        "/ui/backups/tuesday/items?namespace=app",
        "/ui/search?resource=secret&name=creds",
        "/ui/diff?a=monday&b=tuesday",
        "/ui/diff?a=monday&b=tuesday&namespaces=app",
        "/ui/backups/tuesday/plan?include-namespaces=app",
        "/ui/backups/tuesday/verify",
    ] {
        let (code, _, page) = get(&s, path);
        assert_eq!(code, 200, "{path}: {page}");
        no_canary(path, &page);
    }
    // Pages escape what the backup holds and tell the browser to run no script at all.
    let (_, head, page) = get(&s, "/ui/backups/tuesday/items/configmaps/app/settings");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>"),
        "{page}"
    );
    let head = head.to_ascii_lowercase();
    for header in [
        "content-security-policy: default-src 'none'",
        "x-frame-options: deny",
        "x-content-type-options: nosniff",
        "referrer-policy: no-referrer",
        "cache-control: no-store",
    ] {
        assert!(head.contains(header), "{header} in {head}");
    }
    // The diff still says that the password changed, with keyed markers.
    let (_, _, diff) = get(&s, "/ui/diff?a=monday&b=tuesday");
    assert!(
        diff.contains("data.password") && diff.contains("redacted hmac:"),
        "{diff}"
    );

    // --show-secrets opens them, in the API and the UI alike, and says so at start.
    let open = serve(loc.path(), &["--show-secrets"], &[]);
    assert!(open.spawned.banner.contains("--show-secrets"));
    let (_, _, shown) = get(&open, &format!("{api}/namespaces/app/secrets/creds"));
    assert!(shown.contains("Y2FuYXJ5LXR1ZXNkYXktcHc="), "{shown}");
    let (_, _, page) = get(&open, "/ui/backups/tuesday/items/secrets/app/creds");
    assert!(page.contains("Y2FuYXJ5LXR1ZXNkYXktcHc="), "{page}");
}

/// Only the user who started the server gets in: the token (or the login link's session) on
/// every request, loopback included, and only under the hosts it answers to.
#[test]
fn only_its_user_gets_in() {
    let loc = location(Vec::new);
    let s = serve(loc.path(), &[], &[]);
    let host = "Host: 127.0.0.1\r\n";
    for path in [
        "/backups/tuesday/api/v1/namespaces/app/secrets/creds",
        "/apis/velero.io/v1/namespaces/velero/backups",
        "/version",
    ] {
        let (code, _, body) = get_with(&s, path, host);
        assert_eq!(code, 401, "{path}: {body}");
        let (code, _, _) = get_with(&s, path, &format!("{host}Authorization: Bearer wrong\r\n"));
        assert_eq!(code, 401, "{path} with a wrong token");
    }
    // A browser without a session is told how to log in, and shown nothing else.
    let (code, _, page) = get_with(&s, "/ui/diff?a=monday&b=tuesday", host);
    assert_eq!(code, 401);
    assert!(
        page.contains("Log in") && !page.contains("monday"),
        "{page}"
    );
    // DNS rebinding: the right token under another host name is refused, and so is a foreign
    // Origin.
    let (code, _, body) = get_with(
        &s,
        "/version",
        &bearer(&s).replace("Host: 127.0.0.1", "Host: attacker.example:8080"),
    );
    assert_eq!(code, 403, "{body}");
    let (code, _, _) = get_with(
        &s,
        "/version",
        &format!("{}Origin: http://attacker.example\r\n", bearer(&s)),
    );
    assert_eq!(code, 403);
    let (code, _, _) = get_with(
        &s,
        "/version",
        &bearer(&s).replace("127.0.0.1", "localhost"),
    );
    assert_eq!(code, 200);
    // The login link: once, for a cookie that is HttpOnly and SameSite=Strict.
    let login = s.spawned.login.clone().expect("a login link");
    let path = login.trim_start_matches(&s.spawned.url).to_string();
    let (code, head, _) = get_with(&s, &path, host);
    assert_eq!(code, 303, "{head}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap_or("").to_string();
    let (code, _, page) = get_with(&s, "/ui/", &format!("{host}Cookie: {session}\r\n"));
    assert_eq!(code, 200);
    assert!(page.contains("monday"), "{page}");
    let (code, _, again) = get_with(&s, &path, host);
    assert_eq!(code, 401, "the link works once: {again}");
    // The kubeconfig holds the token: the owner's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&s.spawned.kubeconfig)
        .expect("kubeconfig")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "kubeconfig mode {mode:o}");

    // --no-auth: loopback only, said at start, and still only under its own host names.
    let open = serve(loc.path(), &["--no-auth"], &[]);
    assert!(
        open.spawned.banner.contains("--no-auth"),
        "{}",
        open.spawned.banner
    );
    let (code, _, _) = get_with(&open, "/version", host);
    assert_eq!(code, 200);
    let (code, _, _) = get_with(&open, "/version", "Host: attacker.example\r\n");
    assert_eq!(code, 403);
    refused(
        &[
            "serve",
            path_str(loc.path()),
            "--no-auth",
            "--listen",
            "0.0.0.0:0",
        ],
        "not a loopback address",
    );
    // --allow-host adds a name.
    let named = serve(loc.path(), &["--allow-host", "backups.internal"], &[]);
    let (code, _, _) = get_with(
        &named,
        "/version",
        &bearer(&named).replace("127.0.0.1", "backups.internal:443"),
    );
    assert_eq!(code, 200);
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Slow heads, trickling bodies and answers nobody reads: the server goes on answering others,
/// drops the slow ones when their time is up, and keeps the memory of unread answers within its
/// budget (429 with Retry-After past it). Limits narrowed for the test: 1 s heads and bodies, 3 s
/// stalled writes, 8 MiB of unread answers.
#[test]
fn slow_or_hostile_clients_cannot_stall_or_fill_it() {
    // About 6 MB of config maps in one list.
    let loc = location(|| {
        (0..12_000)
            .map(|i| {
                obj(
                    "configmaps",
                    &format!("bulk/cm-{i:05}"),
                    json!({"data": {"v": "x".repeat(400)}}),
                )
            })
            .collect()
    });
    let s = serve(
        loc.path(),
        &[],
        &[("VELOSCOPE_SERVE_LIMITS", "1000,3000,8192")],
    );
    let addr = s.spawned.url.trim_start_matches("http://").to_string();
    let auth = bearer(&s);
    // Open the backup once, so that the timings below are the server's and not the indexing's.
    assert_eq!(
        get(
            &s,
            "/backups/tuesday/api/v1/namespaces/bulk/configmaps?limit=1"
        )
        .0,
        200
    );
    let started = Instant::now();
    // 100 half-sent heads and 80 bodies sent one byte at a time.
    let mut heads: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut c = TcpStream::connect(&addr).expect("connect");
            let _ = c.write_all(
                b"GET /backups/tuesday/api/v1/namespaces/bulk/configmaps HTTP/1.1\r\nHo",
            );
            c
        })
        .collect();
    let mut bodies: Vec<TcpStream> = (0..80)
        .map(|_| {
            let mut c = TcpStream::connect(&addr).expect("connect");
            let _ = c.write_all(
                format!(
                    "POST /apis/velero.io/v1/namespaces/velero/backups?dryRun=All HTTP/1.1\r\n{auth}Content-Length: 1000\r\n\r\n{{"
                )
                .as_bytes(),
            );
            c
        })
        .collect();
    // Others are still answered, at once.
    let t = Instant::now();
    let (code, _, _) = get(&s, "/version");
    assert_eq!(code, 200);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // Past the time limit the server has hung up on every one of them.
    std::thread::sleep(Duration::from_millis(2500).saturating_sub(started.elapsed()));
    for c in heads.iter_mut().chain(bodies.iter_mut()) {
        c.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        // The server closed the connection (end of stream, or a reset); a read that times out
        // means it is still holding it.
        let mut buf = Vec::new();
        match c.read_to_end(&mut buf) {
            Ok(_) => {}
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "a slow client was not dropped: {e}"
            ),
        }
    }
    drop((heads, bodies));

    // 40 clients ask for the 6 MB list and never read: as one page (built whole, so reserved
    // whole), and streamed (no `limit`: one chunk at a time is read, when the client takes
    // the one before).
    let before = rss_kib(s.spawned.child.id());
    let paged = format!(
        "GET /backups/tuesday/api/v1/namespaces/bulk/configmaps?limit=10000 HTTP/1.1\r\n{auth}\r\n"
    );
    let streamed =
        format!("GET /backups/tuesday/api/v1/namespaces/bulk/configmaps HTTP/1.1\r\n{auth}\r\n");
    let mut unread: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut c = TcpStream::connect(&addr).expect("connect");
            let _ = c.write_all(paged.as_bytes());
            c
        })
        .collect();
    let mut unread_streams: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut c = TcpStream::connect(&addr).expect("connect");
            let _ = c.write_all(streamed.as_bytes());
            c
        })
        .collect();
    let mut held = 0;
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(250));
        held = held.max(rss_kib(s.spawned.child.id()).saturating_sub(before));
    }
    // Unbounded, the 40 answers of 6 MB (and what building each takes) held over 500 MB here;
    // bounded, one answer and the few threads that build them, and a chunk per stream.
    assert!(held < 160 * 1024, "{held} KiB held for unread answers");
    // Which of them are answered and which told to retry depends on the order the server takes
    // them in: over all 80, some are answered, and those past the budget get 429.
    let mut codes = Vec::new();
    for c in unread.iter_mut().chain(unread_streams.iter_mut()) {
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut head = [0u8; 512];
        let n = c.read(&mut head).unwrap_or(0);
        let text = String::from_utf8_lossy(&head[..n]).into_owned();
        codes.push((
            text.split_whitespace().nth(1).unwrap_or("").to_string(),
            text.to_ascii_lowercase().contains("retry-after: 1"),
        ));
    }
    assert!(codes.iter().any(|(c, _)| c == "200"), "{codes:?}");
    assert!(
        codes.iter().any(|(c, retry)| c == "429" && *retry),
        "over budget: 429 with Retry-After: {codes:?}"
    );
    drop((unread, unread_streams));
    // The unread answers are dropped after the stall limit: the budget is free again.
    std::thread::sleep(Duration::from_secs(4));
    let (code, _, body) = get(&s, "/backups/tuesday/api/v1/namespaces/bulk/configmaps");
    assert_eq!(code, 200, "{}", &body[..body.len().min(300)]);
    assert!(body.len() > 5_000_000, "{}", body.len());
}

/// A folder under `backups/` whose name object storage cannot hold is reported and skipped; a
/// backup whose first open failed is opened again by the next request.
#[test]
fn a_bad_entry_is_skipped_and_a_failed_open_is_retried() {
    let loc = location(Vec::new);
    let bad = loc.path().join("backups").join("bad\u{1}name");
    std::fs::create_dir_all(&bad).expect("mkdir");
    std::fs::copy(
        loc.path().join("backups/monday/velero-backup.json"),
        bad.join("velero-backup.json"),
    )
    .expect("copy");
    let tarball = loc.path().join("backups/monday/monday.tar.gz");
    let aside = loc.path().join("monday.tar.gz");
    std::fs::rename(&tarball, &aside).expect("move the tarball away");
    let s = serve(loc.path(), &[], &[]);
    assert!(
        s.spawned.banner.contains("bad\\u{1}name") && s.spawned.banner.contains("skipped"),
        "{}",
        s.spawned.banner
    );
    let path = "/backups/monday/api/v1/namespaces/app/configmaps";
    let (code, _, body) = get(&s, path);
    assert_ne!(code, 200, "{body}");
    std::fs::rename(&aside, &tarball).expect("the tarball back");
    let (code, _, body) = get(&s, path);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("settings"), "{body}");
}

/// The kubeconfig is written whole, mode 0600, replacing a link planted at its path rather than
/// writing through it.
#[test]
fn the_kubeconfig_replaces_a_planted_link_and_is_private() {
    let loc = location(Vec::new);
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").expect("victim");
    let config = dir.path().join("kubeconfig");
    std::os::unix::fs::symlink(&victim, &config).expect("link");
    let s = serve(loc.path(), &["--write-kubeconfig", path_str(&config)], &[]);
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep");
    let meta = std::fs::symlink_metadata(&config).expect("kubeconfig");
    assert!(meta.file_type().is_file());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(s.spawned.kubeconfig, config);
}

/// A single backup served has the web UI too: its page at `/ui/`, its items, an item (redacted),
/// verify; `/` leads to the UI; search and diff, which need a location, say so.
#[test]
fn a_single_backup_has_a_ui() {
    let loc = location(Vec::new);
    let one = loc.path().join("backups/tuesday");
    let s = serve(&one, &[], &[]);
    assert!(s.spawned.login.is_some(), "{}", s.spawned.banner);
    let (code, head, _) = get(&s, "/");
    assert_eq!(code, 303, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("location: /ui/"),
        "{head}"
    );
    let (code, _, page) = get(&s, "/ui/");
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("Items per namespace") && page.contains("tuesday"),
        "{page}"
    );
    let (code, _, page) = get(&s, "/ui/backups/tuesday/items?namespace=app");
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("/ui/backups/tuesday/items/secrets/app/creds"),
        "{page}"
    );
    let (code, _, page) = get(&s, "/ui/backups/tuesday/items/secrets/app/creds");
    assert_eq!(code, 200, "{page}");
    no_canary("the item page", &page);
    let (code, _, page) = get(&s, "/ui/backups/tuesday/verify");
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("items checked"), "{page}");
    let (code, _, page) = get(&s, "/ui/search?name=creds");
    assert_eq!(code, 404);
    assert!(page.contains("need a location"), "{page}");
    let (code, _, _) = get(&s, "/ui/backups/monday");
    assert_eq!(code, 404, "only the backup served");
}
