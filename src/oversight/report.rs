//! The statistics paragraphs of a district's work report (工作总结), written from the records of
//! the regulator's scope for a year, in the report's own words: how the alliances are organized,
//! what they did (培训讲座、警示教育、经验交流会、互查活动), and the hazard governance figures
//! (排查隐患、整改完成、整改完成率). Every number is a part with the link to its records.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Policy;
use crate::db::types::today;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::message::msg;
use crate::oversight::model::*;
use crate::oversight::{store, summary};

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The year reported on (default: this year).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
}

/// A piece of a paragraph: text, or a number with the link to the records it counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Part {
    pub text: String,
    /// The page listing what the number counts.
    pub link: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub year: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The paragraphs as text.
    pub paragraphs: Vec<String>,
    /// The same paragraphs in parts, each number with its link.
    pub parts: Vec<Vec<Part>>,
    /// The figures the paragraphs are written from.
    pub summary: Summary,
}

/// A paragraph being written.
struct Writer {
    parts: Vec<Part>,
}

impl Writer {
    fn new() -> Self {
        Self { parts: Vec::new() }
    }

    fn say(mut self, text: &str) -> Self {
        self.parts.push(Part {
            text: text.to_string(),
            link: None,
        });
        self
    }

    fn number(mut self, n: impl ToString, link: Option<String>) -> Self {
        self.parts.push(Part {
            text: n.to_string(),
            link,
        });
        self
    }

    fn done(self) -> Vec<Part> {
        self.parts
    }
}

fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => {
            let p = (r * 1000.0).round() / 10.0;
            if p.fract() == 0.0 {
                format!("{p:.0}")
            } else {
                format!("{p:.1}")
            }
        }
        None => "0".into(),
    }
}

pub fn report(conn: &mut AnyConnection, policy: &Policy, q: &ReportQuery) -> AppResult<Report> {
    let this_year = today().year();
    let year = q.year.unwrap_or(this_year);
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field(
            "year",
            msg::BETWEEN.with("min", 2000).with("max", 2100),
        ));
    }
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let last = match year == this_year {
        true => today(),
        false => NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    };
    let sq = SummaryQuery {
        from: Some(first),
        to: Some(last),
        region_id: q.region_id,
        industry_id: q.industry_id,
        alliance_id: None,
    };
    let s = summary::summary(conn, policy, &sq)?;
    let scope = store::scope(conn, policy, &sq)?;
    let levels = store::alliance_levels(conn, &scope)?;
    let mut filters = format!("from={}&to={}", s.from, s.to);
    if let Some(r) = q.region_id {
        filters.push_str(&format!("&region_id={r}"));
    }
    if let Some(i) = q.industry_id {
        filters.push_str(&format!("&industry_id={i}"));
    }
    let link = |path: &str| Some(format!("{path}{filters}"));
    let now_filters: String = filters
        .split('&')
        .filter(|p| !p.starts_with("from=") && !p.starts_with("to="))
        .map(|p| format!("&{p}"))
        .collect();
    let f = &s.figures;
    // Through the alliances: what members found and fixed together.
    let by_alliances = s
        .by_alliance
        .iter()
        .filter(|b| b.key != "0")
        .fold((0, 0), |(found, fixed), b| {
            (found + b.figures.found, fixed + b.figures.rectified)
        });
    let level = |code: &str| {
        levels
            .iter()
            .find(|l| l.0 == code)
            .map(|l| (l.1, l.2))
            .unwrap_or((0, 0))
    };
    let (district, street, zone) = (level("district"), level("street"), level("zone"));

    let mut organized = Writer::new()
        .say("分区、街镇两个层级成立涵盖")
        .number(district.1, Some("/alliances?level=district".into()))
        .say("家企业的")
        .number(district.0, Some("/alliances?level=district".into()))
        .say("个区级“安全联盟”和覆盖")
        .number(street.1, Some("/alliances?level=street".into()))
        .say("家企业的")
        .number(street.0, Some("/alliances?level=street".into()))
        .say("个街镇级“安全联盟”");
    if zone.0 > 0 {
        organized = organized
            .say("，另有功能区“安全联盟”")
            .number(zone.0, Some("/alliances?level=zone".into()))
            .say("个、涵盖企业")
            .number(zone.1, Some("/alliances?level=zone".into()))
            .say("家");
    }
    let organized = organized.say("。").done();

    let year_words = match year == this_year {
        true => "今年以来".to_string(),
        false => format!("{year}年"),
    };
    let alliances = Writer::new()
        .say(&format!("{year_words}，安全联盟累计开展培训讲座"))
        .number(f.trainings, link("/oversight/events?kind=training&"))
        .say("次、警示教育")
        .number(
            f.warning_educations,
            link("/oversight/events?kind=warning_education&"),
        )
        .say("次、经验交流会")
        .number(
            f.exchanges,
            link("/oversight/events?kind=experience_exchange&"),
        )
        .say("次（参加")
        .number(f.attendances, link("/oversight/events?"))
        .say("人次）、互查活动")
        .number(f.inspection_batches, link("/oversight/batches?"))
        .say("批")
        .number(f.enterprises_inspected, link("/oversight/inspections?"))
        .say("家次企业，通过联盟发现安全隐患")
        .number(by_alliances.0, None)
        .say("项、消除")
        .number(by_alliances.1, None)
        .say("项。")
        .done();

    let governance = Writer::new()
        .say(&format!("{year_words}，"))
        .say("排查隐患")
        .number(f.found, link("/findings?state=all&voided=false&"))
        .say("项，整改完成")
        .number(f.rectified, link("/findings?state=closed&"))
        .say("项，整改完成率达")
        .number(format!("{}％", percent(f.rectification_rate)), None)
        .say("；目前尚有")
        .number(
            f.overdue,
            Some(format!("/findings?state=open&overdue=true{now_filters}")),
        )
        .say("项隐患逾期未整改、")
        .number(
            f.major_open,
            Some(format!("/findings?state=open&grade=major{now_filters}")),
        )
        .say("项重大隐患未销号。")
        .done();

    let parts = vec![organized, alliances, governance];
    let paragraphs = parts
        .iter()
        .map(|p| p.iter().map(|x| x.text.as_str()).collect::<String>())
        .collect();
    Ok(Report {
        year,
        from: s.from,
        to: s.to,
        paragraphs,
        parts,
        summary: s,
    })
}
