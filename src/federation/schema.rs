//! The federation's tables (see the migration `000019_federation`).

diesel::table! {
    federation_outgoing (id) {
        id -> BigInt,
        dataset -> Text,
        period -> Text,
        revision -> Integer,
        reason -> Text,
        hash -> Text,
        kid -> Text,
        bundle -> Text,
        cells -> Integer,
        suppressed -> Integer,
        published_by -> Nullable<BigInt>,
        published_at -> Timestamp,
        delivery -> Text,
        delivery_note -> Text,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    federation_districts (code) {
        code -> Text,
        name -> Text,
        code_list -> Text,
        code_list_version -> Text,
        enrolled_by -> Nullable<BigInt>,
        enrolled_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    federation_keys (id) {
        id -> BigInt,
        district_code -> Text,
        kid -> Text,
        public_key -> Text,
        not_before -> Timestamp,
        not_after -> Timestamp,
        status -> Text,
        enrolled_by -> Nullable<BigInt>,
        enrolled_at -> Timestamp,
        status_changed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    federation_bundles (id) {
        id -> BigInt,
        district_code -> Text,
        dataset -> Text,
        period -> Text,
        revision -> Integer,
        reason -> Text,
        hash -> Text,
        kid -> Text,
        code_list_version -> Text,
        bundle -> Text,
        via -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    federation_scopes (district_code, dataset, period) {
        district_code -> Text,
        dataset -> Text,
        period -> Text,
        revision -> Integer,
        hash -> Text,
        bundle_id -> BigInt,
        state -> Text,
        received_at -> Timestamp,
        first_received_at -> Timestamp,
        approved_by -> Nullable<BigInt>,
        approved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    federation_cells (district_code, dataset, period, street_code, industry_code) {
        district_code -> Text,
        dataset -> Text,
        period -> Text,
        street_code -> Text,
        industry_code -> Text,
        bundle_id -> BigInt,
        suppressed -> Bool,
        enterprises -> BigInt,
        found -> BigInt,
        rectified -> BigInt,
        on_time -> BigInt,
        overdue -> BigInt,
        major_open -> BigInt,
        inspection_batches -> BigInt,
        enterprises_inspected -> BigInt,
        inspections_planned -> BigInt,
        trainings -> BigInt,
        warning_educations -> BigInt,
        exchanges -> BigInt,
        attendances -> BigInt,
    }
}
