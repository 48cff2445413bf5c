//! The district side: what it is about to send (the preview), publishing a period (a signed
//! bundle, kept and queued to the city through the outbox), the bundles the city may pull, and
//! the delivery the outbox worker makes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::access::Policy;
use crate::audit;
use crate::db::ids::UserId;
use crate::db::types::{local, now, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::federation::figures;
use crate::federation::keys::{payload_bytes, Signer};
use crate::federation::model::*;
use crate::federation::schema::federation_outgoing as out;
use crate::message::msg;
use crate::oversight::model::Figures;

/// Only the district's own regulators (district-wide) and administrators publish its figures.
pub fn require_district(policy: &Policy) -> AppResult<()> {
    crate::federation::require_whole(
        policy,
        "Only the district's own regulators publish its figures and see what it sent.",
    )
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = out)]
pub struct OutgoingRow {
    pub id: i64,
    pub dataset: String,
    pub period: String,
    pub revision: i32,
    pub reason: String,
    pub hash: String,
    pub kid: String,
    pub bundle: String,
    pub cells: i32,
    pub suppressed: i32,
    pub published_by: Option<i64>,
    pub published_at: chrono::NaiveDateTime,
    pub delivery: String,
    pub delivery_note: String,
    pub delivered_at: Option<chrono::NaiveDateTime>,
}

/// A bundle the district published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Published {
    pub id: i64,
    pub dataset: String,
    pub period: String,
    pub revision: i32,
    pub reason: String,
    /// SHA-256 (hex) of the signed payload.
    pub hash: String,
    pub kid: String,
    pub cells: i32,
    pub suppressed: i32,
    pub published_at: chrono::DateTime<chrono::FixedOffset>,
    /// `pending` (queued to the city), `delivered`, `refused` (the city answered 4xx, or the
    /// address is not the city's receiver: not tried again), `superseded` (a newer revision
    /// reached the city first) or `pull` (no city address: it waits to be pulled).
    pub delivery: String,
    /// What the city answered.
    pub delivery_note: String,
    pub delivered_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl From<OutgoingRow> for Published {
    fn from(r: OutgoingRow) -> Self {
        Self {
            id: r.id,
            dataset: r.dataset,
            period: r.period,
            revision: r.revision,
            reason: r.reason,
            hash: r.hash,
            kid: r.kid,
            cells: r.cells,
            suppressed: r.suppressed,
            published_at: local(r.published_at),
            delivery: r.delivery,
            delivery_note: r.delivery_note,
            delivered_at: r.delivered_at.map(local),
        }
    }
}

/// One cell as the district sees it before sending: names beside the codes (names never go).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewCell {
    pub street: String,
    pub street_name: String,
    pub industry: String,
    pub industry_name: String,
    pub suppressed: bool,
    /// The counts sent (none when suppressed).
    pub counts: Option<Counts>,
    pub rectification_rate: Option<f64>,
}

/// Exactly what publishing `period` now would send, and what was sent of it before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub district: Coded,
    pub dataset: String,
    pub period: String,
    /// The revision publishing would make (1, or the next correction).
    pub revision: i32,
    pub code_list_version: String,
    /// SHA-256 of the cells shown: publishing with it as `preview_hash` sends exactly these
    /// (409 `figures-changed` if they changed meanwhile).
    pub cells_hash: String,
    /// The city it goes to (its audience name) and how (`push` to its address, or `pull`).
    pub audience: String,
    pub delivery: String,
    pub cells: Vec<PreviewCell>,
    /// Cells sent without figures (fewer than 3 enterprises).
    pub suppressed: i64,
    /// The sum of the cells sent with figures, rates from the sums.
    pub totals: Figures,
    /// Earlier revisions of the period, newest first.
    pub published: Vec<Published>,
}

/// A period to publish, and why, when it corrects an earlier revision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// `YYYY-MM` or `YYYY`.
    pub period: String,
    /// Required for a correction (revision 2 on).
    #[serde(default)]
    pub reason: String,
    /// The `cells_hash` of the preview the publisher read: the cells sent must be those.
    #[serde(default)]
    pub preview_hash: Option<String>,
}

/// SHA-256 (hex) of cells as serialized.
fn cells_hash(cells: &[Cell]) -> AppResult<String> {
    Ok(sha256_hex(
        &serde_json::to_vec(cells).map_err(AppError::internal)?,
    ))
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    /// `YYYY-MM` or `YYYY` (default: last month).
    pub period: Option<String>,
}

/// Where published bundles go: the city's audience name and, for pushing, its address.
#[derive(Debug, Clone)]
pub struct Destination {
    pub audience: String,
    pub url: Option<String>,
}

/// A period from text: 422 naming `period` unless `YYYY-MM` or `YYYY` and begun.
pub fn period(text: &str) -> AppResult<Period> {
    let p = Period::parse(text.trim()).ok_or_else(|| AppError::field("period", msg::PERIOD))?;
    if p.first_day() > today() {
        return Err(AppError::field("period", msg::PERIOD_AHEAD));
    }
    Ok(p)
}

/// The period a page opens on: last month.
pub fn default_period() -> Period {
    Period::month_of(today()).previous()
}

fn revisions(conn: &mut AnyConnection, p: &str) -> AppResult<Vec<OutgoingRow>> {
    Ok(out::table
        .filter(out::dataset.eq(DATASET))
        .filter(out::period.eq(p))
        .order(out::revision.desc())
        .select(OutgoingRow::as_select())
        .load(conn)?)
}

pub fn preview(
    conn: &mut AnyConnection,
    policy: &Policy,
    to: &Destination,
    p: Period,
) -> AppResult<Preview> {
    require_district(policy)?;
    let (list, cells) = figures::cells(conn, p)?;
    let hash = cells_hash(&cells)?;
    let published = revisions(conn, &p.to_string())?;
    let mut totals = Counts::default();
    let mut suppressed = 0;
    let industry_name = |code: &str| {
        if code == ACROSS_INDUSTRIES {
            return "跨行业".to_string();
        }
        list.industries
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let cells = cells
        .into_iter()
        .map(|c| {
            match &c.counts {
                Some(n) => totals.add(n),
                None => suppressed += 1,
            }
            PreviewCell {
                street_name: list.street_name(&c.street),
                industry_name: industry_name(&c.industry),
                rectification_rate: c.counts.and_then(|n| n.figures().rectification_rate),
                street: c.street,
                industry: c.industry,
                suppressed: c.suppressed,
                counts: c.counts,
            }
        })
        .collect();
    Ok(Preview {
        district: list.district.clone(),
        dataset: DATASET.into(),
        period: p.to_string(),
        revision: published.first().map_or(1, |r| r.revision + 1),
        code_list_version: list.version(),
        cells_hash: hash,
        audience: to.audience.clone(),
        delivery: if to.url.is_some() { "push" } else { "pull" }.into(),
        cells,
        suppressed,
        totals: totals.figures(),
        published: published.into_iter().map(Published::from).collect(),
    })
}

/// Key of the PostgreSQL advisory lock that lets one publication be numbered at a time.
const PUBLISH_LOCK: i64 = 0x5341_4645_4450_0001;

/// The latest revision of every other scope the district published.
fn manifest(conn: &mut AnyConnection, except: &str) -> AppResult<Vec<ManifestEntry>> {
    let rows: Vec<(String, String, i32, String)> = out::table
        .select((out::dataset, out::period, out::revision, out::hash))
        .order((out::dataset, out::period, out::revision.desc()))
        .load(conn)?;
    let mut latest: Vec<ManifestEntry> = Vec::new();
    for (dataset, period, revision, hash) in rows {
        if (dataset == DATASET && period == except)
            || latest
                .last()
                .is_some_and(|l| l.dataset == dataset && l.period == period)
        {
            continue;
        }
        latest.push(ManifestEntry {
            dataset,
            period,
            revision,
            hash,
        });
    }
    Ok(latest)
}

/// Publishes `input.period`: counts it now, signs the bundle, keeps it, and queues it to the
/// city, all in the caller's transaction (a crash either keeps all of it or none).
pub fn publish(
    conn: &mut AnyConnection,
    policy: &Policy,
    (signer, to): (&Signer, &Destination),
    input: &PublishInput,
) -> AppResult<Published> {
    require_district(policy)?;
    let p = period(&input.period)?;
    let mut v = Validator::new();
    v.long_text("reason", &input.reason, 500);
    v.finish()?;
    if let AnyConnection::Postgresql(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PUBLISH_LOCK})")).execute(conn)?;
    }
    let before = revisions(conn, &p.to_string())?;
    let revision = before.first().map_or(1, |r| r.revision + 1);
    let reason = input.reason.trim().to_string();
    if revision > 1 && reason.is_empty() {
        return Err(AppError::field(
            "reason",
            msg::CORRECTION_REASON.with("revision", revision),
        ));
    }
    let (list, cells) = figures::cells(conn, p)?;
    if let Some(seen) = &input.preview_hash {
        if *seen != cells_hash(&cells)? {
            return Err(AppError::conflict(
                "figures-changed",
                "The figures changed since the preview was read: read it again, then publish.",
            ));
        }
    }
    let at = now();
    let bundle = Bundle {
        iss: list.district.code.clone(),
        aud: to.audience.clone(),
        iat: at.and_utc().timestamp(),
        dataset: DATASET.into(),
        period: p.to_string(),
        revision,
        reason: reason.clone(),
        code_list_version: list.version(),
        as_of: local(at).to_rfc3339(),
        manifest: manifest(conn, &p.to_string())?,
        cells,
    };
    let jws = signer.sign(&bundle).map_err(AppError::internal)?;
    let hash = sha256_hex(&payload_bytes(&jws).ok_or_else(|| AppError::internal("bad JWS"))?);
    let suppressed = bundle.cells.iter().filter(|c| c.suppressed).count() as i32;
    let row: OutgoingRow = diesel::insert_into(out::table)
        .values((
            out::dataset.eq(DATASET),
            out::period.eq(p.to_string()),
            out::revision.eq(revision),
            out::reason.eq(&reason),
            out::hash.eq(&hash),
            out::kid.eq(&signer.kid),
            out::bundle.eq(&jws),
            out::cells.eq(bundle.cells.len() as i32),
            out::suppressed.eq(suppressed),
            out::published_by.eq(Some(policy.actor.id.0)),
            out::published_at.eq(at),
            out::delivery.eq(if to.url.is_some() { "pending" } else { "pull" }),
        ))
        .returning(out::all_columns)
        .get_result(conn)?;
    if let Some(url) = &to.url {
        crate::notify::outbox::federation(
            conn,
            url,
            row.id,
            &format!("{} {} r{}", list.district.code, p, revision),
        )?;
    }
    audit::record(
        conn,
        Some(policy.actor.id),
        "federation_publish",
        "federation_bundle",
        Some(row.id),
        json!({"period": p.to_string(), "revision": revision, "reason": reason, "hash": hash,
               "cells": row.cells, "suppressed": suppressed, "kid": signer.kid}),
    )?;
    Ok(row.into())
}

/// The district's publications, newest first (the page's history).
pub fn history(conn: &mut AnyConnection, policy: &Policy, limit: i64) -> AppResult<Vec<Published>> {
    require_district(policy)?;
    Ok(out::table
        .order(out::id.desc())
        .limit(limit)
        .select(OutgoingRow::as_select())
        .load::<OutgoingRow>(conn)?
        .into_iter()
        .map(Published::from)
        .collect())
}

/// A bundle as the city pulls it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pulled {
    /// Ask for bundles after this one next time (`since`).
    pub id: i64,
    pub dataset: String,
    pub period: String,
    pub revision: i32,
    pub hash: String,
    /// The compact JWS, as signed.
    pub bundle: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PullPage {
    pub items: Vec<Pulled>,
    /// The `since` to ask with next (the last id given, or the one asked with).
    pub next: i64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    /// Bundles published after this one (default 0: from the first).
    #[param(minimum = 0)]
    pub since: Option<i64>,
    /// At most this many (1–100, default 100).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The bundles published after `since`, oldest first.
pub fn pull(conn: &mut AnyConnection, q: &PullQuery) -> AppResult<PullPage> {
    let since = q.since.unwrap_or(0);
    if since < 0 {
        return Err(AppError::field(
            "since",
            msg::BETWEEN.with("min", 0).with("max", i64::MAX),
        ));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(AppError::field(
            "limit",
            msg::BETWEEN.with("min", 1).with("max", 100),
        ));
    }
    let rows: Vec<OutgoingRow> = out::table
        .filter(out::id.gt(since))
        .order(out::id.asc())
        .limit(limit)
        .select(OutgoingRow::as_select())
        .load(conn)?;
    let next = rows.last().map_or(since, |r| r.id);
    Ok(PullPage {
        items: rows
            .into_iter()
            .map(|r| Pulled {
                id: r.id,
                dataset: r.dataset,
                period: r.period,
                revision: r.revision,
                hash: r.hash,
                bundle: r.bundle,
            })
            .collect(),
        next,
    })
}

/// Records what the city answered to bundle `id`; a refusal tells whoever published it.
pub fn record_delivery(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    note: &str,
) -> AppResult<()> {
    let note: String = note.chars().take(500).collect();
    let row: Option<OutgoingRow> = out::table
        .find(id)
        .select(OutgoingRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(()) };
    diesel::update(out::table.find(id))
        .set((
            out::delivery.eq(state),
            out::delivery_note.eq(&note),
            out::delivered_at.eq((state == "delivered").then(now)),
        ))
        .execute(conn)?;
    if state == "refused" {
        if let Some(user) = row.published_by {
            crate::notify::tell(
                conn,
                &[UserId(user)],
                &crate::notify::Notice {
                    kind: crate::notify::Kind::FederationRefused,
                    subject: format!("{} r{}", row.period, row.revision),
                    link: "/federation".into(),
                    due_on: None,
                    note,
                },
            )?;
        }
    }
    Ok(())
}
