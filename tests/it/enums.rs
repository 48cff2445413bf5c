//! Every enum stored as text (`text_enum!`) keeps one name per variant: the same in JSON, in
//! forms (`FromStr`) and through the database, on the backend under test.

use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use safety_alliance::auth::Role;
use safety_alliance::db::AnyConnection;
use safety_alliance::events::attendance::Method;
use safety_alliance::events::model::EventKind;
use safety_alliance::findings::model::{Action, Category, FindingState, Grade, Source, Treatment};
use safety_alliance::inspections::model::{BatchState, InspectionState, Outcome};
use safety_alliance::notify::ladder::Rung;
use safety_alliance::notify::outbox::{Channel, OutboxState};
use safety_alliance::notify::webhooks::RobotKind;
use safety_alliance::notify::Kind;
use safety_alliance::onboarding::model::{ImportKind, RowOutcome};
use safety_alliance::org::exports::ListName;
use safety_alliance::org::model::{AllianceLevel, MemberRole, RegionLevel, Scale};
use safety_alliance::users::invitations::{LinkState, Purpose};

use crate::common::TestApp;

#[derive(QueryableByName)]
struct Echo {
    #[diesel(sql_type = Text)]
    value: String,
}

/// Checks one enum: JSON and `FromStr` agree with `as_str`, and the text survives the database.
fn check<T>(conn: &mut AnyConnection, all: &[T], as_str: fn(T) -> &'static str) -> usize
where
    T: serde::Serialize + std::str::FromStr + Copy + PartialEq + std::fmt::Debug,
{
    for &v in all {
        let text = as_str(v);
        assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(text));
        assert_eq!(text.parse::<T>().ok(), Some(v), "{text} parses back");
        let echoed: Vec<Echo> = diesel::sql_query("SELECT CAST($1 AS TEXT) AS value")
            .bind::<Text, _>(text)
            .load(conn)
            .unwrap();
        assert_eq!(echoed[0].value, text);
    }
    let mut names: Vec<&str> = all.iter().map(|v| as_str(*v)).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all.len(), "{names:?}: one name per variant");
    1
}

#[test]
fn every_text_enum_keeps_one_name_everywhere() {
    let app = TestApp::spawn();
    let mut conn = app.platform.db.conn().unwrap();
    let c = &mut *conn;
    let checked = [
        ("Role", check(c, Role::ALL, Role::as_str)),
        (
            "RegionLevel",
            check(c, RegionLevel::ALL, RegionLevel::as_str),
        ),
        ("Scale", check(c, Scale::ALL, Scale::as_str)),
        (
            "AllianceLevel",
            check(c, AllianceLevel::ALL, AllianceLevel::as_str),
        ),
        ("MemberRole", check(c, MemberRole::ALL, MemberRole::as_str)),
        ("Source", check(c, Source::ALL, Source::as_str)),
        ("Category", check(c, Category::ALL, Category::as_str)),
        ("Grade", check(c, Grade::ALL, Grade::as_str)),
        ("Treatment", check(c, Treatment::ALL, Treatment::as_str)),
        (
            "FindingState",
            check(c, FindingState::ALL, FindingState::as_str),
        ),
        ("Action", check(c, Action::ALL, Action::as_str)),
        ("BatchState", check(c, BatchState::ALL, BatchState::as_str)),
        (
            "InspectionState",
            check(c, InspectionState::ALL, InspectionState::as_str),
        ),
        ("Outcome", check(c, Outcome::ALL, Outcome::as_str)),
        ("EventKind", check(c, EventKind::ALL, EventKind::as_str)),
        ("Method", check(c, Method::ALL, Method::as_str)),
        ("Kind", check(c, Kind::ALL, Kind::as_str)),
        (
            "OutboxState",
            check(c, OutboxState::ALL, OutboxState::as_str),
        ),
        ("Channel", check(c, Channel::ALL, Channel::as_str)),
        ("RobotKind", check(c, RobotKind::ALL, RobotKind::as_str)),
        ("Rung", check(c, Rung::ALL, Rung::as_str)),
        ("ImportKind", check(c, ImportKind::ALL, ImportKind::as_str)),
        ("RowOutcome", check(c, RowOutcome::ALL, RowOutcome::as_str)),
        ("Purpose", check(c, Purpose::ALL, Purpose::as_str)),
        ("ListName", check(c, ListName::ALL, ListName::as_str)),
        ("LinkState", check(c, LinkState::ALL, LinkState::as_str)),
    ];
    // A new `text_enum!` must be added above: count them in the sources.
    let mut declared = Vec::new();
    for path in crate::common::source_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for block in text.split("text_enum! {").skip(1) {
            if let Some(name) = block
                .split("pub enum ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
            {
                declared.push(name.to_string());
            }
        }
    }
    for name in &declared {
        assert!(
            checked.iter().any(|(n, _)| n == name),
            "the text enum {name} is not checked here"
        );
    }
    assert_eq!(declared.len(), checked.len(), "{declared:?}");
}
