// Kept by hand: the same types on both backends (ids are BigInt everywhere).

diesel::table! {
    regions (id) {
        id -> BigInt,
        parent_id -> Nullable<BigInt>,
        level -> Text,
        name -> Text,
        code -> Text,
    }
}

diesel::table! {
    industries (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        department -> Text,
    }
}

diesel::table! {
    enterprises (id) {
        id -> BigInt,
        name -> Text,
        credit_code -> Text,
        region_id -> BigInt,
        industry_id -> BigInt,
        scale -> Text,
        address -> Text,
        contact_name -> Text,
        contact_phone -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_on -> Nullable<Date>,
    }
}

diesel::table! {
    alliances (id) {
        id -> BigInt,
        name -> Text,
        level -> Text,
        region_id -> BigInt,
        industry_id -> Nullable<BigInt>,
        lead_enterprise_id -> BigInt,
        founded_on -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        alliance_id -> BigInt,
        enterprise_id -> BigInt,
        role -> Text,
        joined_on -> Date,
        left_on -> Nullable<Date>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        phone -> Text,
        password_hash -> Text,
        role -> Text,
        region_id -> Nullable<BigInt>,
        industry_id -> Nullable<BigInt>,
        enterprise_id -> Nullable<BigInt>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    expert_assignments (user_id, alliance_id) {
        user_id -> BigInt,
        alliance_id -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        refresh_hash -> Text,
        previous_hash -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<BigInt>,
        changes -> Text,
        prev_hash -> Text,
        hash -> Text,
        mac -> Nullable<Text>,
    }
}

diesel::joinable!(enterprises -> regions (region_id));
diesel::joinable!(enterprises -> industries (industry_id));
diesel::joinable!(alliances -> regions (region_id));
diesel::joinable!(memberships -> alliances (alliance_id));
diesel::joinable!(memberships -> enterprises (enterprise_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(expert_assignments -> users (user_id));
diesel::joinable!(expert_assignments -> alliances (alliance_id));

diesel::table! {
    access_epoch (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    findings (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        alliance_id -> Nullable<BigInt>,
        inspector_enterprise_id -> Nullable<BigInt>,
        inspection_id -> Nullable<BigInt>,
        source -> Text,
        title -> Text,
        description -> Text,
        cause -> Text,
        category -> Text,
        grade -> Text,
        treatment -> Text,
        deadline -> Nullable<Date>,
        location -> Text,
        measures -> Text,
        cost_cents -> Nullable<BigInt>,
        responsible_person -> Text,
        state -> Text,
        shared -> Bool,
        extension_requested_until -> Nullable<Date>,
        reported_by -> BigInt,
        reported_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        region_id -> BigInt,
        industry_id -> BigInt,
    }
}

diesel::table! {
    finding_events (id) {
        id -> BigInt,
        finding_id -> BigInt,
        action -> Text,
        actor_id -> BigInt,
        at -> Timestamp,
        note -> Text,
        from_state -> Text,
        to_state -> Text,
        deadline -> Nullable<Date>,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        sha256 -> Text,
        content_type -> Text,
        size -> BigInt,
        file_name -> Text,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    finding_attachments (event_id, attachment_id) {
        event_id -> BigInt,
        attachment_id -> BigInt,
        finding_id -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> BigInt,
        key -> Text,
        finding_id -> BigInt,
        request_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(finding_events -> findings (finding_id));
diesel::joinable!(findings -> enterprises (enterprise_id));
diesel::joinable!(finding_attachments -> attachments (attachment_id));
diesel::joinable!(finding_attachments -> finding_events (event_id));

diesel::table! {
    checklists (id) {
        id -> BigInt,
        family_id -> BigInt,
        version -> Integer,
        name -> Text,
        note -> Text,
        alliance_id -> Nullable<BigInt>,
        industry_id -> Nullable<BigInt>,
        current -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    checklist_items (id) {
        id -> BigInt,
        checklist_id -> BigInt,
        position -> Integer,
        text -> Text,
        category -> Text,
        clause -> Text,
        grade -> Text,
        caution -> Text,
    }
}

diesel::table! {
    inspection_batches (id) {
        id -> BigInt,
        alliance_id -> BigInt,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        checklist_id -> BigInt,
        state -> Text,
        per_target -> Integer,
        recent_batches -> Integer,
        seed -> BigInt,
        conflicts -> Text,
        relaxed -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    batch_participants (batch_id, enterprise_id) {
        batch_id -> BigInt,
        enterprise_id -> BigInt,
    }
}

diesel::table! {
    inspections (id) {
        id -> BigInt,
        batch_id -> BigInt,
        inspector_enterprise_id -> BigInt,
        target_enterprise_id -> BigInt,
        scheduled_on -> Nullable<Date>,
        state -> Text,
        inspectors -> Text,
        submitted_at -> Nullable<Timestamp>,
        submitted_by -> Nullable<BigInt>,
        submit_key -> Nullable<Text>,
        submit_hash -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inspection_results (inspection_id, item_id) {
        inspection_id -> BigInt,
        item_id -> BigInt,
        result -> Text,
        note -> Text,
        grade -> Nullable<Text>,
        attachment_ids -> Text,
        finding_id -> Nullable<BigInt>,
        deadline -> Nullable<Date>,
    }
}

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(checklist_items -> checklists (checklist_id));
diesel::joinable!(inspection_batches -> alliances (alliance_id));
diesel::joinable!(inspection_batches -> checklists (checklist_id));
diesel::joinable!(batch_participants -> inspection_batches (batch_id));
diesel::joinable!(inspections -> inspection_batches (batch_id));
diesel::joinable!(inspection_results -> inspections (inspection_id));
diesel::joinable!(inspection_results -> checklist_items (item_id));

diesel::table! {
    events (id) {
        id -> BigInt,
        alliance_id -> BigInt,
        kind -> Text,
        title -> Text,
        description -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        place -> Text,
        speaker -> Text,
        capacity -> Integer,
        quota -> Integer,
        required_all -> Bool,
        case_study -> Text,
        hazard_categories -> Text,
        links -> Text,
        summary -> Text,
        lesson_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    event_requirements (event_id, enterprise_id) {
        event_id -> BigInt,
        enterprise_id -> BigInt,
        people -> Integer,
    }
}

diesel::table! {
    event_materials (event_id, attachment_id) {
        event_id -> BigInt,
        attachment_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    registrations (id) {
        id -> BigInt,
        event_id -> BigInt,
        enterprise_id -> BigInt,
        user_id -> BigInt,
        registered_by -> BigInt,
        registered_at -> Timestamp,
    }
}

diesel::table! {
    attendances (id) {
        id -> BigInt,
        event_id -> BigInt,
        enterprise_id -> BigInt,
        user_id -> Nullable<BigInt>,
        name -> Text,
        method -> Text,
        checked_in_at -> Timestamp,
        checked_in_by -> BigInt,
    }
}

diesel::joinable!(events -> alliances (alliance_id));
diesel::joinable!(registrations -> events (event_id));
diesel::joinable!(event_requirements -> events (event_id));

diesel::table! {
    finding_figures (month, region_id, industry_id, alliance_id, category) {
        month -> Date,
        region_id -> BigInt,
        industry_id -> BigInt,
        alliance_id -> BigInt,
        category -> Text,
        found -> BigInt,
        rectified -> BigInt,
        on_time -> BigInt,
    }
}

diesel::table! {
    open_finding_figures (region_id, industry_id, alliance_id, category, grade, state, deadline) {
        region_id -> BigInt,
        industry_id -> BigInt,
        alliance_id -> BigInt,
        category -> Text,
        grade -> Text,
        state -> Text,
        deadline -> Date,
        n -> BigInt,
    }
}

diesel::table! {
    evaluation_settings (id) {
        id -> BigInt,
        weights -> Text,
        warn_below -> Double,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    evaluations (month, subject, subject_id) {
        month -> Date,
        subject -> Text,
        subject_id -> BigInt,
        metrics -> Text,
        weights -> Text,
        score -> Double,
        rank -> Integer,
        previous_score -> Nullable<Double>,
        previous_rank -> Nullable<Integer>,
        warn_below -> Double,
        computed_at -> Timestamp,
        computed_by -> Nullable<BigInt>,
        published_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        subject -> Text,
        link -> Text,
        due_on -> Nullable<Date>,
        note -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        mailed -> Bool,
    }
}

diesel::joinable!(notifications -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    industries,
    enterprises,
    alliances,
    memberships,
    users,
    expert_assignments,
    sessions,
    audit_log,
    findings,
    finding_events,
    attachments,
    finding_attachments,
    idempotency_keys,
    checklists,
    checklist_items,
    inspection_batches,
    batch_participants,
    inspections,
    inspection_results,
    calendar_feeds,
    events,
    event_requirements,
    event_materials,
    registrations,
    attendances,
    finding_figures,
    open_finding_figures,
    evaluation_settings,
    evaluations,
    notifications,
);

// Notification tables (the outbox and its settings) and imports join nothing above.
pub use super::{schema_notify::*, schema_onboard::*};
