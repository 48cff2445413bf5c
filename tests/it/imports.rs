//! Importing the enterprise registry from real files: workbooks written by a spreadsheet writer
//! (Chinese headers, a merged title, merged street cells, blank rows, numbers stored as numbers,
//! full-width characters) and CSVs in the encodings Windows writes; the preview, the commit,
//! the re-import that changes nothing; bad files refused with nothing written; who may import.

use rust_xlsxwriter::{Format, Workbook};
use serde_json::{json, Value};

use crate::common::{new_credit_code, Client, Response, TestApp};

pub const CSV: &str = "text/csv";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A cell of a test workbook.
pub enum Cell<'a> {
    Text(&'a str),
    Number(f64),
    Blank,
}

/// A workbook of `rows` on its first sheet, with `merges` ((first row, first col, last row,
/// last col), the value written once in the first cell).
pub fn workbook(rows: &[Vec<Cell>], merges: &[(u32, u16, u32, u16)]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let plain = Format::new();
    for &(r0, c0, r1, c1) in merges {
        let text = match &rows[r0 as usize][c0 as usize] {
            Cell::Text(t) => t.to_string(),
            _ => String::new(),
        };
        sheet.merge_range(r0, c0, r1, c1, &text, &plain).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if merges
                .iter()
                .any(|&(r0, c0, r1, c1)| (r0..=r1).contains(&r) && (c0..=c1).contains(&c))
            {
                continue;
            }
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(r, c, *t).unwrap();
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n).unwrap();
                }
                Cell::Blank => {}
            }
        }
    }
    book.save_to_buffer().unwrap()
}

pub fn upload(client: &Client, bytes: &[u8], name: &str, content_type: &str) -> Response {
    client.upload_to(
        "/api/v1/imports?kind=enterprises",
        bytes,
        name,
        content_type,
    )
}

fn count_enterprises(admin: &Client) -> i64 {
    admin.get("/api/v1/enterprises?per_page=1").body["total"]
        .as_i64()
        .unwrap()
}

fn by_code(admin: &Client, code: &str) -> Value {
    let r = admin.get(&format!("/api/v1/enterprises?q={code}"));
    assert_eq!(r.body["total"], 1, "{code}: {}", r.body);
    r.body["items"][0].clone()
}

/// Full-width forms of ASCII letters and digits, as an IME in full-width mode types them.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            c => c,
        })
        .collect()
}

fn errors_of(preview: &Value) -> Vec<(u64, String, String)> {
    preview["preview"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
                e["column"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_district_workbook_previews_commits_and_imports_again_as_unchanged() {
    let app = TestApp::spawn();
    let admin = app.login("district-regulator");
    let before = count_enterprises(&admin);
    let codes: Vec<String> = (0..3).map(|_| new_credit_code()).collect();
    let wide = full_width(&codes[1]);
    use Cell::*;
    let rows = vec![
        vec![
            Text("青川区企业名录（2026年）"),
            Blank,
            Blank,
            Blank,
            Blank,
            Blank,
            Blank,
            Blank,
        ],
        vec![
            Text("序号"),
            Text("企业名称"),
            Text("统一社会信用代码"),
            Text("所属街道"),
            Text("行业"),
            Text("规模"),
            Text("联系人"),
            Text("联系电话（手机）"),
        ],
        vec![
            Number(1.0),
            Text("导入测试一号餐馆"),
            Text(&codes[0]),
            Text("东城街道"),
            Text("餐饮(燃气)"),
            Text("小微"),
            Text("张三"),
            Number(13800138000.0),
        ],
        vec![
            Number(2.0),
            Text("导入测试二号商行"),
            Text(&wide),
            Blank,
            Text("commerce"),
            Text("规上"),
            Text("李四"),
            Text("０５３１－８８８８６６６６"),
        ],
        vec![Blank, Blank, Blank, Blank, Blank, Blank, Blank, Blank],
        vec![
            Number(3.0),
            Text("导入测试三号工厂"),
            Text(&codes[2]),
            Text("柳林"),
            Text("工贸"),
            Text("小微企业"),
            Blank,
            Blank,
        ],
    ];
    // The title spans the sheet; 东城街道 is written once for the first two enterprises.
    let bytes = workbook(&rows, &[(0, 0, 0, 7), (2, 3, 3, 3)]);
    let r = upload(&admin, &bytes, "名录.xlsx", XLSX);
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let summary = &r.body["preview"]["summary"];
    assert_eq!(
        (
            summary["rows"].as_i64(),
            summary["new"].as_i64(),
            summary["invalid"].as_i64()
        ),
        (Some(3), Some(3), Some(0)),
        "{}",
        r.body
    );
    assert_eq!(r.body["preview"]["ignored_columns"], json!(["序号"]));
    let rows_seen: Vec<u64> = r.body["preview"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(
        rows_seen,
        vec![3, 4, 6],
        "row numbers as the spreadsheet shows them"
    );
    assert_eq!(
        count_enterprises(&admin),
        before,
        "a preview writes nothing"
    );

    let r = admin.post(&format!("/api/v1/imports/{id}/commit"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["result"]["new"], 3);
    assert_eq!(count_enterprises(&admin), before + 3);
    let second = by_code(&admin, &codes[1]);
    assert_eq!(second["name"], "导入测试二号商行");
    assert_eq!(second["contact_phone"], "0531-88886666");
    assert_eq!(second["scale"], "above_scale");
    let first = by_code(&admin, &codes[0]);
    assert_eq!(first["contact_phone"], "13800138000");
    let regions = admin.get("/api/v1/regions?per_page=100").body;
    let region_name = |id: &Value| {
        regions["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == *id)
            .unwrap()["name"]
            .clone()
    };
    assert_eq!(region_name(&second["region_id"]), "东城街道", "merged cell");
    assert_eq!(
        region_name(&by_code(&admin, &codes[2])["region_id"]),
        "柳林镇"
    );
    let again = admin.post(&format!("/api/v1/imports/{id}/commit"), &json!({}));
    assert_eq!(again.status, 409, "{}", again.body);

    // The same file again: every row unchanged, and committing it changes nothing.
    let r = upload(&admin, &bytes, "名录.xlsx", XLSX);
    assert_eq!(r.body["preview"]["summary"]["unchanged"], 3, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let r = admin.post(&format!("/api/v1/imports/{id}/commit"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["result"]["changed"], 0);
    assert_eq!(count_enterprises(&admin), before + 3);
    assert_eq!(
        by_code(&admin, &codes[1])["updated_at"],
        second["updated_at"]
    );

    // A changed phone and scale show as changes, with what they were.
    let csv = format!(
        "企业名称,统一社会信用代码,所属街道,行业,规模,联系电话\n导入测试二号商行,{},东城街道,商贸,小微,13900139000\n",
        codes[1]
    );
    let r = upload(&admin, csv.as_bytes(), "更新.csv", CSV);
    assert_eq!(r.status, 201, "{}", r.body);
    let row = &r.body["preview"]["rows"][0];
    assert_eq!(row["outcome"], "changed", "{}", r.body);
    assert_eq!(
        row["changes"],
        json!([
            {"field": "scale", "from": "above_scale", "to": "small_micro"},
            {"field": "contact_phone", "from": "0531-88886666", "to": "13900139000"},
        ])
    );
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(
        admin
            .post(&format!("/api/v1/imports/{id}/commit"), &json!({}))
            .status,
        200
    );
    assert_eq!(by_code(&admin, &codes[1])["contact_phone"], "13900139000");
    let mut conn = app.platform.db.conn().unwrap();
    let trail =
        safety_alliance::audit::trail(&mut conn, "enterprise", second["id"].as_i64().unwrap())
            .unwrap();
    assert_eq!(
        trail.len(),
        2,
        "created and updated by the imports: {trail:?}"
    );
}

#[test]
fn every_kind_of_row_error_is_named_and_a_file_with_errors_is_refused_whole() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let before = count_enterprises(&admin);
    let good = new_credit_code();
    let other = new_credit_code();
    let mut wrong = new_credit_code();
    let last = if wrong.ends_with('0') { '1' } else { '0' };
    wrong.replace_range(17.., &last.to_string());
    let csv = format!(
        "\u{feff}企业名称,统一社会信用代码,所属街道,行业,规模,联系电话\r\n\
         好企业,{good},东城街道,商贸,小微,13800138000\r\n\
         校验码错,{wrong},东城街道,商贸,小微,\r\n\
         没有这个街道,{},月亮街道,商贸,小微,\r\n\
         重复,{good},东城街道,商贸,小微,\r\n\
         ,{},东城街道,商贸,小微,\r\n\
         电话不对,{},东城街道,商贸,小微,无\r\n\
         另一家,{other},西湖街道,工贸,规上,\r\n",
        new_credit_code(),
        new_credit_code(),
        new_credit_code(),
    );
    let r = upload(&admin, csv.as_bytes(), "errors.csv", CSV);
    assert_eq!(r.status, 201, "{}", r.body);
    let errors = errors_of(&r.body);
    let expected = vec![
        (3, "credit_code".to_string(), "统一社会信用代码".to_string()),
        (4, "street".into(), "所属街道".into()),
        (5, "credit_code".into(), "统一社会信用代码".into()),
        (6, "name".into(), "企业名称".into()),
        (7, "contact_phone".into(), "联系电话".into()),
    ];
    assert_eq!(errors, expected, "{}", r.body);
    let messages = r.body["preview"]["errors"].to_string();
    assert!(
        messages.contains("row 2"),
        "the duplicate names the first row: {messages}"
    );
    assert!(messages.contains("月亮街道"), "{messages}");
    assert_eq!(r.body["preview"]["summary"]["invalid"], 5);
    assert_eq!(r.body["preview"]["summary"]["new"], 2);
    let id = r.body["id"].as_i64().unwrap();
    let refused = admin.post(&format!("/api/v1/imports/{id}/commit"), &json!({}));
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.error_fields(), vec!["valid_rows_only"]);
    assert_eq!(count_enterprises(&admin), before, "refused whole");
    let r = admin.post(
        &format!("/api/v1/imports/{id}/commit"),
        &json!({"valid_rows_only": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["result"]["new"], 2);
    assert_eq!(r.body["result"]["invalid"], 5);
    assert_eq!(count_enterprises(&admin), before + 2);
    by_code(&admin, &good);
    by_code(&admin, &other);
}

#[test]
fn gbk_csv_from_a_chinese_windows_reads_as_the_same_rows() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let code = new_credit_code();
    let text = format!("企业名称,统一社会信用代码,所属街道,行业,规模\r\n青川县城关镇老李五金店,{code},西湖街道,商贸,小微\r\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    let r = upload(&admin, &gbk, "名录.csv", CSV);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["preview"]["rows"][0]["label"],
        "青川县城关镇老李五金店"
    );
    assert_eq!(r.body["preview"]["summary"]["invalid"], 0, "{}", r.body);
    // UTF-16 with its BOM (Excel's "Unicode text", tab-separated) reads the same.
    let tabbed = text.replace(',', "\t");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(tabbed.encode_utf16().flat_map(u16::to_le_bytes));
    let r = upload(&admin, &utf16, "名录.txt", "text/plain");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["preview"]["rows"][0]["label"],
        "青川县城关镇老李五金店"
    );
}

#[test]
fn bad_files_are_refused_naming_the_file_and_nothing_is_kept() {
    let app = TestApp::spawn_with(|s| s.max_upload_bytes = 2 * 1024 * 1024);
    let admin = app.login("admin");
    let before = count_enterprises(&admin);
    let refused = |bytes: &[u8], name: &str, status: u16, says: &str| {
        let r = upload(&admin, bytes, name, "application/octet-stream");
        assert_eq!(r.status, status, "{name}: {}", r.body);
        if status == 422 {
            assert_eq!(r.error_fields(), vec!["file"], "{name}");
        }
        assert!(r.body.to_string().contains(says), "{name}: {}", r.body);
    };
    refused(
        &crate::common::jpeg("x"),
        "photo.xlsx",
        422,
        "not a spreadsheet",
    );
    refused(b"", "empty.csv", 422, "required");
    refused(b"\n\n \n", "blank.csv", 422, "header");
    refused(
        &[0x81, 0x30, 0xFF, 0xFE, 0x80, 0xFF, 0x41],
        "junk.csv",
        422,
        "encoding",
    );
    refused(
        b"PK\x03\x04 not really a zip",
        "broken.xlsx",
        422,
        "cannot be read",
    );
    refused(
        "名称甲,名称乙\n1,2\n".as_bytes(),
        "noheader.csv",
        422,
        "header",
    );
    refused(
        "企业名称,行业\n甲,商贸\n".as_bytes(),
        "missing.csv",
        422,
        "统一社会信用代码",
    );
    let mut junk = String::from("企业名称,统一社会信用代码,所属街道,行业\n");
    for i in 0..100_000 {
        junk.push_str(&format!("x{i},y,z,w\n"));
    }
    refused(junk.as_bytes(), "junk.csv", 422, "more than 50000 rows");
    let huge = vec![b'a'; 3 * 1024 * 1024];
    refused(&huge, "huge.csv", 413, "larger");
    assert_eq!(count_enterprises(&admin), before);
    let mut conn = app.platform.db.conn().unwrap();
    use diesel::prelude::*;
    let kept: i64 = safety_alliance::db::schema::imports::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(kept, 0, "a refused file is not kept");
}

#[test]
fn a_street_regulator_imports_its_own_street_only_and_a_lead_not_at_all() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let mine = new_credit_code();
    let theirs = new_credit_code();
    let csv = format!(
        "企业名称,统一社会信用代码,所属街道,行业,规模\n本街道的,{mine},东城街道,商贸,小微\n别的街道的,{theirs},西湖街道,商贸,小微\n"
    );
    let r = upload(&street, csv.as_bytes(), "mine.csv", CSV);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        errors_of(&r.body),
        vec![(3, "street".into(), "所属街道".into())]
    );
    // An enterprise of another street, changed from here, is an error too.
    let existing = app.enterprise_id("西湖鱼馆");
    let admin = app.login("admin");
    let code = admin.get(&format!("/api/v1/enterprises/{existing}")).body["credit_code"]
        .as_str()
        .unwrap()
        .to_string();
    let csv = format!(
        "企业名称,统一社会信用代码,所属街道,行业,规模\n西湖鱼馆,{code},东城街道,商贸,小微\n"
    );
    let r = upload(&street, csv.as_bytes(), "move.csv", CSV);
    assert_eq!(errors_of(&r.body)[0].1, "credit_code", "{}", r.body);
    // Another's import is not there for them.
    let id = upload(&admin, csv.as_bytes(), "admin.csv", CSV).body["id"]
        .as_i64()
        .unwrap();
    assert_eq!(street.get(&format!("/api/v1/imports/{id}")).status, 404);
    let lead = app.login("lead");
    assert_eq!(upload(&lead, csv.as_bytes(), "lead.csv", CSV).status, 403);
    assert_eq!(lead.get("/api/v1/imports/enterprises/template").status, 403);
}

#[test]
fn the_templates_read_back_as_headers_the_import_knows() {
    let app = TestApp::spawn();
    let admin = app.login("district-regulator");
    let (status, bytes, headers) = admin.get_bytes("/api/v1/imports/enterprises/template");
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], XLSX);
    let code = new_credit_code();
    // The template, filled in by a spreadsheet program, is what the import reads: its header
    // row with one row added below (read back through the same reader).
    let table = safety_alliance::onboarding::sheet::read(
        &bytes,
        safety_alliance::onboarding::enterprises::COLUMNS,
    );
    assert!(table.is_err(), "an empty template has no rows");
    let (status, csv, _) = admin.get_bytes("/api/v1/imports/enterprises/template?format=csv");
    assert_eq!(status, 200);
    let mut filled = csv.clone();
    filled.extend(format!("模板企业,{code},南山街道,教育,小微,,,\r\n").as_bytes());
    let r = upload(&admin, &filled, "template.csv", CSV);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["preview"]["summary"]["new"], 1, "{}", r.body);
    assert_eq!(
        admin
            .get("/api/v1/imports/enterprises/template?format=pdf")
            .status,
        422
    );
}

#[test]
fn the_command_line_imports_the_same_way() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let before = count_enterprises(&admin);
    let code = new_credit_code();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("名录.xlsx");
    use Cell::*;
    let rows = vec![
        vec![
            Text("企业名称"),
            Text("统一社会信用代码"),
            Text("所属街道"),
            Text("行业"),
            Text("规模"),
        ],
        vec![
            Text("命令行导入的企业"),
            Text(&code),
            Text("370115003"),
            Text("教育"),
            Text("小微"),
        ],
        vec![
            Text("错误的行"),
            Text("123"),
            Text("南山街道"),
            Text("教育"),
            Text("小微"),
        ],
    ];
    std::fs::write(&file, workbook(&rows, &[])).unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_safety-alliance"));
        cmd.arg("import")
            .arg("enterprises")
            .arg(&file)
            .args(extra)
            .env("SA_DATA_DIR", app.data_dir.path())
            .env("SA_LOG", "error")
            .env_remove("DATABASE_URL");
        if crate::common::test_database_url().is_some() {
            cmd.env("DATABASE_URL", app.platform.settings.database_url());
        }
        cmd.output().unwrap()
    };
    let out = run(&["--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 new"), "{text}");
    assert!(text.contains("row 3 [统一社会信用代码]"), "{text}");
    assert_eq!(count_enterprises(&admin), before);
    let out = run(&[]);
    assert!(!out.status.success(), "a file with errors is refused whole");
    assert!(String::from_utf8_lossy(&out.stderr).contains("valid_rows_only"));
    assert_eq!(count_enterprises(&admin), before);
    let out = run(&["--valid-rows-only"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count_enterprises(&admin), before + 1);
    by_code(&admin, &code);
}

/// A file of new enterprises in 东城街道: `names` with fresh codes.
fn file_of(rows: &[(String, String)]) -> String {
    let mut csv = String::from("企业名称,统一社会信用代码,所属街道,行业,规模,联系电话\n");
    for (name, code) in rows {
        csv.push_str(&format!("{name},{code},东城街道,商贸,小微,13800138000\n"));
    }
    csv
}

#[test]
fn racing_commits_of_one_file_or_of_overlapping_files_write_each_enterprise_once() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let district = app.login("district-regulator");
    let before = count_enterprises(&admin);
    let rows: Vec<(String, String)> = (0..20)
        .map(|i| (format!("并发导入{i}"), new_credit_code()))
        .collect();
    // The same import committed twice at once (a double click, two tabs).
    let r = upload(&admin, file_of(&rows[..10]).as_bytes(), "a.csv", CSV);
    let id = r.body["id"].as_i64().unwrap();
    let barrier = std::sync::Barrier::new(2);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    admin
                        .post(&format!("/api/v1/imports/{id}/commit"), &json!({}))
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, vec![200, 409], "{statuses:?}");
    assert_eq!(count_enterprises(&admin), before + 10);

    // Two people's files sharing five new enterprises, each with five of its own: whichever
    // commits second either sees the shared ones as unchanged or is refused whole.
    let a: Vec<_> = rows[10..20].to_vec();
    let mut b: Vec<_> = rows[15..20].to_vec();
    b.extend((0..5).map(|i| (format!("并发导入乙{i}"), new_credit_code())));
    let ida = upload(&admin, file_of(&a).as_bytes(), "a.csv", CSV).body["id"]
        .as_i64()
        .unwrap();
    let idb = upload(&district, file_of(&b).as_bytes(), "b.csv", CSV).body["id"]
        .as_i64()
        .unwrap();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let one = s.spawn(|| {
            barrier.wait();
            admin
                .post(&format!("/api/v1/imports/{ida}/commit"), &json!({}))
                .status
        });
        let two = s.spawn(|| {
            barrier.wait();
            district
                .post(&format!("/api/v1/imports/{idb}/commit"), &json!({}))
                .status
        });
        vec![one.join().unwrap(), two.join().unwrap()]
    });
    assert!(statuses.contains(&200), "{statuses:?}");
    let written = count_enterprises(&admin) - before - 10;
    match (statuses[0], statuses[1]) {
        (200, 200) => assert_eq!(written, 15),
        (200, 409) => assert_eq!(written, 10, "b refused whole"),
        (409, 200) => assert_eq!(written, 10, "a refused whole"),
        other => panic!("{other:?}"),
    }
    for (_, code) in a.iter().chain(b.iter()) {
        let r = admin.get(&format!("/api/v1/enterprises?q={code}"));
        assert!(
            r.body["total"].as_i64().unwrap() <= 1,
            "{code} once at most"
        );
    }
}

#[test]
fn ten_thousand_rows_import_in_one_go() {
    let app = TestApp::spawn();
    let admin = app.login("district-regulator");
    let before = count_enterprises(&admin);
    use Cell::*;
    let codes: Vec<String> = (0..10_000).map(|_| new_credit_code()).collect();
    let mut rows = vec![vec![
        Text("企业名称"),
        Text("统一社会信用代码"),
        Text("所属街道"),
        Text("行业"),
        Text("规模"),
        Text("地址"),
        Text("联系人"),
        Text("联系电话"),
    ]];
    let names: Vec<String> = (0..10_000).map(|i| format!("万行导入企业{i:05}")).collect();
    let streets = [
        "东城街道",
        "西湖街道",
        "南山街道",
        "北苑街道",
        "柳林镇",
        "河口镇",
    ];
    for i in 0..10_000 {
        rows.push(vec![
            Text(&names[i]),
            Text(&codes[i]),
            Text(streets[i % streets.len()]),
            Text("工贸"),
            Text(if i % 7 == 0 { "规上" } else { "小微" }),
            Text("青川区某某路 1 号"),
            Text("王五"),
            Number(13_800_000_000.0 + i as f64),
        ]);
    }
    let bytes = workbook(&rows, &[]);
    let started = std::time::Instant::now();
    let r = upload(&admin, &bytes, "万行.xlsx", XLSX);
    assert_eq!(r.status, 201, "{}", r.body["detail"]);
    assert_eq!(r.body["preview"]["summary"]["new"], 10_000);
    let previewed = started.elapsed();
    let id = r.body["id"].as_i64().unwrap();
    let r = admin.post(&format!("/api/v1/imports/{id}/commit"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body["detail"]);
    let total = started.elapsed();
    eprintln!("10,000 rows: preview {previewed:?}, preview and commit {total:?} (debug build)");
    assert_eq!(count_enterprises(&admin), before + 10_000);
    // A debug build on a loaded CI machine; the release figure is in the README.
    assert!(total.as_secs() < 120, "{total:?}");
}

/// A file uploaded and never committed is forgotten after 30 days (its rows name people and
/// their phones); a committed import stays, the record of what it did.
#[test]
fn uncommitted_files_are_forgotten_after_thirty_days() {
    let app = TestApp::spawn();
    let regulator = app.login("district-regulator");
    let file = |name: &str| {
        format!(
            "企业名称,统一社会信用代码,所属街道,行业,规模,联系电话\n{name},{},东城街道,商贸,小微,13900139000\n",
            new_credit_code()
        )
    };
    let id = |r: Response| {
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_i64().unwrap()
    };
    let old = id(upload(
        &regulator,
        file("久未导入商行").as_bytes(),
        "a.csv",
        "text/csv",
    ));
    let committed = id(upload(
        &regulator,
        file("已导入商行").as_bytes(),
        "b.csv",
        "text/csv",
    ));
    let r = regulator.post(
        &format!("/api/v1/imports/{committed}/commit"),
        &json!({"valid_rows_only": false}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    {
        let mut conn = app.platform.db.conn().unwrap();
        let backdate = diesel::sql_query("UPDATE imports SET created_at = $1 WHERE id IN ($2, $3)")
            .bind::<diesel::sql_types::Timestamp, _>(
                safety_alliance::db::types::now() - chrono::Duration::days(31),
            )
            .bind::<diesel::sql_types::BigInt, _>(old)
            .bind::<diesel::sql_types::BigInt, _>(committed);
        diesel::RunQueryDsl::execute(backdate, &mut *conn).unwrap();
    }
    let fresh = id(upload(
        &regulator,
        file("新近上传商行").as_bytes(),
        "c.csv",
        "text/csv",
    ));
    let today = safety_alliance::db::types::today();
    let t = crate::mail::block(safety_alliance::notify::schedule::tick(
        &app.platform.db,
        today,
        safety_alliance::db::types::now(),
    ))
    .unwrap();
    assert_eq!(t.imports_pruned, 1);
    assert_eq!(regulator.get(&format!("/api/v1/imports/{old}")).status, 404);
    assert_eq!(
        regulator
            .get(&format!("/api/v1/imports/{committed}"))
            .status,
        200
    );
    assert_eq!(
        regulator.get(&format!("/api/v1/imports/{fresh}")).status,
        200
    );
}
