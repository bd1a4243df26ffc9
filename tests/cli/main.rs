//! The end-to-end tests, one binary: each module drives the built `veloscope` over fixtures and
//! generated backups; `common` holds the shared helpers. Tests that need a server are
//! `#[ignore]`d with the reason and run by `.ci/run` with `--ignored`.

mod catalog;
mod common;
mod contracts;
mod diff;
mod docs;
mod errors;
mod everyday;
mod fixtures_fresh;
mod hostile;
mod inspect;
mod ls_show;
mod plan;
mod preview;
mod printers;
mod quiet_answers;
mod restore_actions;
mod s3;
mod serve;
mod serve_trust;
mod sidecar;
mod tables;
mod ui;
mod validate;
mod verify;
