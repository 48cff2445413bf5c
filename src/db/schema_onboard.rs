//! The tables of onboarding: imported files between preview and commit.

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
