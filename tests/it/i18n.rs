//! Both languages have every word: each template's `t.key`, each key looked up from an enum value,
//! each message a service can send and each label a form error names, in Chinese and English.

use std::collections::BTreeSet;

use safety_alliance::auth::Role;
use safety_alliance::events::model::EventKind;
use safety_alliance::findings::model::{Action, Category, FindingState, Grade, Source, Treatment};
use safety_alliance::inspections::model::{BatchState, InspectionState, Outcome};
use safety_alliance::message::{msg, FIELD_LABELS};
use safety_alliance::org::model::{AllianceLevel, MemberRole, Scale};
use serde_json::Value;

use crate::common::{files_under, source_files};

fn dictionary(lang: &str) -> Value {
    let path = format!("{}/templates/i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The names that follow each `marker` in `text` (a name: letters, digits and `_`).
fn names_after<'a>(text: &'a str, marker: &'a str) -> impl Iterator<Item = String> + 'a {
    text.match_indices(marker).filter_map(move |(i, _)| {
        let before = text[..i].chars().next_back();
        if marker == "t." && before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let rest = &text[i + marker.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        Some(rest[..end].to_string())
    })
}

/// The keys a template reaches through `(concat "prefix_" value)`: every value the prefix takes.
fn dynamic_keys(prefix: &str) -> Option<Vec<String>> {
    fn all<T: Copy>(values: &[T], name: fn(T) -> &'static str) -> Vec<String> {
        values.iter().map(|v| name(*v).to_string()).collect()
    }
    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }
    let values = match prefix {
        "" => return Some(Vec::new()),
        "state_" => all(FindingState::ALL, FindingState::as_str),
        "source_" => all(Source::ALL, Source::as_str),
        "category_" => all(Category::ALL, Category::as_str),
        "treatment_" => all(Treatment::ALL, Treatment::as_str),
        "grade_" => all(Grade::ALL, Grade::as_str),
        "action_" => all(Action::ALL, Action::as_str),
        "outbox_" => all(
            safety_alliance::notify::outbox::OutboxState::ALL,
            safety_alliance::notify::outbox::OutboxState::as_str,
        ),
        "robot_" => all(
            safety_alliance::notify::webhooks::RobotKind::ALL,
            safety_alliance::notify::webhooks::RobotKind::as_str,
        ),
        "rung_" => all(
            safety_alliance::notify::ladder::Rung::ALL,
            safety_alliance::notify::ladder::Rung::as_str,
        ),
        "scale_" => all(Scale::ALL, Scale::as_str),
        "region_level_" => all(
            safety_alliance::org::model::RegionLevel::ALL,
            safety_alliance::org::model::RegionLevel::as_str,
        ),
        "link_purpose_" => all(
            safety_alliance::users::invitations::Purpose::ALL,
            safety_alliance::users::invitations::Purpose::as_str,
        ),
        "link_state_" => all(
            safety_alliance::users::invitations::LinkState::ALL,
            safety_alliance::users::invitations::LinkState::as_str,
        ),
        "import_field_" => {
            use safety_alliance::onboarding::{enterprises, people, rosters};
            [enterprises::COLUMNS, people::COLUMNS, rosters::COLUMNS]
                .iter()
                .flat_map(|cols| cols.iter().map(|c| c.field.to_string()))
                .collect()
        }
        "import_title_" | "import_intro_" | "import_kind_" | "import_key_" => all(
            safety_alliance::onboarding::model::ImportKind::ALL,
            safety_alliance::onboarding::model::ImportKind::as_str,
        ),
        "federation_delivery_" => strings(safety_alliance::federation::model::DELIVERIES),
        "federation_key_" => strings(safety_alliance::federation::model::KEY_STATUSES),
        "federation_state_" => strings(safety_alliance::federation::model::SCOPE_STATES),
        "federation_status_" => strings(safety_alliance::federation::model::STANDINGS),
        "federation_recon_" => strings(safety_alliance::federation::model::RECONCILED),
        "level_" => all(AllianceLevel::ALL, AllianceLevel::as_str),
        "role_" => all(MemberRole::ALL, MemberRole::as_str),
        "user_role_" => all(Role::ALL, Role::as_str),
        "error_title_" | "error_detail_" => safety_alliance::web::ERROR_KINDS
            .iter()
            .map(|k| k.to_string())
            .collect(),
        "findings_title_" => vec!["true".into(), "false".into()],
        "batch_state_" => all(BatchState::ALL, BatchState::as_str),
        "inspection_state_" => all(InspectionState::ALL, InspectionState::as_str),
        "result_" => all(Outcome::ALL, Outcome::as_str),
        "event_kind_" => all(EventKind::ALL, EventKind::as_str),
        "measure_" => safety_alliance::oversight::evaluation::Weights::default()
            .named()
            .iter()
            .map(|(n, _)| n.to_string())
            .collect(),
        "oversight_list_" => vec!["events".into(), "batches".into(), "inspections".into()],
        "relaxed_" => vec![
            "recent_pair".into(),
            "other_industry".into(),
            "uninspected".into(),
        ],
        _ => return None,
    };
    Some(values.into_iter().map(|v| format!("{prefix}{v}")).collect())
}

#[test]
fn every_word_a_page_or_message_uses_is_in_both_languages() {
    let dictionaries = [("zh-CN", dictionary("zh-CN")), ("en", dictionary("en"))];
    let mut needed: BTreeSet<(String, String)> = BTreeSet::new();
    let mut need = |key: String, whence: &str| {
        needed.insert((key, whence.to_string()));
    };
    let templates = files_under("templates", "hbs");
    assert!(templates.len() > 20, "{templates:?}");
    for path in &templates {
        let text = std::fs::read_to_string(path).unwrap();
        let whence = path.display().to_string();
        for key in names_after(&text, "t.") {
            need(key, &whence);
        }
        for prefix in names_after(&text, "concat \"") {
            let keys = dynamic_keys(&prefix).unwrap_or_else(|| {
                panic!(
                    "{whence}: keys built from `{prefix}` + a value; list the values in dynamic_keys"
                )
            });
            for k in keys {
                need(k, &whence);
            }
        }
    }
    // Words Rust code looks up itself.
    // Words Rust code looks up itself: `word(lang, "key")`, and the conflict words of
    // `form_failure(…, ("field", "key"))`.
    for path in source_files() {
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace(char::is_whitespace, "");
        let whence = path.display().to_string();
        for marker in [".lang,\"", "(lang,\"", "err,(\""] {
            for (i, _) in text.match_indices(marker) {
                let rest = &text[i + marker.len()..];
                let rest = if marker == "err,(\"" {
                    rest.split_once("\",\"").map_or("", |(_, r)| r)
                } else {
                    rest
                };
                if let Some((key, _)) = rest.split_once('"') {
                    if !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    {
                        need(key.to_string(), &whence);
                    }
                }
            }
        }
    }
    // The message centre's words, one pair per kind of message (`notify::Kind::words`).
    for kind in safety_alliance::notify::Kind::ALL {
        for dated in [true, false] {
            let (what, todo) = kind.words(dated);
            need(what, "notify::Kind");
            need(todo, "notify::Kind");
        }
    }
    // Flash messages and confirmation questions are named by literals, and one per action.
    for path in source_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let whence = path.display().to_string();
        for prefix in ["\"flash_", "\"confirm_", "\"next_", "\"new_deadline"] {
            for (i, _) in text.match_indices(prefix) {
                let rest = &text[i + 1..];
                let key = &rest[..rest.find('"').unwrap()];
                if !key.ends_with('_') && !key.contains('{') {
                    need(key.to_string(), &whence);
                }
            }
        }
    }
    // Audit trails name each action: `audit_<action>` for every action recorded.
    for path in source_files() {
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace(char::is_whitespace, "");
        for (i, _) in text.match_indices("audit::record(") {
            // The third argument, when it is a literal (findings record their action's name).
            let args = &text[i + "audit::record(".len()..];
            if let Some(action) = args.split(',').nth(2).and_then(|a| a.strip_prefix('"')) {
                let action = action.split('"').next().unwrap();
                need(format!("audit_{action}"), &path.display().to_string());
            }
        }
    }
    for action in Action::ALL {
        need(format!("audit_{}", action.as_str()), "audit of an action");
        need(
            format!("flash_{}", action.as_str()),
            "flash after an action",
        );
    }
    for key in msg::ALL {
        need(key.to_string(), "message catalog");
    }
    for (field, label) in FIELD_LABELS {
        need(label.to_string(), &format!("label of field {field}"));
    }
    assert!(needed.len() > 300, "found only {} keys", needed.len());
    let mut missing = Vec::new();
    for (key, whence) in &needed {
        for (lang, d) in &dictionaries {
            match d[key].as_str() {
                Some(text) if !text.trim().is_empty() => {}
                _ => missing.push(format!("{lang}: `{key}` (used by {whence})")),
            }
        }
    }
    assert!(missing.is_empty(), "missing words:\n{}", missing.join("\n"));
    // A message says in Chinese only what its English can name.
    for key in msg::ALL {
        let zh = placeholders(dictionaries[0].1[key].as_str().unwrap());
        let en = placeholders(dictionaries[1].1[key].as_str().unwrap());
        assert!(zh.is_subset(&en), "{key}: {zh:?} vs {en:?}");
    }
    // Chinese pages say it in Chinese: no message is left in English.
    for key in msg::ALL {
        let zh = dictionaries[0].1[key].as_str().unwrap();
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{key} is not translated: {zh}"
        );
    }
}
