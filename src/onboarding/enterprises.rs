//! The enterprise registry from a spreadsheet: each row is matched to the registry by its credit
//! code, and becomes a new enterprise, a change to one, or nothing (the same file twice changes
//! nothing the second time).

use std::collections::HashMap;

use serde_json::json;

use crate::access::Policy;
use crate::audit;
use crate::db::AnyConnection;
use crate::error::{AppResult, Validator};
use crate::message::msg;
use crate::onboarding::model::*;
use crate::onboarding::sheet::{half_width, Column, Columns, Record, Table};
use crate::onboarding::Rows;
use crate::org::credit_code;
use crate::org::model::{
    max, EnterpriseId, EnterprisePatch, Industry, IndustryId, NewEnterprise, Region, RegionId,
    Scale,
};
use crate::org::store;

pub const COLUMNS: &Columns = &[
    Column {
        field: "name",
        headers: &[
            "企业名称",
            "单位名称",
            "企业（单位）名称",
            "名称",
            "name",
            "enterprise",
            "enterprise name",
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
        field: "street",
        headers: &[
            "所属街道",
            "街道",
            "所属街镇",
            "街镇",
            "街道（功能区）",
            "所属区域",
            "区域",
            "street",
            "region",
        ],
        required: true,
    },
    Column {
        field: "industry",
        headers: &["行业", "所属行业", "行业类别", "行业分类", "industry"],
        required: true,
    },
    Column {
        field: "scale",
        headers: &["规模", "企业规模", "scale", "size"],
        required: false,
    },
    Column {
        field: "address",
        headers: &[
            "地址",
            "企业地址",
            "注册地址",
            "经营地址",
            "生产经营地址",
            "详细地址",
            "address",
        ],
        required: false,
    },
    Column {
        field: "contact_name",
        headers: &["联系人", "安全负责人", "contact", "contact name"],
        required: false,
    },
    Column {
        field: "contact_phone",
        headers: &[
            "联系电话",
            "电话",
            "手机",
            "手机号",
            "联系方式",
            "phone",
            "contact phone",
            "telephone",
        ],
        required: false,
    },
];

/// What a row does when committed.
enum Action {
    Insert(NewEnterprise),
    Update(EnterpriseId, EnterprisePatch),
}

/// The file's rows planned against the registry: the preview, and the changes to make.
pub struct Plan {
    pub preview: Preview,
    actions: Vec<(u32, Action)>,
}

/// Streets (and zones) and industries by the names and codes a file may use.
struct Names {
    regions: Vec<Region>,
    industries: Vec<Industry>,
}

impl Names {
    fn load(conn: &mut AnyConnection) -> AppResult<Self> {
        Ok(Self {
            regions: store::regions(conn)?,
            industries: store::industries(conn)?,
        })
    }

    /// A region by its code or name, or by its name without the 街道/镇/乡 a file may leave off.
    fn region(&self, text: &str) -> Option<&Region> {
        let code = half_width(text);
        self.regions
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(&code) || r.name == text)
            .or_else(|| {
                let mut found = self.regions.iter().filter(|r| {
                    ["街道", "镇", "乡", "功能区", "街道办事处"]
                        .iter()
                        .any(|suffix| r.name.strip_suffix(suffix) == Some(text))
                });
                match (found.next(), found.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            })
    }

    fn industry(&self, text: &str) -> Option<&Industry> {
        let code = half_width(text);
        self.industries
            .iter()
            .find(|i| i.code.eq_ignore_ascii_case(&code) || i.name == text)
    }

    fn region_name(&self, id: RegionId) -> String {
        self.regions
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| id.to_string(), |r| r.name.clone())
    }

    fn industry_name(&self, id: IndustryId) -> String {
        self.industries
            .iter()
            .find(|i| i.id == id)
            .map_or_else(|| id.to_string(), |i| i.name.clone())
    }
}

fn scale(text: &str) -> Option<Scale> {
    let key: String = half_width(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    match key.as_str() {
        "规上" | "规上企业" | "规模以上" | "规模以上企业" | "above_scale" | "abovescale" => {
            Some(Scale::AboveScale)
        }
        "小微" | "小微企业" | "规下" | "规下企业" | "规模以下" | "规模以下企业" | "小型"
        | "微型" | "small_micro" | "smallmicro" | "small" | "micro" => Some(Scale::SmallMicro),
        _ => None,
    }
}

/// A phone number as people write them: digits with + - ( ) and spaces, 7 to 15 digits; two
/// numbers may be separated by / 、 , or ;.
pub fn is_phone(text: &str) -> bool {
    text.split(['/', '、', ',', ';', '，', '；']).all(|part| {
        let digits = part.chars().filter(char::is_ascii_digit).count();
        (7..=15).contains(&digits)
            && part
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
    })
}

/// One row read into an enterprise, or its errors.
struct Fields {
    name: String,
    code: String,
    region: Option<RegionId>,
    industry: Option<IndustryId>,
    scale: Option<Scale>,
    address: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
}

fn read_row(names: &Names, record: &Record, v: &mut Validator) -> Fields {
    let name = record.get("name").to_string();
    v.text("name", &name, max::ENTERPRISE_NAME);
    let code = credit_code::normalize(&half_width(record.get("credit_code")));
    if code.is_empty() {
        v.add("credit_code", msg::REQUIRED);
    } else if let Err(message) = credit_code::validate(&code) {
        v.add("credit_code", message);
    }
    let optional = |field: &str| Some(record.get(field).to_string()).filter(|t| !t.is_empty());
    let region = optional("street").and_then(|text| {
        let found = names.region(&text).map(|r| r.id);
        v.check(
            found.is_some(),
            "street",
            msg::IMPORT_UNKNOWN_STREET.with("text", &text),
        );
        found
    });
    let industry = optional("industry").and_then(|text| {
        let found = names.industry(&text).map(|i| i.id);
        v.check(
            found.is_some(),
            "industry",
            msg::IMPORT_UNKNOWN_INDUSTRY.with("text", &text),
        );
        found
    });
    let scale = optional("scale").and_then(|text| {
        let found = scale(&text);
        v.check(
            found.is_some(),
            "scale",
            msg::IMPORT_SCALE.with("text", &text),
        );
        found
    });
    let address = optional("address");
    if let Some(address) = &address {
        v.max_len("address", address, max::ADDRESS);
    }
    let contact_name = optional("contact_name");
    if let Some(contact) = &contact_name {
        v.max_len("contact_name", contact, max::CONTACT_NAME);
    }
    let contact_phone = optional("contact_phone").map(|p| half_width(&p));
    if let Some(phone) = &contact_phone {
        v.max_len("contact_phone", phone, max::CONTACT_PHONE);
        v.check(
            is_phone(phone),
            "contact_phone",
            msg::IMPORT_PHONE.with("text", phone),
        );
    }
    Fields {
        name: name.trim().to_string(),
        code,
        region,
        industry,
        scale,
        address,
        contact_name,
        contact_phone,
    }
}

/// Plans the file against the registry as the caller (`None`: the command line, which may
/// import anywhere) may change it.
pub fn plan(conn: &mut AnyConnection, policy: Option<&Policy>, table: &Table) -> AppResult<Plan> {
    let names = Names::load(conn)?;
    let codes: Vec<String> = table
        .records
        .iter()
        .map(|r| credit_code::normalize(&half_width(r.get("credit_code"))))
        .filter(|c| !c.is_empty())
        .collect();
    let current = store::enterprises_by_code(conn, &codes)?;
    let may = |region: RegionId, industry: IndustryId| {
        policy.is_none_or(|p| p.may_manage_enterprise(region, industry))
    };
    let mut rows = Rows::new(table, COLUMNS);
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut actions = Vec::new();
    for record in &table.records {
        let mut v = Validator::new();
        let f = read_row(&names, record, &mut v);
        if !f.code.is_empty() {
            if let Some(first) = seen.get(&f.code) {
                v.add("credit_code", msg::IMPORT_DUPLICATE_ROW.with("row", first));
            } else {
                seen.insert(f.code.clone(), record.row);
            }
        }
        let before = current.get(&f.code);
        match before {
            // A new enterprise needs its place and scale; an existing one keeps its own.
            None => {
                for field in ["street", "industry", "scale"] {
                    v.check(!record.get(field).is_empty(), field, msg::REQUIRED);
                }
            }
            Some(row) if !may(row.region_id, row.industry_id) => {
                v.add("credit_code", msg::IMPORT_OUT_OF_SCOPE);
            }
            Some(_) => {}
        }
        if let (Some(region), Some(industry)) = (
            f.region.or(before.map(|b| b.region_id)),
            f.industry.or(before.map(|b| b.industry_id)),
        ) {
            if !may(region, industry) {
                v.add("street", msg::IMPORT_OUT_OF_SCOPE);
            }
        }
        if let Err(crate::error::AppError::Validation(errors)) = v.finish() {
            rows.invalid(record, &f.code, &f.name, errors);
            continue;
        }
        match before {
            None => {
                let new = NewEnterprise {
                    name: f.name.clone(),
                    credit_code: f.code.clone(),
                    region_id: f.region.expect("checked above"),
                    industry_id: f.industry.expect("checked above"),
                    scale: f.scale.expect("checked above"),
                    address: f.address.unwrap_or_default(),
                    contact_name: f.contact_name.unwrap_or_default(),
                    contact_phone: f.contact_phone.unwrap_or_default(),
                };
                rows.planned(record, &f.code, &f.name, false, Vec::new());
                actions.push((record.row, Action::Insert(new)));
            }
            Some(row) => {
                let mut patch = EnterprisePatch::default();
                let mut changes = Vec::new();
                let mut change = |field: &str, from: String, to: String| {
                    changes.push(FieldChange {
                        field: field.into(),
                        from,
                        to,
                    })
                };
                if f.name != row.name {
                    change("name", row.name.clone(), f.name.clone());
                    patch.name = Some(f.name.clone());
                }
                if let Some(region) = f.region.filter(|r| *r != row.region_id) {
                    change(
                        "street",
                        names.region_name(row.region_id),
                        names.region_name(region),
                    );
                    patch.region_id = Some(region);
                }
                if let Some(industry) = f.industry.filter(|i| *i != row.industry_id) {
                    change(
                        "industry",
                        names.industry_name(row.industry_id),
                        names.industry_name(industry),
                    );
                    patch.industry_id = Some(industry);
                }
                if let Some(scale) = f.scale.filter(|s| *s != row.scale) {
                    change("scale", row.scale.to_string(), scale.to_string());
                    patch.scale = Some(scale);
                }
                let texts = [
                    ("address", &f.address, &row.address),
                    ("contact_name", &f.contact_name, &row.contact_name),
                    ("contact_phone", &f.contact_phone, &row.contact_phone),
                ];
                for (field, new, old) in texts {
                    if let Some(new) = new.as_ref().filter(|n| n.trim() != old) {
                        change(field, old.clone(), new.trim().to_string());
                        match field {
                            "address" => patch.address = Some(new.clone()),
                            "contact_name" => patch.contact_name = Some(new.clone()),
                            _ => patch.contact_phone = Some(new.clone()),
                        }
                    }
                }
                let changed = !changes.is_empty();
                rows.planned(record, &f.code, &f.name, true, changes);
                if changed {
                    actions.push((record.row, Action::Update(row.id, patch)));
                }
            }
        }
    }
    Ok(Plan {
        preview: rows.finish(),
        actions,
    })
}

/// Makes the planned changes with their audit entries, in the caller's transaction; what it
/// did, counted.
pub fn apply(
    conn: &mut AnyConnection,
    actor: Option<crate::auth::UserId>,
    import: Option<i64>,
    plan: Plan,
) -> AppResult<ImportSummary> {
    let mut entries = Vec::with_capacity(plan.actions.len());
    for (row, action) in plan.actions {
        match action {
            Action::Insert(new) => {
                let created = store::insert_enterprise(conn, &new)?;
                let changes = json!({
                    "name": created.name, "credit_code": created.credit_code,
                    "region_id": created.region_id, "industry_id": created.industry_id,
                    "scale": created.scale, "import_id": import, "row": row,
                });
                entries.push(("create", "enterprise", Some(created.id.0), changes));
            }
            Action::Update(id, patch) => {
                store::update_enterprise(conn, id, &patch)?;
                let changes = json!({
                    "name": patch.name, "region_id": patch.region_id,
                    "industry_id": patch.industry_id, "scale": patch.scale,
                    "address": patch.address, "contact_name": patch.contact_name,
                    "contact_phone": patch.contact_phone, "import_id": import, "row": row,
                });
                entries.push(("update", "enterprise", Some(id.0), changes));
            }
        }
    }
    audit::record_many(conn, actor, entries)?;
    Ok(plan.preview.summary)
}
