//! What every list page shares: the page asked for, the filters in the URL, the pager.

use serde_json::{json, Value};

/// The page sizes a list offers.
pub const PAGE_SIZES: [i64; 3] = [20, 50, 100];

/// The pager of a list page: page, pages, total, the links to the neighbours and to numbered
/// pages around this one, and the page sizes (`base` is the list's URL with its filters, and
/// its `per_page` when not the list's default). A page past the end names the last page, to
/// which [`crate::web::Pages::page`] redirects.
pub fn pager(page: i64, per_page: i64, total: i64, base: &str) -> Value {
    let pages = ((total + per_page - 1) / per_page).max(1);
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = |n: i64| format!("{base}{sep}page={n}");
    let mut numbers = Vec::new();
    let mut last_shown = 0;
    for n in 1..=pages {
        if n == 1 || n == pages || (n - page).abs() <= 2 {
            if n > last_shown + 1 {
                numbers.push(json!({"gap": true}));
            }
            numbers.push(json!({"n": n, "url": url(n), "current": n == page, "gap": false}));
            last_shown = n;
        }
    }
    // The sizes link to the first page, keeping the filters.
    let (path, query) = base.split_once('?').unwrap_or((base, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("per_page="))
        .collect();
    let sizes: Vec<Value> = PAGE_SIZES
        .iter()
        .map(|&size| {
            let mut q = kept.clone();
            let size_param = format!("per_page={size}");
            q.push(&size_param);
            json!({"size": size, "url": format!("{path}?{}", q.join("&")), "current": size == per_page})
        })
        .collect();
    json!({
        "page": page, "pages": pages, "total": total,
        "prev": (page > 1).then(|| url((page - 1).min(pages))),
        "next": (page < pages).then(|| url(page + 1)),
        "numbers": numbers, "sizes": sizes,
        "past_end": (page > pages).then(|| url(pages)),
    })
}

/// The pager of a list whose count may stop at the cap (`capped`): then it shows "10000+" and
/// offers the next page while this one is full (`shown` items); an empty page past the cap
/// leads back to the last page counted.
pub fn pager_counted(
    page: i64,
    per_page: i64,
    total: i64,
    capped: bool,
    shown: i64,
    base: &str,
) -> Value {
    if !capped {
        return pager(page, per_page, total, base);
    }
    let reach = if shown == 0 {
        total
    } else {
        total.max(page * per_page + i64::from(shown == per_page))
    };
    let mut out = pager(page, per_page, reach, base);
    out["total"] = json!(format!("{total}+"));
    out
}

/// The page size a list page was asked for: one of [`PAGE_SIZES`], else `default`.
pub fn page_size(raw: &Option<String>, default: i64) -> i64 {
    raw.as_deref()
        .and_then(|p| p.trim().parse().ok())
        .filter(|p| PAGE_SIZES.contains(p))
        .unwrap_or(default)
}

/// The `?page=` of a list page that takes no other filter.
#[derive(serde::Deserialize, Default)]
pub struct PageParam {
    pub page: Option<String>,
    pub per_page: Option<String>,
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
    match query_string(pairs) {
        q if q.is_empty() => path.to_string(),
        q => format!("{path}?{q}"),
    }
}

/// The filters of a list page's URL (from [`list_url`]), for its export links.
pub fn export_query(list_url: &str) -> String {
    list_url
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default()
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
