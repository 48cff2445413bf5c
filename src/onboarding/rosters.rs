//! Alliance rosters from a spreadsheet: each row puts an enterprise (by credit code) in an
//! alliance (by name) as its lead or a member. An enterprise may be in several alliances (a
//! street alliance and a district industry alliance): rows add and change memberships and never
//! end one the file does not mention.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::json;

use crate::access::Policy;
use crate::audit;
use crate::auth::UserId;
use crate::db::schema::{alliances, memberships};
use crate::db::types::today;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::message::msg;
use crate::onboarding::model::*;
use crate::onboarding::sheet::{half_width, Column, Columns, Record, Table};
use crate::onboarding::Rows;
use crate::org::credit_code;
use crate::org::model::{AllianceId, AlliancePatch, AllianceRow, EnterpriseId, MemberRole};
use crate::org::store;

pub const COLUMNS: &Columns = &[
    Column {
        field: "alliance",
        headers: &[
            "联盟名称",
            "安全联盟",
            "联盟",
            "所属联盟",
            "alliance",
            "alliance name",
        ],
        required: true,
    },
    Column {
        field: "credit_code",
        headers: &[
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "credit code",
            "uscc",
        ],
        required: true,
    },
    Column {
        field: "role",
        headers: &["角色", "联盟角色", "身份", "成员类型", "role"],
        required: true,
    },
    Column {
        field: "name",
        headers: &[
            "企业名称",
            "单位名称",
            "名称",
            "enterprise",
            "enterprise name",
        ],
        required: false,
    },
];

enum Action {
    Join(AllianceId, EnterpriseId, MemberRole),
    /// Appoints the lead (a member already or not; the former lead stays a member).
    Lead(AllianceId, EnterpriseId),
}

pub struct Plan {
    pub preview: Preview,
    actions: Vec<(u32, Action)>,
}

fn role(text: &str) -> Option<MemberRole> {
    let key: String = half_width(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    match key.as_str() {
        "牵头" | "牵头单位" | "牵头企业" | "盟主" | "lead" => Some(MemberRole::Lead),
        "成员" | "成员单位" | "成员企业" | "会员" | "member" => {
            Some(MemberRole::Member)
        }
        _ => None,
    }
}

/// The current memberships of the given enterprises: (alliance, enterprise) → role.
fn current(
    conn: &mut AnyConnection,
    ids: &[EnterpriseId],
) -> AppResult<HashMap<(AllianceId, EnterpriseId), MemberRole>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(AllianceId, EnterpriseId, MemberRole)> = memberships::table
            .filter(memberships::enterprise_id.eq_any(chunk))
            .filter(memberships::left_on.is_null())
            .select((
                memberships::alliance_id,
                memberships::enterprise_id,
                memberships::role,
            ))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(a, e, r)| ((a, e), r)));
    }
    Ok(out)
}

pub fn plan(conn: &mut AnyConnection, policy: Option<&Policy>, table: &Table) -> AppResult<Plan> {
    let all: Vec<AllianceRow> = alliances::table
        .select(AllianceRow::as_select())
        .load(conn)?;
    let code_of = |r: &Record| credit_code::normalize(&half_width(r.get("credit_code")));
    let codes: Vec<String> = table.records.iter().map(code_of).collect();
    let registered = store::enterprises_by_code(conn, &codes)?;
    let ids: Vec<EnterpriseId> = registered.values().map(|e| e.id).collect();
    let memberships = current(conn, &ids)?;
    let mut rows = Rows::new(table, COLUMNS);
    let mut seen: HashMap<(AllianceId, EnterpriseId), u32> = HashMap::new();
    let mut leads: HashMap<AllianceId, u32> = HashMap::new();
    // The alliances the file names a lead for: a former lead listed as a member steps down for it.
    let led_in_file: std::collections::HashSet<AllianceId> = table
        .records
        .iter()
        .filter(|r| role(r.get("role")) == Some(MemberRole::Lead))
        .filter_map(|r| all.iter().find(|a| a.name == r.get("alliance").trim()))
        .map(|a| a.id)
        .collect();
    let mut actions = Vec::new();
    for record in &table.records {
        let mut v = Validator::new();
        let alliance_text = record.get("alliance").trim().to_string();
        let alliance = if alliance_text.is_empty() {
            v.add("alliance", msg::REQUIRED);
            None
        } else {
            let found = all.iter().find(|a| a.name == alliance_text);
            match found {
                None => {
                    v.add(
                        "alliance",
                        msg::IMPORT_NO_ALLIANCE.with("text", &alliance_text),
                    );
                }
                Some(a)
                    if policy
                        .is_some_and(|p| !p.may_manage_alliance(a.region_id, a.industry_id)) =>
                {
                    v.add("alliance", msg::IMPORT_OUT_OF_SCOPE);
                }
                Some(_) => {}
            }
            found
        };
        let code = code_of(record);
        let enterprise = if code.is_empty() {
            v.add("credit_code", msg::REQUIRED);
            None
        } else if let Err(message) = credit_code::validate(&code) {
            v.add("credit_code", message);
            None
        } else {
            let found = registered.get(&code);
            match found {
                None => {
                    v.add("credit_code", msg::IMPORT_NO_ENTERPRISE.with("code", &code));
                }
                // Putting an enterprise in an alliance shows it to the alliance: only those
                // who manage it may (as when adding a member on the alliance's page).
                Some(e)
                    if policy
                        .is_some_and(|p| !p.may_manage_enterprise(e.region_id, e.industry_id)) =>
                {
                    v.add("credit_code", msg::IMPORT_OUT_OF_SCOPE);
                }
                Some(e) if e.closed_on.is_some() => {
                    v.add("credit_code", msg::IMPORT_CLOSED);
                }
                Some(_) => {}
            }
            found
        };
        let role_text = record.get("role");
        let wanted = if role_text.is_empty() {
            v.add("role", msg::REQUIRED);
            None
        } else {
            let found = role(role_text);
            v.check(
                found.is_some(),
                "role",
                msg::IMPORT_ROLE.with("text", role_text),
            );
            found
        };
        if let (Some(a), Some(e)) = (alliance, enterprise) {
            if let Some(first) = seen.get(&(a.id, e.id)) {
                v.add("credit_code", msg::IMPORT_DUPLICATE_ROW.with("row", first));
            } else {
                seen.insert((a.id, e.id), record.row);
            }
            if wanted == Some(MemberRole::Lead) {
                if let Some(first) = leads.get(&a.id) {
                    v.add("role", msg::IMPORT_TWO_LEADS.with("row", first));
                } else {
                    leads.insert(a.id, record.row);
                }
            }
        }
        if let (Some(a), Some(e), Some(MemberRole::Member)) = (alliance, enterprise, wanted) {
            let leads_now = memberships.get(&(a.id, e.id)) == Some(&MemberRole::Lead);
            v.check(
                !leads_now || led_in_file.contains(&a.id),
                "role",
                msg::IMPORT_LEAD_NEEDED,
            );
        }
        let label = enterprise.map_or_else(|| record.get("name").to_string(), |e| e.name.clone());
        let key = format!("{alliance_text} · {code}");
        if let Err(AppError::Validation(errors)) = v.finish() {
            rows.invalid(record, &key, &label, errors);
            continue;
        }
        let (a, e, wanted) = (
            alliance.expect("checked above"),
            enterprise.expect("checked above"),
            wanted.expect("checked above"),
        );
        let now = memberships.get(&(a.id, e.id)).copied();
        let mut changes = Vec::new();
        if let Some(now) = now.filter(|r| *r != wanted) {
            changes.push(FieldChange {
                field: "role".into(),
                from: now.to_string(),
                to: wanted.to_string(),
            });
        }
        rows.planned(record, &key, &label, now.is_some(), changes);
        let action = match (now, wanted) {
            (Some(r), w) if r == w => None,
            (_, MemberRole::Lead) => Some(Action::Lead(a.id, e.id)),
            (None, MemberRole::Member) => Some(Action::Join(a.id, e.id, MemberRole::Member)),
            // A former lead steps down when the lead named in the file is appointed.
            (Some(_), MemberRole::Member) => None,
        };
        actions.extend(action.map(|act| (record.row, act)));
    }
    Ok(Plan {
        preview: rows.finish(),
        actions,
    })
}

pub fn apply(
    conn: &mut AnyConnection,
    actor: Option<UserId>,
    import: Option<i64>,
    plan: Plan,
) -> AppResult<ImportSummary> {
    let mut entries = Vec::new();
    for (row, action) in plan.actions {
        match action {
            Action::Join(alliance, enterprise, role) => {
                let joined_on = today();
                store::add_member(conn, alliance, enterprise, role, joined_on)?;
                let changes = json!({"enterprise_id": enterprise, "joined_on": joined_on,
                                     "import_id": import, "row": row});
                entries.push(("add_member", "alliance", Some(alliance.0), changes));
            }
            Action::Lead(alliance, enterprise) => {
                let current = store::alliance(conn, alliance)?.ok_or(AppError::NotFound)?;
                let patch = AlliancePatch {
                    lead_enterprise_id: Some(enterprise),
                    ..Default::default()
                };
                store::update_alliance(conn, &current, &patch, today())?;
                let changes = json!({"lead_enterprise_id": enterprise,
                                     "previous_lead_enterprise_id": current.lead_enterprise_id,
                                     "import_id": import, "row": row});
                entries.push(("update", "alliance", Some(alliance.0), changes));
            }
        }
    }
    audit::record_many(conn, actor, entries)?;
    Ok(plan.preview.summary)
}
