//! Dates and times as pages write them, in the page's language and Beijing time.

use crate::web::Lang;

/// Formats a date the way the page's language writes it: 2026年11月9日 (no zero padding) /
/// 2026-11-09.
pub fn format_date(lang: Lang, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    match lang {
        Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => date.format("%Y-%m-%d").to_string(),
    }
}

/// Formats a moment in Beijing time: 2026年11月9日 11:00 / 2026-11-09 11:00.
pub fn format_datetime<Tz: chrono::TimeZone>(lang: Lang, at: chrono::DateTime<Tz>) -> String {
    let local = at.with_timezone(&crate::db::types::shanghai());
    format!(
        "{} {}",
        format_date(lang, local.date_naive()),
        local.format("%H:%M")
    )
}
