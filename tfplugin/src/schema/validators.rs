//! Attribute validators: a trait plus ready-made checks. Each reports diagnostics carrying the
//! attribute path, so Terraform points at the offending configuration line.

use std::fmt;
use std::net::Ipv4Addr;

use regex::Regex;

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::value::Value;

/// A check on one attribute's configured value.
///
/// The runtime calls validators only for known, non-null values (unknown values are checked
/// again at apply time, when they are known).
pub trait Validator: Send + Sync + fmt::Debug {
    /// A short description of the rule, e.g. `length between 1 and 64`.
    fn description(&self) -> String;

    /// Checks `value` (known, not null) and adds errors for `path` to `diags`.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

fn invalid(diags: &mut Diagnostics, path: &AttributePath, detail: String) {
    diags.error_at(path.clone(), "Invalid attribute value", detail);
}

fn wrong_type(diags: &mut Diagnostics, path: &AttributePath, expected: &str, rule: &str) {
    invalid(
        diags,
        path,
        format!("{path} must be {expected} for the rule \"{rule}\""),
    );
}

/// String length (in characters) within `min..=max`.
#[derive(Debug, Clone)]
pub struct StringLength {
    /// Minimum number of characters.
    pub min: usize,
    /// Maximum number of characters.
    pub max: usize,
}

/// A string with `min..=max` characters.
pub fn string_length(min: usize, max: usize) -> StringLength {
    StringLength { min, max }
}

impl Validator for StringLength {
    fn description(&self) -> String {
        format!("length between {} and {}", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else {
            return wrong_type(diags, path, "a string", &self.description());
        };
        let len = s.chars().count();
        if len < self.min || len > self.max {
            invalid(
                diags,
                path,
                format!(
                    "{path} must be between {} and {} characters long, got {len}",
                    self.min, self.max
                ),
            );
        }
    }
}

/// A string equal to one of a fixed set of values.
#[derive(Debug, Clone)]
pub struct OneOf(pub Vec<String>);

/// A string equal to one of `allowed`.
pub fn one_of<I, S>(allowed: I) -> OneOf
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    OneOf(allowed.into_iter().map(Into::into).collect())
}

impl Validator for OneOf {
    fn description(&self) -> String {
        format!("one of {}", quoted_list(&self.0))
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else {
            return wrong_type(diags, path, "a string", &self.description());
        };
        if !self.0.iter().any(|a| a == s) {
            invalid(
                diags,
                path,
                format!("{path} must be one of {}, got {s:?}", quoted_list(&self.0)),
            );
        }
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A string matching a regular expression.
#[derive(Debug, Clone)]
pub struct MatchesRegex {
    /// The pattern (use `^...$` to match the whole string).
    pub regex: Regex,
    /// What the pattern means, for the error message, e.g. `lowercase letters and digits`.
    pub meaning: String,
}

/// A string matching `pattern`; `meaning` explains the rule to users.
///
/// # Panics
/// When `pattern` is not a valid regular expression: patterns are fixed in provider code, so
/// this is a programming error caught by any test that builds the schema.
pub fn matches_regex(pattern: &str, meaning: impl Into<String>) -> MatchesRegex {
    MatchesRegex {
        regex: Regex::new(pattern)
            .unwrap_or_else(|e| panic!("invalid validator pattern {pattern:?}: {e}")),
        meaning: meaning.into(),
    }
}

impl Validator for MatchesRegex {
    fn description(&self) -> String {
        format!("{} (pattern {})", self.meaning, self.regex.as_str())
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else {
            return wrong_type(diags, path, "a string", &self.description());
        };
        if !self.regex.is_match(s) {
            invalid(
                diags,
                path,
                format!(
                    "{path} must be {}, got {s:?} (pattern {})",
                    self.meaning,
                    self.regex.as_str()
                ),
            );
        }
    }
}

/// A whole number within `min..=max`.
#[derive(Debug, Clone)]
pub struct IntRange {
    /// Smallest allowed value.
    pub min: i64,
    /// Largest allowed value.
    pub max: i64,
}

/// A whole number within `min..=max`.
pub fn int_between(min: i64, max: i64) -> IntRange {
    IntRange { min, max }
}

impl Validator for IntRange {
    fn description(&self) -> String {
        format!("whole number between {} and {}", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(n) = value.as_number() else {
            return wrong_type(diags, path, "a number", &self.description());
        };
        match n.to_i64() {
            Some(i) if (self.min..=self.max).contains(&i) => {}
            _ => invalid(
                diags,
                path,
                format!(
                    "{path} must be a whole number between {} and {}, got {n}",
                    self.min, self.max
                ),
            ),
        }
    }
}

/// A dotted-quad IPv4 address such as `10.0.0.1`.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Address;

impl Validator for Ipv4Address {
    fn description(&self) -> String {
        "an IPv4 address".into()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else {
            return wrong_type(diags, path, "a string", &self.description());
        };
        if s.parse::<Ipv4Addr>().is_err() {
            invalid(
                diags,
                path,
                format!("{path} must be an IPv4 address such as 10.0.0.1, got {s:?}"),
            );
        }
    }
}

/// An IPv4 network in CIDR notation such as `10.0.0.0/24`, with a prefix length within
/// `min_prefix..=max_prefix` and no host bits set.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Cidr {
    /// Shortest allowed prefix length.
    pub min_prefix: u8,
    /// Longest allowed prefix length.
    pub max_prefix: u8,
}

/// An IPv4 CIDR block with any prefix length.
pub fn ipv4_cidr() -> Ipv4Cidr {
    Ipv4Cidr {
        min_prefix: 0,
        max_prefix: 32,
    }
}

impl Ipv4Cidr {
    /// Parses `a.b.c.d/n`, checking the rules; the error says what is wrong.
    pub fn check(&self, s: &str) -> Result<(Ipv4Addr, u8), String> {
        let (addr, prefix) = s
            .split_once('/')
            .ok_or_else(|| "is missing the /prefix length".to_string())?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("has an invalid address part {addr:?}"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("has an invalid prefix length {prefix:?}"))?;
        if prefix < self.min_prefix || prefix > self.max_prefix {
            return Err(format!(
                "has prefix length /{prefix}, which must be between /{} and /{}",
                self.min_prefix, self.max_prefix
            ));
        }
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        if u32::from(addr) & !mask != 0 {
            let network = Ipv4Addr::from(u32::from(addr) & mask);
            return Err(format!(
                "has host bits set (the network address is {network}/{prefix})"
            ));
        }
        Ok((addr, prefix))
    }
}

impl Validator for Ipv4Cidr {
    fn description(&self) -> String {
        format!(
            "an IPv4 CIDR block with prefix between /{} and /{}",
            self.min_prefix, self.max_prefix
        )
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else {
            return wrong_type(diags, path, "a string", &self.description());
        };
        if let Err(why) = self.check(s) {
            invalid(
                diags,
                path,
                format!("{path} must be an IPv4 CIDR block such as 10.0.0.0/24; {s:?} {why}"),
            );
        }
    }
}

/// A list, set or map with `min..=max` elements.
#[derive(Debug, Clone, Copy)]
pub struct SizeBetween {
    /// Fewest elements.
    pub min: usize,
    /// Most elements.
    pub max: usize,
}

/// A collection with `min..=max` elements.
pub fn size_between(min: usize, max: usize) -> SizeBetween {
    SizeBetween { min, max }
}

impl Validator for SizeBetween {
    fn description(&self) -> String {
        format!("between {} and {} elements", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let len = match value.inner() {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.len(),
            Value::Map(m) => m.len(),
            _ => return wrong_type(diags, path, "a collection", &self.description()),
        };
        if len < self.min || len > self.max {
            invalid(
                diags,
                path,
                format!(
                    "{path} must have between {} and {} elements, got {len}",
                    self.min, self.max
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &dyn Validator, value: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        v.validate(&value, &AttributePath::attribute("x"), &mut diags);
        diags
    }

    fn detail(d: &Diagnostics) -> String {
        let first = d.iter().next().expect("a diagnostic");
        assert_eq!(first.attribute, Some(AttributePath::attribute("x")));
        first.detail.clone()
    }

    #[test]
    fn string_length_counts_characters() {
        assert!(run(&string_length(1, 3), "héé".into()).is_empty());
        let d = run(&string_length(1, 3), "abcd".into());
        assert_eq!(
            detail(&d),
            "x must be between 1 and 3 characters long, got 4"
        );
        assert!(run(&string_length(1, 3), Value::from(1)).has_errors());
    }

    #[test]
    fn one_of_and_regex() {
        assert!(run(&one_of(["a", "b"]), "b".into()).is_empty());
        assert_eq!(
            detail(&run(&one_of(["a", "b"]), "c".into())),
            "x must be one of \"a\", \"b\", got \"c\""
        );
        let re = matches_regex("^[a-z0-9-]+$", "lowercase letters, digits and dashes");
        assert!(run(&re, "web-1".into()).is_empty());
        assert!(detail(&run(&re, "Web_1".into())).contains("lowercase letters"));
    }

    #[test]
    fn int_range() {
        assert!(run(&int_between(1, 10), Value::from(10)).is_empty());
        assert!(run(&int_between(1, 10), Value::from(11)).has_errors());
        let half: crate::value::Number = "1.5".parse().unwrap();
        assert!(run(&int_between(1, 10), Value::Number(half)).has_errors());
    }

    #[test]
    fn ipv4_and_cidr() {
        assert!(run(&Ipv4Address, "10.0.0.1".into()).is_empty());
        assert!(run(&Ipv4Address, "10.0.0.256".into()).has_errors());
        assert!(run(&ipv4_cidr(), "10.0.0.0/24".into()).is_empty());
        assert!(detail(&run(&ipv4_cidr(), "10.0.0.1/24".into())).contains("10.0.0.0/24"));
        assert!(run(&ipv4_cidr(), "10.0.0.0".into()).has_errors());
        assert!(run(&ipv4_cidr(), "10.0.0.0/33".into()).has_errors());
        let narrow = Ipv4Cidr {
            min_prefix: 24,
            max_prefix: 28,
        };
        assert!(detail(&run(&narrow, "10.0.0.0/16".into())).contains("between /24 and /28"));
        assert!(run(&ipv4_cidr(), "0.0.0.0/0".into()).is_empty());
    }

    #[test]
    fn size_between_counts_elements() {
        let two = Value::list(["a".into(), "b".into()]);
        assert!(run(&size_between(1, 2), two.clone()).is_empty());
        assert!(run(&size_between(3, 4), two).has_errors());
    }
}
