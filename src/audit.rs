//! The append-only audit log. Every create, update and delete writes one entry in the same
//! transaction as the change. Each entry carries the hash of the previous one, so that a changed
//! or removed entry breaks the chain (`safety-alliance audit verify`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::ids::UserId;
use crate::db::schema::audit_log;
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::AppResult;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Key of the PostgreSQL advisory lock that serializes appends to the chain.
const CHAIN_LOCK: i64 = 0x0053_4141_5544_4954;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub changes: String,
    pub prev_hash: String,
    pub hash: String,
    pub mac: Option<String>,
}

/// One audit entry as shown to users.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub changes: Value,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            at: local(row.at),
            actor_id: row.actor_id,
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            // Written by `record` from a serde_json::Value, so it parses; keep the raw text if not.
            changes: serde_json::from_str(&row.changes).unwrap_or(Value::String(row.changes)),
        }
    }
}

fn entry_hash(
    prev_hash: &str,
    at: NaiveDateTime,
    actor_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    changes: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        &actor_id.map(|a| a.to_string()).unwrap_or_default(),
        action,
        entity,
        &entity_id.map(|a| a.to_string()).unwrap_or_default(),
        changes,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// An entry's hash sealed with the platform's secret (HMAC-SHA256, hex).
pub fn seal(key: &crate::secret::Secret, hash: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    m.update(b"audit-entry|");
    m.update(hash.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Appends one entry. Call inside the transaction that makes the change; within a write
/// transaction of the platform's pool the entry is sealed with its secret.
pub fn record(
    conn: &mut AnyConnection,
    actor: Option<UserId>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    changes: Value,
) -> AppResult<()> {
    record_many(conn, actor, vec![(action, entity, entity_id, changes)])
}

/// One entry of [`record_many`]: action, entity, entity id, changes.
pub type Entry<'a> = (&'a str, &'a str, Option<i64>, Value);

/// Appends entries of one actor in order, reading the chain's head once (an import's thousands
/// of rows: one lock and one read instead of one each).
pub fn record_many(
    conn: &mut AnyConnection,
    actor: Option<UserId>,
    entries: Vec<Entry>,
) -> AppResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    if let AnyConnection::Postgresql(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK})")).execute(conn)?;
    }
    let mut prev_hash: String = audit_log::table
        .select(audit_log::hash)
        .order(audit_log::id.desc())
        .first(conn)
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = now();
    let actor_id = actor.map(|a| a.0);
    let key = crate::db::sealing_key();
    for (action, entity, entity_id, changes) in entries {
        let changes = changes.to_string();
        let hash = entry_hash(
            &prev_hash, at, actor_id, action, entity, entity_id, &changes,
        );
        let mac = key.as_ref().map(|key| seal(key, &hash));
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::at.eq(at),
                audit_log::actor_id.eq(actor_id),
                audit_log::action.eq(action),
                audit_log::entity.eq(entity),
                audit_log::entity_id.eq(entity_id),
                audit_log::changes.eq(&changes),
                audit_log::prev_hash.eq(&prev_hash),
                audit_log::hash.eq(&hash),
                audit_log::mac.eq(&mac),
            ))
            .execute(conn)?;
        prev_hash = hash;
    }
    Ok(())
}

/// The entries about one record, oldest first.
pub fn trail(conn: &mut AnyConnection, entity: &str, entity_id: i64) -> AppResult<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = audit_log::table
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id.asc())
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}

/// Outcome of walking the chain.
#[derive(Debug, PartialEq, Eq)]
pub enum ChainCheck {
    /// `head` is the hash of the last entry: note it somewhere outside the database (a printed
    /// report, another system) to notice later if entries are cut off at the end.
    Intact { entries: u64, head: String },
    /// The first entry whose content no longer matches its hash, or whose predecessor is
    /// missing or changed.
    Broken { entry_id: i64, reason: String },
}

/// The newest entry's id and hash, `None` for an empty log.
pub fn head(conn: &mut AnyConnection) -> AppResult<Option<(i64, String)>> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .select((audit_log::id, audit_log::hash))
        .first(conn)
        .optional()?)
}

/// What the chain must still reach: a signed checkpoint's entry, or a head hash noted elsewhere;
/// and the key its entries are sealed with.
#[derive(Debug, Default)]
pub struct Expected {
    pub checkpoint: Option<(i64, String)>,
    pub head: Option<String>,
    pub key: Option<crate::secret::Secret>,
}

/// The first entry whose seal is wrong, or that has none after sealed entries began (entries
/// from before sealing, at the start of the chain, have none).
fn unsealed(
    conn: &mut AnyConnection,
    key: &crate::secret::Secret,
) -> AppResult<Option<ChainCheck>> {
    let mut sealing = false;
    let mut last_id = 0;
    loop {
        let batch: Vec<(i64, String, Option<String>)> = audit_log::table
            .filter(audit_log::id.gt(last_id))
            .order(audit_log::id.asc())
            .limit(5000)
            .select((audit_log::id, audit_log::hash, audit_log::mac))
            .load(conn)?;
        if batch.is_empty() {
            return Ok(None);
        }
        for (id, hash, mac) in batch {
            last_id = id;
            match mac {
                Some(mac) if mac == seal(key, &hash) => sealing = true,
                Some(_) => {
                    return Ok(Some(ChainCheck::Broken {
                        entry_id: id,
                        reason: "its seal does not match: it was not written by the platform"
                            .into(),
                    }))
                }
                None if sealing => {
                    return Ok(Some(ChainCheck::Broken {
                        entry_id: id,
                        reason: "it carries no seal: it was written into the database directly"
                            .into(),
                    }))
                }
                None => {}
            }
        }
    }
}

/// Walks the chain like [`verify`], then checks that it still reaches what `expected` names, and
/// that an empty log is not mistaken for an intact one when the database holds records.
pub fn verify_against(conn: &mut AnyConnection, expected: &Expected) -> AppResult<ChainCheck> {
    let check = verify(conn)?;
    let ChainCheck::Intact { entries, .. } = &check else {
        return Ok(check);
    };
    if let Some(key) = &expected.key {
        if let Some(broken) = unsealed(conn, key)? {
            return Ok(broken);
        }
    }
    if let Some((id, hash)) = &expected.checkpoint {
        let found: Option<String> = audit_log::table
            .find(id)
            .select(audit_log::hash)
            .first(conn)
            .optional()?;
        match found {
            None => {
                return Ok(ChainCheck::Broken {
                    entry_id: *id,
                    reason: format!(
                        "the log ({entries} entries) no longer holds the entry of the last checkpoint: entries were cut off or the log emptied"
                    ),
                })
            }
            Some(h) if h != *hash => {
                return Ok(ChainCheck::Broken {
                    entry_id: *id,
                    reason: "it differs from the last checkpoint".into(),
                })
            }
            Some(_) => {}
        }
    }
    if let Some(head) = &expected.head {
        let found: i64 = audit_log::table
            .filter(audit_log::hash.eq(head))
            .count()
            .get_result(conn)?;
        if found == 0 {
            return Ok(ChainCheck::Broken {
                entry_id: 0,
                reason: format!("no entry has the head {head} noted earlier: entries were cut off"),
            });
        }
    }
    if *entries == 0 {
        let users: i64 = crate::db::schema::users::table.count().get_result(conn)?;
        if users > 0 {
            return Ok(ChainCheck::Broken {
                entry_id: 0,
                reason: "the log is empty, yet the database holds accounts: it was emptied".into(),
            });
        }
    }
    Ok(check)
}

pub fn verify(conn: &mut AnyConnection) -> AppResult<ChainCheck> {
    let mut expected_prev = GENESIS.to_string();
    let mut count = 0u64;
    let mut last_id: i64 = 0;
    loop {
        let batch: Vec<AuditRow> = audit_log::table
            .filter(audit_log::id.gt(last_id))
            .order(audit_log::id.asc())
            .limit(5000)
            .select(AuditRow::as_select())
            .load(conn)?;
        if batch.is_empty() {
            return Ok(ChainCheck::Intact {
                entries: count,
                head: expected_prev,
            });
        }
        for row in batch {
            if row.prev_hash != expected_prev {
                return Ok(ChainCheck::Broken {
                    entry_id: row.id,
                    reason: "the entry before it was changed or removed".into(),
                });
            }
            let hash = entry_hash(
                &row.prev_hash,
                row.at,
                row.actor_id,
                &row.action,
                &row.entity,
                row.entity_id,
                &row.changes,
            );
            if hash != row.hash {
                return Ok(ChainCheck::Broken {
                    entry_id: row.id,
                    reason: "its content does not match its hash".into(),
                });
            }
            expected_prev = row.hash;
            last_id = row.id;
            count += 1;
        }
    }
}
