//! The OpenAPI document (`/api/openapi.json`) and its locally served docs page (`/api/docs`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Safety-alliance platform API",
        description = "Alliances, enterprises, users and (as they land) inspections, hazards, events and oversight. \
Errors are application/problem+json (RFC 9457). Lists answer {items, total, page, per_page}.",
    ),
    paths(
        crate::auth::routes::login,
        crate::auth::routes::refresh,
        crate::auth::routes::logout,
        crate::auth::routes::me,
        crate::auth::routes::change_password,
        crate::users::routes::list_users,
        crate::users::routes::create_user,
        crate::users::routes::get_user,
        crate::users::routes::update_user,
        crate::org::registry_routes::create_region,
        crate::org::registry_routes::update_region,
        crate::org::registry_routes::create_industry,
        crate::org::registry_routes::update_industry,
        crate::org::registry_routes::deactivate_enterprise,
        crate::org::registry_routes::reactivate_enterprise,
        crate::org::exports::api_export,
        crate::users::invitation_routes::list_invitations,
        crate::users::invitation_routes::create_invitation,
        crate::users::invitation_routes::revoke_invitation,
        crate::users::invitation_routes::accept_invitation,
        crate::org::routes::list_regions,
        crate::org::routes::list_industries,
        crate::org::routes::list_enterprises,
        crate::org::routes::create_enterprise,
        crate::org::routes::get_enterprise,
        crate::org::routes::update_enterprise,
        crate::org::routes::list_alliances,
        crate::org::routes::create_alliance,
        crate::org::routes::get_alliance,
        crate::org::routes::update_alliance,
        crate::org::routes::list_members,
        crate::org::routes::add_member,
        crate::org::routes::remove_member,
        crate::findings::routes::list_findings,
        crate::findings::routes::report_finding,
        crate::findings::routes::get_finding,
        crate::findings::routes::transition_finding,
        crate::findings::routes::shared_findings,
        crate::findings::attachments::upload,
        crate::findings::attachments::download,
        crate::inspections::routes::list_checklists,
        crate::inspections::routes::create_checklist,
        crate::inspections::routes::get_checklist,
        crate::inspections::routes::edit_checklist,
        crate::inspections::routes::list_batches,
        crate::inspections::routes::create_batch,
        crate::inspections::routes::get_batch,
        crate::inspections::routes::update_batch,
        crate::inspections::routes::generate_pairings,
        crate::inspections::routes::batch_inspections,
        crate::inspections::routes::get_inspection,
        crate::inspections::routes::update_inspection,
        crate::inspections::routes::record_results,
        crate::inspections::routes::calendar_ics,
        crate::inspections::routes::create_calendar_feed,
        crate::inspections::routes::revoke_calendar_feed,
        crate::inspections::routes::calendar_feed,
        crate::events::routes::list_events,
        crate::events::routes::create_event,
        crate::events::routes::get_event,
        crate::events::routes::update_event,
        crate::events::routes::register,
        crate::events::routes::cancel_registration,
        crate::events::routes::check_in_code,
        crate::events::routes::check_in_code_svg,
        crate::events::routes::check_in,
        crate::events::routes::get_attendance,
        crate::events::routes::add_attendance,
        crate::events::routes::attendance_csv,
        crate::events::routes::attendance_xlsx,
        crate::events::routes::enterprise_training,
        crate::events::routes::my_training,
        crate::oversight::routes::get_summary,
        crate::oversight::routes::list_alliance_figures,
        crate::oversight::routes::list_held_events,
        crate::oversight::routes::list_counted_batches,
        crate::oversight::routes::list_inspected,
        crate::oversight::routes::export_xlsx,
        crate::oversight::routes::export_csv,
        crate::oversight::routes::get_report,
        crate::oversight::routes::list_evaluations,
        crate::oversight::routes::publish_evaluations,
        crate::oversight::routes::recompute_evaluations,
        crate::oversight::routes::get_evaluation_settings,
        crate::oversight::routes::put_evaluation_settings,
        crate::oversight::routes::evaluations_xlsx,
        crate::oversight::routes::evaluations_csv,
        crate::oversight::routes::get_comparison,
        crate::notify::routes::list_notifications,
        crate::notify::routes::unread_count,
        crate::notify::routes::read_one,
        crate::notify::routes::read_all,
        crate::notify::admin::get_preferences,
        crate::notify::admin::put_preferences,
        crate::notify::admin::get_ladder,
        crate::notify::admin::put_ladder,
        crate::notify::admin::list_webhooks,
        crate::notify::admin::create_webhook,
        crate::notify::admin::delete_webhook,
        crate::notify::admin::list_outbox,
        crate::notify::admin::resend,
        crate::notify::admin::get_clock,
        crate::notify::admin::put_clock,
        crate::onboarding::routes::get_template,
        crate::onboarding::routes::upload,
        crate::onboarding::routes::get_import,
        crate::onboarding::routes::commit_import,
        crate::federation::routes::get_preview,
        crate::federation::routes::list_publications,
        crate::federation::routes::create_publication,
        crate::federation::routes::pull_bundles,
        crate::federation::routes::receive_bundle,
        crate::federation::routes::list_districts,
        crate::federation::routes::enrol_key,
        crate::federation::routes::retire_key,
        crate::federation::routes::revoke_key,
        crate::federation::routes::city_summary,
        crate::federation::routes::approve,
        crate::federation::routes::reconciliation,
        crate::health::healthz,
        crate::health::readyz,
        crate::observability::metrics_text,
    ),
    modifiers(&BearerAuth, &TextLimits),
    tags(
        (name = "auth", description = "Login, tokens, the current user"),
        (name = "users", description = "User accounts"),
        (name = "organizations", description = "Regions, industries, enterprises, alliances"),
        (name = "findings", description = "Hazards (隐患) and their closed loop, attachments, shared lessons"),
        (name = "inspections", description = "Mutual inspection (互查): checklists, batches, pairings, results, the calendar feed"),
        (name = "events", description = "Alliance events: trainings, warning education, experience exchanges; registrations"),
        (name = "oversight", description = "Regulators' figures of their scope, and the records behind them"),
        (name = "notifications", description = "The caller's message centre: what happened, what to do and by when"),
        (name = "onboarding", description = "Bringing a district in: importing its registry from spreadsheets (preview, then commit)"),
        (name = "federation", description = "District → city: signed bundles of counts, the city's key registry, figures and reconciliation"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// States the longest text of every field the services check, from the same constants
/// (`findings::model::max`, `org::model::max`, `users::model::max`).
struct TextLimits;

impl Modify for TextLimits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let limits = crate::findings::model::TEXT_LIMITS
            .iter()
            .chain(crate::org::model::TEXT_LIMITS)
            .chain(crate::users::model::TEXT_LIMITS)
            .chain(crate::inspections::model::TEXT_LIMITS)
            .chain(crate::events::model::TEXT_LIMITS);
        for (schema, field, max) in limits {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*schema) {
                if let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut(*field)
                {
                    property.max_length = Some(*max);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    /// Every limit reaches the document: a renamed schema or field would silently lose it.
    #[test]
    fn every_text_limit_is_in_the_api_document() {
        let doc = serde_json::to_value(super::ApiDoc::openapi()).unwrap();
        let limits = crate::findings::model::TEXT_LIMITS
            .iter()
            .chain(crate::org::model::TEXT_LIMITS)
            .chain(crate::users::model::TEXT_LIMITS)
            .chain(crate::inspections::model::TEXT_LIMITS)
            .chain(crate::events::model::TEXT_LIMITS);
        for (schema, field, max) in limits {
            assert_eq!(
                doc["components"]["schemas"][schema]["properties"][field]["maxLength"],
                serde_json::json!(max),
                "{schema}.{field}"
            );
        }
    }
}
