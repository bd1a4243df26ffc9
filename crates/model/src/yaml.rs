//! YAML output in kubectl's style (block mappings, sequences level with their key, literal blocks
//! for multi-line strings), written from JSON values. Strings are quoted whenever a YAML reader
//! could take them for something else, and control characters are always escaped, so a hostile
//! name can neither change the document nor reach a terminal raw.

use serde_json::Value;
use std::fmt::Write;

/// The YAML text of a value, ending in a newline.
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => mapping(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => sequence(&mut out, a, 0),
        scalar => {
            // Indented so that a literal line such as `---` cannot end the document.
            inline(&mut out, scalar, 2);
            out.push('\n');
        }
    }
    out
}

/// A serialisable value as YAML.
pub fn to_string_of<T: serde::Serialize>(v: &T) -> Result<String, serde_json::Error> {
    Ok(to_string(&serde_json::to_value(v)?))
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn mapping(out: &mut String, m: &serde_json::Map<String, Value>, at: usize) {
    let mut first = true;
    for (k, v) in m {
        if !first {
            indent(out, at);
        }
        first = false;
        let mut key = String::new();
        string(&mut key, k, at, false);
        // YAML limits an implicit key to 1024 characters; a longer one is written explicitly.
        let explicit = key.len() > 1000;
        if explicit {
            out.push_str("? ");
            out.push_str(&key);
            out.push('\n');
            indent(out, at);
        } else {
            out.push_str(&key);
        }
        out.push(':');
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                indent(out, at + 2);
                mapping(out, inner, at + 2);
            }
            // Sequences sit level with their key, as kubectl prints them.
            Value::Array(items) if !items.is_empty() => {
                let at = if explicit { at + 2 } else { at };
                out.push('\n');
                indent(out, at);
                sequence(out, items, at);
            }
            scalar => {
                out.push(' ');
                inline(out, scalar, at + 2);
                out.push('\n');
            }
        }
    }
}

fn sequence(out: &mut String, items: &[Value], at: usize) {
    let mut first = true;
    for v in items {
        if !first {
            indent(out, at);
        }
        first = false;
        out.push_str("- ");
        match v {
            Value::Object(inner) if !inner.is_empty() => mapping(out, inner, at + 2),
            Value::Array(inner) if !inner.is_empty() => sequence(out, inner, at + 2),
            scalar => {
                inline(out, scalar, at + 2);
                out.push('\n');
            }
        }
    }
}

/// A scalar, or an empty collection, on the current line; `at` is the indentation of the lines
/// a literal block continues on.
fn inline(out: &mut String, v: &Value, at: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s, at, true),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn string(out: &mut String, s: &str, at: usize, block_ok: bool) {
    if plain_ok(s) {
        out.push_str(s);
    } else if block_ok && literal_ok(s) {
        out.push_str(if s.ends_with('\n') { "|" } else { "|-" });
        for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(out, at);
                out.push_str(line);
            }
        }
    } else if s.chars().any(needs_escape) {
        double_quoted(out, s);
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    }
}

/// Characters that only a double-quoted string can carry: control characters, and the
/// characters YAML readers treat as line breaks or a byte-order mark.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{85}')
}

fn double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                if code < 0x100 {
                    let _ = write!(out, "\\x{code:02x}");
                } else {
                    let _ = write!(out, "\\u{code:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A multi-line string a literal block keeps exactly: printable lines without trailing blanks,
/// a first line that does not start with a blank, at most one final newline.
fn literal_ok(s: &str) -> bool {
    // The first line with text sets the block's indentation, so it must not start blank; a
    // block of only line breaks would read back empty.
    let text = s.trim_start_matches('\n');
    s.contains('\n')
        && !text.is_empty()
        && !s.ends_with("\n\n")
        && !text.starts_with([' ', '\t'])
        && !s.chars().any(|c| c != '\n' && needs_escape(c))
        && s.split('\n').all(|l| !l.ends_with([' ', '\t']))
}

/// A string a YAML 1.1 or 1.2 reader reads back as the same string when written bare.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() {
        return false;
    }
    // A document end marker: at the start of a line it would end the document.
    if s.starts_with("...") {
        return false;
    }
    if s.ends_with(|c: char| c.is_whitespace() || c == ':')
        || s.contains(": ")
        || s.contains(" #")
        || s.chars().any(|c| needs_escape(c) || c == '\t')
    {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "=" | "<<"
    ) {
        return false;
    }
    !number_like(s) && !date_like(s)
}

/// YAML 1.1 timestamps (`2024-01-31`, `2024-01-31T10:00:00Z`): a 1.1 reader would take them
/// for dates.
fn date_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

/// Anything a YAML reader might take for a number (ints in any base, floats, `.inf`, `.nan`,
/// YAML 1.1 sexagesimals): quoted, to be safe.
fn number_like(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | ".nan") {
        return true;
    }
    let starts_numeric = body.starts_with(|c: char| c.is_ascii_digit())
        || (body.starts_with('.') && body[1..].starts_with(|c: char| c.is_ascii_digit()));
    let mut prev = ' ';
    starts_numeric
        && body.chars().all(|c| {
            // A sign inside a number only follows an exponent's `e`.
            let ok = c.is_ascii_hexdigit()
                || "xXoO._:".contains(c)
                || ("+-".contains(c) && matches!(prev, 'e' | 'E'));
            prev = c;
            ok
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::first_document;
    use serde_json::json;

    #[test]
    fn kubectl_layout() {
        let v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {}},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}], "args": ["a", "b"]}]},
            "status": null});
        assert_eq!(
            to_string(&v),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {}\n  name: web\nspec:\n  containers:\n  - args:\n    - a\n    - b\n    name: c\n    ports:\n    - containerPort: 80\nstatus: null\n"
        );
    }

    #[test]
    fn strings_read_back_as_written() {
        let long = format!("k{}", "\u{10}".repeat(1100));
        let plain_long = "a".repeat(1100);
        let tricky = [
            "",
            " lead",
            "...",
            "... x",
            "---",
            "trail ",
            "yes",
            "No",
            "ON",
            "null",
            "~",
            "true",
            "1",
            "1.5",
            "0x1F",
            "0o17",
            "1e3",
            "1:20",
            ".inf",
            "-.NaN",
            "+1",
            "1.24.4",
            "v1.24",
            "- item",
            "a: b",
            "a #b",
            "#c",
            "key:",
            "it's",
            "\"q\"",
            "*alias",
            "&anchor",
            "!tag",
            "%dir",
            "@at",
            "`tick",
            "{a}",
            "[a]",
            "a,b",
            "tab\there",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "nl\nline",
            "two\n\nlines\n",
            " lead\nline",
            "trail \nline",
            "many\n\n\n",
            "cr\r\n",
            "ls\u{2028}",
            "bom\u{feff}",
            "ünïcödé",
            "日本",
            "<<",
            "=",
            "-",
            "?",
            ":",
            "a\u{85}b",
            "1e-5",
            "2024-01-31",
            "2019-07-12T07:15:08Z",
            "6b6af6d6-bb66-4ff3",
            "12-34",
            "x\n---\ny",
            "x\n...\n",
            "\n",
            "\n\n",
            "\n  x",
            "\nx\n",
            &long,
            &plain_long,
        ];
        for s in tricky {
            let doc = json!({"k": s, s: [s, {"n": s}]});
            let text = to_string(&doc);
            let back = first_document(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
            assert_eq!(back, doc, "{s:?} as\n{text}");
            if !s.is_empty() {
                let alone = to_string(&json!(s));
                assert_eq!(
                    first_document(&alone).ok(),
                    Some(json!(s)),
                    "{s:?} as\n{alone}"
                );
            }
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{s:?} escaped: {text}"
            );
        }
    }

    #[test]
    fn uids_stay_bare_and_dates_are_quoted() {
        assert_eq!(
            to_string(&json!({"uid": "6b6af6d6-bb66-4ff3"})),
            "uid: 6b6af6d6-bb66-4ff3\n"
        );
        assert_eq!(
            to_string(&json!({"t": "2019-07-12T07:15:08Z"})),
            "t: '2019-07-12T07:15:08Z'\n"
        );
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let v = json!({"data": {"script": "#!/bin/sh\necho hi\n"}});
        assert_eq!(
            to_string(&v),
            "data:\n  script: |\n    #!/bin/sh\n    echo hi\n"
        );
        let nested = json!([[1, 2], [], {}, "x"]);
        assert_eq!(to_string(&nested), "- - 1\n  - 2\n- []\n- {}\n- x\n");
        assert_eq!(first_document(&to_string(&nested)).unwrap(), nested);
    }
}
