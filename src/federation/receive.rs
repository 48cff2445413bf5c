//! The city side's receiver: a bundle is verified against the keys the city enrolled for its
//! district, checked against the district's code list, and then replaces its (district,
//! dataset, period) whole, in one transaction. The same revision with the same hash again is a
//! no-op; the same revision with another hash, or an older revision, is refused (409). Every
//! refusal changes nothing and says why in a problem+json of its own type.

use std::collections::HashSet;

use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::audit;
use crate::db::types::now;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, FieldError};
use crate::federation::keys::payload_bytes;
use crate::federation::model::*;
use crate::federation::registry;
use crate::federation::schema::{
    federation_bundles as bundles, federation_cells as cells, federation_scopes as scopes,
};
use crate::message::msg;

/// A bundle as posted: the compact JWS the district signed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Incoming {
    pub bundle: String,
}

/// What the city did with a bundle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    /// `accepted` (a new scope), `replaced` (a newer revision replaced it) or `unchanged` (this
    /// very bundle was received before: nothing done).
    pub outcome: String,
    pub district: String,
    pub dataset: String,
    pub period: String,
    pub revision: i32,
    pub hash: String,
    /// The scope's state at the city: `submitted` or `approved`.
    pub state: String,
}

fn refused(kind: &'static str, detail: impl Into<String>) -> AppError {
    AppError::Refused {
        kind,
        detail: detail.into(),
    }
}

/// What jsonwebtoken checks: the algorithm (EdDSA only) and the signature. Audience, key window
/// and status are the receiver's own checks, each refused with its own problem type.
fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    validation
}

/// A bundle verified: its claims, the exact bytes signed, their hash, its key.
pub struct Verified {
    pub bundle: Bundle,
    pub hash: String,
    pub kid: String,
    /// The district the bundle claims, as enrolled (its code list).
    pub district: registry::DistrictRow,
}

/// Verifies `jws` for the city named `audience`: its key (enrolled for the district it claims,
/// active, inside its window), its signature, its audience. Changes nothing.
pub fn verify(conn: &mut AnyConnection, audience: &str, jws: &str) -> AppResult<Verified> {
    let malformed = |why: &str| {
        AppError::Validation(vec![FieldError::new(
            "bundle",
            msg::INVALID.detailed(why.to_string()),
        )])
    };
    let bytes = payload_bytes(jws.trim()).ok_or_else(|| malformed("not a compact JWS"))?;
    let header =
        jsonwebtoken::decode_header(jws.trim()).map_err(|e| malformed(&format!("header: {e}")))?;
    if header.alg != Algorithm::EdDSA {
        return Err(refused(
            "bundle-algorithm",
            format!(
                "Bundles are signed with EdDSA (Ed25519), not {:?}.",
                header.alg
            ),
        ));
    }
    let kid = header
        .kid
        .ok_or_else(|| refused("unknown-key", "The bundle names no key (kid)."))?;
    // Read unverified only to find the district's keys; nothing is trusted before the
    // signature is checked with a key the city enrolled.
    let claimed: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| malformed(&format!("payload: {e}")))?;
    let iss = claimed["iss"].as_str().unwrap_or_default().to_string();
    let Some(district) = registry::district(conn, &iss)? else {
        return Err(refused(
            "unknown-key",
            format!("District {iss:?} is not enrolled at this city."),
        ));
    };
    let key = registry::key(conn, &iss, &kid)?.ok_or_else(|| {
        refused(
            "unknown-key",
            format!("Key {kid} is not enrolled for district {iss}."),
        )
    })?;
    let decoding =
        DecodingKey::from_ed_pem(key.public_key.as_bytes()).map_err(AppError::internal)?;
    let bundle = match jsonwebtoken::decode::<Bundle>(jws.trim(), &decoding, &validation()) {
        Ok(data) => data.claims,
        Err(e) => {
            return Err(match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => refused(
                    "bad-signature",
                    "The signature does not match the bundle: it was altered, or signed by \
                     another key.",
                ),
                _ => malformed(&e.to_string()),
            })
        }
    };
    match key.status.as_str() {
        "revoked" => {
            return Err(refused(
                "key-revoked",
                format!("Key {kid} of district {iss} was revoked."),
            ))
        }
        "retired" => {
            return Err(refused(
                "key-retired",
                format!("Key {kid} of district {iss} was retired; sign with its successor."),
            ))
        }
        _ => {}
    }
    let at = now();
    let signed = chrono::DateTime::from_timestamp(bundle.iat, 0).map(|t| t.naive_utc());
    if at > key.not_after || signed.is_some_and(|s| s > key.not_after) {
        return Err(refused(
            "key-expired",
            format!("Key {kid} of district {iss} expired."),
        ));
    }
    if at < key.not_before || signed.is_none_or(|s| s < key.not_before) {
        return Err(refused(
            "key-not-yet-valid",
            format!("Key {kid} of district {iss} does not sign before its window opens."),
        ));
    }
    if bundle.aud != audience {
        return Err(refused(
            "wrong-audience",
            format!(
                "The bundle is meant for {:?}; this city is {audience:?}.",
                bundle.aud
            ),
        ));
    }
    Ok(Verified {
        bundle,
        hash: sha256_hex(&bytes),
        kid,
        district,
    })
}

/// Checks the bundle's content against the district's code list: 422 naming each bad part.
fn check(bundle: &Bundle, list: &CodeList) -> AppResult<Period> {
    let mut errors = Vec::new();
    if bundle.dataset != DATASET {
        errors.push(FieldError::new(
            "dataset",
            msg::ONE_OF.with("choices", DATASET),
        ));
    }
    let period = Period::parse(&bundle.period);
    if period.is_none() {
        errors.push(FieldError::new("period", msg::PERIOD));
    }
    if !(1..=10_000).contains(&bundle.revision) {
        errors.push(FieldError::new(
            "revision",
            msg::BETWEEN.with("min", 1).with("max", 10_000),
        ));
    }
    if bundle.revision > 1 && bundle.reason.trim().is_empty() {
        errors.push(FieldError::new(
            "reason",
            msg::CORRECTION_REASON.with("revision", bundle.revision),
        ));
    }
    let mut seen = HashSet::new();
    for (i, c) in bundle.cells.iter().enumerate() {
        if !list.admits(&c.street, ACROSS_INDUSTRIES) {
            errors.push(FieldError::new(
                &format!("cells[{i}].street"),
                msg::OUTSIDE_CODE_LIST,
            ));
        }
        if c.industry != ACROSS_INDUSTRIES && !list.admits(&list.district.code, &c.industry) {
            errors.push(FieldError::new(
                &format!("cells[{i}].industry"),
                msg::OUTSIDE_CODE_LIST,
            ));
        }
        let sane = match (&c.counts, c.suppressed) {
            (None, true) => true,
            (Some(n), false) => n.is_sane() && n.enterprises >= MIN_ENTERPRISES,
            _ => false,
        };
        if !sane || !seen.insert((c.street.as_str(), c.industry.as_str())) {
            errors.push(FieldError::new(&format!("cells[{i}]"), msg::BUNDLE_CELL));
        }
        if errors.len() >= 20 {
            break;
        }
    }
    match period {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Key of the PostgreSQL advisory lock that serializes what changes the city's scopes
/// (receiving, approving): bundles are few and small.
const RECEIVE_LOCK: i64 = 0x5341_4645_4452_0001;

/// Takes the scopes' lock for the caller's transaction (PostgreSQL; SQLite has one writer).
pub fn lock(conn: &mut AnyConnection) -> AppResult<()> {
    if let AnyConnection::Postgresql(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({RECEIVE_LOCK})")).execute(conn)?;
    }
    Ok(())
}

/// Receives a bundle (pushed, or pulled: `via`) in the caller's transaction.
pub fn receive(
    conn: &mut AnyConnection,
    audience: &str,
    jws: &str,
    via: &str,
) -> AppResult<Receipt> {
    let Verified {
        bundle,
        hash,
        kid,
        district,
    } = verify(conn, audience, jws)?;
    check(&bundle, &district.codes())?;
    lock(conn)?;
    let scope = scopes::table
        .find((&bundle.iss, &bundle.dataset, &bundle.period))
        .select((
            scopes::revision,
            scopes::hash,
            scopes::state,
            scopes::first_received_at,
        ))
        .first::<(i32, String, String, chrono::NaiveDateTime)>(conn)
        .optional()?;
    let receipt = |outcome: &str, state: &str| Receipt {
        outcome: outcome.into(),
        district: bundle.iss.clone(),
        dataset: bundle.dataset.clone(),
        period: bundle.period.clone(),
        revision: bundle.revision,
        hash: hash.clone(),
        state: state.into(),
    };
    let at = now();
    let first = match &scope {
        Some((revision, held, state, _)) if *revision == bundle.revision => {
            if *held == hash {
                return Ok(receipt("unchanged", state));
            }
            return Err(AppError::conflict(
                "revision-conflict",
                format!(
                    "Revision {revision} of {} {} is held with another hash: a correction is a \
                     new revision.",
                    bundle.iss, bundle.period
                ),
            ));
        }
        Some((revision, ..)) if *revision > bundle.revision => {
            return Err(AppError::conflict(
                "stale-revision",
                format!(
                    "Revision {} of {} {} is older than revision {revision} the city holds: \
                     ignored.",
                    bundle.revision, bundle.iss, bundle.period
                ),
            ));
        }
        Some((.., first)) => *first,
        None => at,
    };
    let archived: i64 = diesel::insert_into(bundles::table)
        .values((
            bundles::district_code.eq(&bundle.iss),
            bundles::dataset.eq(&bundle.dataset),
            bundles::period.eq(&bundle.period),
            bundles::revision.eq(bundle.revision),
            bundles::reason.eq(bundle.reason.trim()),
            bundles::hash.eq(&hash),
            bundles::kid.eq(&kid),
            bundles::code_list_version.eq(&bundle.code_list_version),
            bundles::bundle.eq(jws.trim()),
            bundles::via.eq(via),
            bundles::received_at.eq(at),
        ))
        .returning(bundles::id)
        .get_result(conn)?;
    let key = (&bundle.iss, &bundle.dataset, &bundle.period);
    diesel::delete(
        cells::table
            .filter(cells::district_code.eq(key.0))
            .filter(cells::dataset.eq(key.1))
            .filter(cells::period.eq(key.2)),
    )
    .execute(conn)?;
    diesel::delete(scopes::table.find(key)).execute(conn)?;
    diesel::insert_into(scopes::table)
        .values((
            scopes::district_code.eq(key.0),
            scopes::dataset.eq(key.1),
            scopes::period.eq(key.2),
            scopes::revision.eq(bundle.revision),
            scopes::hash.eq(&hash),
            scopes::bundle_id.eq(archived),
            scopes::state.eq("submitted"),
            scopes::received_at.eq(at),
            scopes::first_received_at.eq(first),
        ))
        .execute(conn)?;
    for c in &bundle.cells {
        let n = c.counts.unwrap_or_default();
        diesel::insert_into(cells::table)
            .values((
                cells::district_code.eq(key.0),
                cells::dataset.eq(key.1),
                cells::period.eq(key.2),
                cells::street_code.eq(&c.street),
                cells::industry_code.eq(&c.industry),
                cells::bundle_id.eq(archived),
                cells::suppressed.eq(c.suppressed),
                cells::enterprises.eq(n.enterprises),
                cells::found.eq(n.found),
                cells::rectified.eq(n.rectified),
                cells::on_time.eq(n.on_time),
                cells::overdue.eq(n.overdue),
                cells::major_open.eq(n.major_open),
                cells::inspection_batches.eq(n.inspection_batches),
                cells::enterprises_inspected.eq(n.enterprises_inspected),
                cells::inspections_planned.eq(n.inspections_planned),
                cells::trainings.eq(n.trainings),
                cells::warning_educations.eq(n.warning_educations),
                cells::exchanges.eq(n.exchanges),
                cells::attendances.eq(n.attendances),
            ))
            .execute(conn)?;
    }
    let outcome = if scope.is_some() {
        "replaced"
    } else {
        "accepted"
    };
    audit::record(
        conn,
        None,
        "federation_receive",
        "federation_bundle",
        Some(archived),
        json!({"district": bundle.iss, "period": bundle.period, "revision": bundle.revision,
               "hash": hash, "kid": kid, "via": via, "outcome": outcome,
               "reason": bundle.reason.trim(), "cells": bundle.cells.len()}),
    )?;
    Ok(receipt(outcome, "submitted"))
}

/// Re-verifies every archived bundle with the key it names, whatever that key's status or
/// window now (a retired or revoked key still vouches for what it signed while valid): the
/// bundles whose bytes no longer match their signature or hash, by id, with why.
pub fn reverify(conn: &mut AnyConnection) -> AppResult<(usize, Vec<(i64, String)>)> {
    let archive: Vec<(i64, String, String, String, String)> = bundles::table
        .order(bundles::id.asc())
        .select((
            bundles::id,
            bundles::district_code,
            bundles::kid,
            bundles::hash,
            bundles::bundle,
        ))
        .load(conn)?;
    let mut bad = Vec::new();
    for (id, district, kid, hash, jws) in &archive {
        let Some(key) = registry::key(conn, district, kid)? else {
            bad.push((*id, format!("key {kid} is no longer enrolled")));
            continue;
        };
        let decoding =
            DecodingKey::from_ed_pem(key.public_key.as_bytes()).map_err(AppError::internal)?;
        if let Err(e) = jsonwebtoken::decode::<Bundle>(jws, &decoding, &validation()) {
            bad.push((*id, format!("signature: {e}")));
        } else if payload_bytes(jws).map(|b| sha256_hex(&b)).as_ref() != Some(hash) {
            bad.push((*id, "hash differs from the signed bytes".into()));
        }
    }
    Ok((archive.len(), bad))
}
