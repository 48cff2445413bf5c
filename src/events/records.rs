//! What events leave behind and hold: the attendance as CSV and XLSX (Chinese headers), the
//! training records — per enterprise and per person, the events attended by kind and year — and
//! who may download an event's materials.

use chrono::Datelike;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::{Policy, Sight};
use crate::db::schema::{attendances, events};
use crate::db::types::local;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::events::attendance::{self, Attendance};
use crate::events::model::*;
use crate::org::service as org_service;

/// The columns of an attendance export.
const HEADERS: [&str; 5] = ["序号", "姓名", "单位", "签到时间", "签到方式"];

fn method_text(m: attendance::Method) -> &'static str {
    match m {
        attendance::Method::Code => "扫码签到",
        attendance::Method::Organizer => "组织方代签",
    }
}

fn rows(list: &Attendance) -> Vec<[String; 5]> {
    list.items
        .iter()
        .enumerate()
        .map(|(n, a)| {
            [
                (n + 1).to_string(),
                a.name.clone(),
                a.enterprise_name.clone(),
                a.checked_in_at.format("%Y-%m-%d %H:%M").to_string(),
                method_text(a.method).to_string(),
            ]
        })
        .collect()
}

/// The attendance as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese).
pub fn csv(conn: &mut AnyConnection, policy: &Policy, id: EventId) -> AppResult<Vec<u8>> {
    let list = attendance::attendance(conn, policy, id)?;
    let mut out = String::from("\u{feff}");
    out.push_str(&HEADERS.join(","));
    out.push_str("\r\n");
    for row in rows(&list) {
        let fields: Vec<String> = row.iter().map(|f| crate::api::csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    Ok(out.into_bytes())
}

/// The attendance as an XLSX workbook.
pub fn xlsx(conn: &mut AnyConnection, policy: &Policy, id: EventId) -> AppResult<Vec<u8>> {
    let list = attendance::attendance(conn, policy, id)?;
    let title = crate::events::store::event(conn, id)?
        .map(|e| e.title)
        .unwrap_or_default();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("签到名单").map_err(AppError::internal)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    sheet
        .write_string_with_format(0, 0, &title, &bold)
        .map_err(AppError::internal)?;
    for (c, h) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *h, &bold)
            .map_err(AppError::internal)?;
    }
    for (r, row) in rows(&list).iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet
                .write_string(r as u32 + 2, c as u16, value)
                .map_err(AppError::internal)?;
        }
    }
    for (c, width) in [6, 14, 30, 18, 12].iter().enumerate() {
        sheet
            .set_column_width(c as u16, *width)
            .map_err(AppError::internal)?;
    }
    book.save_to_buffer().map_err(AppError::internal)
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    /// Only this year (Beijing time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

/// One event attended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attended {
    pub event_id: EventId,
    pub kind: EventKind,
    pub title: String,
    pub starts_at: chrono::DateTime<chrono::FixedOffset>,
    /// The enterprise's people who attended it (for a person's record, 1).
    pub people: i64,
}

/// A training record (培训记录): the events attended, and their number per kind and year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingRecord {
    pub items: Vec<Attended>,
    /// `[{year, kind, events}]`, newest year first.
    pub totals: Vec<Total>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Total {
    pub year: i32,
    pub kind: EventKind,
    pub events: i64,
}

fn record(
    conn: &mut AnyConnection,
    whose: Whose,
    year: Option<i32>,
    viewer: Option<&Policy>,
) -> AppResult<TrainingRecord> {
    if let Some(y) = year {
        if !(2000..=2100).contains(&y) {
            return Err(AppError::field(
                "year",
                crate::message::msg::BETWEEN
                    .with("min", 2000)
                    .with("max", 2100),
            ));
        }
    }
    let mut query = attendances::table
        .inner_join(events::table.on(events::id.eq(attendances::event_id)))
        .into_boxed::<crate::db::MultiBackend>();
    query = match whose {
        Whose::Enterprise(e) => query.filter(attendances::enterprise_id.eq(e)),
        Whose::Person(u) => query.filter(attendances::user_id.eq(u)),
    };
    let rows: Vec<EventRow> = query
        .order((events::starts_at.desc(), events::id.desc()))
        .select(EventRow::as_select())
        .load(conn)?;
    // Someone else's record shows only the events of alliances the viewer sees.
    let mut seen: std::collections::HashMap<AllianceId, bool> = std::collections::HashMap::new();
    let mut items: Vec<Attended> = Vec::new();
    for row in rows {
        if let Some(policy) = viewer {
            let sees = match seen.get(&row.alliance_id) {
                Some(s) => *s,
                None => {
                    let s = crate::events::service::alliance(conn, policy, row.alliance_id).is_ok();
                    seen.insert(row.alliance_id, s);
                    s
                }
            };
            if !sees {
                continue;
            }
        }
        let at = local(row.starts_at);
        if year.is_some_and(|y| at.year() != y) {
            continue;
        }
        match items.last_mut() {
            Some(last) if last.event_id == row.id => last.people += 1,
            _ => items.push(Attended {
                event_id: row.id,
                kind: row.kind,
                title: row.title,
                starts_at: at,
                people: 1,
            }),
        }
    }
    let mut totals: Vec<Total> = Vec::new();
    for a in &items {
        let y = a.starts_at.year();
        match totals.iter_mut().find(|t| t.year == y && t.kind == a.kind) {
            Some(t) => t.events += 1,
            None => totals.push(Total {
                year: y,
                kind: a.kind,
                events: 1,
            }),
        }
    }
    totals.sort_by(|a, b| {
        b.year
            .cmp(&a.year)
            .then(a.kind.as_str().cmp(b.kind.as_str()))
    });
    Ok(TrainingRecord { items, totals })
}

enum Whose {
    Enterprise(EnterpriseId),
    Person(UserId),
}

/// An enterprise's training record: for those who see the enterprise in full (its own users,
/// the leads of its alliances, the regulators in scope).
pub fn enterprise_record(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EnterpriseId,
    year: Option<i32>,
) -> AppResult<TrainingRecord> {
    let (_, sight) = org_service::visible_enterprise(conn, policy, id)?;
    if sight != Sight::Full {
        return Err(AppError::NotFound);
    }
    // Its own people see all its record (also of alliances it has left).
    let viewer = (policy.own_enterprise() != Some(id)).then_some(policy);
    record(conn, Whose::Enterprise(id), year, viewer)
}

/// The caller's own training record.
pub fn my_record(
    conn: &mut AnyConnection,
    policy: &Policy,
    year: Option<i32>,
) -> AppResult<TrainingRecord> {
    record(conn, Whose::Person(policy.actor.id), year, None)
}

/// May the caller download this file as the material of an event it sees?
pub fn may_see_material(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AttachmentId,
) -> AppResult<bool> {
    for event in crate::events::store::events_of_material(conn, id)? {
        let row = crate::events::store::event(conn, event)?;
        match crate::events::service::visible(conn, policy, row) {
            Ok(_) => return Ok(true),
            Err(AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}
