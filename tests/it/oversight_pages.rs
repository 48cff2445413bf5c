//! Oversight's pages and exports: the dashboard shows the figures with their charts, every
//! figure opens the list it counts (whose total is the figure), the exports hold the tables,
//! and nobody but regulators and admins opens any of it.

use serde_json::json;

use crate::common::TestApp;
use crate::pages::PageClient;

/// The number shown in the element with `id`.
fn shown(body: &str, id: &str) -> i64 {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("#{id} in {body}"));
    let rest = &body[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = start + rest[start..].find('<').unwrap();
    let text: String = rest[start..end]
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    text.parse()
        .unwrap_or_else(|_| panic!("#{id}: {}", &rest[..end]))
}

/// The link of the element with `id` (or of the link it is in).
fn href(body: &str, id: &str) -> String {
    let at = body.find(&format!("id=\"{id}\"")).unwrap();
    let tag_start = body[..at].rfind("<a ").unwrap();
    let tag = &body[tag_start..];
    let h = tag.find("href=\"").unwrap() + 6;
    let end = h + tag[h..].find('"').unwrap();
    tag[h..end].replace("&amp;", "&").replace("&#x3D;", "=")
}

#[test]
fn the_dashboard_shows_the_figures_and_each_opens_the_records_it_counts() {
    let app = TestApp::spawn();
    let member = app.login("member");
    for (title, grade) in [("燃气软管老化", "general"), ("报警器失效", "major")] {
        let r = member.post(
            "/api/v1/findings",
            &json!({"title": title, "category": "fire", "grade": grade, "treatment": "on_the_spot"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let mut page = PageClient::new(&app);
    page.log_in(&app, "district-regulator", "/");
    assert!(page.get("/").body.contains("id=\"nav-oversight\""));
    let dash = page.get("/oversight");
    assert_eq!(dash.status, 200, "{}", dash.body);
    assert!(dash.body.contains("<svg"), "charts are drawn on the server");
    assert!(dash.body.contains("东城街道"));
    assert_eq!(shown(&dash.body, "fig-found"), 2);
    assert_eq!(shown(&dash.body, "fig-major"), 1);
    for (figure, link) in [
        ("fig-found", "link-found"),
        ("fig-rectified", "link-rectified"),
        ("fig-major", "link-major"),
        ("fig-overdue", "link-overdue"),
        ("fig-batches", "link-batches"),
        ("fig-inspected", "link-inspected"),
        ("fig-trainings", "link-trainings"),
        ("fig-enterprises", "link-enterprises"),
        ("fig-alliances", "link-alliances"),
    ] {
        let list = page.get(&href(&dash.body, link));
        assert_eq!(list.status, 200, "{link}: {}", list.body);
        assert_eq!(
            shown(&list.body, "pager-total"),
            shown(&dash.body, figure),
            "{link}"
        );
    }
    // The attendance figure is the people the events list counts.
    let events = page.get(&href(&dash.body, "link-attendances"));
    assert_eq!(
        shown(&events.body, "attendance-total"),
        shown(&dash.body, "fig-attendances")
    );
    // A period chosen by month, narrowed to a street.
    let street = app.login("district-regulator").get(&format!(
        "/api/v1/enterprises/{}",
        app.enterprise_id("西湖鱼馆")
    ));
    let narrowed = page.get(&format!(
        "/oversight?from=2026-01&to=2026-12&region_id={}",
        street.body["region_id"]
    ));
    assert_eq!(narrowed.status, 200);
    assert!(
        narrowed.body.contains("2026-01-01 — 2026-12-31"),
        "{}",
        narrowed.body
    );
    assert_eq!(shown(&narrowed.body, "fig-found"), 0);

    // The exports: the workbook holds every table, the CSV one of them.
    let xlsx = page.get(&href(&dash.body, "export-xlsx"));
    assert_eq!(xlsx.status, 200);
    assert_eq!(xlsx.headers["content-type"], safety_alliance::api::XLSX);
    let api = app.login("district-regulator");
    let (status, bytes, _) = api.get_bytes("/api/v1/oversight/export.xlsx");
    assert_eq!(status, 200);
    let strings = crate::events::xlsx_strings(&bytes);
    for text in [
        "发现隐患（项）",
        "整改完成率",
        "东城街道餐饮燃气安全联盟",
        "消防",
    ] {
        assert!(strings.contains(text), "{text} in {strings}");
    }
    let (status, bytes, _) = api.get_bytes("/api/v1/oversight/export.csv?table=by_category");
    assert_eq!(status, 200);
    let csv = String::from_utf8(bytes).unwrap();
    assert!(csv.starts_with("\u{feff}名称,发现隐患（项）"), "{csv}");
    assert!(csv.contains("消防,2,0,0.0%"), "{csv}");
    let r = api.get("/api/v1/oversight/export.csv?table=nothing");
    assert_eq!(r.error_fields(), ["table"], "{}", r.body);

    // Enterprises and experts open none of it.
    for label in ["member", "lead", "expert"] {
        let mut other = PageClient::new(&app);
        other.log_in(&app, label, "/");
        assert_eq!(other.get("/oversight").status, 404, "{label}");
        assert_eq!(other.get("/oversight/events").status, 404, "{label}");
        assert!(!other.get("/").body.contains("nav-oversight"));
        assert_eq!(
            app.login(label).get("/api/v1/oversight/export.xlsx").status,
            404
        );
    }
}

#[test]
fn home_pages_carry_the_figures_of_the_viewers_scope_or_alliance() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let lead = app.login("lead");
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "报警器失效", "category": "fire", "grade": "major", "treatment": "on_the_spot"}),
    );
    let major = r.body["id"].as_i64().unwrap();
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "软管老化", "category": "equipment", "grade": "general", "treatment": "on_the_spot"}),
    );
    let fixed = r.body["id"].as_i64().unwrap();
    for (who, body) in [
        (&member, json!({"action": "start_rectification"})),
        (
            &member,
            crate::oversight::action_body(&member, "submit_rectification", 7),
        ),
        (&lead, json!({"action": "accept"})),
    ] {
        let r = who.post(&format!("/api/v1/findings/{fixed}/transitions"), &body);
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let _ = major;
    // The district regulator: its scope.
    let mut page = PageClient::new(&app);
    page.log_in(&app, "district-regulator", "/");
    let home = page.get("/");
    assert_eq!(shown(&home.body, "home-open-0"), 1, "{}", home.body);
    assert_eq!(shown(&home.body, "home-major-0"), 1);
    assert_eq!(shown(&home.body, "home-closed-0"), 1);
    assert_eq!(shown(&home.body, "home-awaiting-0"), 0);
    // Each figure is its list's total.
    for id in ["home-open-0", "home-major-0", "home-closed-0"] {
        let list = page.get(&href(&home.body, id));
        assert_eq!(
            shown(&list.body, "pager-total"),
            shown(&home.body, id),
            "{id}"
        );
    }
    // The lead: its alliance's; the member: its own (no scope figures).
    let mut lead_page = PageClient::new(&app);
    lead_page.log_in(&app, "lead", "/");
    let home = lead_page.get("/");
    assert!(home.body.contains("东城街道餐饮燃气安全联盟"));
    assert_eq!(shown(&home.body, "home-closed-0"), 1);
    let list = lead_page.get(&href(&home.body, "home-open-0"));
    assert_eq!(
        shown(&list.body, "pager-total"),
        shown(&home.body, "home-open-0")
    );
    let mut member_page = PageClient::new(&app);
    member_page.log_in(&app, "member", "/");
    let home = member_page.get("/");
    assert!(!home.body.contains("home-open-0"));
    assert_eq!(shown(&home.body, "open-count"), 1);
}

#[test]
fn the_years_report_is_written_from_the_records_and_links_its_numbers() {
    let app = TestApp::spawn();
    let member = app.login("member");
    for n in 0..3 {
        let r = member.post(
            "/api/v1/findings",
            &json!({"title": format!("隐患{n}"), "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let district = app.login("district-regulator");
    let r = district.get("/api/v1/oversight/report");
    assert_eq!(r.status, 200, "{}", r.body);
    let text = r.body["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("今年以来，安全联盟累计开展培训讲座0次、警示教育0次、经验交流会0次"),
        "{text}"
    );
    assert!(
        text.contains("排查隐患3项，整改完成0项，整改完成率达0％"),
        "{text}"
    );
    assert!(text.contains("个区级“安全联盟”"), "{text}");
    // The numbers link to their records, whose totals are the numbers.
    let parts = r.body["parts"][2].as_array().unwrap();
    let found = parts
        .iter()
        .find(|p| p["text"] == "3")
        .expect("the number of hazards");
    let link = found["link"].as_str().unwrap();
    let mut page = PageClient::new(&app);
    page.log_in(&app, "district-regulator", "/");
    let list = page.get(link);
    assert_eq!(shown(&list.body, "pager-total"), 3, "{link}");
    let shown_page = page.get("/oversight/report");
    assert_eq!(shown_page.status, 200);
    assert!(shown_page.body.contains("report-number"));
    assert_eq!(
        district
            .get("/api/v1/oversight/report?year=1999")
            .error_fields(),
        ["year"]
    );
    assert_eq!(member.get("/api/v1/oversight/report").status, 404);
}

#[test]
fn an_enterprise_sees_itself_against_its_alliances_median_and_no_one_elses_figures() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let lead = app.login("lead");
    let district = app.login("district-regulator");
    let hotpot = app.enterprise_id("东城味道火锅店");
    let (hotpot_user, _) = crate::events::person(&app, hotpot, "cmp");
    let report = |c: &crate::common::Client, t: &str| {
        let r = c.post(
            "/api/v1/findings",
            &json!({"title": t, "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_i64().unwrap()
    };
    let fixed = report(&member, "一");
    report(&member, "二");
    report(&hotpot_user, "三");
    for (who, body) in [
        (&member, json!({"action": "start_rectification"})),
        (
            &member,
            crate::oversight::action_body(&member, "submit_rectification", 9),
        ),
        (&lead, json!({"action": "accept"})),
    ] {
        let r = who.post(&format!("/api/v1/findings/{fixed}/transitions"), &body);
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // A small alliance of two: the member and the hot-pot restaurant.
    let wang = app.enterprise_id("老王家常菜馆");
    let region = district.get(&format!("/api/v1/enterprises/{wang}")).body["region_id"].clone();
    let r = district.post(
        "/api/v1/alliances",
        &json!({"name": "两家小联盟", "level": "street", "region_id": region, "lead_enterprise_id": hotpot}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let small = r.body["id"].as_i64().unwrap();
    let r = district.post(
        &format!("/api/v1/alliances/{small}/members"),
        &json!({"enterprise_id": wang}),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    let member = app.login("member");
    let r = member.get("/api/v1/oversight/comparison");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["own"]["found"], 2.0);
    assert_eq!(r.body["own"]["rectified"], 1.0);
    assert_eq!(r.body["own"]["rectification_rate"], 0.5);
    let alliances = r.body["alliances"].as_array().unwrap();
    let dongcheng = alliances
        .iter()
        .find(|a| a["alliance_name"] == "东城街道餐饮燃气安全联盟")
        .unwrap();
    let n = dongcheng["members"].as_i64().unwrap() as usize;
    assert!(n >= 3);
    // Members' hazards found: 2, 1 and 0 for everyone else.
    let mut found = vec![2.0, 1.0];
    found.resize(n, 0.0);
    found.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let expected = if n % 2 == 1 {
        found[n / 2]
    } else {
        (found[n / 2 - 1] + found[n / 2]) / 2.0
    };
    assert_eq!(dongcheng["median"]["found"].as_f64().unwrap(), expected);
    let two = alliances
        .iter()
        .find(|a| a["alliance_name"] == "两家小联盟")
        .unwrap();
    assert_eq!(two["members"], 2);
    assert!(
        two["median"].is_null(),
        "two members give each other away: {two}"
    );
    assert!(!r.body.to_string().contains("东城味道火锅店"));
    // The page shows the same; regulators have no enterprise to compare.
    let mut page = PageClient::new(&app);
    page.log_in(&app, "member", "/");
    assert!(page.get("/").body.contains("id=\"home-comparison\""));
    let shown = page.get("/comparison");
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("两家小联盟"));
    assert!(!shown.body.contains("东城味道火锅店"));
    assert_eq!(district.get("/api/v1/oversight/comparison").status, 404);
}
