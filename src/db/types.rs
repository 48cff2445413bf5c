//! Typed ids, text-stored enums and time helpers shared by every feature's model.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

/// A typed id: an `i64` in the database and in JSON, a distinct type in Rust.
#[macro_export]
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, diesel_derive_newtype::DieselNewType,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

/// An enum stored as text: one name per variant, the same in the database, JSON and forms.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize,
            diesel::AsExpression, diesel::FromSqlRow, utoipa::ToSchema,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        // The texts are the snake_case names of the variants (checked by a test), written as one
        // container attribute so that the OpenAPI schema shows them too.
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value `{}`; expected one of: {}",
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse().map_err(Into::into)
            }
        }
    };
}

/// Asia/Shanghai: UTC+8 all year (no daylight saving time).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// Now, in UTC, to the microsecond (what PostgreSQL keeps), as stored in the database.
pub fn now() -> NaiveDateTime {
    use chrono::Timelike;
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// A stored UTC timestamp shown in the display zone (RFC 3339 with +08:00).
pub fn local(ts: NaiveDateTime) -> DateTime<FixedOffset> {
    ts.and_utc().with_timezone(&shanghai())
}

/// The dates the platform accepts: 2000-01-01 to 2100-12-31. Outside that, a date is a typo (or
/// an attack on date arithmetic), never a deadline.
pub const FIRST_DAY: (i32, u32, u32) = (2000, 1, 1);
pub const LAST_DAY: (i32, u32, u32) = (2100, 12, 31);

pub fn sane(date: chrono::NaiveDate) -> bool {
    let day = |(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    (day(FIRST_DAY)..=day(LAST_DAY)).contains(&date)
}

/// Reads an optional date (`YYYY-MM-DD`) of a request, refusing one outside the sane range; the
/// refusal names the field like any other (serde's path).
pub fn sane_date<'de, D>(de: D) -> Result<Option<chrono::NaiveDate>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    match Option::<chrono::NaiveDate>::deserialize(de)? {
        Some(d) if !sane(d) => Err(serde::de::Error::custom(
            "must be a date between 2000-01-01 and 2100-12-31",
        )),
        other => Ok(other),
    }
}

/// Reads a required date (`YYYY-MM-DD`) of a request, refusing one outside the sane range.
pub fn sane_date_required<'de, D>(de: D) -> Result<chrono::NaiveDate, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    let date = chrono::NaiveDate::deserialize(de)?;
    if sane(date) {
        Ok(date)
    } else {
        Err(serde::de::Error::custom(
            "must be a date between 2000-01-01 and 2100-12-31",
        ))
    }
}

/// The UTC instant at which `date` begins in the display zone (dates outside chrono's range
/// saturate instead of panicking).
pub fn start_of_local_day(date: chrono::NaiveDate) -> NaiveDateTime {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    midnight
        .checked_sub_signed(chrono::Duration::hours(8))
        .unwrap_or(midnight)
}

/// Days the platform's calendar is moved from the real one (only by the settable clock of
/// trials and acceptance tests; see `SA_SETTABLE_CLOCK`).
static DAYS_MOVED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Today's date in the display zone, as the platform reckons deadlines, overdue and reminders.
pub fn today() -> chrono::NaiveDate {
    let real = real_today();
    real.checked_add_signed(chrono::Duration::days(days_moved()))
        .unwrap_or(real)
}

/// Today's date in the display zone, as the calendar on the wall says.
pub fn real_today() -> chrono::NaiveDate {
    Utc::now().with_timezone(&shanghai()).date_naive()
}

/// How many days the platform's calendar is moved.
pub fn days_moved() -> i64 {
    DAYS_MOVED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Moves the platform's calendar by `days` from the real one (timestamps stay real).
pub fn set_days_moved(days: i64) {
    DAYS_MOVED.store(days, std::sync::atomic::Ordering::Relaxed);
}
