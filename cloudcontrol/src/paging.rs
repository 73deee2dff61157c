//! List responses and the loop that reads them to the end.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::future::Future;

/// The page size this client asks for: the platform's maximum.
pub const MAX_PAGE_SIZE: u32 = 250;

/// Safety valve against a server that never reports the end.
const MAX_PAGES: u32 = 10_000;

/// One page of a list response.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// 1-based page number.
    pub page_number: u32,
    /// Number of items in this page.
    pub page_count: u32,
    /// Number of items in all pages (0 when the server did not say).
    pub total_count: u32,
    /// The page size the server used.
    pub page_size: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPage {
    #[serde(default)]
    page_number: u32,
    #[serde(default)]
    page_count: u32,
    #[serde(default)]
    total_count: u32,
    #[serde(default)]
    page_size: u32,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

impl<T: DeserializeOwned> Page<T> {
    /// Parses a list response whose items are under `key` (`vlan`, `server`, ...).
    /// A missing or null array is an empty page.
    pub fn parse(body: &[u8], key: &str) -> Result<Self, serde_json::Error> {
        let mut raw: RawPage = serde_json::from_slice(body)?;
        let items = match raw.rest.remove(key) {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(value) => serde_json::from_value(value)?,
        };
        Ok(Self {
            items,
            page_number: raw.page_number,
            page_count: raw.page_count,
            total_count: raw.total_count,
            page_size: raw.page_size,
        })
    }
}

/// Fetches pages 1, 2, ... with `fetch` and concatenates their items, stopping
/// at an empty page, when `totalCount` items have been read, or at a short page.
pub(crate) async fn collect_all<T, F, Fut>(operation: &str, mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut all = Vec::new();
    for page_number in 1..=MAX_PAGES {
        let page = fetch(page_number).await?;
        let received = page.items.len();
        if received == 0 {
            return Ok(all);
        }
        all.extend(page.items);
        let total_reached = page.total_count > 0 && all.len() >= page.total_count as usize;
        let short_page = page.page_size > 0 && received < page.page_size as usize;
        if total_reached || short_page {
            return Ok(all);
        }
    }
    Err(Error::UnexpectedResponse {
        operation: operation.to_owned(),
        http_status: 200,
        detail: format!("the list did not end after {MAX_PAGES} pages"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn page(items: std::ops::Range<u32>, page_size: u32, total: u32) -> Page<u32> {
        let items: Vec<u32> = items.collect();
        Page {
            page_count: items.len() as u32,
            items,
            page_number: 0,
            total_count: total,
            page_size,
        }
    }

    #[test]
    fn parses_items_and_paging_fields() {
        let body = br#"{"vlan":[{"id":"a"},{"id":"b"}],"pageNumber":1,"pageCount":2,"totalCount":3,"pageSize":2}"#;
        let page: Page<serde_json::Value> = Page::parse(body, "vlan").unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(
            (
                page.page_number,
                page.page_count,
                page.total_count,
                page.page_size
            ),
            (1, 2, 3, 2)
        );
    }

    #[test]
    fn a_page_past_the_end_is_empty() {
        let body = br#"{"pageNumber":3,"pageCount":0,"totalCount":3,"pageSize":2}"#;
        let page: Page<serde_json::Value> = Page::parse(body, "vlan").unwrap();
        assert!(page.items.is_empty());
        let body = br#"{"vlan":null,"pageCount":0}"#;
        assert!(Page::<serde_json::Value>::parse(body, "vlan")
            .unwrap()
            .items
            .is_empty());
        assert!(Page::<serde_json::Value>::parse(br#"{"vlan":{"x":1}}"#, "vlan").is_err());
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn reads_every_page_until_total_count() {
        let asked = RefCell::new(Vec::new());
        let all = run(collect_all("list", |n| {
            asked.borrow_mut().push(n);
            let start = (n - 1) * 2;
            async move { Ok(page(start..(start + 2).min(6), 2, 6)) }
        }))
        .unwrap();
        assert_eq!(all, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(*asked.borrow(), vec![1, 2, 3]);
    }

    #[test]
    fn stops_at_an_empty_page_when_no_total_is_given() {
        let asked = RefCell::new(0);
        let all = run(collect_all("list", |n| {
            *asked.borrow_mut() = n;
            let items = if n <= 2 { (n * 10)..(n * 10 + 2) } else { 0..0 };
            async move { Ok(page(items, 2, 0)) }
        }))
        .unwrap();
        assert_eq!(all, vec![10, 11, 20, 21]);
        assert_eq!(*asked.borrow(), 3);
    }

    #[test]
    fn stops_at_a_short_page() {
        let asked = RefCell::new(0);
        let all = run(collect_all("list", |n| {
            *asked.borrow_mut() = n;
            let items = if n == 1 { 0..250 } else { 250..260 };
            async move { Ok(page(items, 250, 0)) }
        }))
        .unwrap();
        assert_eq!(all.len(), 260);
        assert_eq!(*asked.borrow(), 2);
    }

    #[test]
    fn propagates_errors_and_refuses_endless_lists() {
        let err = run(collect_all::<u32, _, _>("list things", |_| async {
            Err(Error::Cancelled {
                operation: "list things".into(),
                id: String::new(),
            })
        }))
        .unwrap_err();
        assert!(matches!(err, Error::Cancelled { .. }));
        let err = run(collect_all("list things", |n| async move {
            Ok(page(n..n + 1, 0, 0))
        }))
        .unwrap_err();
        assert!(err.to_string().contains("did not end"), "{err}");
    }
}
