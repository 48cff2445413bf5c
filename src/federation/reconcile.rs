//! The city's reconciliation: per district and period, the city's revision and hash beside the
//! district's own account of what it published (the manifest of the last bundle it sent), and
//! the revisions that never arrived.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Policy;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::federation::city::{require_reader, scope_rows};
use crate::federation::keys::payload_bytes;
use crate::federation::model::*;
use crate::federation::registry::{self, DistrictRow};
use crate::federation::schema::federation_bundles as bundles;

/// One scope, as the city holds it and as the district last said it published it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reconciled {
    pub district: String,
    pub period: String,
    pub city_revision: Option<i32>,
    pub city_hash: Option<String>,
    pub district_revision: Option<i32>,
    pub district_hash: Option<String>,
    /// Revisions below the city's that never reached it.
    pub missing_revisions: Vec<i32>,
    /// `match`, `behind` (the district published a later revision), `differs` (same revision,
    /// other hash), `not_received` or `unlisted` (the district's last word does not name it).
    pub status: String,
}

/// Per district and period: the city's revision and hash beside the district's, from the
/// manifest of the last bundle the district sent, and the revisions that never arrived.
pub fn reconciliation(conn: &mut AnyConnection, policy: &Policy) -> AppResult<Vec<Reconciled>> {
    require_reader(policy)?;
    let held = scope_rows(conn)?;
    let archive: Vec<(String, String, i32, String, String)> = bundles::table
        .filter(bundles::dataset.eq(DATASET))
        .order(bundles::id.asc())
        .select((
            bundles::district_code,
            bundles::period,
            bundles::revision,
            bundles::hash,
            bundles::bundle,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for d in registry::district_rows(conn)? {
        let theirs = district_word(&d, &archive);
        let mut periods: BTreeSet<String> = theirs.keys().cloned().collect();
        periods.extend(held.iter().filter(|s| s.0 == d.code).map(|s| s.1.clone()));
        for period in periods {
            let city = held.iter().find(|s| s.0 == d.code && s.1 == period);
            let said = theirs.get(&period);
            let got: BTreeSet<i32> = archive
                .iter()
                .filter(|b| b.0 == d.code && b.1 == period)
                .map(|b| b.2)
                .collect();
            let top = city
                .map(|c| c.2)
                .unwrap_or(0)
                .max(said.map(|s| s.0).unwrap_or(0));
            let status = match (city, said) {
                (None, _) => "not_received",
                (Some(_), None) => "unlisted",
                (Some(c), Some(s)) if c.2 < s.0 => "behind",
                (Some(c), Some(s)) if c.2 == s.0 && c.3 != s.1 => "differs",
                _ => "match",
            };
            out.push(Reconciled {
                district: d.code.clone(),
                period: period.clone(),
                city_revision: city.map(|c| c.2),
                city_hash: city.map(|c| c.3.clone()),
                district_revision: said.map(|s| s.0),
                district_hash: said.map(|s| s.1.clone()),
                missing_revisions: (1..top).filter(|r| !got.contains(r)).collect(),
                status: status.into(),
            });
        }
    }
    Ok(out)
}

/// What a district said it had published, as of the last bundle it sent: that bundle's own
/// scope and its manifest.
fn district_word(
    d: &DistrictRow,
    archive: &[(String, String, i32, String, String)],
) -> BTreeMap<String, (i32, String)> {
    let mut word = BTreeMap::new();
    let Some(last) = archive.iter().rev().find(|b| b.0 == d.code) else {
        return word;
    };
    if let Some(bundle) =
        payload_bytes(&last.4).and_then(|bytes| serde_json::from_slice::<Bundle>(&bytes).ok())
    {
        for m in bundle.manifest.into_iter().filter(|m| m.dataset == DATASET) {
            word.insert(m.period, (m.revision, m.hash));
        }
    }
    word.insert(last.1.clone(), (last.2, last.3.clone()));
    word
}
