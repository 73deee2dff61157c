//! List responses: `pageNumber`/`pageSize` paging and exact-match filters.

use crate::envelope::ApiError;
use serde_json::{json, Value};

/// Largest page the API serves (and its default).
pub const MAX_PAGE_SIZE: usize = 250;

/// Query parameters of a request, in order.
pub type Query = Vec<(String, String)>;

/// A filter: query parameter name and JSON pointers into an item (`*` = any array element).
pub type FilterSpec = (&'static str, &'static [&'static str]);

/// Parameters every list accepts besides its filters.
const PAGING_PARAMS: &[&str] = &["pageNumber", "pageSize", "orderBy"];

fn number(query: &Query, name: &str, default: usize) -> Result<usize, ApiError> {
    match query.iter().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::invalid(name, format!("`{v}` must be a positive integer"))),
    }
}

/// Filters `items` by the query, then cuts the requested page and wraps it with paging fields.
///
/// A page past the end is an empty page with `pageCount: 0` (clients rely on that to stop).
pub fn page(
    items: Vec<Value>,
    array_key: &str,
    query: &Query,
    filters: &[FilterSpec],
) -> Result<Value, ApiError> {
    for (name, _) in query {
        if !PAGING_PARAMS.contains(&name.as_str()) && !filters.iter().any(|(f, _)| f == name) {
            let known: Vec<&str> = filters.iter().map(|(f, _)| *f).collect();
            return Err(ApiError::invalid(
                name,
                format!(
                    "unknown query parameter (filters here: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    let page_number = number(query, "pageNumber", 1)?;
    let page_size = number(query, "pageSize", MAX_PAGE_SIZE)?;
    if page_size > MAX_PAGE_SIZE {
        return Err(ApiError::invalid(
            "pageSize",
            format!("must be at most {MAX_PAGE_SIZE}"),
        ));
    }
    let matching: Vec<Value> = items
        .into_iter()
        .filter(|item| {
            query.iter().all(
                |(name, wanted)| match filters.iter().find(|(f, _)| f == name) {
                    Some((_, pointers)) => pointers
                        .iter()
                        .any(|p| values_at(item, p).iter().any(|v| matches(v, wanted))),
                    None => true,
                },
            )
        })
        .collect();
    let total = matching.len();
    let start = (page_number - 1).saturating_mul(page_size);
    let page: Vec<Value> = matching.into_iter().skip(start).take(page_size).collect();
    Ok(json!({
        array_key: page.clone(),
        "pageNumber": page_number,
        "pageCount": page.len(),
        "totalCount": total,
        "pageSize": page_size,
    }))
}

fn matches(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(s) => s == wanted,
        Value::Bool(b) => wanted.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        Value::Number(n) => n.to_string() == wanted,
        _ => false,
    }
}

/// Values reached by a pointer such as `/networkInfo/additionalNic/*/vlanId`.
fn values_at<'a>(item: &'a Value, pointer: &str) -> Vec<&'a Value> {
    let mut current = vec![item];
    for segment in pointer.split('/').filter(|s| !s.is_empty()) {
        current = current
            .into_iter()
            .flat_map(|v| -> Vec<&Value> {
                match (segment, v) {
                    ("*", Value::Array(a)) => a.iter().collect(),
                    (key, Value::Object(o)) => o.get(key).into_iter().collect(),
                    _ => Vec::new(),
                }
            })
            .collect();
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Query {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const F: &[FilterSpec] = &[("name", &["/name"]), ("vlanId", &["/nic/*/vlan"])];

    fn items() -> Vec<Value> {
        (0..7)
            .map(|i| json!({"name": format!("n{}", i % 3), "nic": [{"vlan": format!("v{i}")}]}))
            .collect()
    }

    #[test]
    fn pages_and_past_the_end() {
        let p = page(
            items(),
            "x",
            &q(&[("pageSize", "5"), ("pageNumber", "2")]),
            F,
        )
        .unwrap();
        assert_eq!(p["pageCount"], 2);
        assert_eq!(p["totalCount"], 7);
        let p = page(
            items(),
            "x",
            &q(&[("pageSize", "5"), ("pageNumber", "3")]),
            F,
        )
        .unwrap();
        assert_eq!(p["pageCount"], 0);
        assert_eq!(p["x"], json!([]));
    }

    #[test]
    fn filters_and_bad_params() {
        let p = page(items(), "x", &q(&[("name", "n1")]), F).unwrap();
        assert_eq!(p["totalCount"], 2);
        let p = page(items(), "x", &q(&[("vlanId", "v6")]), F).unwrap();
        assert_eq!(p["totalCount"], 1);
        let e = page(items(), "x", &q(&[("colour", "red")]), F).unwrap_err();
        assert!(e.message.starts_with("colour"));
        assert!(page(items(), "x", &q(&[("pageSize", "0")]), F).is_err());
        assert!(page(items(), "x", &q(&[("pageSize", "251")]), F).is_err());
        assert!(page(items(), "x", &q(&[("pageNumber", "abc")]), F).is_err());
    }
}
