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
/// company name does not leave the rest of it behind), ignoring ASCII case; then anything that
/// reads as an email address or a phone number.
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
    scrub_contacts(&out)
}

/// Replaces what reads as an email address or a phone number, however written (spaces, dashes,
/// dots, brackets, +86), with a placeholder. Dates (2026-11-30) and short numbers stay.
fn scrub_contacts(text: &str) -> String {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let domain = |c: char| c.is_ascii_alphanumeric() || ".-".contains(c);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = i;
            while start > 0 && local(chars[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && domain(chars[end]) {
                end += 1;
            }
            let host: String = chars[i + 1..end].iter().collect();
            let host = host.trim_end_matches('.');
            if start < i && host.contains('.') {
                // Take back the local part already written.
                for _ in start..i {
                    out.pop();
                }
                out.push_str("某邮箱");
                i = i + 1 + host.chars().count();
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    scrub_phones(&out)
}

fn scrub_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit() || (chars[i] == '+' || chars[i] == '(');
        if !starts {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The longest run of digits and the separators people put in phone numbers.
        let mut j = i;
        let mut digits = 0;
        let mut last_digit = i;
        while j < chars.len() && (chars[j].is_ascii_digit() || " -.()+/".contains(chars[j])) {
            if chars[j].is_ascii_digit() {
                digits += 1;
                last_digit = j;
            }
            j += 1;
        }
        let run: String = chars[i..=last_digit.max(i)].iter().collect();
        if digits >= 7 && !looks_like_date(&run) {
            out.push_str("某电话");
            i = last_digit + 1;
        } else {
            out.extend(&chars[i..j]);
            i = j;
        }
    }
    out
}

/// 2026-11-30, 2026.11.30, 2026/11/30 (with or without a time after).
fn looks_like_date(run: &str) -> bool {
    let groups: Vec<&str> = run
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    groups.len() >= 3
        && groups[0].len() == 4
        && groups[1].len() <= 2
        && groups[2].len() <= 2
        && groups[0].starts_with('2')
}

/// The short forms people use for an enterprise: every beginning of its name of three or more
/// characters (老王家 for 老王家常菜馆), also after a leading place name (青川区…).
fn short_forms(name: &str) -> Vec<String> {
    let mut names = vec![name.to_string()];
    for place in ["区", "市", "县", "街道", "镇", "乡"] {
        if let Some((head, rest)) = name.split_once(place) {
            if head.chars().count() <= 4 && rest.chars().count() >= 3 {
                names.push(rest.to_string());
            }
        }
    }
    let mut out = Vec::new();
    for n in names {
        let chars: Vec<char> = n.chars().collect();
        for len in 3..=chars.len() {
            out.push(chars[..len].iter().collect());
        }
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
        let secrets = by_enterprise.entry(e.id).or_default();
        secrets.extend(short_forms(&e.name));
        secrets.extend([
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

/// May the caller read this finding as a lesson (its photos included)? When it is shared, not
/// voided, and its alliance is one the caller sees: as [`shared_lessons`] decides.
pub fn may_read(conn: &mut AnyConnection, policy: &Policy, finding: FindingId) -> AppResult<bool> {
    let Some(row) = store::find(conn, finding)? else {
        return Ok(false);
    };
    match row.alliance_id {
        Some(alliance) if row.shared && row.state != FindingState::Voided => {
            match org_service::visible_alliance(conn, policy, alliance) {
                Ok(_) => Ok(true),
                Err(crate::error::AppError::NotFound) => Ok(false),
                Err(e) => Err(e),
            }
        }
        _ => Ok(false),
    }
}

/// The alliance's shared findings as anonymized lessons, for its members (`month`: only those
/// reported in it).
/// One shared lesson of the alliance, anonymized as the lessons page shows it (none when it is
/// not one, or the caller may not read it).
pub fn shared_lesson(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance: AllianceId,
    id: FindingId,
) -> AppResult<Option<SharedLesson>> {
    if !may_read(conn, policy, id)? {
        return Ok(None);
    }
    let Some(row) = store::find(conn, id)?.filter(|f| f.shared && f.alliance_id == Some(alliance))
    else {
        return Ok(None);
    };
    let rows = vec![row];
    let secrets = identifying(conn, &rows)?.remove(&id).unwrap_or_default();
    let row = &rows[0];
    Ok(Some(SharedLesson {
        id: row.id,
        title: scrub(&row.title, &secrets),
        description: scrub(&row.description, &secrets),
        cause: scrub(&row.cause, &secrets),
        category: row.category,
        grade: row.grade,
        measures: scrub(&row.measures, &secrets),
        state: row.state,
        photo_ids: Vec::new(),
        created_at: local(row.reported_at),
    }))
}

pub fn shared_lessons(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance: AllianceId,
    page: PageRequest,
    month: Option<chrono::NaiveDate>,
) -> AppResult<Paginated<SharedLesson>> {
    org_service::visible_alliance(conn, policy, alliance)?;
    let (rows, total) = store::shared_in(conn, alliance, page, month)?;
    let ids: Vec<FindingId> = rows.iter().map(|r| r.id).collect();
    let mut photos =
        crate::findings::events::photos_of(conn, &ids, &crate::findings::strip::LESSON_TYPES)?;
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
                photo_ids: photos.remove(&row.id).unwrap_or_default(),
                created_at: local(row.reported_at),
            }
        })
        .collect();
    Ok(page.wrap(items, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_emails_are_scrubbed_however_written_and_dates_stay() {
        let text = "请联系 138 0531 0005、138-0531-0005、(0531)88886666、+86 13805310005 或 wang@laowang.example；2026-11-30 复查，费用 1500 元。";
        let out = scrub(text, &[]);
        assert!(!out.contains("0531") && !out.contains("@"), "{out}");
        assert!(out.contains("2026-11-30") && out.contains("1500"), "{out}");
    }

    #[test]
    fn short_forms_of_the_name_are_scrubbed() {
        let secrets = ordered(short_forms("青川区老王家常菜馆"));
        let out = scrub("老王家的后厨和青川区老王家常菜馆一样", &secrets);
        assert!(!out.contains("老王家"), "{out}");
    }
}
