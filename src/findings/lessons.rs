//! Shared lessons (举一反三): an alliance's shared findings as its members read them, with
//! everything that could name the enterprise or its people scrubbed out.

use std::collections::HashMap;

use crate::access::Policy;
use crate::api::{PageRequest, Paginated};
use crate::auth::user;
use crate::db::types::local;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::findings::model::*;
use crate::findings::store;
use crate::org::{service as org_service, store as org};

/// Replaces identifying text with a placeholder: longest first (so a person's name inside a
/// company name does not leave the rest of it behind), ignoring ASCII case.
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.chars().count() < 2 {
            continue;
        }
        let mut result = String::with_capacity(out.len());
        let lower = out.to_ascii_lowercase();
        let needle = s.to_ascii_lowercase();
        let mut rest = 0;
        while let Some(pos) = lower[rest..].find(&needle) {
            result.push_str(&out[rest..rest + pos]);
            result.push_str("某企业");
            rest += pos + needle.len();
        }
        result.push_str(&out[rest..]);
        out = result;
    }
    out
}

/// Sorts secrets longest first and drops blanks and repeats.
fn ordered(mut secrets: Vec<String>) -> Vec<String> {
    secrets.retain(|s| !s.trim().is_empty());
    secrets.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    secrets.dedup();
    secrets
}

/// Everything that could name the enterprises of these findings or their people, per finding:
/// the enterprise's name, code, address and contact; its users' names, emails and phones; the
/// responsible person; everyone on the timeline. A handful of queries for the whole page.
fn identifying(
    conn: &mut AnyConnection,
    rows: &[FindingRow],
) -> AppResult<HashMap<FindingId, Vec<String>>> {
    let mut enterprise_ids: Vec<EnterpriseId> = rows.iter().map(|r| r.enterprise_id).collect();
    enterprise_ids.sort();
    enterprise_ids.dedup();
    let mut by_enterprise: HashMap<EnterpriseId, Vec<String>> = HashMap::new();
    for e in org::enterprises_by_id(conn, &enterprise_ids)? {
        by_enterprise.entry(e.id).or_default().extend([
            e.name,
            e.credit_code,
            e.address,
            e.contact_name,
            e.contact_phone,
        ]);
    }
    for (enterprise, name, email, phone) in user::contacts_at(conn, &enterprise_ids)? {
        if let Some(e) = enterprise {
            by_enterprise
                .entry(e)
                .or_default()
                .extend([name, email, phone]);
        }
    }
    let finding_ids: Vec<FindingId> = rows.iter().map(|r| r.id).collect();
    let actors = store::actors_of(conn, &finding_ids)?;
    let actor_ids: Vec<UserId> = actors.iter().map(|(_, u)| *u).collect();
    let names = user::names(conn, &actor_ids)?;
    let mut out: HashMap<FindingId, Vec<String>> = HashMap::new();
    for row in rows {
        let mut secrets = vec![row.responsible_person.clone()];
        secrets.extend(
            by_enterprise
                .get(&row.enterprise_id)
                .cloned()
                .unwrap_or_default(),
        );
        out.insert(row.id, secrets);
    }
    for (finding, actor) in actors {
        if let (Some(secrets), Some(name)) = (out.get_mut(&finding), names.get(&actor)) {
            secrets.push(name.clone());
        }
    }
    Ok(out.into_iter().map(|(id, s)| (id, ordered(s))).collect())
}

/// The alliance's shared findings as anonymized lessons, for its members.
pub fn shared_lessons(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance: AllianceId,
    page: PageRequest,
) -> AppResult<Paginated<SharedLesson>> {
    org_service::visible_alliance(conn, policy, alliance)?;
    let (rows, total) = store::shared_in(conn, alliance, page)?;
    let mut secrets = identifying(conn, &rows)?;
    let items = rows
        .into_iter()
        .map(|row| {
            let secrets = secrets.remove(&row.id).unwrap_or_default();
            SharedLesson {
                id: row.id,
                title: scrub(&row.title, &secrets),
                description: scrub(&row.description, &secrets),
                cause: scrub(&row.cause, &secrets),
                category: row.category,
                grade: row.grade,
                measures: scrub(&row.measures, &secrets),
                state: row.state,
                created_at: local(row.reported_at),
            }
        })
        .collect();
    Ok(page.wrap(items, total))
}
