//! Shapes shared by every JSON list: pagination in, `{items, total, page, per_page}` out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppResult, Validator};

/// The answer to a request that shows the record it wrote or read: 201 when it was made now,
/// else 200, with its address in `Location`.
pub fn record_answer<T: Serialize>(
    created: bool,
    location: &str,
    body: &T,
) -> actix_web::HttpResponse {
    let mut response = match created {
        true => actix_web::HttpResponse::Created(),
        false => actix_web::HttpResponse::Ok(),
    };
    response.insert_header(("Location", location)).json(body)
}
use crate::message::msg;

pub const MAX_PER_PAGE: i64 = 100;
pub const DEFAULT_PER_PAGE: i64 = 20;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    /// How many records match the filters, over all pages — exact, unless `total_capped`.
    pub total: i64,
    /// The list counts no further than [`COUNT_CAP`]: more records match than `total` says
    /// (show "10,000+"). Counting a huge list exactly would cost more than the page itself.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
    /// Keyset paging, where the list offers it: pass as `after` for the next page (absent when
    /// this page is not full; after a full last page, the next one is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// The most records a huge list counts before answering "at least this many".
pub const COUNT_CAP: i64 = 10_000;

/// The query parameters of a list that takes no other filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

impl PageQuery {
    pub fn request(&self) -> AppResult<PageRequest> {
        PageRequest::new(self.page, self.per_page)
    }
}

/// A checked page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    /// Checks `page` ≥ 1 and 1 ≤ `per_page` ≤ 100; defaults 1 and 20.
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> AppResult<Self> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        let mut v = Validator::new();
        v.check(
            (1..=1_000_000).contains(&page),
            "page",
            msg::BETWEEN.with("min", 1).with("max", 1_000_000),
        );
        v.check(
            (1..=MAX_PER_PAGE).contains(&per_page),
            "per_page",
            msg::BETWEEN.with("min", 1).with("max", MAX_PER_PAGE),
        );
        v.finish()?;
        Ok(Self { page, per_page })
    }

    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }

    pub fn wrap<T>(self, items: Vec<T>, total: i64) -> Paginated<T> {
        Paginated {
            items,
            total,
            total_capped: false,
            page: self.page,
            per_page: self.per_page,
            next_after: None,
        }
    }
}

/// A CSV field: quoted when needed, and never read as a formula by a spreadsheet.
pub fn csv_field(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A download answer.
pub fn file(bytes: Vec<u8>, content_type: &str, name: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes)
}

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
