//! The records behind the activity figures, with the filters of the summary: the events held,
//! the batches counted and their submitted inspections. A list's `total` is the figure it was
//! opened from. (The hazards behind the hazard figures are the findings list's, whose filters
//! match the counters'.)

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Policy;
use crate::api::{PageRequest, Paginated};
use crate::db::ids::{EnterpriseId, EventId};
use crate::db::schema::{events, inspection_batches, inspections};
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::events::model::EventKind;
use crate::oversight::model::*;
use crate::oversight::store;
use crate::oversight::summary::{days, period};

/// The summary's filters, and a page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordsQuery {
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub to: Option<NaiveDate>,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub alliance_id: Option<AllianceId>,
    /// Events only: one kind.
    pub kind: Option<EventKind>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

impl RecordsQuery {
    pub fn summary(&self) -> SummaryQuery {
        SummaryQuery {
            from: self.from,
            to: self.to,
            region_id: self.region_id,
            industry_id: self.industry_id,
            alliance_id: self.alliance_id,
        }
    }
}

/// An event held, as oversight lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldEvent {
    pub id: EventId,
    pub alliance_id: AllianceId,
    pub alliance_name: String,
    pub kind: EventKind,
    pub title: String,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    /// People checked in.
    pub attendances: i64,
}

/// The events a list of held events holds: the caller's scope, the period's days, as of now.
struct Held {
    scope: store::Scope,
    window: (NaiveDateTime, NaiveDateTime),
    at: NaiveDateTime,
}

impl Held {
    fn of(conn: &mut AnyConnection, policy: &Policy, q: &RecordsQuery) -> AppResult<Self> {
        let (from, to) = period(&q.summary())?;
        Ok(Self {
            scope: store::scope(conn, policy, &q.summary())?,
            window: days(from, to),
            at: now(),
        })
    }

    fn query<'a>(&self, q: &RecordsQuery) -> events::BoxedQuery<'a, crate::db::MultiBackend> {
        let mut query = store::held_events(&self.scope, self.window, self.at);
        if let Some(kind) = q.kind {
            query = query.filter(events::kind.eq(kind.as_str()));
        }
        query
    }
}

pub fn held_events(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &RecordsQuery,
) -> AppResult<Paginated<HeldEvent>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let held = Held::of(conn, policy, q)?;
    let query = || held.query(q);
    let total: i64 = query().select(count_star()).first(conn)?;
    type Row = (
        EventId,
        AllianceId,
        EventKind,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = query()
        .order((events::starts_at.desc(), events::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            events::id,
            events::alliance_id,
            events::kind,
            events::title,
            events::starts_at,
            events::ends_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0 .0).collect();
    let people = store::people_at(conn, &ids)?;
    let names = store::names(conn)?;
    let items = rows
        .into_iter()
        .map(|(id, alliance_id, kind, title, starts, ends)| HeldEvent {
            id,
            alliance_id,
            alliance_name: names.alliance_name(alliance_id.0),
            kind,
            title,
            starts_at: local(starts),
            ends_at: local(ends),
            attendances: people.get(&id.0).copied().unwrap_or(0),
        })
        .collect();
    Ok(page.wrap(items, total))
}

/// The people checked in at all the events the list holds (every page).
pub fn held_attendance(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &RecordsQuery,
) -> AppResult<i64> {
    let ids: Vec<i64> = Held::of(conn, policy, q)?
        .query(q)
        .select(events::id)
        .load(conn)?;
    Ok(store::people_at(conn, &ids)?.values().sum())
}

/// A batch counted, as oversight lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountedBatch {
    pub id: i64,
    pub alliance_id: AllianceId,
    pub alliance_name: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub state: String,
    pub inspections_planned: i64,
    /// Enterprises inspected (家次).
    pub inspections_submitted: i64,
}

pub fn batches(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &RecordsQuery,
) -> AppResult<Paginated<CountedBatch>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let s = store::scope(conn, policy, &q.summary())?;
    let period = period(&q.summary())?;
    let total: i64 = store::counted_batches(&s, period)
        .select(count_star())
        .first(conn)?;
    type Row = (i64, AllianceId, String, NaiveDate, NaiveDate, String);
    let rows: Vec<Row> = store::counted_batches(&s, period)
        .order((
            inspection_batches::starts_on.desc(),
            inspection_batches::id.desc(),
        ))
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            inspection_batches::id,
            inspection_batches::alliance_id,
            inspection_batches::name,
            inspection_batches::starts_on,
            inspection_batches::ends_on,
            inspection_batches::state,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let counts = store::inspections_of(conn, &ids)?;
    let names = store::names(conn)?;
    let items = rows
        .into_iter()
        .map(|(id, alliance_id, name, starts_on, ends_on, state)| {
            let (planned, submitted) = counts.get(&id).copied().unwrap_or_default();
            CountedBatch {
                id,
                alliance_id,
                alliance_name: names.alliance_name(alliance_id.0),
                name,
                starts_on,
                ends_on,
                state,
                inspections_planned: planned,
                inspections_submitted: submitted,
            }
        })
        .collect();
    Ok(page.wrap(items, total))
}

/// An inspection submitted in a counted batch: one enterprise inspected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectedEnterprise {
    pub inspection_id: i64,
    pub batch_id: i64,
    pub target_enterprise_id: EnterpriseId,
    pub target_name: String,
    pub inspector_enterprise_id: EnterpriseId,
    pub inspector_name: String,
    pub submitted_at: Option<DateTime<FixedOffset>>,
}

pub fn inspected(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &RecordsQuery,
) -> AppResult<Paginated<InspectedEnterprise>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let s = store::scope(conn, policy, &q.summary())?;
    let period = period(&q.summary())?;
    let batches: Vec<i64> = store::counted_batches(&s, period)
        .select(inspection_batches::id)
        .load(conn)?;
    let query = || {
        inspections::table
            .filter(inspections::batch_id.eq_any(batches.clone()))
            .filter(inspections::state.eq("submitted"))
    };
    let total: i64 = query().select(count_star()).first(conn)?;
    type Row = (i64, i64, EnterpriseId, EnterpriseId, Option<NaiveDateTime>);
    let rows: Vec<Row> = query()
        .order((inspections::submitted_at.desc(), inspections::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            inspections::id,
            inspections::batch_id,
            inspections::target_enterprise_id,
            inspections::inspector_enterprise_id,
            inspections::submitted_at,
        ))
        .load(conn)?;
    let mut ids: Vec<EnterpriseId> = rows.iter().map(|r| r.2).collect();
    ids.extend(rows.iter().map(|r| r.3));
    let names = crate::org::store::enterprise_names(conn, &ids)?;
    let name = |e: &EnterpriseId| names.get(e).cloned().unwrap_or_default();
    let items = rows
        .into_iter()
        .map(|(id, batch, target, inspector, at)| InspectedEnterprise {
            inspection_id: id,
            batch_id: batch,
            target_name: name(&target),
            target_enterprise_id: target,
            inspector_name: name(&inspector),
            inspector_enterprise_id: inspector,
            submitted_at: at.map(local),
        })
        .collect();
    Ok(page.wrap(items, total))
}
