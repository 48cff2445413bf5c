//! Enterprise users from a spreadsheet: each row is matched by email, and becomes a new account
//! of the enterprise its credit code names (with an invitation link, never a password), a change
//! of name or phone, or nothing.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::json;

use crate::access::Policy;
use crate::audit;
use crate::auth::user::{is_plausible_email, normalize_email, NewUserRow};
use crate::auth::{password, user, Role, UserId, UserRow};
use crate::db::schema::users;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::message::msg;
use crate::onboarding::enterprises::is_phone;
use crate::onboarding::model::*;
use crate::onboarding::sheet::{half_width, Column, Columns, Table};
use crate::onboarding::Rows;
use crate::org::credit_code;
use crate::org::model::EnterpriseId;
use crate::users::invitations::{self, Links};
use crate::users::model::max;

pub const COLUMNS: &Columns = &[
    Column {
        field: "name",
        headers: &["姓名", "名字", "人员姓名", "联系人", "name"],
        required: true,
    },
    Column {
        field: "email",
        headers: &["邮箱", "电子邮箱", "邮件", "email", "e-mail", "mail"],
        required: true,
    },
    Column {
        field: "phone",
        headers: &[
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "phone",
            "mobile",
        ],
        required: false,
    },
    Column {
        field: "credit_code",
        headers: &[
            "统一社会信用代码",
            "企业信用代码",
            "社会信用代码",
            "信用代码",
            "credit code",
            "uscc",
        ],
        required: true,
    },
];

enum Action {
    Create {
        name: String,
        email: String,
        phone: String,
        enterprise: EnterpriseId,
    },
    Update {
        id: UserId,
        name: Option<String>,
        phone: Option<String>,
    },
}

pub struct Plan {
    pub preview: Preview,
    actions: Vec<(u32, Action)>,
}

fn by_email(conn: &mut AnyConnection, emails: &[String]) -> AppResult<HashMap<String, UserRow>> {
    let mut out = HashMap::new();
    for chunk in emails.chunks(500) {
        let rows: Vec<UserRow> = users::table
            .filter(users::email.eq_any(chunk))
            .select(UserRow::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|r| (r.email.clone(), r)));
    }
    Ok(out)
}

pub fn plan(conn: &mut AnyConnection, policy: Option<&Policy>, table: &Table) -> AppResult<Plan> {
    let code_of = |r: &crate::onboarding::sheet::Record| {
        credit_code::normalize(&half_width(r.get("credit_code")))
    };
    let email_of =
        |r: &crate::onboarding::sheet::Record| normalize_email(&half_width(r.get("email")));
    let codes: Vec<String> = table.records.iter().map(code_of).collect();
    let emails: Vec<String> = table.records.iter().map(email_of).collect();
    let enterprises = crate::org::store::enterprises_by_code(conn, &codes)?;
    let accounts = by_email(conn, &emails)?;
    let mut rows = Rows::new(table, COLUMNS);
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut actions = Vec::new();
    for record in &table.records {
        let mut v = Validator::new();
        let name = record.get("name").trim().to_string();
        v.text("name", &name, max::NAME);
        let email = email_of(record);
        if email.is_empty() {
            v.add("email", msg::REQUIRED);
        } else if !is_plausible_email(&email) {
            v.add("email", msg::BAD_EMAIL);
        } else if let Some(first) = seen.get(&email) {
            v.add("email", msg::IMPORT_DUPLICATE_ROW.with("row", first));
        } else {
            seen.insert(email.clone(), record.row);
        }
        let phone = half_width(record.get("phone"));
        if !phone.is_empty() {
            v.max_len("phone", &phone, max::PHONE);
            v.check(
                is_phone(&phone),
                "phone",
                msg::IMPORT_PHONE.with("text", &phone),
            );
        }
        let code = code_of(record);
        let enterprise = if code.is_empty() {
            v.add("credit_code", msg::REQUIRED);
            None
        } else if let Err(message) = credit_code::validate(&code) {
            v.add("credit_code", message);
            None
        } else {
            let found = enterprises.get(&code);
            match found {
                None => v.add("credit_code", msg::IMPORT_NO_ENTERPRISE.with("code", &code)),
                Some(e)
                    if policy
                        .is_some_and(|p| !p.may_manage_enterprise(e.region_id, e.industry_id)) =>
                {
                    v.add("credit_code", msg::IMPORT_OUT_OF_SCOPE)
                }
                Some(e) if e.closed_on.is_some() => v.add("credit_code", msg::IMPORT_CLOSED),
                Some(_) => &mut v,
            };
            found
        };
        let existing = accounts.get(&email);
        if let (Some(account), Some(enterprise)) = (existing, enterprise) {
            if account.role != Role::Enterprise || account.enterprise_id != Some(enterprise.id) {
                v.add("email", msg::IMPORT_EMAIL_TAKEN);
            }
        }
        if let Err(AppError::Validation(errors)) = v.finish() {
            rows.invalid(record, &email, &name, errors);
            continue;
        }
        let enterprise = enterprise.expect("checked above");
        match existing {
            None => {
                rows.planned(record, &email, &name, false, Vec::new());
                actions.push((
                    record.row,
                    Action::Create {
                        name,
                        email,
                        phone,
                        enterprise: enterprise.id,
                    },
                ));
            }
            Some(account) => {
                let mut changes = Vec::new();
                let new_name = (name != account.name).then(|| name.clone());
                if let Some(n) = &new_name {
                    changes.push(FieldChange {
                        field: "name".into(),
                        from: account.name.clone(),
                        to: n.clone(),
                    });
                }
                let new_phone =
                    (!phone.is_empty() && phone != account.phone).then(|| phone.clone());
                if let Some(p) = &new_phone {
                    changes.push(FieldChange {
                        field: "phone".into(),
                        from: account.phone.clone(),
                        to: p.clone(),
                    });
                }
                let changed = !changes.is_empty();
                rows.planned(record, &email, &name, true, changes);
                if changed {
                    actions.push((
                        record.row,
                        Action::Update {
                            id: account.id,
                            name: new_name,
                            phone: new_phone,
                        },
                    ));
                }
            }
        }
    }
    Ok(Plan {
        preview: rows.finish(),
        actions,
    })
}

/// Creates and updates the accounts, each new one with its invitation (marked with the import,
/// for its letters), in the caller's transaction.
pub fn apply(
    conn: &mut AnyConnection,
    actor: Option<UserId>,
    import: Option<i64>,
    links: Links,
    plan: Plan,
) -> AppResult<ImportSummary> {
    let mut entries = Vec::with_capacity(plan.actions.len());
    let mut created = Vec::new();
    for (row, action) in plan.actions {
        match action {
            Action::Create {
                name,
                email,
                phone,
                enterprise,
            } => {
                let account = user::insert(
                    conn,
                    NewUserRow {
                        email: &email,
                        name: &name,
                        phone: &phone,
                        password_hash: password::unknowable_hash(),
                        role: Role::Enterprise,
                        region_id: None,
                        industry_id: None,
                        enterprise_id: Some(enterprise),
                    },
                )?;
                let changes = json!({"email": email, "role": Role::Enterprise,
                                     "enterprise_id": enterprise, "import_id": import, "row": row});
                entries.push(("create", "user", Some(account.id.0), changes));
                created.push(account.id);
            }
            Action::Update { id, name, phone } => {
                user::update(
                    conn,
                    id,
                    user::UserChanges {
                        name: name.as_deref(),
                        phone: phone.as_deref(),
                        ..Default::default()
                    },
                )?;
                let changes =
                    json!({"name": name, "phone": phone, "import_id": import, "row": row});
                entries.push(("update", "user", Some(id.0), changes));
            }
        }
    }
    audit::record_many(conn, actor, entries)?;
    invitations::invite_new(conn, links, actor, &created, import)?;
    Ok(plan.preview.summary)
}
