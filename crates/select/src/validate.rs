//! Velero's validation of include/exclude lists, with its messages (format reference §3.10).

use std::collections::BTreeSet;
use veloscope_model::selector::is_dns1123_label;

fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

/// `collections.ValidateIncludesExcludes`: old-style resource lists, restore lists, namespaces.
pub fn includes_excludes(includes: &[String], excludes: &[String]) -> Vec<String> {
    let (inc, exc) = (set(includes), set(excludes));
    let mut errs = Vec::new();
    if inc.len() > 1 && inc.contains("*") {
        errs.push(
            "includes list must either contain '*' only, or a non-empty list of items".into(),
        );
    }
    if exc.contains("*") {
        errs.push("excludes list cannot contain '*'".into());
    }
    for x in exc.iter().filter(|x| inc.contains(*x)) {
        errs.push(format!(
            "excludes list cannot contain an item in the includes list: {x}"
        ));
    }
    errs
}

/// `collections.ValidateScopedIncludesExcludes`: a lone `*` exclude is allowed here.
pub fn scoped_includes_excludes(includes: &[String], excludes: &[String]) -> Vec<String> {
    let (inc, exc) = (set(includes), set(excludes));
    let mut errs = Vec::new();
    if inc.len() > 1 && inc.contains("*") {
        errs.push(
            "includes list must either contain '*' only, or a non-empty list of items".into(),
        );
    }
    if exc.len() > 1 && exc.contains("*") {
        errs.push(
            "excludes list must either contain '*' only, or a non-empty list of items".into(),
        );
    }
    if !inc.is_empty() && exc.contains("*") {
        errs.push("when exclude is '*', include cannot have value".into());
    }
    for x in exc.iter().filter(|x| inc.contains(*x)) {
        errs.push(format!(
            "excludes list cannot contain an item in the includes list: {x}"
        ));
    }
    errs
}

/// `collections.ValidateNamespaceIncludesExcludes`: the generic rules plus pattern and name rules
/// for every entry.
pub fn namespace_includes_excludes(includes: &[String], excludes: &[String]) -> Vec<String> {
    let mut errs = includes_excludes(includes, excludes);
    for ns in set(includes).into_iter().chain(set(excludes)) {
        errs.extend(namespace_name(ns));
    }
    errs
}

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// One namespace entry: `""` means "no namespace" and is allowed; wildcard pattern rules; then
/// the name with `* ? [ ]` replaced by `x` must be a DNS-1123 label.
pub fn namespace_name(ns: &str) -> Vec<String> {
    if ns.is_empty() {
        return vec![];
    }
    if let Err(e) = wildcard(ns) {
        return vec![e];
    }
    let tmp: String = ns
        .chars()
        .map(|c| {
            if matches!(c, '*' | '?' | '[' | ']') {
                'x'
            } else {
                c
            }
        })
        .collect();
    let mut errs = Vec::new();
    if tmp.len() > 63 {
        errs.push(format!(
            "invalid namespace {ns:?}: must be no more than 63 characters"
        ));
    }
    if !is_dns1123_label(&tmp[..tmp.len().min(63)]) || tmp.is_empty() {
        errs.push(format!("invalid namespace {ns:?}: {DNS1123_LABEL_MSG}"));
    }
    errs
}

/// `wildcard.ValidateNamespaceName`.
pub fn wildcard_pattern(p: &str) -> Result<(), crate::SelectError> {
    wildcard(p).map_err(crate::SelectError::Invalid)
}

fn wildcard(p: &str) -> Result<(), String> {
    if p.contains(['|', '(', ')', '!', '{', '}', ',']) {
        return Err("wildcard pattern contains unsupported characters: |, (, ), !, {, }, ,".into());
    }
    if p.contains("**") {
        return Err(
            "wildcard pattern contains consecutive asterisks (only single * allowed)".into(),
        );
    }
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'[' => match b[i + 1..].iter().position(|&c| c == b']') {
                None => return Err("wildcard pattern contains unclosed bracket '['".into()),
                Some(0) => {
                    return Err("wildcard pattern contains empty bracket pattern '[]'".into());
                }
                Some(off) => i += off + 1,
            },
            b']' => return Err("wildcard pattern contains unmatched closing bracket ']'".into()),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    // TestValidateIncludesExcludes / TestValidateScopedIncludesExcludes (reference §8, case 7).
    #[test]
    fn list_rules() {
        assert_eq!(
            includes_excludes(&v(&["*", "foo"]), &[]),
            ["includes list must either contain '*' only, or a non-empty list of items"]
        );
        assert_eq!(
            includes_excludes(&[], &v(&["*"])),
            ["excludes list cannot contain '*'"]
        );
        assert!(scoped_includes_excludes(&[], &v(&["*"])).is_empty());
        assert_eq!(
            scoped_includes_excludes(&v(&["foo"]), &v(&["*"])),
            ["when exclude is '*', include cannot have value"]
        );
        assert_eq!(
            includes_excludes(&v(&["foo", "bar"]), &v(&["bar"])),
            ["excludes list cannot contain an item in the includes list: bar"]
        );
    }

    // TestValidateNamespaceIncludesExcludes (reference §8, case 8).
    #[test]
    fn namespace_rules() {
        for bad in [
            "-123foo",
            "foo.bar",
            "bar_321",
            "$foo",
            "namespace|other",
            "namespace(prod)",
            "!namespace",
            "kube-**",
            "ns-[",
            "ns-]",
            "ns-[]",
        ] {
            assert!(!namespace_name(bad).is_empty(), "{bad} should be invalid");
        }
        for good in ["", "kube-*", "test-?", "ns-[0-9]", "default"] {
            assert!(
                namespace_name(good).is_empty(),
                "{good} should be valid: {:?}",
                namespace_name(good)
            );
        }
        assert_eq!(
            namespace_name("namespace|other"),
            ["wildcard pattern contains unsupported characters: |, (, ), !, {, }, ,"]
        );
    }
}
