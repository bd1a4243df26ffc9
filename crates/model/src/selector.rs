//! Kubernetes label selectors: the structured form of a spec (`matchLabels`, `matchExpressions`)
//! and the string syntax of `-l` (`a=b,c!=d,e in (f,g),h notin (i),j,!k,l>1`), with the validation
//! rules of apimachinery's `NewRequirement` and its matching rules (`NotIn` matches objects that
//! lack the key).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid label selector {input:?}: {reason}")]
pub struct SelectorError {
    pub input: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Operator,
    pub values: Vec<String>,
}

/// A parsed, validated selector: requirements ANDed. Empty = matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

/// The structured selector of Velero specs (`metav1.LabelSelector`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

impl Requirement {
    /// Builds a requirement with apimachinery's validation (`NewRequirement`).
    pub fn new(key: &str, op: Operator, values: Vec<String>) -> Result<Self, crate::ValueError> {
        Requirement::checked(key, op, values).map_err(crate::ValueError::Label)
    }

    fn checked(key: &str, op: Operator, values: Vec<String>) -> Result<Self, String> {
        label_key(key)?;
        match op {
            Operator::In | Operator::NotIn if values.is_empty() => {
                return Err("for 'in', 'notin' operators, values set can't be empty".into());
            }
            Operator::Equals | Operator::NotEquals if values.len() != 1 => {
                return Err("exact-match compatibility requires one single value".into());
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                return Err("values set must be empty for exists and does not exist".into());
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    return Err(
                        "for 'Gt', 'Lt' operators, exactly one value is required".to_string()
                    );
                }
                if values[0].parse::<i64>().is_err() {
                    return Err(format!(
                        "for 'Gt', 'Lt' operators, the value must be an integer: {:?}",
                        values[0]
                    ));
                }
            }
            _ => {}
        }
        for v in &values {
            if !matches!(op, Operator::GreaterThan | Operator::LessThan) {
                label_value(v)?;
            }
        }
        Ok(Requirement {
            key: key.to_string(),
            op,
            values,
        })
    }

    pub fn matches<'a>(&self, get: &impl Fn(&str) -> Option<&'a str>) -> bool {
        let value = get(&self.key);
        match self.op {
            Operator::Equals | Operator::In => {
                value.is_some_and(|v| self.values.iter().any(|x| x == v))
            }
            Operator::NotEquals | Operator::NotIn => {
                value.is_none_or(|v| !self.values.iter().any(|x| x == v))
            }
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(v), Some(bound)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|b| b.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.op == Operator::GreaterThan {
                    v > bound
                } else {
                    v < bound
                }
            }
        }
    }
}

impl Selector {
    pub fn everything() -> Self {
        Selector::default()
    }

    /// Parses the string syntax of `kubectl -l` / `velero --selector`.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        let err = |reason: String| SelectorError {
            input: input.to_string(),
            reason,
        };
        let tokens = lex(input).map_err(err)?;
        let mut p = Parser { tokens, pos: 0 };
        let mut requirements = Vec::new();
        if p.peek() == &Token::End {
            return Ok(Selector::default());
        }
        loop {
            requirements.push(p.requirement().map_err(err)?);
            match p.next() {
                Token::Comma => continue,
                Token::End => break,
                t => {
                    return Err(err(format!(
                        "found '{t}', expected: ',' or 'end of string'"
                    )));
                }
            }
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector { requirements })
    }

    /// Splits `--or-selector "a=b or c=d"` on the literal ` or `, as Velero's CLI does.
    pub fn parse_or(input: &str) -> Result<Vec<Self>, SelectorError> {
        input.split(" or ").map(Selector::parse).collect()
    }

    pub fn matches<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| r.matches(&get))
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

impl Selector {
    /// `metav1.ParseToLabelSelector`: `=`/`==` become `matchLabels`, the rest `matchExpressions`
    /// (`!=` is `NotIn` with one value). `>`/`<` have no structured form.
    pub fn to_label_selector(&self) -> Result<LabelSelector, SelectorError> {
        let mut labels = BTreeMap::new();
        let mut exprs = Vec::new();
        for r in &self.requirements {
            let (op, values) = match r.op {
                Operator::Equals => {
                    labels.insert(r.key.clone(), r.values[0].clone());
                    continue;
                }
                Operator::In => ("In", Some(r.values.clone())),
                Operator::NotIn | Operator::NotEquals => ("NotIn", Some(r.values.clone())),
                Operator::Exists => ("Exists", None),
                Operator::DoesNotExist => ("DoesNotExist", None),
                Operator::GreaterThan | Operator::LessThan => {
                    return Err(SelectorError {
                        input: self.to_string(),
                        reason: format!(
                            "{:?} is not a valid label selector operator",
                            r.op.to_string()
                        ),
                    });
                }
            };
            exprs.push(LabelSelectorRequirement {
                key: r.key.clone(),
                operator: op.to_string(),
                values,
            });
        }
        Ok(LabelSelector {
            match_labels: (!labels.is_empty()).then_some(labels),
            match_expressions: (!exprs.is_empty()).then_some(exprs),
        })
    }
}

impl LabelSelector {
    /// A spec's `orLabelSelectors` as selectors; a null entry stays None (it matches nothing).
    pub fn to_selectors(
        list: &Option<Vec<Option<LabelSelector>>>,
    ) -> Result<Vec<Option<Selector>>, SelectorError> {
        list.iter()
            .flatten()
            .map(|s| s.as_ref().map(LabelSelector::to_selector).transpose())
            .collect()
    }

    /// `LabelSelectorAsSelector`: operators must be exactly In, NotIn, Exists or DoesNotExist.
    pub fn to_selector(&self) -> Result<Selector, SelectorError> {
        let err = |reason: String| SelectorError {
            input: self.to_string(),
            reason,
        };
        let mut requirements = Vec::new();
        for (k, v) in self.match_labels.iter().flatten() {
            requirements.push(Requirement::checked(k, Operator::In, vec![v.clone()]).map_err(err)?);
        }
        for expr in self.match_expressions.iter().flatten() {
            let op = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(err(format!(
                        "{other:?} is not a valid label selector operator"
                    )));
                }
            };
            let values = expr.values.clone().unwrap_or_default();
            requirements.push(Requirement::checked(&expr.key, op, values).map_err(err)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.as_ref().is_none_or(|m| m.is_empty())
            && self.match_expressions.as_ref().is_none_or(|m| m.is_empty())
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operator::Equals => "=",
            Operator::NotEquals => "!=",
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        })
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Operator::Exists => f.write_str(&self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
            Operator::In | Operator::NotIn if self.values.len() == 1 && self.op == Operator::In => {
                write!(f, "{}={}", self.key, self.values[0])
            }
            Operator::In | Operator::NotIn => {
                write!(f, "{} {} ({})", self.key, self.op, self.values.join(","))
            }
            _ => write!(f, "{}{}{}", self.key, self.op, self.values.join(",")),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("<none>");
        }
        let parts: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        f.write_str(&parts.join(","))
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        for (k, v) in self.match_labels.iter().flatten() {
            parts.push(format!("{k}={v}"));
        }
        for e in self.match_expressions.iter().flatten() {
            let vals = e.values.clone().unwrap_or_default().join(",");
            parts.push(format!("{} {} ({})", e.key, e.operator, vals));
        }
        if parts.is_empty() {
            f.write_str("<none>")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    In,
    NotIn,
    Equals,
    DoubleEquals,
    NotEquals,
    Bang,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
    End,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Ident(s) => f.write_str(s),
            Token::In => f.write_str("in"),
            Token::NotIn => f.write_str("notin"),
            Token::Equals => f.write_str("="),
            Token::DoubleEquals => f.write_str("=="),
            Token::NotEquals => f.write_str("!="),
            Token::Bang => f.write_str("!"),
            Token::Gt => f.write_str(">"),
            Token::Lt => f.write_str("<"),
            Token::Open => f.write_str("("),
            Token::Close => f.write_str(")"),
            Token::Comma => f.write_str(","),
            Token::End => f.write_str("end of string"),
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<') || c.is_whitespace()
}

fn lex(input: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let tok = match c {
            '=' => {
                chars.next();
                if chars.peek().map(|x| x.1) == Some('=') {
                    chars.next();
                    Token::DoubleEquals
                } else {
                    Token::Equals
                }
            }
            '!' => {
                chars.next();
                if chars.peek().map(|x| x.1) == Some('=') {
                    chars.next();
                    Token::NotEquals
                } else {
                    Token::Bang
                }
            }
            '(' | ')' | ',' | '>' | '<' => {
                chars.next();
                match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ',' => Token::Comma,
                    '>' => Token::Gt,
                    _ => Token::Lt,
                }
            }
            _ => {
                let mut end = input.len();
                while let Some(&(j, d)) = chars.peek() {
                    if is_special(d) {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                let word = &input[i..end];
                match word {
                    "in" => Token::In,
                    "notin" => Token::NotIn,
                    _ => Token::Ident(word.to_string()),
                }
            }
        };
        out.push(tok);
    }
    out.push(Token::End);
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        let negated = if self.peek() == &Token::Bang {
            self.next();
            true
        } else {
            false
        };
        let key = match self.next() {
            Token::Ident(k) => k,
            t => return Err(format!("found '{t}', expected: identifier")),
        };
        if negated {
            return Requirement::checked(&key, Operator::DoesNotExist, vec![]);
        }
        let op = match self.peek() {
            Token::Comma | Token::End => {
                return Requirement::checked(&key, Operator::Exists, vec![]);
            }
            Token::In => Operator::In,
            Token::NotIn => Operator::NotIn,
            Token::Equals | Token::DoubleEquals => Operator::Equals,
            Token::NotEquals => Operator::NotEquals,
            Token::Gt => Operator::GreaterThan,
            Token::Lt => Operator::LessThan,
            t => {
                return Err(format!(
                    "found '{t}', expected: '=', '!=', '==', 'in', 'notin'"
                ));
            }
        };
        self.next();
        let values = if matches!(op, Operator::In | Operator::NotIn) {
            self.value_set()?
        } else {
            match self.peek().clone() {
                Token::Ident(v) => {
                    self.next();
                    vec![v]
                }
                Token::Comma | Token::End => vec![String::new()],
                t => return Err(format!("found '{t}', expected: identifier")),
            }
        };
        Requirement::checked(&key, op, values)
    }

    fn value_set(&mut self) -> Result<Vec<String>, String> {
        match self.next() {
            Token::Open => {}
            t => return Err(format!("found '{t}', expected: '('")),
        }
        let mut values = Vec::new();
        if self.peek() == &Token::Close {
            self.next();
            return Ok(values);
        }
        loop {
            match self.next() {
                Token::Ident(v) => values.push(v),
                // `in (a,)` and `in (,a)` carry an empty value, as in apimachinery.
                Token::Comma => {
                    values.push(String::new());
                    if self.peek() == &Token::Close {
                        self.next();
                        values.push(String::new());
                        return Ok(dedup(values));
                    }
                    continue;
                }
                t => return Err(format!("found '{t}', expected: ',', ')' or identifier")),
            }
            match self.next() {
                Token::Comma => {
                    if self.peek() == &Token::Close {
                        self.next();
                        values.push(String::new());
                        return Ok(dedup(values));
                    }
                }
                Token::Close => return Ok(dedup(values)),
                t => return Err(format!("found '{t}', expected: ',' or ')'")),
            }
        }
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

const NAME_RULE: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A DNS-1123 subdomain: lowercase alphanumerics, `-` and `.`, ≤ 253 chars, labels start and end
/// alphanumeric.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253
        && !s.is_empty()
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && is_lower_alnum(b[0])
                && is_lower_alnum(b[b.len() - 1])
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        })
}

/// A DNS-1123 label: like a subdomain part, at most 63 chars.
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && !s.contains('.') && is_dns1123_subdomain(s)
}

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// apimachinery's `IsQualifiedName` for label keys.
pub fn validate_label_key(key: &str) -> Result<(), crate::ValueError> {
    label_key(key).map_err(crate::ValueError::Label)
}

fn label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => {
            if n.contains('/') {
                return Err(format!(
                    "key {key:?}: a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'"
                ));
            }
            (Some(p), n)
        }
        None => (None, key),
    };
    if let Some(p) = prefix
        && !is_dns1123_subdomain(p)
    {
        return Err(format!(
            "key {key:?}: prefix part must be a lowercase RFC 1123 subdomain"
        ));
    }
    if name.is_empty() {
        return Err(format!("key {key:?}: name part must be non-empty"));
    }
    if name.len() > 63 {
        return Err(format!(
            "key {key:?}: name part must be no more than 63 characters"
        ));
    }
    if !is_label_name(name) {
        return Err(format!("key {key:?}: name part {NAME_RULE}"));
    }
    Ok(())
}

/// apimachinery's `IsValidLabelValue`.
pub fn validate_label_value(v: &str) -> Result<(), crate::ValueError> {
    label_value(v).map_err(crate::ValueError::Label)
}

fn label_value(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    if v.len() > 63 {
        return Err(format!("value {v:?}: must be no more than 63 characters"));
    }
    if !is_label_name(v) {
        return Err(format!("value {v:?}: a valid label {NAME_RULE}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |k| pairs.iter().find(|(a, _)| *a == k).map(|(_, v)| *v)
    }

    #[test]
    fn string_syntax_forms() {
        let s = Selector::parse("a=b,c!=d,e in (f,g),h notin (i),j,!k").unwrap();
        assert_eq!(s.requirements.len(), 6);
        let obj = [("a", "b"), ("e", "g"), ("j", "")];
        assert!(s.matches(labels(&obj)));
        let obj = [("a", "b"), ("e", "g"), ("j", ""), ("k", "x")];
        assert!(!s.matches(labels(&obj)));
    }

    #[test]
    fn notin_matches_objects_without_the_key() {
        let s = Selector::parse("env notin (prod)").unwrap();
        assert!(s.matches(labels(&[])));
        assert!(!s.matches(labels(&[("env", "prod")])));
        assert!(s.matches(labels(&[("env", "dev")])));
    }

    #[test]
    fn empty_value_and_double_equals() {
        let s = Selector::parse("a==").unwrap();
        assert!(s.matches(labels(&[("a", "")])));
        assert!(!s.matches(labels(&[])));
    }

    #[test]
    fn validation_rules() {
        assert!(Selector::parse("a in ()").is_err());
        assert!(Selector::parse("-a=b").is_err());
        assert!(Selector::parse("a/b/c=d").is_err());
        assert!(Selector::parse("a=b c").is_err());
        assert!(Selector::parse("example.com/a=b").is_ok());
        assert!(Selector::parse("Example.com/a=b").is_err());
        assert!(Selector::parse(&format!("a={}", "x".repeat(64))).is_err());
        assert!(Selector::parse("a>x").is_err());
        assert!(
            Selector::parse("a>5")
                .unwrap()
                .matches(labels(&[("a", "6")]))
        );
        assert!(Selector::parse("").unwrap().is_empty());
    }

    #[test]
    fn structured_selector_operators() {
        let ls: LabelSelector = serde_json::from_str(
            r#"{"matchLabels":{"a":"b"},"matchExpressions":[{"key":"c","operator":"Exists"}]}"#,
        )
        .unwrap();
        let s = ls.to_selector().unwrap();
        assert!(s.matches(labels(&[("a", "b"), ("c", "")])));
        assert!(!s.matches(labels(&[("a", "b")])));
        let bad: LabelSelector = serde_json::from_str(
            r#"{"matchExpressions":[{"key":"c","operator":"Gt","values":["1"]}]}"#,
        )
        .unwrap();
        let e = bad.to_selector().unwrap_err();
        assert!(
            e.reason
                .contains("\"Gt\" is not a valid label selector operator"),
            "{e}"
        );
        let empty_in: LabelSelector = serde_json::from_str(
            r#"{"matchExpressions":[{"key":"c","operator":"In","values":[]}]}"#,
        )
        .unwrap();
        assert!(empty_in.to_selector().is_err());
        let exists_vals: LabelSelector = serde_json::from_str(
            r#"{"matchExpressions":[{"key":"c","operator":"Exists","values":["x"]}]}"#,
        )
        .unwrap();
        assert!(exists_vals.to_selector().is_err());
    }

    #[test]
    fn string_to_structured_round_trip() {
        let s = Selector::parse("a=b,c!=d,e in (f,g),h,!i").unwrap();
        let ls = s.to_label_selector().unwrap();
        assert_eq!(ls.match_labels.as_ref().unwrap()["a"], "b");
        assert_eq!(ls.match_expressions.as_ref().unwrap().len(), 4);
        let back = ls.to_selector().unwrap();
        for obj in [
            vec![("a", "b"), ("h", "")],
            vec![("a", "b"), ("c", "d"), ("h", "")],
            vec![("a", "b")],
        ] {
            assert_eq!(s.matches(labels(&obj)), back.matches(labels(&obj)));
        }
        assert!(Selector::parse("a>1").unwrap().to_label_selector().is_err());
    }

    #[test]
    fn or_selector_splits_on_literal_or() {
        let v = Selector::parse_or("a=b or c in (d,e)").unwrap();
        assert_eq!(v.len(), 2);
    }
}
