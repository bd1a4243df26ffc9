//! Helpers for the end-to-end tests: run the built binary, read fixture oracles.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

pub fn backup(name: &str) -> PathBuf {
    fixture(&format!("bsl/backups/{name}"))
}

/// The oracle the generator wrote from its input objects.
pub fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(backup(name).join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

pub fn veloscope(args: &[&str]) -> Output {
    veloscope_in(&root(), args)
}

pub fn veloscope_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run veloscope")
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs and parses stdout as JSON, asserting exit 0.
pub fn json(args: &[&str]) -> Value {
    let out = veloscope(args);
    assert!(
        out.status.success(),
        "veloscope {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
