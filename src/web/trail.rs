//! A record's audit trail as pages show it: who (by name) did what, when, newest first.

use serde::Serialize;
use serde_json::Value;

use crate::audit;
use crate::auth::user;
use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::error::AppResult;

/// One line of a record's trail as pages show it: when, who, what, which fields.
#[derive(Debug, Serialize)]
pub struct TrailLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    /// The changed fields and their new values, e.g. `name=…; contact_phone=…`.
    pub changes: String,
}

/// The trail of one record with actor names, newest first, for pages.
pub fn lines(conn: &mut AnyConnection, entity: &str, entity_id: i64) -> AppResult<Vec<TrailLine>> {
    let entries = audit::trail(conn, entity, entity_id)?;
    let ids: Vec<UserId> = entries
        .iter()
        .filter_map(|e| e.actor_id)
        .map(UserId)
        .collect();
    let names = user::names(conn, &ids)?;
    Ok(entries
        .into_iter()
        .rev()
        .map(|e| {
            let changes = match &e.changes {
                Value::Object(map) => map
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| match v {
                        Value::String(s) => format!("{k}={s}"),
                        other => format!("{k}={other}"),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            TrailLine {
                at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                actor: e
                    .actor_id
                    .and_then(|id| names.get(&UserId(id)).cloned())
                    .unwrap_or_else(|| "system".into()),
                action: e.action,
                changes,
            }
        })
        .collect())
}
