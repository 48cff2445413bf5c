//! What every list page shares: the page asked for, the filters in the URL, the pager.

use serde_json::{json, Value};

/// The pager of a list page: page, pages, total and the links to the neighbours (`base` is the
/// list's URL with its filters).
pub fn pager(page: i64, per_page: i64, total: i64, base: &str) -> Value {
    let pages = ((total + per_page - 1) / per_page).max(1);
    let sep = if base.contains('?') { '&' } else { '?' };
    json!({
        "page": page, "pages": pages, "total": total,
        "prev": (page > 1).then(|| format!("{base}{sep}page={}", page - 1)),
        "next": (page < pages).then(|| format!("{base}{sep}page={}", page + 1)),
    })
}

/// The `?page=` of a list page that takes no other filter.
#[derive(serde::Deserialize, Default)]
pub struct PageParam {
    pub page: Option<String>,
}

/// The page number a list page was asked for (1 when absent or not a positive number).
pub fn page_number(raw: &Option<String>) -> i64 {
    raw.as_deref()
        .and_then(|p| p.trim().parse().ok())
        .filter(|p: &i64| (1..=1_000_000).contains(p))
        .unwrap_or(1)
}

/// A list page's URL with its filters (blank ones left out), for its links and its pager.
pub fn list_url(path: &str, pairs: &[(&str, &Option<String>)]) -> String {
    format!("{path}?{}", query_string(pairs))
}

/// A list page's filters as a query string (blank ones left out).
fn query_string(pairs: &[(&str, &Option<String>)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            ser.append_pair(k, v);
        }
    }
    ser.finish()
}
