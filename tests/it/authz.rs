//! The authorization matrix, driven by the OpenAPI document: for every operation, every role,
//! and a record inside and outside the caller's scope, the expected status is declared here.
//! An operation in the document that this table lacks fails the test, so no endpoint escapes.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use crate::common::{new_credit_code, Client, TestApp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Role {
    Admin,
    District,
    Street,
    Industry,
    Lead,
    Member,
    Expert,
    /// An enterprise user whose enterprise shares no alliance with anyone.
    Unrelated,
    Anon,
}

const ROLES: [Role; 9] = [
    Role::Admin,
    Role::District,
    Role::Street,
    Role::Industry,
    Role::Lead,
    Role::Member,
    Role::Expert,
    Role::Unrelated,
    Role::Anon,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    In,
    Out,
}

/// The demo records each role's "inside" and "outside" point at.
struct Fixture {
    app: TestApp,
    admin: Client,
    clients: HashMap<Role, Client>,
    enterprise: HashMap<&'static str, Value>,
    alliance: HashMap<&'static str, i64>,
    user: HashMap<&'static str, i64>,
    /// A finding (with a photo) at each of the enterprises above.
    finding: HashMap<&'static str, i64>,
    attachment: HashMap<&'static str, i64>,
    /// Per alliance: a published batch, and a checklist template of the alliance's own.
    batch: HashMap<&'static str, i64>,
    checklist: HashMap<&'static str, i64>,
    /// Per alliance: an event a week from now.
    event: HashMap<&'static str, i64>,
    /// The lead user's enterprise.
    lead_enterprise: i64,
    unrelated_password: String,
    /// A message in each signed-in role's message centre.
    notification: HashMap<Role, i64>,
    /// An import of each importer's own.
    import: HashMap<Role, i64>,
    /// The app as its own city: a district enrolled, a period published and received.
    federation: federation::Federation,
}

fn q(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Fixture {
    fn new() -> Self {
        let app = TestApp::spawn_with(|s| {
            s.federation_audience = Some(crate::federation::CITY.into());
            s.federation_city = crate::federation::CITY.into();
        });
        let admin = app.login("admin");
        let find = |name: &str| -> Value {
            let r = admin.get(&format!("/api/v1/enterprises?q={}", q(name)));
            r.body["items"][0].clone()
        };
        let mut enterprise = HashMap::new();
        for (key, name) in [
            ("dongcheng", "老王家常菜馆"),
            ("xihu", "西湖鱼馆"),
            ("hazchem", "青川华泰化工有限公司"),
            ("hekou", "河口鲜鱼馆"),
        ] {
            enterprise.insert(key, find(name));
        }
        let alliances = admin.get("/api/v1/alliances?per_page=100").body["items"]
            .as_array()
            .unwrap()
            .clone();
        let alliance_id = |name: &str| {
            alliances.iter().find(|a| a["name"] == name).unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let alliance = HashMap::from([
            ("dongcheng", alliance_id("东城街道餐饮燃气安全联盟")),
            ("xihu", alliance_id("西湖街道小微企业安全联盟")),
            ("hazchem", alliance_id("青川区危险化学品行业安全联盟")),
        ]);
        let unrelated_password = "unrelated user passphrase".to_string();
        let mut user = HashMap::new();
        for (key, ent, email, password) in [
            (
                "unrelated",
                "hekou",
                "hekou@qingchuan.example",
                unrelated_password.as_str(),
            ),
            (
                "xihu",
                "xihu",
                "xihu@qingchuan.example",
                "xihu user passphrase",
            ),
            (
                "hazchem",
                "hazchem",
                "huatai@qingchuan.example",
                "huatai user passphrase",
            ),
        ] {
            let r = admin.post(
                "/api/v1/users",
                &json!({"email": email, "name": key, "role": "enterprise",
                        "enterprise_id": enterprise[ent]["id"], "password": password}),
            );
            assert_eq!(r.status, 201, "{}", r.body);
            user.insert(key, r.body["id"].as_i64().unwrap());
        }
        for label in ["admin", "member", "lead"] {
            user.insert(label, app.user_id(label));
        }
        let mut finding = HashMap::new();
        let mut attachment = HashMap::new();
        for key in ["dongcheng", "xihu", "hazchem", "hekou"] {
            let photo = admin.upload(&crate::common::jpeg(key), "photo.jpg", "image/jpeg");
            let photo_id = photo.body["id"].as_i64().unwrap();
            let r = admin.post(
                "/api/v1/findings",
                &json!({"enterprise_id": enterprise[key]["id"], "title": "矩阵隐患", "category": "fire",
                        "grade": "general", "treatment": "on_the_spot", "attachment_ids": [photo_id]}),
            );
            assert_eq!(r.status, 201, "{}", r.body);
            finding.insert(key, r.body["id"].as_i64().unwrap());
            attachment.insert(key, photo_id);
        }
        let (batch, checklist) = inspections::fixtures(&admin, &alliance);
        let event = events::fixtures(&admin, &alliance);
        let lead_enterprise = find("青川福记餐饮管理有限公司")["id"].as_i64().unwrap();
        let mut clients = HashMap::new();
        for (role, label) in [
            (Role::Admin, "admin"),
            (Role::District, "district-regulator"),
            (Role::Street, "street-regulator"),
            (Role::Industry, "industry-regulator"),
            (Role::Lead, "lead"),
            (Role::Member, "member"),
            (Role::Expert, "expert"),
        ] {
            clients.insert(role, app.login(label));
        }
        let r = app.anon().post(
            "/api/v1/auth/login",
            &json!({"email": "hekou@qingchuan.example", "password": unrelated_password}),
        );
        clients.insert(
            Role::Unrelated,
            app.anon()
                .with_token(r.body["access_token"].as_str().unwrap()),
        );
        clients.insert(Role::Anon, app.anon());
        let notification = notify::fixtures(&app, &clients);
        let import = onboarding::fixtures(&app, &clients, &enterprise);
        let federation = federation::fixtures(&app);
        Fixture {
            app,
            admin,
            clients,
            enterprise,
            alliance,
            user,
            finding,
            attachment,
            batch,
            checklist,
            event,
            lead_enterprise,
            unrelated_password,
            notification,
            import,
            federation,
        }
    }

    /// The enterprise a role's "inside" / "outside" target is.
    fn enterprise_key(role: Role, target: Target) -> &'static str {
        match (role, target) {
            (Role::Industry, Target::In) => "hazchem",
            (Role::Industry, Target::Out) => "dongcheng",
            (Role::Unrelated, Target::In) => "hekou",
            (Role::Unrelated, Target::Out) => "dongcheng",
            (_, Target::In) => "dongcheng",
            (_, Target::Out) => "xihu",
        }
    }

    fn enterprise_of(&self, role: Role, target: Target) -> &Value {
        &self.enterprise[Self::enterprise_key(role, target)]
    }

    fn finding_of(&self, role: Role, target: Target) -> i64 {
        self.finding[Self::enterprise_key(role, target)]
    }

    fn attachment_of(&self, role: Role, target: Target) -> i64 {
        self.attachment[Self::enterprise_key(role, target)]
    }

    fn alliance_of(&self, role: Role, target: Target) -> i64 {
        self.alliance[Self::alliance_key(role, target)]
    }

    fn alliance_key(role: Role, target: Target) -> &'static str {
        match (role, target) {
            (Role::Industry, Target::In) => "hazchem",
            (Role::Industry, Target::Out) => "dongcheng",
            (Role::Unrelated, _) => "dongcheng",
            (_, Target::In) => "dongcheng",
            (_, Target::Out) => "xihu",
        }
    }

    fn user_of(&self, role: Role, target: Target) -> i64 {
        let key = match (role, target) {
            (Role::Admin | Role::District | Role::Street, Target::In) => "member",
            (Role::Admin | Role::District, Target::Out) => "admin",
            (Role::Street, Target::Out) => "xihu",
            (Role::Industry, Target::In) => "hazchem",
            (Role::Industry, Target::Out) => "member",
            (Role::Lead, Target::In) => "lead",
            (Role::Lead, Target::Out) => "member",
            (Role::Member, Target::In) => "member",
            (Role::Member, Target::Out) => "lead",
            (Role::Unrelated, Target::In) => "unrelated",
            (_, _) => "member",
        };
        self.user[key]
    }

    /// A new enterprise (registered by the admin) in the region and industry of `like`.
    fn fresh_enterprise(&self, like: &Value) -> i64 {
        let r = self.admin.post(
            "/api/v1/enterprises",
            &json!({"name": "矩阵测试企业", "credit_code": new_credit_code(), "region_id": like["region_id"],
                    "industry_id": like["industry_id"], "scale": "small_micro"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_i64().unwrap()
    }
}

type Build = fn(&Fixture, Role, Target) -> (String, Option<Value>);

struct Op {
    method: &'static str,
    path: &'static str,
    /// (inside, outside) for Admin, District, Street, Industry, Lead, Member, Expert, Unrelated, Anon.
    expect: [(u16, u16); 9],
    build: Build,
}

const fn all(s: u16) -> [(u16, u16); 9] {
    [
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
    ]
}

const fn logged_in(s: u16) -> [(u16, u16); 9] {
    [
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (s, s),
        (401, 401),
    ]
}

#[path = "authz_events.rs"]
mod events;
#[path = "authz_federation.rs"]
mod federation;
#[path = "authz_inspections.rs"]
mod inspections;
#[path = "authz_notify.rs"]
mod notify;
#[path = "authz_onboarding.rs"]
mod onboarding;
#[path = "authz_oversight.rs"]
mod oversight;

fn ops() -> Vec<Op> {
    let mut ops = inspections::ops();
    ops.extend(events::ops());
    ops.extend(oversight::ops());
    ops.extend(notify::ops());
    ops.extend(onboarding::ops());
    ops.extend(federation::ops());
    ops.extend(vec![
        Op {
            method: "get",
            path: "/healthz",
            expect: all(200),
            build: |_, _, _| ("/healthz".into(), None),
        },
        Op {
            method: "get",
            path: "/readyz",
            expect: all(200),
            build: |_, _, _| ("/readyz".into(), None),
        },
        Op {
            method: "get",
            path: "/metrics",
            // Every client of these tests scrapes from loopback, which is allowed by default.
            expect: all(200),
            build: |_, _, _| ("/metrics".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/auth/login",
            // Each role with its own password; anonymous with a wrong one.
            expect: [
                (200, 200),
                (200, 200),
                (200, 200),
                (200, 200),
                (200, 200),
                (200, 200),
                (200, 200),
                (200, 200),
                (401, 401),
            ],
            build: |f, role, _| {
                let (email, password) = match role {
                    Role::Anon => (
                        "nobody@qingchuan.example".to_string(),
                        "wrong password".to_string(),
                    ),
                    Role::Unrelated => (
                        "hekou@qingchuan.example".to_string(),
                        f.unrelated_password.clone(),
                    ),
                    _ => {
                        let label = label(role);
                        (f.app.email(label), f.app.password(label))
                    }
                };
                (
                    "/api/v1/auth/login".into(),
                    Some(json!({"email": email, "password": password})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/auth/refresh",
            expect: all(401),
            build: |_, _, _| {
                (
                    "/api/v1/auth/refresh".into(),
                    Some(json!({"refresh_token": "forged-token"})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/auth/logout",
            // Logging out a session of one's own (a fresh one, so the matrix keeps its tokens).
            expect: logged_in(204),
            build: |_, _, _| ("/api/v1/auth/logout".into(), Some(json!({}))),
        },
        Op {
            method: "get",
            path: "/api/v1/me",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/me".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/me/password",
            expect: logged_in(422),
            build: |_, _, _| {
                (
                    "/api/v1/me/password".into(),
                    Some(
                        json!({"current_password": "not mine at all", "new_password": "something long and new"}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/users",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/users".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/users",
            // Out of scope, the enterprise "does not exist" for a regulator: 422 naming it.
            expect: [
                (201, 201),
                (201, 201),
                (201, 422),
                (201, 422),
                (403, 403),
                (403, 403),
                (403, 403),
                (403, 403),
                (401, 401),
            ],
            build: |f, role, target| {
                let enterprise = &f.enterprise_of(role, target)["id"];
                let email = format!(
                    "matrix.{}@qingchuan.example",
                    new_credit_code().to_lowercase()
                );
                (
                    "/api/v1/users".into(),
                    Some(
                        json!({"email": email, "name": "矩阵", "role": "enterprise", "enterprise_id": enterprise}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/users/{id}",
            expect: [
                (200, 200),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (404, 404),
                (200, 404),
                (401, 401),
            ],
            build: |f, role, target| (format!("/api/v1/users/{}", f.user_of(role, target)), None),
        },
        Op {
            method: "patch",
            path: "/api/v1/users/{id}",
            expect: [
                (200, 200),
                (200, 404),
                (200, 404),
                (200, 404),
                (403, 404),
                (403, 404),
                (404, 404),
                (403, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!("/api/v1/users/{}", f.user_of(role, target)),
                    Some(json!({"phone": "0531-12345678"})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/regions",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/regions".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/industries",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/industries".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/enterprises",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/enterprises".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/enterprises",
            expect: [
                (201, 201),
                (201, 201),
                (201, 403),
                (201, 403),
                (403, 403),
                (403, 403),
                (403, 403),
                (403, 403),
                (401, 401),
            ],
            build: |f, role, target| {
                let like = f.enterprise_of(role, target);
                (
                    "/api/v1/enterprises".into(),
                    Some(
                        json!({"name": "矩阵新企业", "credit_code": new_credit_code(),
                    "region_id": like["region_id"], "industry_id": like["industry_id"], "scale": "small_micro"}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/enterprises/{id}",
            expect: [
                (200, 200),
                (200, 200),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/enterprises/{}",
                        f.enterprise_of(role, target)["id"]
                    ),
                    None,
                )
            },
        },
        Op {
            method: "patch",
            path: "/api/v1/enterprises/{id}",
            expect: [
                (200, 200),
                (200, 200),
                (200, 404),
                (200, 404),
                (403, 404),
                (200, 404),
                (403, 404),
                (200, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/enterprises/{}",
                        f.enterprise_of(role, target)["id"]
                    ),
                    Some(json!({"contact_name": "张三"})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/alliances",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/alliances".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/alliances",
            expect: [
                (201, 201),
                (201, 201),
                (201, 403),
                (201, 403),
                (403, 403),
                (403, 403),
                (403, 403),
                (403, 403),
                (401, 401),
            ],
            build: |f, role, target| {
                let lead = f.enterprise_of(role, target);
                let industry = if role == Role::Industry {
                    lead["industry_id"].clone()
                } else {
                    Value::Null
                };
                let region = if role == Role::Industry {
                    json!(1)
                } else {
                    lead["region_id"].clone()
                };
                let level = if role == Role::Industry {
                    "district"
                } else {
                    "street"
                };
                (
                    "/api/v1/alliances".into(),
                    Some(
                        json!({"name": format!("矩阵联盟{}", new_credit_code()), "level": level,
                    "region_id": region, "industry_id": industry, "lead_enterprise_id": lead["id"]}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/alliances/{id}",
            expect: [
                (200, 200),
                (200, 200),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!("/api/v1/alliances/{}", f.alliance_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "patch",
            path: "/api/v1/alliances/{id}",
            expect: [
                (200, 200),
                (200, 200),
                (200, 404),
                (200, 404),
                (403, 404),
                (403, 404),
                (403, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!("/api/v1/alliances/{}", f.alliance_of(role, target)),
                    Some(json!({})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/alliances/{id}/members",
            expect: [
                (200, 200),
                (200, 200),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!("/api/v1/alliances/{}/members", f.alliance_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/alliances/{id}/members",
            expect: [
                (201, 201),
                (201, 201),
                (201, 404),
                (201, 404),
                (403, 404),
                (403, 404),
                (403, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                let candidate = f.fresh_enterprise(f.enterprise_of(role, target));
                (
                    format!("/api/v1/alliances/{}/members", f.alliance_of(role, target)),
                    Some(json!({"enterprise_id": candidate})),
                )
            },
        },
        Op {
            method: "delete",
            path: "/api/v1/alliances/{id}/members/{enterprise_id}",
            expect: [
                (204, 204),
                (204, 204),
                (204, 404),
                (204, 404),
                (403, 404),
                (403, 404),
                (403, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                let alliance = f.alliance_of(role, target);
                let member = f.fresh_enterprise(f.enterprise_of(role, target));
                let r = f.admin.post(
                    &format!("/api/v1/alliances/{alliance}/members"),
                    &json!({"enterprise_id": member}),
                );
                assert_eq!(r.status, 201);
                (
                    format!("/api/v1/alliances/{alliance}/members/{member}"),
                    None,
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/findings",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/findings".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/findings",
            // Out of scope, the enterprise "does not exist" for the caller: 422 naming it.
            expect: [
                (201, 201),
                (201, 201),
                (201, 422),
                (201, 422),
                (422, 422),
                (201, 422),
                (201, 422),
                (201, 422),
                (401, 401),
            ],
            build: |f, role, target| {
                let enterprise = &f.enterprise_of(role, target)["id"];
                (
                    "/api/v1/findings".into(),
                    Some(
                        json!({"enterprise_id": enterprise, "title": "矩阵上报", "category": "fire",
                    "grade": "general", "treatment": "on_the_spot"}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/findings/{id}",
            expect: [
                (200, 200),
                (200, 200),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!("/api/v1/findings/{}", f.finding_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/findings/{id}/transitions",
            // `accept` on a reported finding: reviewers hear "wrong state" (409), others who see it
            // "not allowed" (403), the rest "not found"; nothing changes.
            expect: [
                (409, 409),
                (409, 409),
                (409, 404),
                (409, 404),
                (409, 404),
                (403, 404),
                (403, 404),
                (403, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/findings/{}/transitions",
                        f.finding_of(role, target)
                    ),
                    Some(json!({"action": "accept"})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/alliances/{id}/shared-findings",
            expect: [
                (200, 200),
                (200, 200),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/alliances/{}/shared-findings",
                        f.alliance_of(role, target)
                    ),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/attachments",
            expect: logged_in(201),
            build: |_, _, _| ("/api/v1/attachments".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/attachments/{id}",
            expect: [
                (200, 200),
                (200, 200),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!("/api/v1/attachments/{}", f.attachment_of(role, target)),
                    None,
                )
            },
        },
    ]);
    ops
}

fn label(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::District => "district-regulator",
        Role::Street => "street-regulator",
        Role::Industry => "industry-regulator",
        Role::Lead => "lead",
        Role::Member => "member",
        Role::Expert => "expert",
        Role::Unrelated | Role::Anon => "",
    }
}

/// A client for the role; for logout a fresh session of the role, so the matrix's own stays.
fn client_for(f: &Fixture, role: Role, op: &Op) -> Client {
    if op.path == "/api/v1/auth/logout" && role != Role::Anon {
        let (email, password) = match role {
            Role::Unrelated => (
                "hekou@qingchuan.example".to_string(),
                f.unrelated_password.clone(),
            ),
            _ => (f.app.email(label(role)), f.app.password(label(role))),
        };
        let r = f.app.anon().post(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
        );
        return f
            .app
            .anon()
            .with_token(r.body["access_token"].as_str().unwrap());
    }
    f.clients[&role].clone()
}

#[test]
fn every_operation_answers_every_role_as_declared() {
    let f = Fixture::new();
    let ops = ops();

    // The table covers exactly the operations the document lists.
    let doc = f.app.anon().get("/api/openapi.json").body;
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .filter(|(m, _)| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
        .collect();
    let declared: BTreeSet<(String, String)> = ops
        .iter()
        .map(|o| (o.method.to_string(), o.path.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&declared).collect();
    let stale: Vec<_> = declared.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in the authorization matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for operations the document does not list: {stale:?}"
    );

    let mut failures = Vec::new();
    for op in &ops {
        for (i, role) in ROLES.iter().enumerate() {
            for (target, expected) in [(Target::In, op.expect[i].0), (Target::Out, op.expect[i].1)]
            {
                let (path, body) = (op.build)(&f, *role, target);
                let client = client_for(&f, *role, op);
                let r = match op.method {
                    "post" if op.path == "/api/v1/attachments" => {
                        client.upload(&crate::common::jpeg("m"), "m.jpg", "image/jpeg")
                    }
                    "post" if op.path == "/api/v1/imports" => {
                        let csv = body.as_ref().unwrap()["csv"].as_str().unwrap().to_string();
                        client.upload_to(&path, csv.as_bytes(), "m.csv", "text/csv")
                    }
                    "get" if op.path == "/api/v1/attachments/{id}" => {
                        let (status, _, _) = client.get_bytes(&path);
                        crate::common::Response {
                            status,
                            body: Value::Null,
                            headers: HashMap::new(),
                        }
                    }
                    "get" => client.get(&path),
                    "post" => client.post(&path, body.as_ref().unwrap_or(&json!({}))),
                    "patch" => client.patch(&path, body.as_ref().unwrap_or(&json!({}))),
                    "put" => client.put(&path, body.as_ref().unwrap_or(&json!({}))),
                    "delete" => client.delete(&path),
                    other => panic!("method {other}"),
                };
                if r.status != expected {
                    failures.push(format!(
                        "{} {} as {role:?} ({target:?}: {path}): expected {expected}, got {} {}",
                        op.method.to_uppercase(),
                        op.path,
                        r.status,
                        r.body
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every id on every page of a list.
fn list_ids(client: &Client, path: &str) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    for page in 1.. {
        let r = client.get(&format!("{path}?per_page=100&page={page}"));
        assert_eq!(r.status, 200, "{path}");
        let items = r.body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        ids.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
    }
    ids
}

#[test]
fn lists_and_single_reads_agree_for_every_role() {
    let f = Fixture::new();
    let every_enterprise = list_ids(&f.admin, "/api/v1/enterprises");
    let every_alliance = list_ids(&f.admin, "/api/v1/alliances");
    let every_user = list_ids(&f.admin, "/api/v1/users");
    let every_finding = list_ids(&f.admin, "/api/v1/findings");
    for role in ROLES.iter().filter(|r| **r != Role::Anon) {
        let client = &f.clients[role];
        for (list, every, single) in [
            (
                "/api/v1/enterprises",
                &every_enterprise,
                "/api/v1/enterprises",
            ),
            ("/api/v1/alliances", &every_alliance, "/api/v1/alliances"),
            ("/api/v1/users", &every_user, "/api/v1/users"),
            ("/api/v1/findings", &every_finding, "/api/v1/findings"),
        ] {
            let listed = list_ids(client, list);
            for id in every {
                let status = client.get(&format!("{single}/{id}")).status;
                let in_list = listed.contains(id);
                assert!(
                    (in_list && status == 200) || (!in_list && status == 404),
                    "{role:?}: {single}/{id} answers {status} but is {}in the list",
                    if in_list { "" } else { "not " }
                );
            }
        }
    }
}
