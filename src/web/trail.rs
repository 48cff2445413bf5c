//! A record's audit trail as pages show it: who (by name) did what, when, newest first, each
//! changed field under its form label with a readable value (names instead of ids, words instead
//! of codes). Templates translate the keys.

use serde::Serialize;
use serde_json::Value;

use crate::audit;
use crate::auth::user;
use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::error::AppResult;

/// One changed field: its label (a dictionary key, or the raw name when it has none) and its
/// value, either as text or as a dictionary key.
#[derive(Debug, Serialize)]
pub struct Change {
    pub label: Option<&'static str>,
    pub field: String,
    pub text: Option<String>,
    pub key: Option<String>,
}

/// One line of a record's trail as pages show it: when, who, what (a dictionary key), which
/// fields.
#[derive(Debug, Serialize)]
pub struct TrailLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub changes: Vec<Change>,
}

/// Names the record an id field points at (`region_id`, `enterprise_id`, …), when it can.
pub type Namer<'a> = dyn FnMut(&mut AnyConnection, &str, i64) -> AppResult<Option<String>> + 'a;

/// Fields whose values are codes with a word in the dictionaries (`scale_small_micro`, …).
const CODED: [(&str, &str); 3] = [("scale", "scale_"), ("level", "level_"), ("role", "role_")];

fn change(
    conn: &mut AnyConnection,
    namer: &mut Namer<'_>,
    field: &str,
    value: &Value,
) -> AppResult<Change> {
    let (mut text, mut key) = (None, None);
    match value {
        Value::Number(n) if field.ends_with("_id") => {
            let id = n.as_i64().unwrap_or_default();
            text = Some(namer(conn, field, id)?.unwrap_or_else(|| format!("#{id}")));
        }
        Value::String(s) => match CODED.iter().find(|(f, _)| *f == field) {
            Some((_, prefix)) => key = Some(format!("{prefix}{s}")),
            None => text = Some(s.clone()),
        },
        Value::Bool(b) => key = Some(if *b { "yes" } else { "no" }.to_string()),
        other => text = Some(other.to_string()),
    }
    Ok(Change {
        label: crate::message::field_label(field),
        field: field.to_string(),
        text,
        key,
    })
}

/// The trail of one record with actor names, newest first, for pages.
pub fn lines(
    conn: &mut AnyConnection,
    lang: crate::web::Lang,
    (entity, entity_id): (&str, i64),
    namer: &mut Namer<'_>,
) -> AppResult<Vec<TrailLine>> {
    let entries = audit::trail(conn, entity, entity_id)?;
    let ids: Vec<UserId> = entries
        .iter()
        .filter_map(|e| e.actor_id)
        .map(UserId)
        .collect();
    let names = user::names(conn, &ids)?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries.into_iter().rev() {
        let mut changes = Vec::new();
        if let Value::Object(map) = &e.changes {
            for (field, value) in map.iter().filter(|(_, v)| !v.is_null()) {
                changes.push(change(conn, namer, field, value)?);
            }
        }
        out.push(TrailLine {
            at: crate::web::format_datetime(lang, e.at),
            actor: e
                .actor_id
                .and_then(|id| names.get(&UserId(id)).cloned())
                .unwrap_or_else(|| "—".into()),
            action: format!("audit_{}", e.action),
            changes,
        });
    }
    Ok(out)
}
