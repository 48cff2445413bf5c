//! What districts and cities exchange: periods, the figures of a street × industry cell, the
//! bundle (the payload a district signs), and the shapes the federation's API answers with.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The one dataset published so far: oversight's counters.
pub const DATASET: &str = "oversight";

/// A cell describing fewer enterprises than this is sent without its figures.
pub const MIN_ENTERPRISES: i64 = 3;

/// The industry code of work done across industries (an alliance bound to none).
pub const ACROSS_INDUSTRIES: &str = "*";

/// How a published bundle's delivery stands at the district.
pub const DELIVERIES: &[&str] = &["pending", "delivered", "refused", "superseded", "pull"];
/// A district key's status at the city.
pub const KEY_STATUSES: &[&str] = &["active", "retired", "revoked"];
/// A (district, period) at the city: submitted, then approved (locked until a correction).
pub const SCOPE_STATES: &[&str] = &["submitted", "approved"];
/// A district's standing for a period at the city.
pub const STANDINGS: &[&str] = &["received", "awaiting", "missing"];
/// How the city's holding of a period compares with the district's account of it.
pub const RECONCILED: &[&str] = &["match", "behind", "differs", "not_received", "unlisted"];

/// A period figures are published for: a month (`YYYY-MM`) or a year (`YYYY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month(i32, u32),
    Year(i32),
}

impl Period {
    /// `YYYY-MM` or `YYYY`, 2000–2100; anything else is `None`.
    pub fn parse(text: &str) -> Option<Period> {
        let year_of = |y: &str| {
            (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
                .then(|| y.parse::<i32>().ok())
                .flatten()
                .filter(|y| (2000..=2100).contains(y))
        };
        match text.split_once('-') {
            None => year_of(text).map(Period::Year),
            Some((y, m)) => {
                let year = year_of(y)?;
                let month = (m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| m.parse::<u32>().ok())
                    .flatten()
                    .filter(|m| (1..=12).contains(m))?;
                Some(Period::Month(year, month))
            }
        }
    }

    pub fn first_day(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Month(y, m) => (y, m),
            Period::Year(y) => (y, 1),
        };
        NaiveDate::from_ymd_opt(y, m, 1).expect("a checked period")
    }

    pub fn last_day(self) -> NaiveDate {
        let next = match self {
            Period::Month(y, 12) | Period::Year(y) => NaiveDate::from_ymd_opt(y + 1, 1, 1),
            Period::Month(y, m) => NaiveDate::from_ymd_opt(y, m + 1, 1),
        };
        next.and_then(|d| d.pred_opt()).expect("a checked period")
    }

    /// The period before this one (the last month, the last year).
    pub fn previous(self) -> Period {
        match self {
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
            Period::Year(y) => Period::Year(y - 1),
        }
    }

    /// The month `day` falls in.
    pub fn month_of(day: NaiveDate) -> Period {
        Period::Month(day.year(), day.month())
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

/// The counts of one cell (never rates: those are computed from summed counts, at every level).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Enterprises the cell describes (operating, in its street and industry; for work across
    /// industries, the members of those alliances).
    pub enterprises: i64,
    /// Hazards reported in the period (not voided), of them rectified, and rectified on time.
    pub found: i64,
    pub rectified: i64,
    pub on_time: i64,
    /// Hazards overdue, and 重大 hazards open, when the bundle was made.
    pub overdue: i64,
    pub major_open: i64,
    /// Mutual-inspection batches starting in the period, inspections submitted, planned.
    pub inspection_batches: i64,
    pub enterprises_inspected: i64,
    pub inspections_planned: i64,
    /// Events held that started in the period, by kind, and people checked in at them.
    pub trainings: i64,
    pub warning_educations: i64,
    pub exchanges: i64,
    pub attendances: i64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.enterprises += o.enterprises;
        self.found += o.found;
        self.rectified += o.rectified;
        self.on_time += o.on_time;
        self.overdue += o.overdue;
        self.major_open += o.major_open;
        self.inspection_batches += o.inspection_batches;
        self.enterprises_inspected += o.enterprises_inspected;
        self.inspections_planned += o.inspections_planned;
        self.trainings += o.trainings;
        self.warning_educations += o.warning_educations;
        self.exchanges += o.exchanges;
        self.attendances += o.attendances;
    }

    /// Whether every count is whole and not negative.
    pub fn is_sane(&self) -> bool {
        [
            self.enterprises,
            self.found,
            self.rectified,
            self.on_time,
            self.overdue,
            self.major_open,
            self.inspection_batches,
            self.enterprises_inspected,
            self.inspections_planned,
            self.trainings,
            self.warning_educations,
            self.exchanges,
            self.attendances,
        ]
        .iter()
        .all(|n| (0..1_000_000_000_000).contains(n))
            && self.rectified <= self.found
            && self.on_time <= self.rectified
    }

    /// Oversight's figures of these counts, rates computed.
    pub fn figures(&self) -> crate::oversight::model::Figures {
        crate::oversight::model::Figures {
            found: self.found,
            rectified: self.rectified,
            rectification_rate: None,
            on_time: self.on_time,
            overdue: self.overdue,
            major_open: self.major_open,
            inspection_batches: self.inspection_batches,
            enterprises_inspected: self.enterprises_inspected,
            inspections_planned: self.inspections_planned,
            trainings: self.trainings,
            warning_educations: self.warning_educations,
            exchanges: self.exchanges,
            attendances: self.attendances,
        }
        .finish()
    }
}

/// The figures of one street × industry (codes of the district's registered code list). A cell
/// describing fewer than [`MIN_ENTERPRISES`] enterprises is `suppressed` and carries none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// A street's code (or the district's own, for district-wide work).
    pub street: String,
    /// An industry's code (`*`: work across industries).
    pub industry: String,
    #[serde(default)]
    pub suppressed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

/// What a district signs: the figures of one (district, dataset, period) at one revision. It
/// replaces that scope whole at the city. The JWS header names the key (`kid`) among those the
/// city enrolled for the district; nothing in the bundle can add a key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// The district's code.
    pub iss: String,
    /// The city it is meant for.
    pub aud: String,
    /// When it was signed (seconds since 1970).
    pub iat: i64,
    pub dataset: String,
    /// `YYYY-MM` or `YYYY`.
    pub period: String,
    /// 1, then one more for each correction.
    pub revision: i32,
    /// Why a correction corrects (required from revision 2).
    #[serde(default)]
    pub reason: String,
    /// The version of the code list the cells name streets and industries by.
    pub code_list_version: String,
    /// When the figures were counted (RFC 3339).
    pub as_of: String,
    pub cells: Vec<Cell>,
    /// What the district has published of other periods when it signed this one (the latest
    /// revision of each, with its hash): the city's reconciliation compares its own with it.
    #[serde(default)]
    pub manifest: Vec<ManifestEntry>,
}

/// One scope as its publisher last left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    pub dataset: String,
    pub period: String,
    pub revision: i32,
    pub hash: String,
}

/// A district's streets and industries by code, as enrolled at the city.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    /// The district's code and name.
    pub district: Coded,
    pub streets: Vec<Coded>,
    pub industries: Vec<Coded>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Coded {
    pub code: String,
    pub name: String,
}

impl CodeList {
    /// A digest of the codes (not the names): `sha256:` and 16 hex digits.
    pub fn version(&self) -> String {
        let mut streets: Vec<&str> = self.streets.iter().map(|s| s.code.as_str()).collect();
        let mut industries: Vec<&str> = self.industries.iter().map(|s| s.code.as_str()).collect();
        streets.sort_unstable();
        industries.sort_unstable();
        let text = format!(
            "{}|{}|{}",
            self.district.code,
            streets.join(","),
            industries.join(",")
        );
        format!("sha256:{}", &hex(&Sha256::digest(text.as_bytes()))[..16])
    }

    /// Whether a cell may name this street (or the district itself) and industry.
    pub fn admits(&self, street: &str, industry: &str) -> bool {
        (street == self.district.code || self.streets.iter().any(|s| s.code == street))
            && (industry == ACROSS_INDUSTRIES || self.industries.iter().any(|i| i.code == industry))
    }

    pub fn street_name(&self, code: &str) -> String {
        if code == self.district.code {
            return self.district.name.clone();
        }
        self.streets
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| code.to_string())
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (hex) of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_and_print() {
        for (text, ok) in [
            ("2026-11", true),
            ("2026", true),
            ("2026-1", false),
            ("2026-13", false),
            ("1999", false),
            ("26-11", false),
            ("2026-11-01", false),
            ("", false),
        ] {
            let p = Period::parse(text);
            assert_eq!(p.is_some(), ok, "{text}");
            if let Some(p) = p {
                assert_eq!(p.to_string(), text);
            }
        }
        let nov = Period::parse("2026-12").unwrap();
        assert_eq!(
            nov.last_day(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(
            Period::Year(2026).last_day(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(Period::Month(2026, 1).previous(), Period::Month(2025, 12));
    }
}
