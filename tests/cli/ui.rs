//! The web UI of `serve`, loaded by a real headless Chromium (ignored where it is missing;
//! `.ci/run` installs Debian's chromium and runs them): pages load without console errors, search
//! finds a Secret in the backups that hold it, a diff shows a changed field, and a Secret's value
//! never reaches the page.

use crate::common::*;
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command};

struct Server(Child, String, Option<String>);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(location: &Path) -> Server {
    let s = spawn_serve(Command::new(env!("CARGO_BIN_EXE_veloscope")).args([
        "serve",
        path_str(location),
        "--listen",
        "127.0.0.1:0",
    ]));
    Server(s.child, s.url, s.login)
}

/// The page's DOM after Chromium loaded it, and what Chromium logged of its console.
fn load(url: &str, profile: &Path) -> (String, String) {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("run chromium (apt-get install chromium)");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A location of two backups: the second changes a ConfigMap and rotates a Secret.
fn location() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, k, password, started) in [
        (
            "monday",
            "v1",
            "c2VjcmV0LW1vbmRheQ==",
            "2024-01-01T00:00:00Z",
        ),
        (
            "tuesday",
            "v2",
            "c2VjcmV0LXR1ZXNkYXk=",
            "2024-01-02T00:00:00Z",
        ),
    ] {
        write_backup(
            tmp.path(),
            name,
            started,
            vec![
                obj("namespaces", "app", json!({})),
                obj("configmaps", "app/settings", json!({"data": {"k": k}})),
                obj("configmaps", "ops/flags", json!({"data": {"day": name}})),
                obj(
                    "secrets",
                    "app/creds",
                    json!({"type": "Opaque", "data": {"password": password}}),
                ),
            ],
        );
    }
    tmp
}

#[test]
#[ignore = "needs Debian's chromium (.ci/run installs it)"]
fn auditors_browse_search_and_compare_in_a_browser() {
    let loc = location();
    let s = serve(loc.path());
    let profile = tempfile::tempdir().expect("profile");
    // Without the login, a page says how to log in and shows nothing of the backups.
    let (refused, _) = load(&format!("{}/ui/", s.1), profile.path());
    assert!(
        refused.contains("Log in") && !refused.contains("monday"),
        "{refused}"
    );
    // The printed link logs this browser in (a cookie kept in its profile) and leads to the UI.
    let (first, _) = load(s.2.as_deref().expect("a login link"), profile.path());
    assert!(first.contains("monday"), "{first}");
    let page = |path: &str| {
        let (dom, log) = load(&format!("{}{path}", s.1), profile.path());
        assert!(
            !log.contains("Uncaught") && !log.contains(":ERROR:CONSOLE"),
            "{path}: {log}"
        );
        assert!(dom.contains("</html>"), "{path}: {dom}");
        dom
    };
    let backups = page("/ui/");
    assert!(
        backups.contains("monday") && backups.contains("tuesday"),
        "{backups}"
    );
    assert!(backups.contains("class=\"Completed\""));
    let backup = page("/ui/backups/tuesday");
    assert!(
        backup.contains("Items per namespace")
            && backup.contains("/ui/backups/tuesday/items?include-namespaces=app"),
        "{backup}"
    );
    let items = page("/ui/backups/tuesday/items?include-namespaces=app");
    assert!(
        items.contains("/ui/backups/tuesday/items/secrets/app/creds"),
        "{items}"
    );
    // The Secret's value never reaches the page, encoded or not.
    let secret = page("/ui/backups/tuesday/items/secrets/app/creds");
    assert!(secret.contains("redacted"), "{secret}");
    for leaked in ["c2VjcmV0LXR1ZXNkYXk=", "secret-tuesday"] {
        assert!(!secret.contains(leaked), "{secret}");
    }
    assert!(
        secret.contains("monday</a>: differs"),
        "the other backup's copy: {secret}"
    );
    let found = page("/ui/search?include-resources=secrets&name=creds");
    assert!(
        found.contains("/ui/backups/monday/items/secrets/app/creds"),
        "{found}"
    );
    assert!(
        found.contains("/ui/backups/tuesday/items/secrets/app/creds"),
        "{found}"
    );
    let diff = page("/ui/diff?a=monday&b=tuesday");
    assert!(
        diff.contains("configmaps app/settings") && diff.contains("data.k"),
        "{diff}"
    );
    assert!(diff.contains("v1") && diff.contains("v2"), "{diff}");
    for leaked in ["c2VjcmV0LW1vbmRheQ==", "c2VjcmV0LXR1ZXNkYXk="] {
        assert!(!diff.contains(leaked), "{diff}");
    }
    assert!(diff.contains("configmaps ops/flags"), "{diff}");
    // What changed in one namespace.
    let in_app = page("/ui/diff?a=monday&b=tuesday&include-namespaces=app");
    assert!(in_app.contains("configmaps app/settings"), "{in_app}");
    assert!(!in_app.contains("ops/flags"), "{in_app}");
    // Verify, and its badge on the Backups page; the restore plan form.
    let verified = page("/ui/backups/monday/verify");
    assert!(verified.contains("Sound: no error."), "{verified}");
    assert!(page("/ui/").contains("✓ verified"));
    let plan =
        page("/ui/backups/tuesday/plan?include-namespaces=app&namespace-mappings=app%3Arestored");
    assert!(
        plan.contains("<td>restored</td>") && plan.contains("<td>settings</td>"),
        "{plan}"
    );
    assert!(plan.contains("Not restored"), "{plan}");
    // A query cannot make the server write or read its own files (plan's --render, --spec).
    let target = std::env::temp_dir().join(format!("veloscope-ui-render-{}", std::process::id()));
    let refused = page(&format!(
        "/ui/backups/tuesday/plan?render={}",
        path_str(&target).replace('/', "%2F")
    ));
    assert!(
        refused.contains("400") && refused.contains("names a file or folder"),
        "{refused}"
    );
    assert!(!target.exists(), "nothing rendered");
    let missing = page("/ui/backups/nope");
    assert!(missing.contains("404"), "{missing}");
}
