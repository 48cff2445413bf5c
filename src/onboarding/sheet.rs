//! Reading a spreadsheet a district already has into rows of named fields: XLSX and XLS through
//! calamine, CSV through the csv crate (UTF-8 with or without a BOM, UTF-16 with a BOM, or GBK
//! as Excel on a Chinese Windows writes it). Nothing here knows what the fields mean; each kind of
//! import names its columns in a [`Columns`] list.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::message::msg;

/// The most data rows one file may hold: a district's registry is some thousands of rows; a
/// file far beyond that is a mistake (or junk) and is refused before any work is done on it.
pub const MAX_ROWS: usize = 50_000;

/// How far down a sheet its header row is looked for (title rows and notes come first).
const HEADER_SEARCH_ROWS: usize = 10;

/// One column an import understands: its field, and the headers it is known by (compared
/// without spaces, case or a trailing note in brackets).
pub struct Column {
    pub field: &'static str,
    pub headers: &'static [&'static str],
    pub required: bool,
}

pub type Columns = [Column];

/// One data row: its row number as the spreadsheet shows it (1-based, header included) and
/// its non-blank cells by field.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub row: u32,
    pub cells: HashMap<String, String>,
}

impl Record {
    /// The cell of a field, `""` when blank or absent.
    pub fn get(&self, field: &str) -> &str {
        self.cells.get(field).map_or("", String::as_str)
    }
}

/// A file read into records, with the header text of each field (for messages that name the
/// column as the user's file names it) and the headers nobody understood.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Table {
    pub headers: HashMap<String, String>,
    pub ignored: Vec<String>,
    pub records: Vec<Record>,
}

impl Table {
    /// The column header a field was read from, or the field itself.
    pub fn header<'a>(&'a self, field: &'a str) -> &'a str {
        self.headers.get(field).map_or(field, String::as_str)
    }
}

/// Full-width ASCII (Ａ１２，＋) and the ideographic space as their ordinary forms: what an IME
/// in full-width mode types into credit codes, phone numbers and emails.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A cell's text without the spaces (ordinary, ideographic or non-breaking) around it.
fn clean(text: &str) -> String {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{FEFF}')
        .to_string()
}

/// A header as compared: half-width, lower case, without spaces, `*` marks or a trailing
/// bracketed note ("联系电话（手机）", "企业名称*").
fn header_key(text: &str) -> String {
    let text = half_width(text);
    let text = text.split(['(', '[', '（', '【']).next().unwrap_or("");
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn field_of(columns: &Columns, header: &str) -> Option<&'static str> {
    let key = header_key(header);
    if key.is_empty() {
        return None;
    }
    columns
        .iter()
        .find(|c| c.headers.iter().any(|h| header_key(h) == key))
        .map(|c| c.field)
}

/// What a cell of a workbook reads as: numbers stored as numbers lose their `.0`
/// (13800138000, not 1.38e10), everything else its text.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => clean(s),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(_) => String::new(),
    }
}

/// A line of cells with its row number as a spreadsheet program shows it (1-based).
type Line = (u32, Vec<String>);

/// The file as lines of cells, whatever kind of file it is.
fn grid(bytes: &[u8]) -> AppResult<Vec<Line>> {
    if bytes.starts_with(b"PK\x03\x04") {
        let mut book = calamine::Xlsx::new(Cursor::new(bytes))
            .map_err(|e| AppError::field("file", msg::IMPORT_UNREADABLE.detailed(e.to_string())))?;
        let merged = book.merge_cells_by_sheet_id(0).unwrap_or_default();
        let range = first_sheet(&mut book)?;
        Ok(numbered(
            fill_merged(workbook_lines(&range), range.start(), &merged),
            range.start(),
        ))
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        let mut book = calamine::Xls::new(Cursor::new(bytes))
            .map_err(|e| AppError::field("file", msg::IMPORT_UNREADABLE.detailed(e.to_string())))?;
        let merged = book.merge_cells_by_sheet_id(0).unwrap_or_default();
        let range = first_sheet(&mut book)?;
        Ok(numbered(
            fill_merged(workbook_lines(&range), range.start(), &merged),
            range.start(),
        ))
    } else {
        csv_lines(&decode(bytes)?)
    }
}

fn first_sheet<R, RS>(book: &mut R) -> AppResult<calamine::Range<Data>>
where
    R: Reader<RS>,
    R::Error: std::fmt::Display,
    RS: std::io::Read + std::io::Seek,
{
    match book.worksheet_range_at(0) {
        Some(Ok(range)) => Ok(range),
        Some(Err(e)) => Err(AppError::field(
            "file",
            msg::IMPORT_UNREADABLE.detailed(e.to_string()),
        )),
        None => Err(AppError::field("file", msg::IMPORT_NO_HEADER)),
    }
}

/// Workbook lines numbered from where the sheet's used range begins.
fn numbered(lines: Vec<Vec<String>>, start: Option<(u32, u32)>) -> Vec<Line> {
    let top = start.map_or(0, |(row, _)| row);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| (top + i as u32 + 1, line))
        .collect()
}

fn workbook_lines(range: &calamine::Range<Data>) -> Vec<Vec<String>> {
    range
        .rows()
        .take(MAX_ROWS + HEADER_SEARCH_ROWS + 1)
        .map(|row| row.iter().map(cell_text).collect())
        .collect()
}

/// Merged cells read as their value in every cell they cover (a street written once for the
/// block of enterprises beside it). `start` is where the range begins on the sheet.
fn fill_merged(
    mut lines: Vec<Vec<String>>,
    start: Option<(u32, u32)>,
    merged: &[calamine::Dimensions],
) -> Vec<Vec<String>> {
    let (top, left) = start.unwrap_or((0, 0));
    for m in merged {
        let (r0, c0) = (
            m.start.0.saturating_sub(top) as usize,
            m.start.1.saturating_sub(left) as usize,
        );
        let (r1, c1) = (
            m.end.0.saturating_sub(top) as usize,
            m.end.1.saturating_sub(left) as usize,
        );
        let Some(value) = lines.get(r0).and_then(|l| l.get(c0)).cloned() else {
            continue;
        };
        for line in lines.iter_mut().take(r1 + 1).skip(r0) {
            for c in c0..=c1 {
                if let Some(cell) = line.get_mut(c) {
                    if cell.is_empty() {
                        cell.clone_from(&value);
                    }
                }
            }
        }
    }
    lines
}

/// The text of a CSV file: UTF-8 (a BOM is dropped), UTF-16 with its BOM, or GBK/GB18030. A
/// file in none of them, or one with control characters no spreadsheet writes, is refused.
fn decode(bytes: &[u8]) -> AppResult<String> {
    let head = &bytes[..bytes.len().min(8192)];
    let binary = [
        b"\xFF\xD8\xFF".as_slice(),
        b"\x89PNG",
        b"%PDF",
        b"GIF8",
        b"\x1F\x8B",
        b"Rar!",
        b"7z\xBC\xAF",
    ];
    if encoding_rs::Encoding::for_bom(bytes).is_none()
        && (head.contains(&0) || binary.iter().any(|m| bytes.starts_with(m)))
    {
        return Err(AppError::field("file", msg::IMPORT_NOT_SPREADSHEET));
    }
    let text = if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(AppError::field("file", msg::IMPORT_ENCODING));
        }
        text.into_owned()
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        text.to_string()
    } else {
        match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(text) => text.into_owned(),
            None => return Err(AppError::field("file", msg::IMPORT_ENCODING)),
        }
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err(AppError::field("file", msg::IMPORT_NOT_SPREADSHEET));
    }
    Ok(text)
}

/// A CSV cell without the `'` a spreadsheet export puts before `=`, `+`, `-` or `@` (so that
/// they are not read as formulas): the platform's own CSV exports import back as they were.
fn unquoted(cell: &str) -> String {
    let cell = clean(cell);
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_string(),
        _ => cell,
    }
}

/// CSV lines, numbered as a spreadsheet program shows them (the reader skips blank lines, which a
/// spreadsheet program shows as rows); a file whose first line has tabs and no commas is read as
/// tab-separated (what "Unicode text" from Excel is).
fn csv_lines(text: &str) -> AppResult<Vec<Line>> {
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains('\t') && !first.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut lines = Vec::new();
    // The row number so far, and where the previous record ended.
    let (mut row, mut ended) = (0usize, 0usize);
    let mut record = csv::StringRecord::new();
    let unreadable =
        |e: csv::Error| AppError::field("file", msg::IMPORT_UNREADABLE.detailed(e.to_string()));
    while reader.read_record(&mut record).map_err(unreadable)? {
        // A row follows the previous one, after the blank lines the reader skipped (line
        // breaks inside a quoted cell do not make rows).
        let at = record
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(text.len());
        let begins = text.len() - text[at..].trim_start_matches(['\r', '\n']).len();
        let mut gap = &text[ended.min(begins)..begins];
        if text[..ended.min(begins)].ends_with('\r') {
            gap = gap.strip_prefix('\n').unwrap_or(gap); // the rest of the last row's "\r\n"
        }
        let blank = gap.matches('\n').count();
        row += 1 + blank;
        ended = (reader.position().byte() as usize).min(text.len());
        lines.push((row as u32, record.iter().map(unquoted).collect()));
        if lines.len() > MAX_ROWS + HEADER_SEARCH_ROWS {
            break;
        }
    }
    Ok(lines)
}

/// Reads a file into records of the given columns: finds the header row among the first lines
/// (the first that names at least two known columns), requires the required columns, skips
/// blank lines and refuses a file with more than [`MAX_ROWS`] data rows.
pub fn read(bytes: &[u8], columns: &Columns) -> AppResult<Table> {
    if bytes.is_empty() {
        return Err(AppError::field("file", msg::IMPORT_EMPTY));
    }
    let lines = grid(bytes)?;
    let header_at = lines
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, line)| {
            let mut fields: Vec<&str> = line.iter().filter_map(|h| field_of(columns, h)).collect();
            fields.dedup();
            fields.len() >= 2.min(columns.len())
        })
        .ok_or_else(|| AppError::field("file", msg::IMPORT_NO_HEADER))?;
    let mut by_index: Vec<(usize, &'static str)> = Vec::new();
    let mut headers = HashMap::new();
    let mut ignored = Vec::new();
    for (i, text) in lines[header_at].1.iter().enumerate() {
        match field_of(columns, text) {
            Some(field) if !headers.contains_key(field) => {
                headers.insert(field.to_string(), text.clone());
                by_index.push((i, field));
            }
            Some(_) => {
                return Err(AppError::field(
                    "file",
                    msg::IMPORT_DUPLICATE_COLUMN.with("column", text),
                ))
            }
            None if !text.is_empty() => ignored.push(text.clone()),
            None => {}
        }
    }
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| c.required && !headers.contains_key(c.field))
        .map(|c| c.headers[0])
        .collect();
    if !missing.is_empty() {
        return Err(AppError::field(
            "file",
            msg::IMPORT_MISSING_COLUMNS.with("columns", missing.join("、")),
        ));
    }
    let data = &lines[header_at + 1..];
    if data.len() > MAX_ROWS {
        return Err(AppError::field(
            "file",
            msg::IMPORT_TOO_MANY_ROWS.with("max", MAX_ROWS),
        ));
    }
    let mut records = Vec::new();
    for (number, line) in data {
        let cells: HashMap<String, String> = by_index
            .iter()
            .filter_map(|(i, field)| {
                let text = line.get(*i).map(String::as_str).unwrap_or("");
                (!text.is_empty()).then(|| (field.to_string(), text.replace('\0', "")))
            })
            .collect();
        if cells.is_empty() {
            continue; // a blank line, or one with only columns nobody reads
        }
        records.push(Record {
            row: *number,
            cells,
        });
    }
    if records.is_empty() {
        return Err(AppError::field("file", msg::IMPORT_NO_ROWS));
    }
    Ok(Table {
        headers,
        ignored,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &Columns = &[
        Column {
            field: "name",
            headers: &["企业名称", "name"],
            required: true,
        },
        Column {
            field: "phone",
            headers: &["联系电话", "phone"],
            required: false,
        },
    ];

    #[test]
    fn headers_compare_loosely() {
        assert_eq!(field_of(COLUMNS, " 企业 名称* "), Some("name"));
        assert_eq!(field_of(COLUMNS, "联系电话（手机）"), Some("phone"));
        assert_eq!(field_of(COLUMNS, "Phone"), Some("phone"));
        assert_eq!(field_of(COLUMNS, "备注"), None);
        assert_eq!(half_width("９１３３０１０６ＭＡ"), "91330106MA");
    }

    #[test]
    fn csv_rows_are_numbered_as_a_spreadsheet_shows_them() {
        let text = "企业名称,联系电话\n\"甲\n公司\",'+86 531 8888\n\n乙公司,'-\n";
        let table = read(text.as_bytes(), COLUMNS).unwrap();
        let rows: Vec<u32> = table.records.iter().map(|r| r.row).collect();
        assert_eq!(
            rows,
            vec![2, 4],
            "a quoted line break is not a row, a blank line is"
        );
        assert_eq!(table.records[0].get("phone"), "+86 531 8888");
        assert_eq!(table.records[1].get("phone"), "-");
    }

    #[test]
    fn csv_in_any_encoding_windows_writes() {
        let text =
            "说明：全区企业名录\n企业名称,联系电话,备注\n\n甲公司,１３８００１３８０００,x\n";
        let utf8 = read(text.as_bytes(), COLUMNS).unwrap();
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        for bytes in [text.as_bytes(), &gbk, &bom] {
            let table = read(bytes, COLUMNS).unwrap();
            assert_eq!(table, utf8);
        }
        assert_eq!(utf8.records.len(), 1);
        assert_eq!(utf8.records[0].row, 4);
        assert_eq!(utf8.ignored, vec!["备注".to_string()]);
        let junk = [0x81u8, 0x20, 0xFF, 0xFE, 0x00, 0x41];
        assert!(read(&junk[2..], COLUMNS).is_err());
        assert!(matches!(
            read(&[0xFF, 0x81, 0x30], COLUMNS),
            Err(AppError::Validation(_))
        ));
    }
}
