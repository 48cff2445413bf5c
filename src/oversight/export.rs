//! The dashboard's figures as a workbook (one sheet per table, Chinese headers, the header row
//! frozen, numbers and rates formatted) and any one of its tables as CSV (UTF-8 with a BOM).

use rust_xlsxwriter::{Format, Workbook, Worksheet};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult};
use crate::oversight::model::*;

/// The tables of the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Overview,
    #[default]
    ByAlliance,
    ByStreet,
    ByIndustry,
    ByCategory,
    ByMonth,
}

/// The summary's filters, and for CSV the table wanted.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub from: Option<chrono::NaiveDate>,
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub to: Option<chrono::NaiveDate>,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub alliance_id: Option<AllianceId>,
    /// CSV only: which table (default `by_alliance`).
    #[param(inline)]
    pub table: Option<Table>,
}

impl ExportQuery {
    pub fn summary(&self) -> SummaryQuery {
        SummaryQuery {
            from: self.from,
            to: self.to,
            region_id: self.region_id,
            industry_id: self.industry_id,
            alliance_id: self.alliance_id,
        }
    }
}

const SHEETS: [(Table, &str); 6] = [
    (Table::Overview, "总览"),
    (Table::ByAlliance, "按联盟"),
    (Table::ByStreet, "按街道"),
    (Table::ByIndustry, "按行业"),
    (Table::ByCategory, "按隐患类别"),
    (Table::ByMonth, "按月份"),
];

const HEADERS: [&str; 14] = [
    "名称",
    "发现隐患（项）",
    "整改完成（项）",
    "整改完成率",
    "按期整改（项）",
    "当前逾期（项）",
    "重大隐患未销号（项）",
    "互查批次（批）",
    "计划互查（家次）",
    "互查企业（家次）",
    "培训讲座（次）",
    "警示教育（次）",
    "经验交流会（次）",
    "参加人次",
];

fn category_name(code: &str) -> &str {
    match code {
        "safety_management" => "安全管理",
        "process" => "工艺",
        "electrical" => "电气",
        "instrument" => "仪表",
        "fire" => "消防",
        "layout" => "总图",
        "equipment" => "设备",
        "other" => "其他",
        other => other,
    }
}

/// A cell: a count, a rate (0–1), a score (out of 100), or text.
enum Cell {
    Count(i64),
    Rate(Option<f64>),
    Score(Option<f64>),
    Text(String),
}

fn figures_row(name: String, f: &Figures) -> Vec<Cell> {
    vec![
        Cell::Text(name),
        Cell::Count(f.found),
        Cell::Count(f.rectified),
        Cell::Rate(f.rectification_rate),
        Cell::Count(f.on_time),
        Cell::Count(f.overdue),
        Cell::Count(f.major_open),
        Cell::Count(f.inspection_batches),
        Cell::Count(f.inspections_planned),
        Cell::Count(f.enterprises_inspected),
        Cell::Count(f.trainings),
        Cell::Count(f.warning_educations),
        Cell::Count(f.exchanges),
        Cell::Count(f.attendances),
    ]
}

/// A table of the summary: its header and rows.
fn table(s: &Summary, which: Table) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let named = |list: &[Breakdown], none: &str| -> Vec<Vec<Cell>> {
        list.iter()
            .map(|b| {
                let name = match (b.key.as_str(), which) {
                    ("0", Table::ByAlliance) => none.to_string(),
                    (_, Table::ByCategory) => category_name(&b.key).to_string(),
                    _ => b.name.clone(),
                };
                figures_row(name, &b.figures)
            })
            .collect()
    };
    match which {
        Table::Overview => {
            let f = &s.figures;
            let line = |k: &str, c: Cell| vec![Cell::Text(k.to_string()), c];
            let rows = vec![
                line("统计期间", Cell::Text(format!("{} 至 {}", s.from, s.to))),
                line("入盟企业（家）", Cell::Count(s.enterprises)),
                line("企业总数（家）", Cell::Count(s.enterprises_total)),
                line("安全联盟（个）", Cell::Count(s.alliances)),
                line("互查批次（批）", Cell::Count(f.inspection_batches)),
                line("计划互查（家次）", Cell::Count(f.inspections_planned)),
                line("互查企业（家次）", Cell::Count(f.enterprises_inspected)),
                line("培训讲座（次）", Cell::Count(f.trainings)),
                line("警示教育（次）", Cell::Count(f.warning_educations)),
                line("经验交流会（次）", Cell::Count(f.exchanges)),
                line("参加人次", Cell::Count(f.attendances)),
                line("发现隐患（项）", Cell::Count(f.found)),
                line("整改完成（项）", Cell::Count(f.rectified)),
                line("整改完成率", Cell::Rate(f.rectification_rate)),
                line("按期整改（项）", Cell::Count(f.on_time)),
                line("当前逾期（项）", Cell::Count(f.overdue)),
                line("重大隐患未销号（项）", Cell::Count(f.major_open)),
                line("未整改隐患（项）", Cell::Count(s.open)),
                line("待验收（项）", Cell::Count(s.awaiting_review)),
            ];
            (vec!["指标", "数值"], rows)
        }
        Table::ByAlliance => (HEADERS.to_vec(), named(&s.by_alliance, "非联盟渠道")),
        Table::ByStreet => (HEADERS.to_vec(), named(&s.by_street, "")),
        Table::ByIndustry => (HEADERS.to_vec(), named(&s.by_industry, "")),
        Table::ByCategory => (HEADERS.to_vec(), named(&s.by_category, "")),
        Table::ByMonth => (HEADERS.to_vec(), named(&s.by_month, "")),
    }
}

fn sheet(
    book: &mut Workbook,
    name: &str,
    (header, rows): (Vec<&str>, Vec<Vec<Cell>>),
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let bold = Format::new().set_bold().set_background_color("#F3F4F6");
    let count = Format::new().set_num_format("#,##0");
    let rate = Format::new().set_num_format("0.0%");
    let score = Format::new().set_num_format("0.0");
    let sheet: &mut Worksheet = book.add_worksheet();
    sheet.set_name(name)?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Count(n) => sheet.write_number_with_format(r, c, *n as f64, &count)?,
                Cell::Rate(Some(x)) => sheet.write_number_with_format(r, c, *x, &rate)?,
                Cell::Rate(None) | Cell::Score(None) => sheet.write_string(r, c, "—")?,
                Cell::Score(Some(x)) => sheet.write_number_with_format(r, c, *x, &score)?,
                Cell::Text(t) => sheet.write_string(r, c, t)?,
            };
        }
    }
    sheet.set_column_width(0, 26)?;
    for c in 1..header.len() as u16 {
        sheet.set_column_width(c, 14)?;
    }
    Ok(())
}

/// The whole dashboard as a workbook.
pub fn xlsx(s: &Summary) -> AppResult<Vec<u8>> {
    let mut book = Workbook::new();
    for (which, name) in SHEETS {
        sheet(&mut book, name, table(s, which)).map_err(AppError::internal)?;
    }
    book.save_to_buffer().map_err(AppError::internal)
}

/// One table as CSV.
pub fn csv(s: &Summary, which: Table) -> Vec<u8> {
    let (header, rows) = table(s, which);
    csv_of(header, rows)
}

fn csv_of(header: Vec<&str>, rows: Vec<Vec<Cell>>) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Count(n) => n.to_string(),
                Cell::Rate(Some(x)) => format!("{:.1}%", x * 100.0),
                Cell::Score(Some(x)) => format!("{x:.1}"),
                Cell::Rate(None) | Cell::Score(None) => String::new(),
                Cell::Text(t) => crate::api::csv_field(t),
            })
            .collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The file name of an export of the period.
pub fn file_name(s: &Summary, ext: &str) -> String {
    format!(
        "oversight-{}-{}.{ext}",
        s.from.format("%Y%m"),
        s.to.format("%Y%m")
    )
}

const EVALUATION_HEADERS: [&str; 18] = [
    "排名",
    "名称",
    "得分",
    "上月得分",
    "名次变化",
    "成员企业（家）",
    "计划互查（家次）",
    "完成互查（家次）",
    "互查完成率",
    "发现隐患（项）",
    "整改完成（项）",
    "整改完成率",
    "按期整改率",
    "逾期隐患（项）",
    "开展活动（次）",
    "报名人数",
    "参加人次",
    "参训率",
];

fn evaluation_rows(list: &[crate::oversight::evaluations::Evaluation]) -> Vec<Vec<Cell>> {
    list.iter()
        .map(|e| {
            let m = &e.metrics;
            vec![
                Cell::Count(i64::from(e.rank)),
                Cell::Text(e.name.clone()),
                Cell::Score(Some(e.score)),
                Cell::Score(e.previous_score),
                Cell::Text(match e.rank_change {
                    Some(c) if c > 0 => format!("↑{c}"),
                    Some(c) if c < 0 => format!("↓{}", -c),
                    Some(_) => "—".into(),
                    None => String::new(),
                }),
                Cell::Count(m.members),
                Cell::Count(m.inspections_planned),
                Cell::Count(m.inspections_completed),
                Cell::Rate(m.inspection_rate),
                Cell::Count(m.found),
                Cell::Count(m.rectified),
                Cell::Rate(m.rectification_rate),
                Cell::Rate(m.on_time_rate),
                Cell::Count(m.overdue),
                Cell::Count(m.events_held),
                Cell::Count(m.registered),
                Cell::Count(m.attended),
                Cell::Rate(m.attendance_rate),
            ]
        })
        .collect()
}

/// A month's evaluation as a workbook: alliances, streets, warning notices.
pub fn evaluation_xlsx(e: &crate::oversight::evaluations::MonthlyEvaluation) -> AppResult<Vec<u8>> {
    let mut book = Workbook::new();
    for (name, list) in [
        ("联盟排名", &e.alliances),
        ("街道排名", &e.streets),
        ("警示告知", &e.warnings),
    ] {
        sheet(
            &mut book,
            name,
            (EVALUATION_HEADERS.to_vec(), evaluation_rows(list)),
        )
        .map_err(AppError::internal)?;
    }
    book.save_to_buffer().map_err(AppError::internal)
}

/// A month's alliances (or, `streets`, streets) as CSV.
pub fn evaluation_csv(
    e: &crate::oversight::evaluations::MonthlyEvaluation,
    streets: bool,
) -> Vec<u8> {
    let list = if streets { &e.streets } else { &e.alliances };
    csv_of(EVALUATION_HEADERS.to_vec(), evaluation_rows(list))
}
