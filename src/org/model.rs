//! Regions, industries, enterprises, alliances and memberships: rows and API shapes.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::db::ids::{AllianceId, EnterpriseId, IndustryId, RegionId};
use crate::db::schema::{alliances, enterprises, industries, memberships, regions};
use crate::db::types::local;

/// The longest texts of enterprises and alliances, in characters: checked by the service and
/// stated in the API document through [`TEXT_LIMITS`].
pub mod max {
    pub const ENTERPRISE_NAME: usize = 200;
    pub const ADDRESS: usize = 300;
    pub const CONTACT_NAME: usize = 100;
    pub const CONTACT_PHONE: usize = 40;
    pub const ALLIANCE_NAME: usize = 100;
}

/// (schema, field, longest text) for the API document.
pub const TEXT_LIMITS: &[(&str, &str, usize)] = &[
    ("NewEnterprise", "name", max::ENTERPRISE_NAME),
    ("NewEnterprise", "address", max::ADDRESS),
    ("NewEnterprise", "contact_name", max::CONTACT_NAME),
    ("NewEnterprise", "contact_phone", max::CONTACT_PHONE),
    ("EnterprisePatch", "name", max::ENTERPRISE_NAME),
    ("EnterprisePatch", "address", max::ADDRESS),
    ("EnterprisePatch", "contact_name", max::CONTACT_NAME),
    ("EnterprisePatch", "contact_phone", max::CONTACT_PHONE),
    ("NewAlliance", "name", max::ALLIANCE_NAME),
    ("AlliancePatch", "name", max::ALLIANCE_NAME),
];

crate::text_enum! {
    /// 区 (district), 街镇 (street/town) or 功能区 (functional zone).
    pub enum RegionLevel {
        District = "district",
        Street = "street",
        Zone = "zone",
    }
}

crate::text_enum! {
    /// 规上 (above designated size) or 小微 (small and micro).
    pub enum Scale {
        AboveScale = "above_scale",
        SmallMicro = "small_micro",
    }
}

crate::text_enum! {
    /// 区级 (district, by industry), 街镇级 (street) or 功能区 (zone) alliance.
    pub enum AllianceLevel {
        District = "district",
        Street = "street",
        Zone = "zone",
    }
}

crate::text_enum! {
    /// 牵头企业 (lead) or 成员 (member).
    pub enum MemberRole {
        Lead = "lead",
        Member = "member",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = regions)]
pub struct Region {
    pub id: RegionId,
    pub parent_id: Option<RegionId>,
    pub level: RegionLevel,
    pub name: String,
    pub code: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = industries)]
pub struct Industry {
    pub id: IndustryId,
    pub code: String,
    pub name: String,
    /// The supervising department (行业主管部门), e.g. 区住建局.
    pub department: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = enterprises)]
pub struct EnterpriseRow {
    pub id: EnterpriseId,
    pub name: String,
    pub credit_code: String,
    pub region_id: RegionId,
    pub industry_id: IndustryId,
    pub scale: Scale,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The day it closed (停业注销); none while it operates.
    pub closed_on: Option<NaiveDate>,
}

/// An enterprise as the API shows it. Contact details (`address`, `contact_name`,
/// `contact_phone`) are null for a viewer who only shares an alliance with it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enterprise {
    pub id: EnterpriseId,
    pub name: String,
    /// 统一社会信用代码 (18 characters, GB 32100-2015).
    pub credit_code: String,
    pub region_id: RegionId,
    pub industry_id: IndustryId,
    pub scale: Scale,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    /// The day it closed: its users can no longer log in, its memberships ended, its findings
    /// and history stay. Null while it operates.
    pub closed_on: Option<NaiveDate>,
}

impl Enterprise {
    pub fn from_row(row: EnterpriseRow, with_contact: bool) -> Self {
        let contact = |v: String| with_contact.then_some(v);
        Self {
            id: row.id,
            name: row.name,
            credit_code: row.credit_code,
            region_id: row.region_id,
            industry_id: row.industry_id,
            scale: row.scale,
            address: contact(row.address),
            contact_name: contact(row.contact_name),
            contact_phone: contact(row.contact_phone),
            created_at: local(row.created_at),
            updated_at: local(row.updated_at),
            closed_on: row.closed_on,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnterprise {
    #[schema(min_length = 1, pattern = "\\S")]
    pub name: String,
    /// 18 characters, GB 32100-2015, with a valid check character.
    #[schema(
        pattern = "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$"
    )]
    pub credit_code: String,
    pub region_id: RegionId,
    pub industry_id: IndustryId,
    pub scale: Scale,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    #[schema(pattern = "^[0-9+() -]*$")]
    pub contact_phone: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EnterprisePatch {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub scale: Option<Scale>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

impl EnterprisePatch {
    /// Whether the patch touches only the fields an enterprise may keep up to date itself.
    pub fn only_contact_fields(&self) -> bool {
        self.name.is_none()
            && self.credit_code.is_none()
            && self.region_id.is_none()
            && self.industry_id.is_none()
            && self.scale.is_none()
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// Part of the name or of the credit code.
    pub q: Option<String>,
    /// Region, including its sub-regions.
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub scale: Option<Scale>,
    /// Current members of this alliance.
    pub alliance_id: Option<AllianceId>,
    /// Only current members of some alliance (or, `false`, of none).
    pub in_alliance: Option<bool>,
    /// `name`, `-name`, `id`, `-id`, `created_at`, `-created_at`.
    #[param(pattern = "^-?(name|id|created_at)$")]
    pub sort: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = alliances)]
pub struct AllianceRow {
    pub id: AllianceId,
    pub name: String,
    pub level: AllianceLevel,
    pub region_id: RegionId,
    pub industry_id: Option<IndustryId>,
    pub lead_enterprise_id: EnterpriseId,
    pub founded_on: NaiveDate,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alliance {
    pub id: AllianceId,
    pub name: String,
    pub level: AllianceLevel,
    pub region_id: RegionId,
    pub industry_id: Option<IndustryId>,
    pub lead_enterprise_id: EnterpriseId,
    pub founded_on: NaiveDate,
    /// Current members, the lead included.
    pub member_count: i64,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl Alliance {
    pub fn from_row(row: AllianceRow, member_count: i64) -> Self {
        Self {
            id: row.id,
            name: row.name,
            level: row.level,
            region_id: row.region_id,
            industry_id: row.industry_id,
            lead_enterprise_id: row.lead_enterprise_id,
            founded_on: row.founded_on,
            member_count,
            created_at: local(row.created_at),
            updated_at: local(row.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlliance {
    pub name: String,
    pub level: AllianceLevel,
    pub region_id: RegionId,
    #[serde(default)]
    pub industry_id: Option<IndustryId>,
    pub lead_enterprise_id: EnterpriseId,
    /// Defaults to today.
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub founded_on: Option<NaiveDate>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AlliancePatch {
    pub name: Option<String>,
    /// Appoints a new lead; the former lead stays a member.
    pub lead_enterprise_id: Option<EnterpriseId>,
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub founded_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllianceQuery {
    pub q: Option<String>,
    pub level: Option<AllianceLevel>,
    /// Region, including its sub-regions.
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    /// Alliances this enterprise currently belongs to.
    pub enterprise_id: Option<EnterpriseId>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct MembershipRow {
    pub id: i64,
    pub alliance_id: AllianceId,
    pub enterprise_id: EnterpriseId,
    pub role: MemberRole,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub enterprise_id: EnterpriseId,
    pub enterprise_name: String,
    pub role: MemberRole,
    pub joined_on: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub enterprise_id: EnterpriseId,
    /// Defaults to today.
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub joined_on: Option<NaiveDate>,
}
