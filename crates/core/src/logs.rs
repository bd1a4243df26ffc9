//! `logs`: a backup's `NAME-logs.gz` (or a restore's `restore-NAME-logs.gz`), as `velero backup
//! logs` prints it without a cluster, filtered on the structured fields Velero's logrus lines
//! carry (`level`, `namespace`, `resource`) and on their text. Read as a stream: a log of any
//! size costs one line of memory.

use crate::{Error, InFile, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// logrus levels, least severe first.
const LEVELS: &[&str] = &[
    "trace", "debug", "info", "warning", "error", "fatal", "panic",
];

/// Which lines to keep.
#[derive(Debug, Default, Clone)]
pub struct LogFilter {
    /// The least severe level kept (`warning` keeps warnings, errors and worse).
    pub level: Option<String>,
    /// Kept when the line holds this text.
    pub grep: Option<String>,
    /// Kept when the line's `namespace` field is this.
    pub namespace: Option<String>,
    /// Kept when the line's `resource` field is this (as Velero logs it: `pods`,
    /// `deployments.apps`).
    pub resource: Option<String>,
}

/// One line, as written and as fields.
#[derive(Debug, Serialize)]
pub struct LogLine {
    pub line: String,
    pub fields: BTreeMap<String, String>,
    /// Bytes of the line past [`MAX_LINE`] that were not read (0: the whole line).
    #[serde(skip)]
    pub cut: u64,
}

/// The `key=value` fields of a logrus text line (values bare or Go-quoted).
pub fn fields(line: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = line.trim_start();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            break;
        }
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, 't')) => value.push('\t'),
                        Some((_, other)) => value.push(other),
                        None => {}
                    },
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        out.insert(key.to_string(), value);
        rest = next.trim_start();
    }
    out
}

/// logrus takes `warn` for `warning` (its ParseLevel), in flags and in log lines alike.
fn canonical_level(l: &str) -> &str {
    if l.eq_ignore_ascii_case("warn") {
        "warning"
    } else {
        l
    }
}

impl LogFilter {
    fn keeps(&self, line: &str, f: &BTreeMap<String, String>) -> bool {
        let rank = |l: &str| LEVELS.iter().position(|x| *x == canonical_level(l));
        if let Some(min) = self.level.as_deref().and_then(rank) {
            let level = f.get("level").map(String::as_str).unwrap_or("info");
            if rank(level).is_some_and(|r| r < min) {
                return false;
            }
        }
        let field = |k: &str, want: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| f.get(k).is_some_and(|v| v == w))
        };
        field("namespace", &self.namespace)
            && field("resource", &self.resource)
            && self.grep.as_ref().is_none_or(|g| line.contains(g.as_str()))
    }

    /// Checks the level name (one of logrus's).
    pub fn check(&self) -> Result<()> {
        match &self.level {
            Some(l) if !LEVELS.contains(&canonical_level(l)) => Err(Error::usage(format!(
                "unknown --level {l:?}: one of {} (or warn)",
                LEVELS.join(", ")
            ))),
            _ => Ok(()),
        }
    }
}

/// The longest line kept whole: 16 MiB. The rest of a longer one is not read into memory (a
/// crafted log must not hold a gigabyte line), and the line says how much was cut.
pub const MAX_LINE: usize = 16 << 20;

/// Streams the lines of the log of a backup (its folder, or a location's backup by selector) or
/// of a restore (a `restores/NAME` folder) that `filter` keeps to `each`; returns how many.
pub fn logs(
    source: &Path,
    filter: &LogFilter,
    each: &mut dyn FnMut(LogLine) -> Result<()>,
) -> Result<usize> {
    filter.check()?;
    let dir_name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let restore = source.join(format!("restore-{dir_name}-logs.gz"));
    if restore.is_file() {
        return read(&restore, filter, each);
    }
    // The source stays open while its log is read: a remote backup's side files live in a
    // temporary folder that goes with it.
    let opened = crate::backup::open(source)?;
    let Some(folder) = opened.folder() else {
        return Err(Error::usage(format!(
            "{}: a bare tarball has no log; pass the backup's folder (NAME-logs.gz beside the tarball)",
            source.display()
        )));
    };
    let log = folder.dir.join(format!("{}-logs.gz", folder.name));
    if !log.is_file() {
        return Err(Error::NotFound {
            file: folder.dir.display().to_string(),
            message: format!(
                "no {}-logs.gz: Velero uploads it when the backup ends",
                folder.name
            ),
            nearest: Vec::new(),
        });
    }
    read(&log, filter, each)
}

fn read(
    file: &Path,
    filter: &LogFilter,
    each: &mut dyn FnMut(LogLine) -> Result<()>,
) -> Result<usize> {
    let opened = std::fs::File::open(file).in_file(file.display())?;
    let mut reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(opened));
    let mut kept = 0;
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        let Some(cut) = read_line(&mut reader, &mut bytes).in_file(file.display())? else {
            break;
        };
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_end_matches(['\r', '\n']);
        let f = fields(text);
        if filter.keeps(text, &f) {
            kept += 1;
            each(LogLine {
                line: text.to_string(),
                fields: f,
                cut,
            })?;
        }
    }
    Ok(kept)
}

/// One line into `out`, at most [`MAX_LINE`] bytes of it: how many bytes past that were cut,
/// or None at the end of the input.
fn read_line(r: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
    let mut any = false;
    let mut cut = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(any.then_some(cut));
        }
        any = true;
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let room = MAX_LINE.saturating_sub(out.len());
        let kept = chunk.len().min(room);
        out.extend_from_slice(&chunk[..kept]);
        cut += (chunk.len() - kept) as u64;
        let used = chunk.len();
        r.consume(used);
        if done {
            return Ok(Some(cut));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of a real Velero backup log (the debug bundle of the corpora).
    #[test]
    fn logrus_fields_parse() {
        let f = fields(
            r#"time="2022-11-29T08:15:29Z" level=info msg="Backing up item" backup=velero/b1 logSource="pkg/backup/item_backupper.go:132" name=web-0 namespace=shop resource=pods"#,
        );
        assert_eq!(f["level"], "info");
        assert_eq!(f["msg"], "Backing up item");
        assert_eq!(f["namespace"], "shop");
        assert_eq!(f["resource"], "pods");
        let f = fields(r#"level=error msg="quoted \"word\" inside" error.file="/x.go:1""#);
        assert_eq!(f["msg"], "quoted \"word\" inside");
        assert_eq!(f["error.file"], "/x.go:1");
    }

    #[test]
    fn filters_keep_what_they_name() {
        let line = r#"level=warning msg="skipped" namespace=shop resource=pods"#;
        let f = fields(line);
        let keeps = |filter: LogFilter| filter.keeps(line, &f);
        assert!(keeps(LogFilter::default()));
        assert!(keeps(LogFilter {
            level: Some("warning".into()),
            ..Default::default()
        }));
        assert!(!keeps(LogFilter {
            level: Some("error".into()),
            ..Default::default()
        }));
        assert!(keeps(LogFilter {
            namespace: Some("shop".into()),
            ..Default::default()
        }));
        assert!(!keeps(LogFilter {
            resource: Some("secrets".into()),
            ..Default::default()
        }));
        assert!(keeps(LogFilter {
            grep: Some("skip".into()),
            ..Default::default()
        }));
    }
}
