//! The authorization matrix's rows for oversight: regulators and admins read the figures of
//! their scope (a filter outside it counts nothing); nobody else learns they exist.

use super::{Op, Target};

/// Admins and every regulator: 200 (narrowed to their scope); enterprise users and experts: 404.
const OVERSEE: [(u16, u16); 9] = [
    (200, 200),
    (200, 200),
    (200, 200),
    (200, 200),
    (404, 404),
    (404, 404),
    (404, 404),
    (404, 404),
    (401, 401),
];

/// The same request filtered to the alliance inside or outside the caller's scope.
fn filtered(f: &super::Fixture, path: &str, target: Target) -> String {
    let key = match target {
        Target::In => "dongcheng",
        Target::Out => "hazchem",
    };
    format!("{path}?alliance_id={}", f.alliance[key])
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op {
            method: "get",
            path: "/api/v1/oversight/summary",
            expect: OVERSEE,
            build: |f, _, target| (filtered(f, "/api/v1/oversight/summary", target), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/alliances",
            expect: OVERSEE,
            build: |_, _, _| ("/api/v1/oversight/alliances".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/events",
            expect: OVERSEE,
            build: |f, _, target| (filtered(f, "/api/v1/oversight/events", target), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/batches",
            expect: OVERSEE,
            build: |f, _, target| (filtered(f, "/api/v1/oversight/batches", target), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/inspections",
            expect: OVERSEE,
            build: |f, _, target| (filtered(f, "/api/v1/oversight/inspections", target), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/export.xlsx",
            expect: OVERSEE,
            build: |f, _, target| (filtered(f, "/api/v1/oversight/export.xlsx", target), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/export.csv",
            expect: OVERSEE,
            build: |f, _, target| (filtered(f, "/api/v1/oversight/export.csv", target), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/report",
            expect: OVERSEE,
            build: |_, _, target| {
                let year = match target {
                    Target::In => 2026,
                    Target::Out => 2001,
                };
                (format!("/api/v1/oversight/report?year={year}"), None)
            },
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/evaluations",
            // Regulators their scope's, leads their alliance's, others nothing.
            expect: [
                (200, 200),
                (200, 200),
                (200, 200),
                (200, 200),
                (200, 200),
                (404, 404),
                (404, 404),
                (404, 404),
                (401, 401),
            ],
            build: |_, _, target| {
                let month = match target {
                    Target::In => "2026-10",
                    Target::Out => "2001-01",
                };
                (format!("/api/v1/oversight/evaluations?month={month}"), None)
            },
        },
        Op {
            method: "post",
            path: "/api/v1/oversight/evaluations/{month}/publish",
            // The district's: admin and district regulator; other regulators 403.
            expect: DISTRICT,
            build: |_, role, target| {
                (
                    format!(
                        "/api/v1/oversight/evaluations/{}/publish",
                        months(role, target)
                    ),
                    Some(serde_json::json!({})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/oversight/evaluations/{month}/recompute",
            expect: DISTRICT,
            build: |_, role, target| {
                (
                    format!(
                        "/api/v1/oversight/evaluations/{}/recompute",
                        months(role, target)
                    ),
                    Some(serde_json::json!({})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/evaluation-settings",
            expect: OVERSEE,
            build: |_, _, _| ("/api/v1/oversight/evaluation-settings".into(), None),
        },
        Op {
            method: "put",
            path: "/api/v1/oversight/evaluation-settings",
            expect: [
                (200, 200),
                (200, 200),
                (403, 403),
                (403, 403),
                (404, 404),
                (404, 404),
                (404, 404),
                (404, 404),
                (401, 401),
            ],
            build: |_, _, _| {
                (
                    "/api/v1/oversight/evaluation-settings".into(),
                    Some(
                        serde_json::json!({"weights": {"inspections": 25, "found": 10,
                        "rectification": 25, "on_time": 15, "overdue": 10, "events": 10,
                        "attendance": 5}, "warn_below": 60}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/evaluations.xlsx",
            expect: SEE_EVALUATIONS,
            build: |_, _, _| ("/api/v1/oversight/evaluations.xlsx".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/evaluations.csv",
            expect: SEE_EVALUATIONS,
            build: |_, _, _| ("/api/v1/oversight/evaluations.csv".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/oversight/comparison",
            // Enterprise users (their own enterprise); nobody else has one to compare.
            expect: [
                (404, 404),
                (404, 404),
                (404, 404),
                (404, 404),
                (200, 200),
                (200, 200),
                (404, 404),
                (200, 200),
                (401, 401),
            ],
            build: |_, _, _| ("/api/v1/oversight/comparison".into(), None),
        },
    ]
}

/// Evaluations: regulators their scope's, leads their alliance's, others nothing.
const SEE_EVALUATIONS: [(u16, u16); 9] = [
    (200, 200),
    (200, 200),
    (200, 200),
    (200, 200),
    (200, 200),
    (404, 404),
    (404, 404),
    (404, 404),
    (401, 401),
];

/// Publishing and recomputing: the admin and the district's regulator (each its own month, so
/// that one's publication does not answer the other's); other regulators 403, the rest 404.
const DISTRICT: [(u16, u16); 9] = [
    (200, 200),
    (200, 200),
    (403, 403),
    (403, 403),
    (404, 404),
    (404, 404),
    (404, 404),
    (404, 404),
    (401, 401),
];

/// A past month per role and target, never the same twice, so every publication is a first.
fn months(role: super::Role, target: Target) -> String {
    let base = match role {
        super::Role::Admin => 2001,
        super::Role::District => 2003,
        _ => 2005,
    };
    let year = base + i32::from(target == Target::Out);
    format!("{year}-06")
}
