//! The monthly evaluation's use cases: measure every alliance and street of the district in a
//! month, score and rank them with the district's weights, show each caller the part in their
//! scope, publish a month (frozen as published), recompute a published month on purpose (in the
//! audit log), and set the weights and the warning threshold.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::access::{Policy, Visibility};
use crate::audit;
use crate::db::schema::{evaluation_settings, evaluations};
use crate::db::types::{local, now, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::message::msg;
use crate::oversight::evaluation::{Metrics, Weights};
use crate::oversight::measure::{compare, measure, month_of, scored};
use crate::oversight::store;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EvaluationQuery {
    /// `YYYY-MM` (default: last month).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: Option<String>,
}

/// The weights and the score under which an alliance gets a warning notice (警示告知书).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSettings {
    pub weights: Weights,
    #[schema(minimum = 0, maximum = 100)]
    pub warn_below: f64,
}

impl Default for EvaluationSettings {
    fn default() -> Self {
        Self {
            weights: Weights::default(),
            warn_below: 60.0,
        }
    }
}

/// One alliance's (or street's) evaluation in a month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Evaluation {
    pub subject_id: i64,
    pub name: String,
    pub metrics: Metrics,
    pub score: f64,
    /// Among all the district's alliances (or streets).
    pub rank: i32,
    pub previous_score: Option<f64>,
    pub previous_rank: Option<i32>,
    /// Score now minus score last month.
    pub score_change: Option<f64>,
    /// Places moved up since last month (negative: down).
    pub rank_change: Option<i32>,
    /// The measures scored under 60.
    pub weaknesses: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthlyEvaluation {
    /// `YYYY-MM`.
    pub month: String,
    /// Published months are frozen as published; others are computed as of now.
    pub published: bool,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub weights: Weights,
    pub warn_below: f64,
    /// Highest score first.
    pub alliances: Vec<Evaluation>,
    pub streets: Vec<Evaluation>,
    /// The alliances under the threshold (警示告知书).
    pub warnings: Vec<Evaluation>,
    /// Whether the caller publishes and recomputes (the district's regulators, admins).
    pub may_publish: bool,
}

/// The first day of a `YYYY-MM` month, up to this one (422 on `month` otherwise).
pub fn parse_month(raw: Option<&str>) -> AppResult<NaiveDate> {
    let this = today().with_day(1).unwrap_or_default();
    let Some(raw) = raw else {
        return Ok(this.pred_opt().and_then(|d| d.with_day(1)).unwrap_or(this));
    };
    // Exactly `YYYY-MM` (as the API document says): a blank or padded month is refused.
    let shaped = raw.len() == 7 && raw.as_bytes()[4] == b'-';
    let month = NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| shaped)
        .filter(|d| crate::db::types::sane(*d))
        .ok_or_else(|| AppError::field("month", msg::NOT_DATE))?;
    if month > this {
        return Err(AppError::field("month", msg::NOT_IN_FUTURE));
    }
    Ok(month)
}

pub fn month_end(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

pub fn settings(conn: &mut AnyConnection) -> AppResult<EvaluationSettings> {
    let row: Option<(String, f64)> = evaluation_settings::table
        .find(1i64)
        .select((
            evaluation_settings::weights,
            evaluation_settings::warn_below,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((w, warn_below)) => EvaluationSettings {
            weights: serde_json::from_str(&w).unwrap_or_default(),
            warn_below,
        },
        None => EvaluationSettings::default(),
    })
}

/// Admins and the district's regulators (the whole district, every industry).
fn is_district(policy: &Policy) -> bool {
    match policy.oversight() {
        Visibility::Everything => true,
        Visibility::Only { area: Some(a), .. } => a.regions.is_none() && a.industry.is_none(),
        _ => false,
    }
}

/// The month's evaluation as the caller may see it: regulators the alliances (and streets) of
/// their scope, a lead its alliances; ranks are the district's.
pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &EvaluationQuery,
) -> AppResult<MonthlyEvaluation> {
    let month = parse_month(q.month.as_deref())?;
    let leads = policy.led_alliances().to_vec();
    let scope = match policy.is_authority() {
        true => Some(store::scope(conn, policy, &Default::default())?),
        false if !leads.is_empty() => None,
        false => return Err(AppError::NotFound),
    };
    let set = settings(conn)?;
    let names = store::names(conn)?;
    let mut this = month_of(conn, &names, month, &set.weights)?;
    // A published month carries last month as it stood then; another is compared now.
    if this.published_at.is_none() {
        let previous = month
            .checked_sub_months(chrono::Months::new(1))
            .unwrap_or(month);
        let before = month_of(conn, &names, previous, &this.weights)?;
        compare(&mut this.alliances, &before.alliances);
        compare(&mut this.streets, &before.streets);
    }
    let (alliances, streets) = match &scope {
        Some(s) => {
            let alliances = match &s.alliances {
                Some(list) => this
                    .alliances
                    .into_iter()
                    .filter(|e| list.iter().any(|a| a.0 == e.subject_id))
                    .collect(),
                None => this.alliances,
            };
            // Streets mix every industry: an industry's regulators do not see them.
            let streets = match (&s.regions, s.industry) {
                (_, Some(_)) => Vec::new(),
                (None, None) => this.streets,
                (Some(regions), None) => this
                    .streets
                    .into_iter()
                    .filter(|e| regions.iter().any(|r| r.0 == e.subject_id))
                    .collect(),
            };
            (alliances, streets)
        }
        None => (
            this.alliances
                .into_iter()
                .filter(|e| leads.iter().any(|l| l.0 == e.subject_id))
                .collect(),
            Vec::new(),
        ),
    };
    let warn_below = this.warn_below.unwrap_or(set.warn_below);
    let warnings = alliances
        .iter()
        .filter(|e| e.score < warn_below)
        .cloned()
        .collect();
    Ok(MonthlyEvaluation {
        month: month.format("%Y-%m").to_string(),
        published: this.published_at.is_some(),
        published_at: this.published_at.map(local),
        weights: this.weights,
        warn_below,
        alliances,
        streets,
        warnings,
        may_publish: is_district(policy),
    })
}

/// Measures, scores and stores a month as published (with last month beside it, and the
/// threshold); answers what it stored: (subject, id, score, rank).
fn store_month(
    conn: &mut AnyConnection,
    policy: &Policy,
    month: NaiveDate,
    set: &EvaluationSettings,
) -> AppResult<Vec<(String, i64, f64, i32)>> {
    let names = store::names(conn)?;
    let w = &set.weights;
    let (alliances, streets) = measure(conn, &names, month)?;
    let (mut alliances, mut streets) = (
        scored(alliances, w, |_| String::new()),
        scored(streets, w, |_| String::new()),
    );
    let previous = month
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(month);
    let before = month_of(conn, &names, previous, w)?;
    compare(&mut alliances, &before.alliances);
    compare(&mut streets, &before.streets);
    let at = now();
    let mut stored = Vec::new();
    for (subject, list) in [("alliance", alliances), ("street", streets)] {
        for e in list {
            diesel::insert_into(evaluations::table)
                .values((
                    evaluations::month.eq(month),
                    evaluations::subject.eq(subject),
                    evaluations::subject_id.eq(e.subject_id),
                    evaluations::metrics.eq(serde_json::to_string(&e.metrics).unwrap_or_default()),
                    evaluations::weights.eq(serde_json::to_string(w).unwrap_or_default()),
                    evaluations::score.eq(e.score),
                    evaluations::rank.eq(e.rank),
                    evaluations::previous_score.eq(e.previous_score),
                    evaluations::previous_rank.eq(e.previous_rank),
                    evaluations::warn_below.eq(set.warn_below),
                    evaluations::computed_at.eq(at),
                    evaluations::computed_by.eq(Some(policy.actor.id)),
                    evaluations::published_at.eq(at),
                ))
                .execute(conn)?;
            stored.push((subject.to_string(), e.subject_id, e.score, e.rank));
        }
    }
    Ok(stored)
}

fn may_publish(policy: &Policy) -> AppResult<()> {
    if !policy.is_authority() {
        return Err(AppError::NotFound);
    }
    match is_district(policy) {
        true => Ok(()),
        false => Err(AppError::Forbidden(
            "Only the district's regulators publish and recompute evaluations.".into(),
        )),
    }
}

fn published(conn: &mut AnyConnection, month: NaiveDate) -> AppResult<i64> {
    Ok(evaluations::table
        .filter(evaluations::month.eq(month))
        .count()
        .get_result(conn)?)
}

/// Publishes a month that is over: its evaluations are stored and stay as they are.
pub fn publish(conn: &mut AnyConnection, policy: &Policy, month: &str) -> AppResult<()> {
    may_publish(policy)?;
    let month = parse_month(Some(month))?;
    if month >= today().with_day(1).unwrap_or_default() {
        return Err(AppError::conflict(
            "month-not-over",
            "A month is published once it is over.",
        ));
    }
    if published(conn, month)? > 0 {
        return Err(AppError::conflict(
            "already-published",
            "The month is published; recompute it to change it.",
        ));
    }
    let set = settings(conn)?;
    let stored = store_month(conn, policy, month, &set)?;
    let readers = crate::notify::recipients::regulators_and_leads(conn)?;
    let shown = month.format("%Y-%m").to_string();
    let notice = crate::notify::Notice {
        kind: crate::notify::Kind::BulletinPublished,
        subject: shown.clone(),
        link: format!("/oversight/bulletin?month={shown}"),
        due_on: None,
        note: String::new(),
    };
    crate::notify::tell_others(conn, &readers, policy.actor.id, &notice)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "evaluation_publish",
        "evaluation",
        Some(i64::from(month.year()) * 100 + i64::from(month.month())),
        json!({"month": month.format("%Y-%m").to_string(), "weights": set.weights,
               "warn_below": set.warn_below, "evaluations": stored}),
    )
}

/// Recomputes a published month with today's records and weights (an explicit act, audited with
/// what it replaced).
pub fn recompute(conn: &mut AnyConnection, policy: &Policy, month: &str) -> AppResult<()> {
    may_publish(policy)?;
    let month = parse_month(Some(month))?;
    let before: Vec<(i64, f64, i32)> = evaluations::table
        .filter(evaluations::month.eq(month))
        .filter(evaluations::subject.eq("alliance"))
        .select((
            evaluations::subject_id,
            evaluations::score,
            evaluations::rank,
        ))
        .load(conn)?;
    if before.is_empty() {
        return Err(AppError::conflict(
            "not-published",
            "Only a published month is recomputed; publish it first.",
        ));
    }
    diesel::delete(evaluations::table.filter(evaluations::month.eq(month))).execute(conn)?;
    let set = settings(conn)?;
    let after = store_month(conn, policy, month, &set)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "evaluation_recompute",
        "evaluation",
        Some(i64::from(month.year()) * 100 + i64::from(month.month())),
        json!({"month": month.format("%Y-%m").to_string(), "weights": set.weights,
               "warn_below": set.warn_below, "before": before, "after": after}),
    )
}

pub fn read_settings(conn: &mut AnyConnection, policy: &Policy) -> AppResult<EvaluationSettings> {
    if !policy.is_authority() {
        return Err(AppError::NotFound);
    }
    settings(conn)
}

/// Sets the weights and threshold (the district's regulators).
pub fn update_settings(
    conn: &mut AnyConnection,
    policy: &Policy,
    new: EvaluationSettings,
) -> AppResult<EvaluationSettings> {
    may_publish(policy)?;
    let mut v = Validator::new();
    for (name, w) in new.weights.named() {
        v.check(
            w.is_finite() && (0.0..=1000.0).contains(&w),
            &format!("weights.{name}"),
            msg::BETWEEN.with("min", 0).with("max", 1000),
        );
    }
    let total: f64 = new.weights.named().iter().map(|x| x.1).sum();
    v.check(total > 0.0, "weights", msg::WEIGHTS_ALL_ZERO);
    v.check(
        new.warn_below.is_finite() && (0.0..=100.0).contains(&new.warn_below),
        "warn_below",
        msg::BETWEEN.with("min", 0).with("max", 100),
    );
    v.finish()?;
    let before = settings(conn)?;
    let weights = serde_json::to_string(&new.weights).unwrap_or_default();
    let at = now();
    let updated = diesel::update(evaluation_settings::table.find(1i64))
        .set((
            evaluation_settings::weights.eq(&weights),
            evaluation_settings::warn_below.eq(new.warn_below),
            evaluation_settings::updated_by.eq(Some(policy.actor.id)),
            evaluation_settings::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(evaluation_settings::table)
            .values((
                evaluation_settings::id.eq(1i64),
                evaluation_settings::weights.eq(&weights),
                evaluation_settings::warn_below.eq(new.warn_below),
                evaluation_settings::updated_by.eq(Some(policy.actor.id)),
                evaluation_settings::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        Some(policy.actor.id),
        "evaluation_settings",
        "evaluation",
        None,
        json!({"before": before, "after": new}),
    )?;
    Ok(new)
}
