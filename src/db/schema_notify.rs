//! The tables of notifications' outbox, preferences, deadline ladder, reminders and robots.

diesel::table! {
    outbox (id) {
        id -> BigInt,
        channel -> Text,
        user_id -> Nullable<BigInt>,
        webhook_id -> Nullable<BigInt>,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        link -> Text,
        due_on -> Nullable<Date>,
        note -> Text,
        items -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        leased_by -> Text,
        leased_until -> Nullable<Timestamp>,
        last_error -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_prefs (user_id) {
        user_id -> BigInt,
        language -> Text,
        digest -> Bool,
        muted -> Text,
        digest_upto -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deadline_ladder (grade) {
        grade -> Text,
        remind_days -> Integer,
        escalate_days -> Integer,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reminders (key) {
        key -> Text,
        finding_id -> Nullable<BigInt>,
        event_id -> Nullable<BigInt>,
        rung -> Text,
        day -> Date,
        told -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        alliance_id -> Nullable<BigInt>,
        region_id -> Nullable<BigInt>,
        kind -> Text,
        name -> Text,
        url -> Text,
        secret -> Text,
        active -> Bool,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    platform_clock (id) {
        id -> Integer,
        days_moved -> BigInt,
        updated_at -> Timestamp,
    }
}
