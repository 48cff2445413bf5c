//! Every registry list as a spreadsheet (XLSX or CSV): enterprises and an alliance's members
//! (in the import templates' columns, so an export imports back unchanged), alliances, accounts,
//! regions and industries, as the caller sees them and filtered as the list page is.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::access::{self, Policy};
use crate::api::{csv_field, file, XLSX};
use crate::auth::{Actor, ApiUser, WebUser};
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult, Problem};
use crate::limits::Exports;
use crate::message::msg;
use crate::org::model::*;
use crate::org::{service, store};

/// The most rows one export holds.
const MAX_ROWS: usize = 100_000;

crate::text_enum! {
    /// A registry list that exports.
    pub enum ListName {
        Enterprises = "enterprises",
        Alliances = "alliances",
        Users = "users",
        Regions = "regions",
        Industries = "industries",
        /// An alliance's current members (`alliance_id` required).
        Members = "members",
    }
}

#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query for the API document
pub struct ExportQuery {
    /// `xlsx` (the default) or `csv`; the list's own filters (as on its page) may follow.
    format: Option<String>,
}

/// A list as a header row and its rows.
struct Sheet {
    title: &'static str,
    headers: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

fn names<T>(
    items: Vec<T>,
    id: fn(&T) -> i64,
    name: fn(&T) -> String,
) -> std::collections::HashMap<i64, String> {
    items.iter().map(|x| (id(x), name(x))).collect()
}

fn scale_word(scale: Scale) -> &'static str {
    match scale {
        Scale::AboveScale => "规上",
        Scale::SmallMicro => "小微",
    }
}

/// Every page of a paginated list, up to [`MAX_ROWS`].
fn all_pages<T>(
    mut page: impl FnMut(i64) -> AppResult<crate::api::Paginated<T>>,
) -> AppResult<Vec<T>> {
    let mut out = Vec::new();
    for n in 1.. {
        let got = page(n)?;
        let done = got.items.len() < 100 || out.len() + got.items.len() >= MAX_ROWS;
        out.extend(got.items);
        if done {
            break;
        }
    }
    out.truncate(MAX_ROWS);
    Ok(out)
}

fn parse<T: DeserializeOwned>(query: &str) -> AppResult<T> {
    serde_urlencoded::from_str(query)
        .map_err(|e| AppError::field("query", msg::INVALID.detailed(e.to_string())))
}

fn build(
    conn: &mut AnyConnection,
    policy: &Policy,
    list: ListName,
    query: &str,
) -> AppResult<Sheet> {
    let regions = names(store::regions(conn)?, |r| r.id.0, |r| r.name.clone());
    let industries = names(store::industries(conn)?, |i| i.id.0, |i| i.name.clone());
    let name_of = |map: &std::collections::HashMap<i64, String>, id: i64| {
        map.get(&id).cloned().unwrap_or_default()
    };
    Ok(match list {
        ListName::Enterprises => {
            let base: EnterpriseQuery = parse(query)?;
            let items = all_pages(|page| {
                let q = EnterpriseQuery {
                    page: Some(page),
                    per_page: Some(100),
                    ..base.clone()
                };
                service::list_enterprises(conn, policy, &q)
            })?;
            Sheet {
                title: "企业名录",
                headers: &[
                    "企业名称",
                    "统一社会信用代码",
                    "所属街道",
                    "行业",
                    "规模",
                    "地址",
                    "联系人",
                    "联系电话",
                    "停业日期",
                ],
                rows: items
                    .into_iter()
                    .map(|e| {
                        vec![
                            e.name,
                            e.credit_code,
                            name_of(&regions, e.region_id.0),
                            name_of(&industries, e.industry_id.0),
                            scale_word(e.scale).into(),
                            e.address.unwrap_or_default(),
                            e.contact_name.unwrap_or_default(),
                            e.contact_phone.unwrap_or_default(),
                            e.closed_on.map(|d| d.to_string()).unwrap_or_default(),
                        ]
                    })
                    .collect(),
            }
        }
        ListName::Alliances => {
            let base: AllianceQuery = parse(query)?;
            let items = all_pages(|page| {
                let q = AllianceQuery {
                    page: Some(page),
                    per_page: Some(100),
                    ..base.clone()
                };
                service::list_alliances(conn, policy, &q)
            })?;
            let leads = store::enterprise_names(
                conn,
                &items
                    .iter()
                    .map(|a| a.lead_enterprise_id)
                    .collect::<Vec<_>>(),
            )?;
            Sheet {
                title: "安全联盟",
                headers: &[
                    "联盟名称",
                    "级别",
                    "所属区域",
                    "行业",
                    "牵头企业",
                    "成员数",
                    "成立日期",
                ],
                rows: items
                    .into_iter()
                    .map(|a| {
                        vec![
                            a.name,
                            match a.level {
                                AllianceLevel::District => "区级",
                                AllianceLevel::Street => "街镇级",
                                AllianceLevel::Zone => "功能区",
                            }
                            .into(),
                            name_of(&regions, a.region_id.0),
                            a.industry_id
                                .map(|i| name_of(&industries, i.0))
                                .unwrap_or_default(),
                            leads
                                .get(&a.lead_enterprise_id)
                                .cloned()
                                .unwrap_or_default(),
                            a.member_count.to_string(),
                            a.founded_on.to_string(),
                        ]
                    })
                    .collect(),
            }
        }
        ListName::Users => {
            let base: crate::users::model::UserQuery = parse(query)?;
            let items = all_pages(|page| {
                let q = crate::users::model::UserQuery {
                    page: Some(page),
                    per_page: Some(100),
                    ..base.clone()
                };
                crate::users::service::list(conn, policy, &q)
            })?;
            let ids: Vec<EnterpriseId> = items.iter().filter_map(|u| u.enterprise_id).collect();
            let ents = store::enterprise_names(conn, &ids)?;
            let mut codes = std::collections::HashMap::new();
            for chunk in ids.chunks(1000) {
                use crate::db::schema::enterprises;
                use diesel::prelude::*;
                let rows: Vec<(EnterpriseId, String)> = enterprises::table
                    .filter(enterprises::id.eq_any(chunk))
                    .select((enterprises::id, enterprises::credit_code))
                    .load(conn)?;
                codes.extend(rows);
            }
            Sheet {
                title: "账号",
                headers: &[
                    "姓名",
                    "邮箱",
                    "手机",
                    "角色",
                    "统一社会信用代码",
                    "企业",
                    "状态",
                ],
                rows: items
                    .into_iter()
                    .map(|u| {
                        let code = u
                            .enterprise_id
                            .and_then(|e| codes.get(&e).cloned())
                            .unwrap_or_default();
                        vec![
                            u.name,
                            u.email,
                            u.phone,
                            match u.role {
                                crate::auth::Role::Admin => "管理员",
                                crate::auth::Role::Regulator => "监管人员",
                                crate::auth::Role::Enterprise => "企业用户",
                                crate::auth::Role::Expert => "专家",
                            }
                            .into(),
                            code,
                            u.enterprise_id
                                .and_then(|e| ents.get(&e).cloned())
                                .unwrap_or_default(),
                            if u.active { "正常" } else { "停用" }.into(),
                        ]
                    })
                    .collect(),
            }
        }
        ListName::Members => {
            #[derive(serde::Deserialize)]
            struct Of {
                alliance_id: Option<AllianceId>,
            }
            let of: Of = parse(query)?;
            let id = of
                .alliance_id
                .ok_or_else(|| AppError::field("alliance_id", msg::REQUIRED))?;
            let alliance = service::visible_alliance(conn, policy, id)?;
            let items = all_pages(|page| {
                let page = crate::api::PageRequest {
                    page,
                    per_page: 100,
                };
                service::list_members(conn, policy, id, page)
            })?;
            let ids: Vec<EnterpriseId> = items.iter().map(|m| m.enterprise_id).collect();
            let codes: std::collections::HashMap<EnterpriseId, String> = ids
                .chunks(1000)
                .map(|chunk| {
                    use crate::db::schema::enterprises;
                    use diesel::prelude::*;
                    enterprises::table
                        .filter(enterprises::id.eq_any(chunk))
                        .select((enterprises::id, enterprises::credit_code))
                        .load::<(EnterpriseId, String)>(conn)
                })
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect();
            Sheet {
                title: "联盟名单",
                headers: &[
                    "联盟名称",
                    "统一社会信用代码",
                    "角色",
                    "企业名称",
                    "加入日期",
                ],
                rows: items
                    .into_iter()
                    .map(|m| {
                        vec![
                            alliance.name.clone(),
                            codes.get(&m.enterprise_id).cloned().unwrap_or_default(),
                            match m.role {
                                MemberRole::Lead => "牵头",
                                MemberRole::Member => "成员",
                            }
                            .into(),
                            m.enterprise_name,
                            m.joined_on.to_string(),
                        ]
                    })
                    .collect(),
            }
        }
        ListName::Regions => Sheet {
            title: "街道与功能区",
            headers: &["名称", "代码", "级别"],
            rows: store::regions(conn)?
                .into_iter()
                .map(|r| {
                    let level = match r.level {
                        RegionLevel::District => "区",
                        RegionLevel::Street => "街道（镇）",
                        RegionLevel::Zone => "功能区",
                    };
                    vec![r.name, r.code, level.into()]
                })
                .collect(),
        },
        ListName::Industries => Sheet {
            title: "行业",
            headers: &["名称", "代码", "行业主管部门"],
            rows: store::industries(conn)?
                .into_iter()
                .map(|i| vec![i.name, i.code, i.department])
                .collect(),
        },
    })
}

fn csv(sheet: &Sheet) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&sheet.headers.join(","));
    out.push_str("\r\n");
    for row in &sheet.rows {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn xlsx(sheet: &Sheet) -> AppResult<Vec<u8>> {
    let e = AppError::internal;
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet.title).map_err(e)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(e)?;
        ws.set_column_width(c as u16, 20).map_err(e)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, value).map_err(e)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(e)?;
    book.save_to_buffer().map_err(e)
}

/// Builds the export the request asks for (`format` and the list's filters).
async fn export(
    db: &Db,
    exports: &Exports,
    actor: Actor,
    list: ListName,
    req: &HttpRequest,
) -> AppResult<HttpResponse> {
    let mut format = None;
    let rest: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .filter(|(k, v)| {
            if k == "format" {
                format = Some(v.clone());
                false
            } else {
                !v.is_empty()
            }
        })
        .collect();
    let as_csv = match format.as_deref() {
        None | Some("xlsx") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(AppError::field(
                "format",
                msg::ONE_OF.with("choices", "xlsx, csv"),
            ))
        }
    };
    let query = serde_urlencoded::to_string(&rest).map_err(AppError::internal)?;
    let sheet = access::read(db, actor, move |c, p| {
        p.require_authority("export the registry")?;
        build(c, p, list, &query)
    })
    .await?;
    let name = format!("{list}.{}", if as_csv { "csv" } else { "xlsx" });
    if as_csv {
        let bytes = exports.run(move || csv(&sheet)).await?;
        Ok(file(bytes, "text/csv; charset=utf-8", &name))
    } else {
        let bytes = exports.run(move || xlsx(&sheet)).await??;
        Ok(file(bytes, XLSX, &name))
    }
}

/// A registry list as XLSX or CSV (admins and regulators; what they see, filtered as the list).
#[utoipa::path(get, path = "/api/v1/exports/{list}", tag = "organizations",
    params(("list" = String, Path, description = "enterprises, alliances, members (with alliance_id), users, regions or industries"), ExportQuery),
    responses((status = 200, description = "XLSX or CSV"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/exports/{list}")]
pub(crate) async fn api_export(
    req: HttpRequest,
    db: web::Data<Db>,
    exports: web::Data<Exports>,
    ApiUser(actor): ApiUser,
    list: web::Path<ListName>,
) -> AppResult<HttpResponse> {
    export(&db, &exports, actor, list.into_inner(), &req).await
}

async fn page_export(
    req: HttpRequest,
    db: web::Data<Db>,
    exports: web::Data<Exports>,
    WebUser(actor): WebUser,
    list: web::Path<String>,
) -> Result<HttpResponse, crate::web::PageError> {
    let list: ListName = list.parse().map_err(|_| AppError::NotFound)?;
    Ok(export(&db, &exports, actor, list, &req).await?)
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.service(api_export);
}

pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/exports/{list}", web::get().to(page_export));
}
