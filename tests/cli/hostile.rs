//! Hostile inputs and bad days (issue 14): every case gives a clear one-line error or the right
//! answer, never a crash, a raw control character on the terminal, or a write over an input.
//! Inputs are generated here; nothing large is committed.

use crate::common::*;
use serde_json::json;

fn one_line_error(out: &std::process::Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "exit 2: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

/// A name with a newline and an OSC title sequence, labels with ESC and BEL: the table shows them
/// escaped, one row per item, and nothing reaches the terminal raw.
#[test]
fn control_characters_never_reach_the_terminal() {
    let evil = "evil\u{1b}]0;pwned\u{7}\nkube-system   configmaps   forged";
    let a = archive(&[
        obj(
            "configmaps",
            &format!("app/{evil}"),
            json!({"metadata": {"labels": {"x": "\u{1b}[31mred\u{1b}[0m"}}}),
        ),
        obj("configmaps", "app/plain", json!({})),
    ]);
    let src = path_str(&a.path);
    for args in [
        vec!["ls", src, "--show-labels"],
        vec!["inspect", src],
        vec!["preview", src, "--explain"],
        vec!["plan", src],
        vec!["verify", src],
    ] {
        let out = veloscope(&args);
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{args:?} printed a raw control character:\n{text}"
        );
        assert!(
            !text.contains("\nkube-system   configmaps   forged"),
            "{args:?}: forged row"
        );
    }
    let ls = String::from_utf8_lossy(&veloscope(&["ls", src]).stdout).into_owned();
    assert_eq!(ls.lines().count(), 3, "a header and two rows:\n{ls}");
    assert!(ls.contains(r"evil^[]0;pwned\x07\nkube-system"), "{ls}");
    // JSON keeps the name exactly (escaped by JSON itself).
    let names: Vec<String> = json(&["ls", src, "-o", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&evil.to_string()));
}

/// Outputs that name an input are refused before anything is written; the input is unchanged.
#[test]
fn outputs_never_replace_inputs() {
    let a = archive(&[obj("configmaps", "app/c", json!({}))]);
    let src = path_str(&a.path);
    let before = std::fs::read(&a.path).unwrap();
    let link = a.dir.path().join("link.tar.gz");
    std::os::unix::fs::symlink(&a.path, &link).unwrap();
    for args in [
        vec!["index", src, "--out", src],
        vec!["index", src, "--out", path_str(&link)],
        vec!["verify", src, "--junit", src],
        vec!["verify", src, "--write-manifest", "--manifest", src],
    ] {
        let err = one_line_error(&veloscope(&args));
        assert!(err.contains("refusing to write over it"), "{args:?}: {err}");
        assert_eq!(
            std::fs::read(&a.path).unwrap(),
            before,
            "{args:?} changed the archive"
        );
    }
    let spec = a.file(
        "backup.yaml",
        "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {}\n",
    );
    let err = one_line_error(&veloscope(&["validate", &spec, "--junit", &spec]));
    assert!(err.contains("refusing"), "{err}");
    assert!(
        std::fs::read_to_string(&spec)
            .unwrap()
            .contains("kind: Backup")
    );
}

/// A render folder holding anything a render did not record writing (hand-written numbered
/// manifests included) is refused untouched; one holding an earlier render's files is cleared of
/// them, so no stale manifest survives.
#[test]
fn render_clears_only_its_own_files() {
    let a = archive(&[
        obj("configmaps", "app/one", json!({})),
        obj("configmaps", "app/two", json!({})),
    ]);
    let src = path_str(&a.path);
    let dir = a.dir.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let err = one_line_error(&veloscope(&["plan", src, "--render", path_str(&dir)]));
    assert!(err.contains("notes.txt"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    std::fs::remove_file(dir.join("notes.txt")).unwrap();
    // A hand-written manifest that looks like a rendered one is not ours to delete.
    std::fs::write(dir.join("0099-configmaps-app-mine.yaml"), "mine").unwrap();
    let err = one_line_error(&veloscope(&["plan", src, "--render", path_str(&dir)]));
    assert!(err.contains("0099-configmaps-app-mine.yaml"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("0099-configmaps-app-mine.yaml")).unwrap(),
        "mine"
    );
    std::fs::remove_file(dir.join("0099-configmaps-app-mine.yaml")).unwrap();
    let render = |extra: &[&str]| {
        let out = veloscope(&[&["plan", src, "--render", path_str(&dir)][..], extra].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml"))
            .collect();
        names.sort();
        names
    };
    let first = render(&[]);
    assert!(first.iter().any(|n| n.contains("app-two")), "{first:?}");
    // A second render clears the first's files: none of them is left stale.
    let second = render(&["--include-resources", "configmaps", "--selector", "x=y"]);
    assert!(!second.iter().any(|n| n.contains("app-two")), "{second:?}");
}

/// A legal object name of 252 characters makes file names too long for the file system:
/// `extract` and `plan --render` shorten them (a digest keeps them apart) and keep the full name
/// inside the file, instead of failing whole.
#[test]
fn long_object_names_are_written_under_shortened_file_names() {
    let name = format!("{}-{}", "a".repeat(200), "b".repeat(51));
    let a = archive(&[obj("configmaps", &format!("app/{name}"), json!({}))]);
    let src = path_str(&a.path);
    let out_dir = a.dir.path().join("extracted");
    let out = veloscope(&["extract", src, path_str(&out_dir)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = out_dir.join("app").join("configmaps");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(text.contains(&name), "the full name inside: {text}");
    let render = a.dir.path().join("render");
    let out = veloscope(&["plan", src, "--render", path_str(&render)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rendered: Vec<String> = std::fs::read_dir(&render)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("configmaps"))
        .collect();
    assert_eq!(rendered.len(), 1, "{rendered:?}");
    assert!(rendered[0].len() <= 200, "{rendered:?}");
}

/// A sidecar temporary left by a writer that was killed is removed by the next write; the sidecar
/// itself is complete.
#[test]
fn abandoned_sidecar_temporaries_are_cleaned() {
    let a = archive(&[obj("configmaps", "app/c", json!({}))]);
    let src = path_str(&a.path);
    // No process has this pid (above the kernel's pid_max).
    let dead = a.dir.path().join("backup.tar.gz.vsidx.tmp4194305");
    std::fs::write(&dead, b"half a sidecar").unwrap();
    let out = veloscope(&["index", src]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dead.exists(), "the abandoned temporary is gone");
    assert!(a.dir.path().join("backup.tar.gz.vsidx").is_file());
}

fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo").arg(path).status();
    assert!(ok.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
}

/// Inputs that are not the archive are read within the budget, and what is no file is refused
/// at once: no gigabytes of /dev/zero, no hang on a FIFO, no link loop walked forever.
#[test]
fn other_inputs_are_bounded_and_odd_files_refused() {
    let a = archive(&[obj("configmaps", "app/c", json!({}))]);
    let src = path_str(&a.path);
    for args in [
        vec!["validate", "/dev/zero"],
        vec!["preview", src, "--spec", "/dev/zero"],
        vec!["plan", src, "--spec", "/dev/zero"],
        vec!["verify", src, "--policy", "/dev/zero"],
        vec!["diff", src, "/dev/zero"],
        vec!["plan", src, "--existing", "/dev/zero"],
    ] {
        let start = std::time::Instant::now();
        let err = one_line_error(&veloscope(&args));
        assert!(err.contains("/dev/zero"), "{args:?}: {err}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{args:?} took long"
        );
    }
    let big = a.file("big.yaml", &format!("apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b\n  annotations:\n    x: \"{}\"\n", "y".repeat(4000)));
    let err = one_line_error(&veloscope(&["validate", &big, "--max-entry-bytes", "1000"]));
    assert!(err.contains("input budget of 1000 bytes"), "{err}");
    // A FIFO or a link loop in a dump folder, and a FIFO where the sidecar goes.
    let dump = a.dir.path().join("dump");
    std::fs::create_dir(&dump).unwrap();
    mkfifo(&dump.join("objects.yaml"));
    let err = one_line_error(&veloscope(&["diff", src, path_str(&dump)]));
    assert!(err.contains("objects.yaml"), "{err}");
    std::fs::remove_file(dump.join("objects.yaml")).unwrap();
    std::os::unix::fs::symlink(&dump, dump.join("again")).unwrap();
    let err = one_line_error(&veloscope(&["diff", src, path_str(&dump)]));
    assert!(err.contains("loop"), "{err}");
    mkfifo(&a.dir.path().join("backup.tar.gz.vsidx"));
    let err = one_line_error(&veloscope(&["ls", src]));
    assert!(err.contains("not a regular file"), "{err}");
}

/// A YAML alias bomb is refused by every command that reads manifests (one loader).
#[test]
fn alias_bombs_are_refused_everywhere() {
    let a = archive(&[obj("configmaps", "app/c", json!({}))]);
    let src = path_str(&a.path);
    let mut bomb = String::from(
        "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n",
    );
    for i in 1..9 {
        let p = i - 1;
        bomb.push_str(&format!(
            "x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}]\n"
        ));
    }
    bomb.push_str("spec: {}\n");
    let f = a.file("bomb.yaml", &bomb);
    for args in [
        vec!["validate", f.as_str()],
        vec!["preview", src, "--spec", f.as_str()],
        vec!["plan", src, "--spec", f.as_str()],
    ] {
        let err = one_line_error(&veloscope(&args));
        assert!(err.contains("alias"), "{args:?}: {err}");
    }
}

/// A pipe as a spec (`--spec <(kubectl get backup …)`) or as the archive is read, not refused.
#[test]
fn pipes_are_read() {
    let a = archive(&[
        obj("configmaps", "app/c", json!({})),
        obj("configmaps", "other/d", json!({})),
    ]);
    let spec_pipe = a.dir.path().join("spec-pipe");
    mkfifo(&spec_pipe);
    let writer = {
        let p = spec_pipe.clone();
        std::thread::spawn(move || std::fs::write(p, "includedNamespaces: [app]\n").unwrap())
    };
    let out = json(&[
        "preview",
        path_str(&a.path),
        "--spec",
        path_str(&spec_pipe),
        "-o",
        "json",
    ]);
    writer.join().unwrap();
    assert_eq!(out["included"].as_array().unwrap().len(), 1, "{out}");
    let archive_pipe = a.dir.path().join("archive-pipe");
    mkfifo(&archive_pipe);
    let bytes = std::fs::read(&a.path).unwrap();
    let writer = {
        let p = archive_pipe.clone();
        std::thread::spawn(move || std::fs::write(p, bytes).unwrap())
    };
    let listed = json(&["ls", path_str(&archive_pipe), "-o", "json"]);
    writer.join().unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// In a location, a backup with an invalid velero-backup.json or a damaged resource list is
/// reported on its own line while the others are still listed and searched; the exit is 1.
#[test]
fn one_bad_backup_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let loc = dir.path().join("bsl");
    copy_dir(&fixture("bsl"), &loc);
    std::fs::write(
        loc.join("backups/edge-cases/velero-backup.json"),
        "{ not json",
    )
    .unwrap();
    std::fs::write(
        loc.join("backups/k3s-124/k3s-124-resource-list.json.gz"),
        b"\x1f\x8bbroken",
    )
    .unwrap();
    let out = veloscope(&["backups", path_str(&loc), "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let names: Vec<String> = serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"edge-cases".to_string()));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("edge-cases/velero-backup.json"), "{err}");
    let out = veloscope(&["find", path_str(&loc), "--kind", "Namespace", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let backups: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["backup"].as_str().unwrap())
        .collect();
    assert_eq!(
        backups,
        ["sonobuoy-k8s114"],
        "the readable backup still answers"
    );
    let err = stderr(&out);
    assert!(
        err.contains("edge-cases") && err.contains("k3s-124"),
        "{err}"
    );
}

/// A gzipped backup of these raw entries (path, JSON text).
fn raw_archive(entries: &[(&str, &str)]) -> TestArchive {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("backup.tar.gz");
    let extra: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(p, body)| (p.to_string(), body.as_bytes().to_vec()))
        .collect();
    let tar = fixture_gen::tar_bytes(&[], &extra).expect("tar");
    std::fs::write(&path, fixture_gen::gzip(&tar).expect("gzip")).expect("write");
    TestArchive { dir, path }
}

/// A key given twice keeps its last value (Go's decoder, so Velero), in every command: `ls`
/// shows the labels `-l` matches; a path stored twice is its later entry for `show`, `plan
/// --render` and `diff`; `diff A A` is always "no differences".
#[test]
fn same_input_same_answer_everywhere() {
    const CM: &str = "resources/configmaps/namespaces/app";
    let (dup, meta, twice) = (
        format!("{CM}/dup.json"),
        format!("{CM}/meta.json"),
        format!("{CM}/twice.json"),
    );
    let common = [
        (
            dup.as_str(),
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","namespace":"app","labels":{"tier":"web","tier":"db"}},"data":{"k":"1","k":"2"}}"#,
        ),
        (
            meta.as_str(),
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"meta","namespace":"app","labels":{"tier":"web"}},"metadata":{"name":"meta","namespace":"app","labels":{"tier":"db"}}}"#,
        ),
    ];
    let first = (
        twice.as_str(),
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice","namespace":"app"},"data":{"v":"first"}}"#,
    );
    let second = (
        twice.as_str(),
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice","namespace":"app"},"data":{"v":"second"}}"#,
    );
    let dup = raw_archive(&[&common[..], &[first, second]].concat());
    let src = path_str(&dup.path);
    let names = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["ls", src, "-o", "json"];
        all.extend_from_slice(args);
        json(&all)
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&["-l", "tier=db"]), ["dup", "meta"]);
    assert!(names(&["-l", "tier=web"]).is_empty());
    let shown = json(&["show", src, "configmaps", "twice", "-n", "app"]);
    assert_eq!(shown["data"]["v"], "second");
    let shown = json(&["show", src, "configmaps", "dup", "-n", "app"]);
    assert_eq!(shown["data"]["k"], "2");
    let render = dup.dir.path().join("render");
    let out = veloscope(&["plan", src, "--render", path_str(&render)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rendered = std::fs::read_dir(&render)
        .expect("render")
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().contains("twice"))
        .expect("twice rendered");
    let text = std::fs::read_to_string(rendered.path()).expect("read");
    assert!(
        text.contains("v: second") && !text.contains("first"),
        "{text}"
    );
    // diff A A, and against a backup that holds only the later copy: no differences.
    let out = veloscope(&["diff", src, src]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let last_only = raw_archive(&[&common[..], &[second]].concat());
    for (a, b) in [
        (src, path_str(&last_only.path)),
        (path_str(&last_only.path), src),
    ] {
        let out = veloscope(&["diff", a, b, "-o", "json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// JSON nested as deep as Go reads it (10,000 levels, Velero's limit) is read by every command
/// alike — listed, shown, rendered, verified, compared — and one level deeper is reported by each
/// with the file and the entry, never left out and never a crash.
#[test]
fn deep_json_is_read_as_go_reads_it_and_reported_past_that() {
    let body = |levels: usize| {
        let deep = format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
        format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"deep","namespace":"app"}},"x":{deep}}}"#
        )
    };
    let entry = "resources/configmaps/namespaces/app/deep.json";
    // 9,999 levels under `x`, 10,000 in all: Go's limit, read.
    let ok = raw_archive(&[(entry, &body(9_999))]);
    let shallow = raw_archive(&[(entry, &body(300))]);
    let src = path_str(&ok.path);
    let render = ok.dir.path().join("render");
    for args in [
        vec!["ls", src, "-o", "name"],
        vec!["ls", src, "-o", "jsonpath={.items[*].metadata.name}"],
        vec!["show", src, "configmaps", "deep", "-n", "app", "-o", "yaml"],
        vec!["plan", src, "--render", path_str(&render)],
        vec!["verify", src],
        vec!["diff", src, path_str(&shallow.path)],
    ] {
        let out = veloscope(&args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!String::from_utf8_lossy(&out.stdout).is_empty(), "{args:?}");
    }
    let rendered: Vec<String> = std::fs::read_dir(&render)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        rendered.iter().any(|n| n.contains("configmaps-app-deep")),
        "{rendered:?}"
    );
    // One level more: every command names the file and the entry.
    let deep = raw_archive(&[(entry, &body(10_000))]);
    let src = path_str(&deep.path);
    let err = one_line_error(&veloscope(&[
        "show",
        src,
        "configmaps",
        "deep",
        "-n",
        "app",
    ]));
    assert!(
        err.contains("backup.tar.gz: entry resources/configmaps/namespaces/app/deep.json")
            && err.contains("exceeded max depth"),
        "{err}"
    );
    // The restore skips it as Velero does an item it cannot decode, and says why.
    let plan = json(&["plan", src, "--show-skipped", "-o", "json"]);
    let skipped = plan["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .find(|s| s["name"] == "deep")
        .cloned()
        .expect("the deep item is listed");
    assert_eq!(skipped["reason"], "error decoding", "{skipped}");
    assert!(
        skipped.to_string().contains("exceeded max depth")
            || plan.to_string().contains("exceeded max depth"),
        "{plan}"
    );
    let verified = veloscope(&["verify", src]);
    assert_eq!(verified.status.code(), Some(1));
    let text = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert!(text.contains("exceeded max depth"), "{text}");
}

/// What Velero accepts is a valid archive: gzip followed by zero padding (`gzip -t` passes it),
/// and zstd with a skippable frame before the first frame. Garbage after the padding is still
/// reported.
#[test]
fn padded_gzip_and_skippable_zstd_frames_are_archives() {
    let objs = [
        obj("configmaps", "app/a", json!({})),
        obj("configmaps", "app/b", json!({})),
    ];
    let tar = fixture_gen::tar_bytes(&objs, &[]).expect("tar");
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = fixture_gen::gzip(&tar).expect("gzip");
    let padded = dir.path().join("padded.tar.gz");
    std::fs::write(&padded, [gz.as_slice(), &[0u8; 4096]].concat()).expect("write");
    let skippable = dir.path().join("skippable.tar.zst");
    let frame = zstd::bulk::compress(&tar, 3).expect("zstd");
    let skip = [0x50u8, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, b'm', b'e', b't', b'a'];
    std::fs::write(&skippable, [skip.as_slice(), &frame].concat()).expect("write");
    for archive in [&padded, &skippable] {
        let src = path_str(archive);
        let out = veloscope(&["verify", src]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{src}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let listed = json(&["ls", src, "--no-index", "-o", "json"]);
        assert_eq!(listed.as_array().map(Vec::len), Some(2), "{src}");
        // Indexed, an item is read back at its seek point.
        assert!(veloscope(&["index", src]).status.success());
        let shown = json(&["show", src, "configmaps", "b", "-n", "app"]);
        assert_eq!(shown["metadata"]["name"], "b", "{src}");
    }
    let garbage = dir.path().join("garbage.tar.gz");
    std::fs::write(&garbage, [gz.as_slice(), &[0u8; 64], b"junk"].concat()).expect("write");
    let out = veloscope(&["verify", path_str(&garbage)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trailing-garbage"));
}

/// Floods and mistakes: warnings are capped per kind with a count of the rest; usage errors are
/// one line and a hint; an unmodelled Velero version, a namespace mapped twice and a mapping to
/// an invalid namespace name are refused before anything is written.
#[test]
fn floods_and_mistakes_are_short_and_refused() {
    let extra: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| (format!("junk/odd-{i}.txt"), b"x".to_vec()))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let flood = dir.path().join("flood.tar.gz");
    let objs = [obj("configmaps", "app/a", json!({}))];
    let tar = fixture_gen::tar_bytes(&objs, &extra).expect("tar");
    std::fs::write(&flood, fixture_gen::gzip(&tar).expect("gzip")).expect("write");
    let out = veloscope(&["ls", path_str(&flood), "--no-index"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert_eq!(
        err.matches("outside the Velero path grammar").count(),
        10,
        "{err}"
    );
    assert!(
        err.contains("... and 30 more outside-grammar warnings"),
        "{err}"
    );

    let clean = archive(&objs);
    let src = path_str(&clean.path);
    for (args, says) in [
        (vec!["ls"], "required arguments were not provided: <SOURCE>"),
        (vec!["ls", src, "--bogus"], "unexpected argument '--bogus'"),
        (vec!["ls", src, "-o", "xml"], "invalid value 'xml'"),
        (
            vec!["preview", src, "--velero-version", "1.99"],
            "newer than",
        ),
    ] {
        let out = veloscope(&args);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(says),
            "{err}"
        );
        assert!(lines[1..].iter().all(|l| l.starts_with("hint: ")), "{err}");
        assert!(err.contains("--help' lists its arguments"), "{err}");
    }

    let render = dir.path().join("render");
    for (args, says) in [
        (
            vec!["plan", src, "--namespace-mappings", "app:x,app:y"],
            "maps app twice",
        ),
        (
            vec![
                "plan",
                src,
                "--namespace-mappings",
                "app:Not_A_Name",
                "--render",
                path_str(&render),
            ],
            "not a valid namespace name",
        ),
    ] {
        let err = one_line_error(&veloscope(&args));
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(!render.exists(), "nothing rendered before the refusal");
}

/// A full disk says so, in one line, and leaves no half render behind. Needs root to mount a
/// small tmpfs; CI runs it.
#[test]
#[ignore = "needs root to mount a 64 KiB tmpfs (CI runs it with --ignored)"]
fn a_full_disk_says_no_space_left_and_leaves_no_half_render() {
    let small = tempfile::tempdir().expect("tempdir");
    let mount = std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=64k",
            "tmpfs",
            path_str(small.path()),
        ])
        .status()
        .expect("mount");
    assert!(mount.success(), "mount a tmpfs");
    let render = small.path().join("render");
    let src = backup("sonobuoy-k8s114");
    let out = veloscope(&["plan", path_str(&src), "--render", path_str(&render)]);
    let rendered = std::fs::read_dir(&render).map(|d| d.count()).unwrap_or(0);
    let _ = std::process::Command::new("umount")
        .arg(small.path())
        .status();
    let err = one_line_error(&out);
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(rendered, 0, "a failed render leaves nothing to apply");
}

/// The peak resident memory of a run of veloscope, in bytes: its high-water mark, read from
/// /proc while it runs (the last reading before it exits).
fn peak_rss(args: &[&str]) -> (std::process::ExitStatus, u64) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib << 10);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// A small gzip of a few huge JSON entries (each under --max-entry-bytes): reading it holds one
/// such entry at a time, not one per batch in the pipeline. Gzip members are concatenated, so
/// the bomb is built from one compressed megabyte repeated.
#[test]
fn a_gzip_of_huge_entries_holds_one_at_a_time() {
    const MIB: usize = 1 << 20;
    const ENTRY: usize = 48 * MIB;
    let member = |bytes: &[u8]| fixture_gen::gzip(bytes).expect("gzip");
    let zeros = member(&vec![b'x'; MIB]);
    let mut gz = member(&fixture_gen::tar_bytes(&[], &[]).expect("tar")[..512 + 512]);
    for i in 0..4 {
        let head = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"b{i}","namespace":"a"}},"data":{{"k":""#
        );
        let tail = r#""}}"#;
        let mut header = tar::Header::new_ustar();
        header
            .set_path(format!("resources/configmaps/namespaces/a/b{i}.json"))
            .expect("path");
        header.set_size((ENTRY + head.len() + tail.len()) as u64);
        header.set_mode(0o644);
        header.set_cksum();
        gz.extend(member(
            &[header.as_bytes().as_slice(), head.as_bytes()].concat(),
        ));
        for _ in 0..ENTRY / MIB {
            gz.extend_from_slice(&zeros);
        }
        let pad = (512 - (ENTRY + head.len() + tail.len()) % 512) % 512;
        gz.extend(member(&[tail.as_bytes(), &vec![0; pad]].concat()));
    }
    gz.extend(member(&[0; 1024]));
    let dir = tempfile::tempdir().expect("tempdir");
    let bomb = dir.path().join("bomb.tar.gz");
    std::fs::write(&bomb, &gz).expect("write");
    assert!(gz.len() < 4 * MIB, "a small file: {}", gz.len());
    let (status, peak) = peak_rss(&["ls", path_str(&bomb), "--no-index", "-o", "json"]);
    assert!(status.success());
    let entry = ENTRY as u64;
    assert!(
        peak < entry + entry / 2 + 64 * MIB as u64,
        "peak {} MiB for entries of {} MiB",
        peak >> 20,
        entry >> 20
    );
}
