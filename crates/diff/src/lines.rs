//! A changed multi-line string (a ConfigMap's script, a certificate) as a line diff: the lines
//! removed and added, with a line of context around each run, instead of two long escaped strings.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOp {
    Same,
    Removed,
    Added,
    /// Unchanged lines left out between two runs of changes.
    Gap,
}

/// The lines of a change between two multi-line strings, or None when the change is not one
/// (either side not a string, or neither has a line break).
pub fn line_diff(old: &Value, new: &Value) -> Option<Vec<(LineOp, String)>> {
    let (Value::String(a), Value::String(b)) = (old, new) else {
        return None;
    };
    if !a.contains('\n') && !b.contains('\n') {
        return None;
    }
    const CONTEXT: usize = 1;
    // Myers with a deadline: a pathological pair of large strings still answers, coarser.
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(a.as_str(), b.as_str());
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if i > 0 {
            out.push((LineOp::Gap, String::new()));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let tag = match change.tag() {
                    ChangeTag::Equal => LineOp::Same,
                    ChangeTag::Delete => LineOp::Removed,
                    ChangeTag::Insert => LineOp::Added,
                };
                let text = change.value().trim_end_matches(['\n', '\r']).to_string();
                out.push((tag, text));
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shows_changed_lines_with_context() {
        let old = json!("a\nb\nc\nd\ne\nf\n");
        let new = json!("a\nb\nC\nd\ne\nf\ng\n");
        let got = line_diff(&old, &new).unwrap();
        use LineOp::*;
        let want: Vec<(LineOp, String)> = [
            (Same, "b"),
            (Removed, "c"),
            (Added, "C"),
            (Same, "d"),
            (Gap, ""),
            (Same, "f"),
            (Added, "g"),
        ]
        .into_iter()
        .map(|(o, t)| (o, t.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn single_line_strings_are_not_line_diffs() {
        assert!(line_diff(&json!("a"), &json!("b")).is_none());
        assert!(line_diff(&json!(1), &json!("a\nb")).is_none());
    }
}
