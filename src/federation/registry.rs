//! The city's registry of districts and their keys, enrolled out of band (a command or the
//! administrator's page, both audited). A key verifies bundles signed inside its window while it
//! is active; rotation enrols the next key before the last one is retired, so both verify for a
//! while; a retired or revoked key is kept, and re-verifies what it signed.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::access::Policy;
use crate::audit;
use crate::db::ids::UserId;
use crate::db::types::{local, now, start_of_local_day, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::federation::keys::read_public;
use crate::federation::model::CodeList;
use crate::federation::schema::{federation_districts as districts, federation_keys as keys};
use crate::message::msg;

/// Only administrators enrol districts and their keys.
pub fn require_admin(policy: &Policy) -> AppResult<()> {
    if policy.is_admin() {
        Ok(())
    } else if policy.is_regulator() {
        Err(AppError::Forbidden(
            "Only administrators enrol districts and their keys.".into(),
        ))
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = keys)]
pub struct KeyRow {
    pub id: i64,
    pub district_code: String,
    pub kid: String,
    pub public_key: String,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    pub status: String,
    pub enrolled_by: Option<i64>,
    pub enrolled_at: NaiveDateTime,
    pub status_changed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = districts)]
pub struct DistrictRow {
    pub code: String,
    pub name: String,
    pub code_list: String,
    pub code_list_version: String,
    pub enrolled_by: Option<i64>,
    pub enrolled_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl DistrictRow {
    pub fn codes(&self) -> CodeList {
        serde_json::from_str(&self.code_list).unwrap_or_default()
    }
}

/// A district's key as the city holds it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Key {
    pub id: i64,
    pub district_code: String,
    pub kid: String,
    pub public_key: String,
    pub not_before: chrono::DateTime<chrono::FixedOffset>,
    pub not_after: chrono::DateTime<chrono::FixedOffset>,
    /// `active`, `retired` or `revoked`.
    pub status: String,
    /// Whether it verifies new bundles now (active and inside its window).
    pub current: bool,
    pub enrolled_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<KeyRow> for Key {
    fn from(r: KeyRow) -> Self {
        let at = now();
        Self {
            current: r.status == "active" && r.not_before <= at && at <= r.not_after,
            id: r.id,
            district_code: r.district_code,
            kid: r.kid,
            public_key: r.public_key,
            not_before: local(r.not_before),
            not_after: local(r.not_after),
            status: r.status,
            enrolled_at: local(r.enrolled_at),
        }
    }
}

/// An enrolled district with its code list and keys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct District {
    pub code: String,
    pub name: String,
    pub code_list: CodeList,
    pub code_list_version: String,
    pub keys: Vec<Key>,
}

/// A district's public key (and code list) to enrol.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enrolment {
    /// The district's code list, as `safety-alliance federation codes` prints it there.
    pub code_list: CodeList,
    /// The public key, as `safety-alliance federation keygen` wrote it (PEM).
    pub public_key: String,
    /// First day the key signs (default today).
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub not_before: Option<NaiveDate>,
    /// Last day the key signs (default two years on).
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub not_after: Option<NaiveDate>,
}

fn check_codes(v: &mut Validator, list: &CodeList) {
    let code_ok = |c: &str| {
        !c.is_empty()
            && c.len() <= 40
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    };
    let mut seen = std::collections::HashSet::new();
    let all_ok = code_ok(&list.district.code)
        && !list.district.name.trim().is_empty()
        && list.district.name.chars().count() <= 100
        && list
            .streets
            .iter()
            .chain(&list.industries)
            .all(|c| code_ok(&c.code) && c.name.chars().count() <= 100)
        && list
            .streets
            .iter()
            .all(|s| seen.insert(s.code.clone()) && s.code != list.district.code)
        && {
            let mut i = std::collections::HashSet::new();
            list.industries.iter().all(|c| i.insert(c.code.clone()))
        }
        && list.streets.len() <= 500
        && list.industries.len() <= 500;
    v.check(all_ok, "code_list", msg::CODE_LIST);
}

/// Enrols a key (and records or updates the district's code list), audited.
pub fn enrol(conn: &mut AnyConnection, actor: Option<UserId>, e: &Enrolment) -> AppResult<Key> {
    let mut v = Validator::new();
    check_codes(&mut v, &e.code_list);
    let public = read_public(&e.public_key);
    v.check(public.is_ok(), "public_key", msg::NOT_A_KEY);
    let from = e.not_before.unwrap_or_else(today);
    let until = e.not_after.unwrap_or_else(|| from + Duration::days(730));
    v.check(until >= from, "not_after", msg::ENDS_BEFORE_START);
    v.finish()?;
    let (public, kid) = public.map_err(AppError::internal)?;
    let pem = crate::federation::keys::public_pem(&public).map_err(AppError::internal)?;
    let at = now();
    let list = &e.code_list;
    let text = serde_json::to_string(list).map_err(AppError::internal)?;
    let version = list.version();
    let updated = diesel::update(districts::table.find(&list.district.code))
        .set((
            districts::name.eq(list.district.name.trim()),
            districts::code_list.eq(&text),
            districts::code_list_version.eq(&version),
            districts::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(districts::table)
            .values((
                districts::code.eq(&list.district.code),
                districts::name.eq(list.district.name.trim()),
                districts::code_list.eq(&text),
                districts::code_list_version.eq(&version),
                districts::enrolled_by.eq(actor.map(|a| a.0)),
                districts::enrolled_at.eq(at),
                districts::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    let taken: i64 = keys::table
        .filter(keys::district_code.eq(&list.district.code))
        .filter(keys::kid.eq(&kid))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AppError::conflict(
            "key-enrolled",
            format!(
                "Key {kid} is already enrolled for district {}.",
                list.district.code
            ),
        ));
    }
    let row: KeyRow = diesel::insert_into(keys::table)
        .values((
            keys::district_code.eq(&list.district.code),
            keys::kid.eq(&kid),
            keys::public_key.eq(&pem),
            keys::not_before.eq(start_of_local_day(from)),
            keys::not_after
                .eq(start_of_local_day(until + Duration::days(1)) - Duration::seconds(1)),
            keys::status.eq("active"),
            keys::enrolled_by.eq(actor.map(|a| a.0)),
            keys::enrolled_at.eq(at),
        ))
        .returning(keys::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        actor,
        "federation_enrol",
        "federation_key",
        Some(row.id),
        json!({"district": list.district.code, "name": list.district.name.trim(), "kid": kid,
               "not_before": from, "not_after": until, "code_list_version": version,
               "streets": list.streets.len(), "industries": list.industries.len()}),
    )?;
    Ok(row.into())
}

/// Retires (rotated out) or revokes (compromised) key `id`, audited. A revoked key stays
/// revoked; a retired one may still be revoked.
pub fn set_status(
    conn: &mut AnyConnection,
    actor: Option<UserId>,
    id: i64,
    status: &str,
) -> AppResult<Key> {
    // One change of a key at a time: the second reads what the first left (PostgreSQL locks
    // the row; SQLite has one writer).
    if let AnyConnection::Postgresql(_) = conn {
        diesel::sql_query("SELECT id FROM federation_keys WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(conn)?;
    }
    let row: KeyRow = keys::table
        .find(id)
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let allowed = matches!(
        (row.status.as_str(), status),
        ("active", "retired" | "revoked") | ("retired", "revoked")
    );
    if !allowed {
        return Err(AppError::conflict(
            "key-status",
            format!(
                "Key {} is {}; it cannot become {status}.",
                row.kid, row.status
            ),
        ));
    }
    let at = now();
    // Only from the status read: a change made meanwhile (retire racing revoke) is not undone.
    let changed = diesel::update(keys::table.find(id).filter(keys::status.eq(&row.status)))
        .set((
            keys::status.eq(status),
            keys::status_changed_at.eq(Some(at)),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(AppError::conflict(
            "key-status",
            format!("Key {} changed meanwhile; read it again.", row.kid),
        ));
    }
    audit::record(
        conn,
        actor,
        "federation_key_status",
        "federation_key",
        Some(id),
        json!({"district": row.district_code, "kid": row.kid, "before": row.status, "after": status}),
    )?;
    let row = KeyRow {
        status: status.to_string(),
        status_changed_at: Some(at),
        ..row
    };
    Ok(row.into())
}

pub fn district(conn: &mut AnyConnection, code: &str) -> AppResult<Option<DistrictRow>> {
    Ok(districts::table
        .find(code)
        .select(DistrictRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn key(conn: &mut AnyConnection, district: &str, kid: &str) -> AppResult<Option<KeyRow>> {
    Ok(keys::table
        .filter(keys::district_code.eq(district))
        .filter(keys::kid.eq(kid))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn district_rows(conn: &mut AnyConnection) -> AppResult<Vec<DistrictRow>> {
    Ok(districts::table
        .order(districts::code.asc())
        .select(DistrictRow::as_select())
        .load(conn)?)
}

/// Every enrolled district with its keys.
pub fn list(conn: &mut AnyConnection) -> AppResult<Vec<District>> {
    let rows = district_rows(conn)?;
    let all: Vec<KeyRow> = keys::table
        .order(keys::id.asc())
        .select(KeyRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|d| District {
            code_list: d.codes(),
            keys: all
                .iter()
                .filter(|k| k.district_code == d.code)
                .cloned()
                .map(Key::from)
                .collect(),
            code: d.code,
            name: d.name,
            code_list_version: d.code_list_version,
        })
        .collect())
}
