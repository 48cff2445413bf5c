//! The template files a district fills in: the columns an import reads (required ones marked),
//! and, in the workbook, a second sheet with the streets and industries it may name.

use rust_xlsxwriter::{Format, Workbook};

use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::onboarding::columns;
use crate::onboarding::model::ImportKind;
use crate::org::store;

fn headers(kind: ImportKind) -> Vec<String> {
    columns(kind)
        .iter()
        .map(|c| c.headers[0].to_string())
        .collect()
}

/// The template as CSV: the header line, UTF-8 with a byte-order mark (so Excel reads Chinese).
pub fn csv(kind: ImportKind) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&headers(kind).join(","));
    out.push_str("\r\n");
    out.into_bytes()
}

/// The template as a workbook: the header row on the first sheet (text-formatted columns, so
/// credit codes and phone numbers stay text), the names it may use on the second.
pub fn xlsx(conn: &mut AnyConnection, kind: ImportKind) -> AppResult<Vec<u8>> {
    let e = AppError::internal;
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let sheet = book.add_worksheet();
    sheet.set_name("导入").map_err(e)?;
    for (c, column) in columns(kind).iter().enumerate() {
        let c = c as u16;
        let header = if column.required {
            format!("{}*", column.headers[0])
        } else {
            column.headers[0].to_string()
        };
        sheet
            .write_string_with_format(0, c, &header, &bold)
            .map_err(e)?;
        sheet.set_column_width(c, 22).map_err(e)?;
        sheet.set_column_format(c, &text).map_err(e)?;
    }
    match kind {
        ImportKind::Enterprises => {
            let names = book.add_worksheet();
            names.set_name("可填写的名称").map_err(e)?;
            let titles = [
                "街道/功能区",
                "代码",
                "",
                "行业",
                "代码",
                "主管部门",
                "",
                "规模",
            ];
            for (c, title) in titles.iter().enumerate() {
                names
                    .write_string_with_format(0, c as u16, *title, &bold)
                    .map_err(e)?;
            }
            for (r, region) in store::regions(conn)?.iter().enumerate() {
                let r = r as u32 + 1;
                names.write_string(r, 0, &region.name).map_err(e)?;
                names.write_string(r, 1, &region.code).map_err(e)?;
            }
            for (r, industry) in store::industries(conn)?.iter().enumerate() {
                let r = r as u32 + 1;
                names.write_string(r, 3, &industry.name).map_err(e)?;
                names.write_string(r, 4, &industry.code).map_err(e)?;
                names.write_string(r, 5, &industry.department).map_err(e)?;
            }
            names.write_string(1, 7, "规上").map_err(e)?;
            names.write_string(2, 7, "小微").map_err(e)?;
            names.set_column_width(0, 18).map_err(e)?;
            names.set_column_width(3, 24).map_err(e)?;
            names.set_column_width(5, 18).map_err(e)?;
        }
        ImportKind::Rosters => {
            let names = book.add_worksheet();
            names.set_name("可填写的名称").map_err(e)?;
            names
                .write_string_with_format(0, 0, "联盟名称", &bold)
                .map_err(e)?;
            names
                .write_string_with_format(0, 2, "角色", &bold)
                .map_err(e)?;
            use diesel::prelude::*;
            let alliances: Vec<String> = crate::db::schema::alliances::table
                .order(crate::db::schema::alliances::name)
                .select(crate::db::schema::alliances::name)
                .load(conn)?;
            for (r, name) in alliances.iter().enumerate() {
                names.write_string(r as u32 + 1, 0, name).map_err(e)?;
            }
            names.write_string(1, 2, "牵头").map_err(e)?;
            names.write_string(2, 2, "成员").map_err(e)?;
            names.set_column_width(0, 36).map_err(e)?;
        }
        ImportKind::Users => {}
    }
    book.save_to_buffer().map_err(e)
}
