//! The demo district in `seeds/demo.json` (embedded): regions, industries, enterprises,
//! alliances with their members, and one user for each role with a random password.

pub mod synthetic;

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::{password, Role};
use crate::db::schema::{industries, regions};
use crate::db::types::now;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::org::model::*;
use crate::org::store;
use crate::users::service::{self as users, NewUser};

const DEMO: &str = include_str!("../../seeds/demo.json");
/// Checklist templates of six domains, with their clauses and cautions (district-wide).
const CHECKLISTS: &str = include_str!("../../seeds/checklists.json");

#[derive(Deserialize)]
struct SeedChecklist {
    name: String,
    industry: Option<String>,
    note: String,
    items: Vec<crate::inspections::model::NewItem>,
}

#[derive(Deserialize)]
struct Demo {
    regions: Vec<SeedRegion>,
    industries: Vec<SeedIndustry>,
    enterprises: Vec<SeedEnterprise>,
    alliances: Vec<SeedAlliance>,
    users: Vec<SeedUser>,
}

#[derive(Deserialize)]
struct SeedRegion {
    code: String,
    name: String,
    level: RegionLevel,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct SeedIndustry {
    code: String,
    name: String,
    department: String,
}

#[derive(Deserialize)]
struct SeedEnterprise {
    name: String,
    credit_code: String,
    region: String,
    industry: String,
    scale: Scale,
    address: String,
    contact_name: String,
    contact_phone: String,
}

#[derive(Deserialize)]
struct SeedAlliance {
    name: String,
    level: AllianceLevel,
    region: String,
    industry: Option<String>,
    lead: String,
    founded_on: NaiveDate,
    members: Vec<String>,
}

#[derive(Deserialize)]
struct SeedUser {
    label: String,
    email: String,
    name: String,
    phone: String,
    role: Role,
    region: Option<String>,
    industry: Option<String>,
    enterprise: Option<String>,
    #[serde(default)]
    alliances: Vec<String>,
}

/// One demo login: the role label, the email and the generated password.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub label: String,
    pub email: String,
    pub password: String,
}

/// Whether the database holds no organizations yet.
pub fn is_empty(conn: &mut AnyConnection) -> AppResult<bool> {
    let n: i64 = regions::table.count().get_result(conn)?;
    Ok(n == 0)
}

fn lookup<T: Copy>(map: &HashMap<String, T>, key: &str, what: &str) -> AppResult<T> {
    map.get(key)
        .copied()
        .ok_or_else(|| AppError::internal(format!("seed refers to unknown {what} `{key}`")))
}

/// Loads the demo district in one transaction. Refuses if organizations already exist.
pub fn load_demo(conn: &mut AnyConnection) -> AppResult<Vec<DemoLogin>> {
    let demo: Demo = serde_json::from_str(DEMO).map_err(AppError::internal)?;
    crate::db::write_tx(conn, |conn| {
        if !is_empty(conn)? {
            return Err(AppError::conflict(
                "not-empty",
                "The database already holds organizations.",
            ));
        }
        let mut region_ids = HashMap::new();
        for r in &demo.regions {
            let parent = match &r.parent {
                Some(p) => Some(lookup(&region_ids, p, "region")?),
                None => None,
            };
            let id: RegionId = diesel::insert_into(regions::table)
                .values((
                    regions::parent_id.eq(parent),
                    regions::level.eq(r.level),
                    regions::name.eq(&r.name),
                    regions::code.eq(&r.code),
                ))
                .returning(regions::id)
                .get_result(conn)?;
            region_ids.insert(r.code.clone(), id);
        }
        let mut industry_ids = HashMap::new();
        for i in &demo.industries {
            let id: IndustryId = diesel::insert_into(industries::table)
                .values((
                    industries::code.eq(&i.code),
                    industries::name.eq(&i.name),
                    industries::department.eq(&i.department),
                ))
                .returning(industries::id)
                .get_result(conn)?;
            industry_ids.insert(i.code.clone(), id);
        }
        let checklists: Vec<SeedChecklist> =
            serde_json::from_str(CHECKLISTS).map_err(AppError::internal)?;
        for c in checklists {
            let new = crate::inspections::model::NewChecklist {
                name: c.name,
                note: c.note,
                alliance_id: None,
                industry_id: match &c.industry {
                    Some(i) => Some(lookup(&industry_ids, i, "industry")?),
                    None => None,
                },
                items: c.items,
            };
            crate::inspections::store::insert_checklist(conn, None, &new, None, None)?;
        }
        let mut enterprise_ids = HashMap::new();
        for e in &demo.enterprises {
            crate::org::credit_code::validate(&e.credit_code).map_err(|m| {
                AppError::internal(format!(
                    "seed credit code {}: {}",
                    e.credit_code,
                    m.english()
                ))
            })?;
            let row = store::insert_enterprise(
                conn,
                &NewEnterprise {
                    name: e.name.clone(),
                    credit_code: e.credit_code.clone(),
                    region_id: lookup(&region_ids, &e.region, "region")?,
                    industry_id: lookup(&industry_ids, &e.industry, "industry")?,
                    scale: e.scale,
                    address: e.address.clone(),
                    contact_name: e.contact_name.clone(),
                    contact_phone: e.contact_phone.clone(),
                },
            )?;
            enterprise_ids.insert(e.credit_code.clone(), row.id);
        }
        let mut alliance_ids = HashMap::new();
        for a in &demo.alliances {
            let lead = lookup(&enterprise_ids, &a.lead, "enterprise")?;
            let row = store::insert_alliance(
                conn,
                &NewAlliance {
                    name: a.name.clone(),
                    level: a.level,
                    region_id: lookup(&region_ids, &a.region, "region")?,
                    industry_id: match &a.industry {
                        Some(i) => Some(lookup(&industry_ids, i, "industry")?),
                        None => None,
                    },
                    lead_enterprise_id: lead,
                    founded_on: Some(a.founded_on),
                },
                a.founded_on,
            )?;
            for m in &a.members {
                let member = lookup(&enterprise_ids, m, "enterprise")?;
                if member != lead {
                    store::add_member(conn, row.id, member, MemberRole::Member, a.founded_on)?;
                }
            }
            alliance_ids.insert(a.name.clone(), row.id);
        }
        let mut logins = Vec::new();
        // Demo accounts are given their passwords, so no invitation link is ever signed here.
        let unused = crate::auth::token::LinkKey::new(&crate::secret::Secret::new(
            crate::secret::random_token(32),
        ));
        for u in &demo.users {
            let password = password::generate();
            let prepared = users::PreparedPassword::new(Some(&password))?;
            users::create(
                conn,
                None,
                NewUser {
                    email: u.email.clone(),
                    name: u.name.clone(),
                    phone: u.phone.clone(),
                    role: u.role,
                    region_id: match &u.region {
                        Some(r) => Some(lookup(&region_ids, r, "region")?),
                        None => None,
                    },
                    industry_id: match &u.industry {
                        Some(i) => Some(lookup(&industry_ids, i, "industry")?),
                        None => None,
                    },
                    enterprise_id: match &u.enterprise {
                        Some(e) => Some(lookup(&enterprise_ids, e, "enterprise")?),
                        None => None,
                    },
                    alliance_ids: u
                        .alliances
                        .iter()
                        .map(|a| lookup(&alliance_ids, a, "alliance"))
                        .collect::<AppResult<_>>()?,
                    password: Some(password.clone()),
                },
                prepared,
                crate::users::invitations::Links {
                    key: &unused,
                    days: 14,
                },
            )?;
            logins.push(DemoLogin {
                label: u.label.clone(),
                email: u.email.clone(),
                password,
            });
        }
        crate::audit::record(
            conn,
            None,
            "seed",
            "demo",
            None,
            serde_json::json!({ "enterprises": demo.enterprises.len(), "at": now().to_string() }),
        )?;
        Ok(logins)
    })
}

/// Writes the demo logins to `<data dir>/demo-logins.txt` (0600), one per line.
pub fn write_logins(path: &std::path::Path, logins: &[DemoLogin]) -> std::io::Result<()> {
    let mut text = String::new();
    for l in logins {
        text.push_str(&format!("{:<20} {:<40} {}\n", l.label, l.email, l.password));
    }
    crate::config::write_private_file(path, text.as_bytes())
}
