//! Edges of input found by an attacker: dates far outside any sane range, NUL characters,
//! invisible and direction-changing characters. Each is a 422 naming the field, never a 500,
//! on both databases.

use serde_json::json;

use crate::common::{jpeg, TestApp, BOUNDARY};

#[test]
fn dates_outside_2000_to_2100_are_refused_naming_the_field() {
    let app = TestApp::spawn();
    let member = app.login("member");
    for (path, field) in [
        ("/api/v1/findings?from=-262143-01-01", "from"),
        ("/api/v1/findings?to=%2B262142-12-31", "to"),
        ("/api/v1/findings?from=1999-12-31", "from"),
    ] {
        let r = member.get(path);
        assert_eq!(r.status, 422, "{path}: {}", r.body);
        assert_eq!(r.error_fields(), vec![field.to_string()], "{path}");
    }
    let r = member.get("/api/v1/findings?from=2000-01-01&to=2100-12-31");
    assert_eq!(r.status, 200);
    let far = member.post(
        "/api/v1/findings",
        &json!({"title": "x", "category": "fire", "grade": "general", "treatment": "deadline",
                "deadline": "+262142-12-31"}),
    );
    assert_eq!(far.status, 422, "{}", far.body);
    assert_eq!(far.error_fields(), vec!["deadline".to_string()]);
    let late = member.post(
        "/api/v1/findings",
        &json!({"title": "x", "category": "fire", "grade": "general", "treatment": "deadline",
                "deadline": "2101-01-01"}),
    );
    assert_eq!(late.status, 422);
    assert_eq!(late.error_fields(), vec!["deadline".to_string()]);
}

#[test]
fn nul_characters_are_refused_naming_the_field() {
    let app = TestApp::spawn();
    let login = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": "a\u{0}@x.example", "password": "whatever-password"}),
    );
    assert_eq!(login.status, 422, "{}", login.body);
    assert_eq!(login.error_fields(), vec!["email".to_string()]);
    let regulator = app.login("district-regulator");
    for path in [
        "/api/v1/enterprises?q=%00",
        "/api/v1/users?q=a%00b",
        "/api/v1/alliances?q=%00",
    ] {
        let r = regulator.get(path);
        assert_eq!(r.status, 422, "{path}: {}", r.body);
        assert_eq!(r.error_fields(), vec!["q".to_string()], "{path}");
    }
    let member = app.login("member");
    let before = member.get("/api/v1/findings").body["total"].clone();
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "x\u{0}", "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["title".to_string()]);
    // Nothing was stored.
    assert_eq!(member.get("/api/v1/findings").body["total"], before);
}

#[test]
fn invisible_and_direction_changing_characters_are_refused_in_names() {
    let app = TestApp::spawn();
    let member = app.login("member");
    for title in ["\u{200B}\u{FEFF}\u{2060}", " \u{200B} "] {
        let r = member.post(
            "/api/v1/findings",
            &json!({"title": title, "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
        );
        assert_eq!(r.status, 422, "{title:?}");
        assert_eq!(r.error_fields(), vec!["title".to_string()]);
    }
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "灭火器\u{202E}期过", "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    );
    assert_eq!(r.status, 422);
    let regulator = app.login("district-regulator");
    let id = app.enterprise_id("老王家常菜馆");
    let r = regulator.patch(
        &format!("/api/v1/enterprises/{id}"),
        &json!({"name": "老王家\u{2066}常菜馆"}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), vec!["name".to_string()]);
    // A file name that would read backwards is cleaned before it is stored or served.
    let up = member.upload(&jpeg("rtl"), "\u{202E}gnp.exe", "image/jpeg");
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(up.body["file_name"], "gnp.exe");
}

#[test]
fn an_upload_takes_only_its_file_field() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let mut body = Vec::new();
    body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n").bytes());
    body.extend(jpeg("extra"));
    body.extend(format!("\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n42\r\n--{BOUNDARY}--\r\n").bytes());
    assert_eq!(
        member.post_multipart("/api/v1/attachments", &body).status,
        422
    );
    // And a body without a file part is 422 too.
    let empty = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ntext\r\n--{BOUNDARY}--\r\n"
    );
    assert_eq!(
        member
            .post_multipart("/api/v1/attachments", empty.as_bytes())
            .status,
        422
    );
}

/// A token secret short enough to be guessed from one token is refused at start.
#[test]
fn a_weak_token_secret_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = safety_alliance::config::Settings::for_data_dir(dir.path());
    settings.token_secret = Some(safety_alliance::secret::Secret::new("x"));
    let err = safety_alliance::Platform::prepare(settings)
        .err()
        .unwrap_or_default();
    assert!(err.contains("at least 32 bytes"), "{err}");
}

/// The API document says what the server does: a PATCH names no required field, the logout body
/// is optional, a download is served as its real type.
#[test]
fn the_api_document_agrees_with_the_server_on_the_edges_found() {
    let app = TestApp::spawn();
    let doc = app.anon().get("/api/openapi.json").body;
    let patch = &doc["components"]["schemas"]["EnterprisePatch"];
    assert!(
        patch["required"].as_array().is_none_or(|r| r.is_empty()),
        "{patch}"
    );
    let logout = &doc["paths"]["/api/v1/auth/logout"]["post"];
    assert_ne!(logout["requestBody"]["required"], json!(true));
    assert!(logout["responses"]["422"].is_object());
    let download = &doc["paths"]["/api/v1/attachments/{id}"]["get"]["responses"]["200"]["content"];
    for kind in ["image/jpeg", "image/png", "image/webp", "application/pdf"] {
        assert!(download[kind].is_object(), "{kind}");
    }
    assert!(download["application/octet-stream"].is_null());
}

/// A list's query takes only the parameters its document names: another one (or one without a
/// name) is refused naming it, not silently ignored.
#[test]
fn unknown_query_parameters_are_refused() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    for path in [
        "/api/v1/findings?=null&after=0_0",
        "/api/v1/findings?colour=red",
        "/api/v1/users?colour=red",
        "/api/v1/notifications?colour=red",
        "/api/v1/admin/outbox?colour=red",
        "/api/v1/checklists?colour=red",
        "/api/v1/regions?colour=red",
    ] {
        let r = admin.get(path);
        assert_eq!(r.status, 422, "{path}: {}", r.body);
    }
    assert_eq!(admin.get("/api/v1/findings?per_page=5").status, 200);
}
