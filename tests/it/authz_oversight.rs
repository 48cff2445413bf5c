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
    ]
}
