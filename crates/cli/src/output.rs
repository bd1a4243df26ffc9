//! Rendering: kubectl-like aligned tables, JSON and YAML, to a buffered stdout.

use crate::args::Format;
use anyhow::Result;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::io::{IsTerminal, Write};

/// Text from a backup made safe for a terminal: control characters, which could move the cursor,
/// rewrite the screen (ESC, OSC sequences), ring the bell or forge a table row (a newline in a
/// name), are shown instead of sent. ESC prints as `^[` and CR as `\r`, as kubectl prints them;
/// LF and TAB as `\n` and `\t`; any other as `\xHH` (or `\u{…}` above U+00FF).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{1b}' => out.push_str("^["),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && u32::from(c) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] as a `Display`, for `write!` arguments.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&escape(self.0))
    }
}

/// What `-o` asked for: a format, and for jsonpath and custom-columns their parsed template.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    pub template: Option<Template>,
}

/// kubectl's `-o jsonpath=…` and `-o custom-columns=…`.
#[derive(Debug, Clone)]
pub enum Template {
    JsonPath(veloscope_jsonpath::Template),
    Columns(Vec<(String, veloscope_jsonpath::Path)>),
}

const FORMATS: &str = "table, wide, json, yaml, name, csv, jsonpath=TEMPLATE, jsonpath-file=FILE, \
                       custom-columns=SPEC, custom-columns-file=FILE";

/// Parses `-o`, with kubectl's spellings of its printers.
pub fn parse_output(text: &str) -> std::result::Result<Output, String> {
    let plain = |format| {
        Ok(Output {
            format,
            template: None,
        })
    };
    let (kind, arg) = text.split_once('=').unwrap_or((text, ""));
    let read = |path: &str| {
        let meta = std::fs::metadata(path).map_err(|e| format!("{path}: {e}"))?;
        if !meta.is_file() || meta.len() > 1 << 20 {
            return Err(format!(
                "{path}: not a template file (a regular file under 1 MiB)"
            ));
        }
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    };
    let template = match kind {
        "table" | "" if arg.is_empty() => return plain(Format::Table),
        "wide" => return plain(Format::Wide),
        "json" => return plain(Format::Json),
        "yaml" => return plain(Format::Yaml),
        "name" => return plain(Format::Name),
        "csv" => return plain(Format::Csv),
        "jsonpath" | "jsonpath-file" => {
            let text = if kind == "jsonpath" {
                arg.to_string()
            } else {
                read(arg)?
            };
            if text.is_empty() {
                return Err(
                    "jsonpath needs a template: -o jsonpath='{.items[*].metadata.name}'".into(),
                );
            }
            Template::JsonPath(
                veloscope_jsonpath::Template::parse(&text).map_err(|e| format!("jsonpath: {e}"))?,
            )
        }
        "custom-columns" => Template::Columns(columns(arg.split(',').map(|c| {
            c.split_once(':').ok_or_else(|| {
                format!("custom-columns: {c:?} is not HEADER:JSONPATH (e.g. NAME:.metadata.name)")
            })
        }))?),
        "custom-columns-file" => {
            // kubectl's file form: headers on the first line, their paths on the second.
            let text = read(arg)?;
            let mut lines = text.lines().filter(|l| !l.trim().is_empty());
            let headers: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
            let paths: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
            if headers.is_empty() || headers.len() != paths.len() {
                return Err(format!(
                    "{arg}: {} headers and {} paths; a custom-columns file has a line of headers and a line with a path for each",
                    headers.len(),
                    paths.len()
                ));
            }
            Template::Columns(columns(headers.into_iter().zip(paths).map(Ok))?)
        }
        _ => {
            return Err(format!(
                "unable to match a printer suitable for the output format {text:?}, allowed formats are: {FORMATS}"
            ));
        }
    };
    Ok(Output {
        format: Format::Template,
        template: Some(template),
    })
}

fn columns<'a>(
    specs: impl Iterator<Item = std::result::Result<(&'a str, &'a str), String>>,
) -> std::result::Result<Vec<(String, veloscope_jsonpath::Path)>, String> {
    specs
        .map(|spec| {
            let (header, path) = spec?;
            let path = veloscope_jsonpath::Path::parse_relaxed(path)
                .map_err(|e| format!("custom-columns: {e}"))?;
            Ok((header.to_string(), path))
        })
        .collect()
}

/// Prints a command's JSON document as `-o` asks; jsonpath and custom-columns see the document
/// `-o json` prints (custom-columns a row per element when it is a list).
pub fn emit<T: Serialize>(out: &mut impl Write, o: &Output, value: &T) -> Result<()> {
    match (o.format, &o.template) {
        (Format::Yaml, _) => {
            out.write_all(veloscope_core::yaml::to_string_of(value)?.as_bytes())?
        }
        (Format::Name, _) => anyhow::bail!(
            "-o name lists objects: use it with ls, show, find, backups, restores, preview or plan"
        ),
        (Format::Csv, _) => {
            anyhow::bail!("-o csv prints rows of sql; other commands print -o json")
        }
        (Format::Template, Some(t)) => {
            let value = serde_json::to_value(value)?;
            match value {
                serde_json::Value::Array(items) => templated(out, t, items, false)?,
                one => templated(out, t, vec![one], true)?,
            }
        }
        _ => {
            serde_json::to_writer_pretty(&mut *out, value)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// A JSON list written element by element, exactly as `-o json` prints a whole list: `[`
/// comes with the first element, so an error before any leaves nothing printed. (JSON strings
/// hold no raw line breaks, so an element's pretty lines can be indented as they are.)
pub struct JsonList {
    started: bool,
}

impl JsonList {
    pub fn new() -> JsonList {
        JsonList { started: false }
    }

    pub fn push<T: Serialize>(&mut self, out: &mut impl Write, element: &T) -> Result<()> {
        out.write_all(if self.started { b",\n" } else { b"[\n" })?;
        self.started = true;
        let text = serde_json::to_string_pretty(element)?;
        for (at, line) in text.lines().enumerate() {
            if at > 0 {
                out.write_all(b"\n")?;
            }
            write!(out, "  {line}")?;
        }
        Ok(())
    }

    pub fn end(self, out: &mut impl Write) -> Result<()> {
        out.write_all(if self.started { b"\n]\n" } else { b"[]\n" })?;
        Ok(())
    }
}

/// [`emit`] for a report whose `key` holds its rows: custom columns make a row per element of
/// that list (the jsonpath template still sees the whole report).
pub fn emit_rows<T: Serialize>(
    out: &mut impl Write,
    o: &Output,
    value: &T,
    key: &str,
) -> Result<()> {
    match &o.template {
        Some(t @ Template::Columns(_)) => {
            let mut doc = serde_json::to_value(value)?;
            let rows = match doc.get_mut(key).map(serde_json::Value::take) {
                Some(serde_json::Value::Array(rows)) => rows,
                _ => Vec::new(),
            };
            templated(out, t, rows, false)
        }
        _ => emit(out, o, value),
    }
}

/// One object's custom-column cells: several values joined by `,`, `<none>` for none.
pub fn column_cells(
    columns: &[(String, veloscope_jsonpath::Path)],
    object: &serde_json::Value,
) -> Vec<String> {
    columns
        .iter()
        .map(|(_, p)| {
            let values: Vec<String> = p
                .eval(object)
                .into_iter()
                .map(veloscope_jsonpath::go_text)
                .collect();
            if values.is_empty() {
                "<none>".to_string()
            } else {
                values.join(",")
            }
        })
        .collect()
}

/// Values from a backup as a template prints them: escaped on a terminal, raw in a pipe.
pub fn template_value() -> fn(&str) -> String {
    if std::io::stdout().is_terminal() {
        |v| escape(v).into_owned()
    } else {
        str::to_string
    }
}

/// Prints objects through a jsonpath template or custom columns, as kubectl does: a template
/// sees one object as itself and several as a `List`; columns make a row per object.
pub fn templated(
    out: &mut impl Write,
    t: &Template,
    objects: Vec<serde_json::Value>,
    single: bool,
) -> Result<()> {
    match t {
        Template::JsonPath(template) => {
            let root = match (single, objects.len()) {
                (true, 1) => objects.into_iter().next().unwrap_or_default(),
                _ => serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "List",
                    "metadata": {"resourceVersion": ""},
                    "items": objects,
                }),
            };
            // The template's own text (a "\n" it asks for) is sent as written; values from the
            // backup are escaped on a terminal, and raw in a pipe (`> script.sh` gets the script).
            let text = template.render_with(&root, &template_value());
            out.write_all(text.as_bytes())?;
        }
        Template::Columns(columns) => {
            let headers: Vec<&str> = columns.iter().map(|(h, _)| h.as_str()).collect();
            let mut table = Table::new(&headers);
            for o in &objects {
                table.row(column_cells(columns, o));
            }
            table.write(out)?;
        }
    }
    Ok(())
}

/// How a column's cell text picks its colour.
pub type ColourOf = fn(&str) -> Option<Colour>;

/// A table with upper-case headers and columns padded to the widest cell, three spaces apart.
pub struct Table {
    rows: Vec<Vec<String>>,
    header: bool,
    /// A column whose cells are coloured by their text (after padding is measured).
    colour: Option<(usize, ColourOf)>,
}

/// `--no-headers`, set once by `main` for every table the command prints.
static NO_HEADERS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_no_headers(on: bool) {
    NO_HEADERS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether output is coloured, set once by `main` from `--color` and `NO_COLOR`.
static COLOUR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `auto` colours a terminal unless NO_COLOR is set to anything but the empty string
/// (no-color.org); `always` and `never` override both.
pub fn set_colour(mode: crate::args::ColourMode) {
    use crate::args::ColourMode;
    let on = match mode {
        ColourMode::Always => true,
        ColourMode::Never => false,
        ColourMode::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    COLOUR.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// ANSI colours used: what was added or is healthy, what was removed or failed, what changed
/// or warns.
#[derive(Debug, Clone, Copy)]
pub enum Colour {
    Green,
    Red,
    Yellow,
}

/// `text` in `colour` when colour is on.
pub fn paint(colour: Colour, text: &str) -> String {
    if !COLOUR.load(std::sync::atomic::Ordering::Relaxed) {
        return text.to_string();
    }
    let code = match colour {
        Colour::Green => 32,
        Colour::Red => 31,
        Colour::Yellow => 33,
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// The colour of a Velero phase (Backup or Restore): done green, failed red, partly yellow.
pub fn phase_colour(phase: &str) -> Option<Colour> {
    match phase {
        "Completed" => Some(Colour::Green),
        "Failed" | "FailedValidation" | "FinalizingPartiallyFailed" => Some(Colour::Red),
        "PartiallyFailed" | "WaitingForPluginOperationsPartiallyFailed" => Some(Colour::Yellow),
        _ => None,
    }
}

/// Names, one per line (`-o name`), escaped for the terminal.
pub fn names(out: &mut impl Write, names: impl IntoIterator<Item = String>) -> Result<()> {
    for n in names {
        writeln!(out, "{}", escape(&n))?;
    }
    Ok(())
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            rows: vec![headers.iter().map(|h| h.to_string()).collect()],
            header: true,
            colour: None,
        }
    }

    /// A table of key/value lines without a header row.
    pub fn plain() -> Table {
        Table {
            rows: Vec::new(),
            header: false,
            colour: None,
        }
    }

    /// Colours the cells of column `col` by `by` (the header row stays plain).
    pub fn colour_column(&mut self, col: usize, by: ColourOf) {
        self.colour = Some((col, by));
    }

    /// Adds a row; its cells are escaped for the terminal.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(escaped(cells));
    }

    pub fn is_empty(&self) -> bool {
        self.rows.len() <= usize::from(self.header)
    }

    pub fn write(&self, out: &mut impl Write) -> Result<()> {
        let mut widths = Vec::new();
        self.rows.iter().for_each(|r| widen(&mut widths, r));
        let skip =
            usize::from(self.header && NO_HEADERS.load(std::sync::atomic::Ordering::Relaxed));
        for (at, r) in self.rows.iter().enumerate().skip(skip) {
            let colour = self.colour.filter(|_| !(self.header && at == 0));
            write_line(out, &widths, r, colour)?;
        }
        Ok(())
    }
}

/// Grows each column's width (in characters) to hold this row's cell.
fn widen(widths: &mut Vec<usize>, cells: &[String]) {
    if widths.len() < cells.len() {
        widths.resize(cells.len(), 0);
    }
    for (w, cell) in widths.iter_mut().zip(cells) {
        *w = (*w).max(cell.chars().count());
    }
}

/// One row, each cell padded to its column's width and three spaces, as kubectl aligns them.
fn write_line(
    out: &mut impl Write,
    widths: &[usize],
    cells: &[String],
    colour: Option<(usize, ColourOf)>,
) -> Result<()> {
    let mut line = String::new();
    for (c, cell) in cells.iter().enumerate() {
        match colour
            .filter(|(col, _)| *col == c)
            .and_then(|(_, by)| by(cell))
        {
            Some(colour) => line.push_str(&paint(colour, cell)),
            None => line.push_str(cell),
        }
        if c + 1 < cells.len() {
            let pad = widths[c] - cell.chars().count() + 3;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    writeln!(out, "{}", line.trim_end())?;
    Ok(())
}

/// Makes a table's rows, each handed to `row`, in the same order every time it is called.
pub type RowSource<'r> = dyn FnMut(&mut dyn FnMut(Vec<String>) -> Result<()>) -> Result<()> + 'r;

/// A table whose rows are made twice, once to measure its columns and once to print them, as
/// [`Table`] prints them: a listing of millions of rows is printed without being held.
pub struct StreamedTable<'h> {
    headers: &'h [&'h str],
    colour: Option<(usize, ColourOf)>,
    header_when_empty: bool,
}

impl<'h> StreamedTable<'h> {
    pub fn new(headers: &'h [&'h str]) -> StreamedTable<'h> {
        StreamedTable {
            headers,
            colour: None,
            header_when_empty: false,
        }
    }

    /// Colours the cells of column `col` by `by` (the header row stays plain).
    pub fn colour_column(self, col: usize, by: ColourOf) -> StreamedTable<'h> {
        StreamedTable {
            colour: Some((col, by)),
            ..self
        }
    }

    /// Prints the header even when there are no rows (by default nothing is printed then).
    pub fn header_when_empty(self) -> StreamedTable<'h> {
        StreamedTable {
            header_when_empty: true,
            ..self
        }
    }

    /// Prints the rows `rows` makes; returns how many there were.
    pub fn write(&self, out: &mut impl Write, rows: &mut RowSource<'_>) -> Result<usize> {
        let header: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        let mut widths = Vec::new();
        widen(&mut widths, &header);
        let mut count = 0;
        rows(&mut |cells| {
            widen(&mut widths, &escaped(cells));
            count += 1;
            Ok(())
        })?;
        if count == 0 && !self.header_when_empty {
            return Ok(0);
        }
        if !NO_HEADERS.load(std::sync::atomic::Ordering::Relaxed) {
            write_line(out, &widths, &header, None)?;
        }
        rows(&mut |cells| write_line(out, &widths, &escaped(cells), self.colour))?;
        Ok(count)
    }
}

/// Cells escaped for the terminal.
fn escaped(cells: Vec<String>) -> Vec<String> {
    cells
        .into_iter()
        .map(|c| {
            let changed = match escape(&c) {
                Cow::Borrowed(_) => None,
                Cow::Owned(e) => Some(e),
            };
            changed.unwrap_or(c)
        })
        .collect()
}

/// kubectl's `-L` column headers: a label key's last segment, upper-cased
/// (`app.kubernetes.io/name` → `NAME`).
pub fn label_headers(keys: &[String]) -> Vec<String> {
    keys.iter()
        .map(|k| k.rsplit('/').next().unwrap_or(k).to_uppercase())
        .collect()
}

/// The warnings under a table, if any.
pub fn warnings_footer(out: &mut impl Write, warnings: &[String]) -> Result<()> {
    if !warnings.is_empty() {
        writeln!(out, "\nWarnings:")?;
        for w in warnings {
            writeln!(out, "  {}", Esc(w))?;
        }
    }
    Ok(())
}

pub use veloscope_core::human_bytes;

/// `1 item`, `2 items`, `1 entry`, `3 entries`: a count and its noun, singular or plural.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        return format!("1 {noun}");
    }
    match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

/// kubectl's `-o name` spelling: the lower-case kind, its group, the name (`deployment.apps/web`);
/// the plural stands in for a kind nobody knows.
pub fn kubectl_name(resource: &str, kind: Option<&str>, name: &str) -> String {
    let group = resource.split_once('.').map(|(_, g)| g);
    let kind = kind.map(str::to_lowercase).unwrap_or_else(|| {
        veloscope_core::builtin_kind(resource).map_or_else(
            || resource.split('.').next().unwrap_or(resource).to_string(),
            |k| k.to_lowercase(),
        )
    });
    match group {
        Some(g) => format!("{kind}.{g}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn singular_and_plural() {
        assert_eq!(super::count(1u64, "item"), "1 item");
        assert_eq!(super::count(0u64, "item"), "0 items");
        assert_eq!(super::count(2u64, "entry"), "2 entries");
        assert_eq!(super::count(1u64, "entry"), "1 entry");
        assert_eq!(super::count(3u64, "seek point"), "3 seek points");
    }
}

#[cfg(test)]
mod streamed_tests {
    use super::*;

    /// Rows made twice print exactly as the held table prints them: widths from every row
    /// (the widest cell last), control characters escaped before they are measured.
    #[test]
    fn a_streamed_table_prints_as_the_held_one() {
        let rows: Vec<Vec<String>> = vec![
            vec!["ns".into(), "a".into(), "x".into()],
            vec!["kube-system".into(), "b\u{1b}[31m".into(), "".into()],
            vec!["".into(), "the-longest-cell-of-all".into(), "z".into()],
        ];
        let headers = ["NAMESPACE", "NAME", "KIND"];
        let mut held = Table::new(&headers);
        rows.iter().for_each(|r| held.row(r.clone()));
        let mut want = Vec::new();
        held.write(&mut want).unwrap();
        let mut got = Vec::new();
        let mut made = 0;
        let n = StreamedTable::new(&headers)
            .write(&mut got, &mut |row| {
                made += 1;
                rows.iter().try_for_each(|r| row(r.clone()))
            })
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(made, 2, "rows are made once to measure, once to print");
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
        let mut none = Vec::new();
        let table = StreamedTable::new(&headers);
        assert_eq!(table.write(&mut none, &mut |_| Ok(())).unwrap(), 0);
        assert!(none.is_empty(), "no rows: no header either");
        table
            .header_when_empty()
            .write(&mut none, &mut |_| Ok(()))
            .unwrap();
        assert_eq!(
            String::from_utf8(none).unwrap(),
            "NAMESPACE   NAME   KIND\n"
        );
    }
}

#[cfg(test)]
mod json_list_tests {
    use super::JsonList;

    /// Element by element, the same bytes as the whole list printed at once (as `emit` does).
    #[test]
    fn a_list_written_by_elements_is_the_whole_list() {
        let lists = [
            vec![],
            vec![serde_json::json!({"backup": "a", "items": [{"name": "x\ny"}, {"name": "[]"}]})],
            vec![
                serde_json::json!({"backup": "a", "items": []}),
                serde_json::json!({"backup": "b", "started": null, "items": [{"n": {}}]}),
            ],
        ];
        for list in lists {
            let mut want = serde_json::to_vec_pretty(&list).unwrap();
            want.push(b'\n');
            let mut got = Vec::new();
            let mut l = JsonList::new();
            for e in &list {
                l.push(&mut got, e).unwrap();
            }
            l.end(&mut got).unwrap();
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }
}
