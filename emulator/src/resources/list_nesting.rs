//! What IP address lists and port lists share: names, child list ids (with the `{"nil": true}`
//! element that clears them on edit), and the walk over nested lists.

use super::check_id;
use crate::envelope::{ApiError, Code};
use crate::paging::Query;
use serde::Deserialize;
use std::collections::BTreeSet;

/// Longest list name (the API's limit is not published; this is the firewall rules' one).
pub const MAX_NAME_LEN: usize = 75;

/// One element of `childIpAddressListId` / `childPortListId`: an id, or `{"nil": true}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ChildId {
    /// A list id.
    Id(String),
    /// The element that clears the collection.
    Nil {
        /// Must be true.
        nil: bool,
    },
}

/// Whether a collection is the single `{"nil": true}` element that clears it.
pub fn is_nil(mut elements: impl ExactSizeIterator<Item = Option<bool>>) -> bool {
    elements.len() == 1 && elements.next() == Some(Some(true))
}

/// The ids of a child collection (empty when it is the clearing element), each a UUID, none twice.
pub fn ids(field: &str, children: Vec<ChildId>) -> Result<Vec<String>, ApiError> {
    if let [ChildId::Nil { nil: true }] = children.as_slice() {
        return Ok(Vec::new());
    }
    let mut out: Vec<String> = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let field = format!("{field}[{i}]");
        match child {
            ChildId::Id(id) => {
                check_id(&field, &id)?;
                if out.contains(&id) {
                    return Err(ApiError::invalid(&field, format!("{id} is listed twice")));
                }
                out.push(id);
            }
            ChildId::Nil { .. } => {
                return Err(ApiError::invalid(
                    &format!("{field}.nil"),
                    "clears the collection only as its only element",
                ))
            }
        }
    }
    Ok(out)
}

/// Splits the `networkDomainId` filter off a list query: list documents do not carry their
/// domain (none of the recorded ones does), so the lists filter on what they store instead.
pub fn split_domain_filter(query: &Query) -> (Option<String>, Query) {
    let domain = query
        .iter()
        .find(|(k, _)| k == "networkDomainId")
        .map(|(_, v)| v.clone());
    let rest = query
        .iter()
        .filter(|(k, _)| k != "networkDomainId")
        .cloned()
        .collect();
    (domain, rest)
}

/// A list name: letters, digits, `_`, `.` and `-`, beginning with a letter, at most
/// [`MAX_NAME_LEN`] characters (the API does not publish its rule; this is our reading).
pub fn check_name(name: &str) -> Result<(), ApiError> {
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(ApiError::invalid(
            "name",
            format!("`{name}` must begin with a letter"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(ApiError::invalid(
            "name",
            format!(
                "`{name}` contains `{bad}`; only letters, digits, `_`, `.` and `-` are allowed"
            ),
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(ApiError::invalid(
            "name",
            format!("must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    Ok(())
}

/// `IPV4` or `IPV6`, in any case.
pub fn ip_version(value: &str) -> Result<String, ApiError> {
    let upper = value.to_ascii_uppercase();
    match upper.as_str() {
        "IPV4" | "IPV6" => Ok(upper),
        _ => Err(ApiError::invalid(
            "ipVersion",
            format!("`{value}` must be one of IPV4, IPV6"),
        )),
    }
}

/// A list must hold at least one entry or child list.
pub fn not_empty(entries: &str, children: &str, count: usize) -> Result<(), ApiError> {
    if count == 0 {
        return Err(ApiError::invalid(
            entries,
            format!("a list needs at least one {entries} or {children}"),
        ));
    }
    Ok(())
}

/// `start` and every list it includes, directly or not, in the order first reached.
pub fn closure<'a>(
    start: &str,
    children_of: impl Fn(&str) -> Option<&'a Vec<String>>,
) -> Vec<String> {
    closure_of(std::slice::from_ref(&start.to_owned()), children_of)
}

/// `roots` and every list they include, directly or not, in the order first reached.
pub fn closure_of<'a>(
    roots: &[String],
    children_of: impl Fn(&str) -> Option<&'a Vec<String>>,
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    let mut stack: Vec<String> = roots.iter().rev().cloned().collect();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(children) = children_of(&id) {
            stack.extend(children.iter().rev().cloned());
        }
        order.push(id);
    }
    order
}

/// Refuses an edit after which list `id` would include itself through `child_ids`, directly or
/// through other lists (`children_of` reads a list's children), naming `field`.
pub fn refuse_self_inclusion<'a>(
    field: &str,
    kind: &str,
    id: &str,
    child_ids: &[String],
    children_of: impl Fn(&str) -> Option<&'a Vec<String>>,
) -> Result<(), ApiError> {
    if closure_of(child_ids, children_of).iter().any(|c| c == id) {
        return Err(ApiError::invalid(
            field,
            format!("{kind} {id} would include itself"),
        ));
    }
    Ok(())
}

/// Refuses deleting list `name` (a `kind`) while list `parent` includes it or firewall rule
/// `rule` uses it.
pub fn refuse_while_used(
    kind: &str,
    name: &str,
    parent: Option<&str>,
    rule: Option<&str>,
) -> Result<(), ApiError> {
    let user = match (parent, rule) {
        (Some(parent), _) => format!("included in {kind} '{parent}'"),
        (None, Some(rule)) => format!("used by firewall rule '{rule}'"),
        (None, None) => return Ok(()),
    };
    Err(ApiError::new(
        Code::HasDependency,
        format!("id: {kind} '{name}' is {user}."),
    ))
}

/// Every entry of list `id` and of the lists it includes, as `text` writes them, without
/// repeats (`lists` reads a list's children and entries).
pub fn expanded<'a, E: 'a>(
    id: &str,
    lists: impl Fn(&str) -> Option<(&'a Vec<String>, &'a Vec<E>)>,
    text: impl Fn(&E) -> String,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for list in closure(id, |i| lists(i).map(|(children, _)| children)) {
        for entry in lists(&list).into_iter().flat_map(|(_, entries)| entries) {
            let written = text(entry);
            if !out.contains(&written) {
                out.push(written);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn closure_walks_nested_lists_once_even_through_a_cycle() {
        let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
        lists.insert("a".into(), vec!["b".into(), "c".into()]);
        lists.insert("b".into(), vec!["c".into()]);
        lists.insert("c".into(), vec!["a".into()]);
        assert_eq!(closure("a", |i| lists.get(i)), ["a", "b", "c"]);
        assert_eq!(closure_of(&["b".into()], |i| lists.get(i)), ["b", "c", "a"]);
        assert_eq!(closure("z", |i| lists.get(i)), ["z"]);
    }

    #[test]
    fn only_a_lone_nil_element_clears() {
        let nil = || ChildId::Nil { nil: true };
        assert!(ids("c", vec![nil()]).unwrap().is_empty());
        let both = ids(
            "c",
            vec![ChildId::Id(uuid::Uuid::new_v4().to_string()), nil()],
        );
        assert!(both.unwrap_err().message.contains("c[1].nil"));
        assert!(ids("c", vec![ChildId::Id("x".into())]).is_err());
    }

    #[test]
    fn names_follow_the_rule() {
        assert!(check_name("mesos.masters-1_a").is_ok());
        assert!(check_name("1st").is_err());
        assert!(check_name("has space").is_err());
        assert!(check_name(&"a".repeat(76)).is_err());
    }
}
