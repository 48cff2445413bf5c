//! The tables of onboarding: imported files between preview and commit, and invitations.

diesel::table! {
    imports (id) {
        id -> BigInt,
        kind -> Text,
        actor_id -> BigInt,
        file_name -> Text,
        content -> Text,
        created_at -> Timestamp,
        committed_at -> Nullable<Timestamp>,
        result -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        nonce -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        import_id -> Nullable<BigInt>,
    }
}
