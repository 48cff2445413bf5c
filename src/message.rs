//! The messages people read about what they typed: a key of the page dictionaries
//! (`templates/i18n/*.json`) with the values it names. The API sends them in English; pages show
//! them in the viewer's language. Every key is listed in [`msg::ALL`], and a test fails when one
//! is missing from either dictionary.

use std::sync::LazyLock;

use serde_json::Value;

/// One message: its dictionary key and the values its `{placeholders}` stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// What a library said, for API clients only (pages never show it).
    pub detail: Option<String>,
}

impl Text {
    pub const fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
            detail: None,
        }
    }

    /// The message with `{name}` standing for `value`.
    pub fn with(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in a dictionary's language (the key itself if the dictionary lacks it, which
    /// the dictionary test forbids).
    pub fn render(&self, dictionary: &Value) -> String {
        let mut out = dictionary[self.key]
            .as_str()
            .unwrap_or(self.key)
            .to_string();
        for (name, value) in &self.args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// The message with a library's own words added for API clients.
    pub fn detailed(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The message as the API sends it.
    pub fn english(&self) -> String {
        let text = self.render(&ENGLISH);
        match &self.detail {
            Some(detail) => format!("{text} ({detail})"),
            None => text,
        }
    }
}

static ENGLISH: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../templates/i18n/en.json"))
        .expect("templates/i18n/en.json is valid JSON (checked by the page tests)")
});

/// Form fields and the dictionary keys of their labels, for messages shown above a form
/// ("整改期限：…"). Fields a person never fills in are not listed (they are shown without a name).
pub const FIELD_LABELS: &[(&str, &str)] = &[
    ("title", "title"),
    ("description", "description"),
    ("grade", "grade"),
    ("category", "category"),
    ("treatment", "treatment"),
    ("deadline", "deadline"),
    ("cost", "cost_yuan"),
    ("note", "note"),
    ("photo", "photos"),
    ("file", "photos"),
    ("attachment_ids", "photos"),
    ("enterprise_id", "enterprise"),
    ("enterprise", "enterprise"),
    ("alliance_id", "alliance"),
    ("alliance_ids", "assigned_alliances"),
    ("lead_enterprise_id", "lead_enterprise"),
    ("lead_credit_code", "lead_enterprise"),
    ("region_id", "region"),
    ("industry_id", "industry"),
    ("name", "name"),
    ("credit_code", "credit_code"),
    ("address", "address"),
    ("contact_name", "contact_name"),
    ("contact_phone", "contact_phone"),
    ("phone", "phone"),
    ("email", "email"),
    ("password", "password"),
    ("current_password", "current_password"),
    ("new_password", "new_password"),
    ("role", "role"),
    ("level", "level"),
    ("scale", "scale"),
    ("founded_on", "founded_on"),
    ("from", "date_from"),
    ("to", "date_to"),
    ("active", "status"),
    ("joined_on", "joined_on"),
    ("left_on", "left_on"),
    ("starts_on", "starts_on"),
    ("ends_on", "ends_on"),
    ("checklist_id", "checklist"),
    ("participant_ids", "participants"),
    ("per_target", "per_target"),
    ("recent_batches", "recent_batches"),
    ("conflicts", "conflicts"),
    ("seed", "seed"),
    ("scheduled_on", "scheduled_on"),
    ("inspectors", "inspectors"),
    ("swap_target_with", "pairings"),
    ("items", "results"),
    ("starts_at", "starts_at"),
    ("ends_at", "ends_at"),
    ("capacity", "capacity"),
    ("quota", "quota"),
    ("place", "place"),
    ("speaker", "speaker"),
    ("links", "links"),
    ("user_ids", "people"),
];

/// The dictionary key of a form field's label.
pub fn field_label(field: &str) -> Option<&'static str> {
    FIELD_LABELS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, label)| *label)
}

macro_rules! catalog {
    ($($name:ident = $key:literal,)*) => {
        $(pub const $name: Text = Text::new($key);)*
        /// Every message key, for the dictionary test.
        pub const ALL: &[&str] = &[$($key),*];
    };
}

/// The messages, by what they say.
pub mod msg {
    use super::Text;

    catalog! {
        EMPTY = "msg_empty",
        REQUIRED = "msg_required",
        TOO_LONG = "msg_too_long",
        INVISIBLE = "msg_invisible",
        NUL = "msg_nul",
        NOT_UTF8 = "msg_not_utf8",
        NOT_NUMBER = "msg_not_number",
        NOT_DATE = "msg_not_date",
        NOT_LISTED = "msg_not_listed",
        INVALID = "msg_invalid",
        JSON_OBJECT = "msg_json_object",
        JSON_EMPTY = "msg_json_empty",
        JSON_INVALID = "msg_json_invalid",
        BETWEEN = "msg_between",
        ONE_OF = "msg_one_of",
        UNKNOWN_ACTION = "msg_unknown_action",
        EMPTY_FOR_ROLE = "msg_empty_for_role",
        REGULATOR_NEEDS_AREA = "msg_regulator_needs_area",
        EMPTY_FOR_REGULATOR = "msg_empty_for_regulator",
        NEEDS_ENTERPRISE = "msg_needs_enterprise",
        EMPTY_FOR_ENTERPRISE_USER = "msg_empty_for_enterprise_user",
        NO_SUCH_REGION = "msg_no_such_region",
        NO_SUCH_INDUSTRY = "msg_no_such_industry",
        NO_SUCH_ENTERPRISE = "msg_no_such_enterprise",
        NO_SUCH_ALLIANCE = "msg_no_such_alliance",
        ENTERPRISE_OUT_OF_SCOPE = "msg_enterprise_out_of_scope",
        NO_ENTERPRISE_MATCH = "msg_no_enterprise_match",
        ENTERPRISE_AMBIGUOUS = "msg_enterprise_ambiguous",
        ONLY_EXPERTS_ASSIGNED = "msg_only_experts_assigned",
        ONLY_ADMINS_ASSIGN = "msg_only_admins_assign",
        IDS_COMMAS = "msg_ids_commas",
        BAD_EMAIL = "msg_bad_email",
        DEACTIVATE_SELF = "msg_deactivate_self",
        PASSWORD_SHORT = "msg_password_short",
        PASSWORD_LONG = "msg_password_long",
        PASSWORD_COMMON = "msg_password_common",
        PASSWORD_SAME = "msg_password_same",
        PASSWORD_WRONG = "msg_password_wrong",
        PASSWORDS_DIFFER = "msg_passwords_differ",
        NO_PENDING_LINK = "msg_no_pending_link",
        CREDIT_CODE_LENGTH = "msg_credit_code_length",
        CREDIT_CODE_CHAR = "msg_credit_code_char",
        CREDIT_CODE_DIVISION = "msg_credit_code_division",
        CREDIT_CODE_CHECK = "msg_credit_code_check",
        IMPORT_UNREADABLE = "msg_import_unreadable",
        IMPORT_NO_HEADER = "msg_import_no_header",
        IMPORT_ENCODING = "msg_import_encoding",
        IMPORT_NOT_SPREADSHEET = "msg_import_not_spreadsheet",
        IMPORT_EMPTY = "msg_import_empty",
        IMPORT_NO_ROWS = "msg_import_no_rows",
        IMPORT_DUPLICATE_COLUMN = "msg_import_duplicate_column",
        IMPORT_MISSING_COLUMNS = "msg_import_missing_columns",
        IMPORT_TOO_MANY_ROWS = "msg_import_too_many_rows",
        IMPORT_UNKNOWN_STREET = "msg_import_unknown_street",
        IMPORT_UNKNOWN_INDUSTRY = "msg_import_unknown_industry",
        IMPORT_SCALE = "msg_import_scale",
        IMPORT_PHONE = "msg_import_phone",
        IMPORT_DUPLICATE_ROW = "msg_import_duplicate_row",
        IMPORT_OUT_OF_SCOPE = "msg_import_out_of_scope",
        IMPORT_HAS_ERRORS = "msg_import_has_errors",
        REGISTRY_CODE = "msg_registry_code",
        REGISTRY_LEVEL = "msg_registry_level",
        IMPORT_NO_ENTERPRISE = "msg_import_no_enterprise",
        IMPORT_EMAIL_TAKEN = "msg_import_email_taken",
        IMPORT_NO_ALLIANCE = "msg_import_no_alliance",
        IMPORT_ROLE = "msg_import_role",
        IMPORT_TWO_LEADS = "msg_import_two_leads",
        IMPORT_LEAD_NEEDED = "msg_import_lead_needed",
        IMPORT_CLOSED = "msg_import_closed",
        ENTERPRISE_CLOSED = "msg_enterprise_closed",
        PHONE_CHARS = "msg_phone_chars",
        REGION_LEVEL = "msg_region_level",
        FILE_KIND = "msg_file_kind",
        FILE_TOO_LARGE = "msg_file_too_large",
        UPLOAD_ONLY_FILE = "msg_upload_only_file",
        UPLOAD_FILE_REQUIRED = "msg_upload_file_required",
        REASON_REQUIRED = "msg_reason_required",
        RECTIFICATION_PROOF = "msg_rectification_proof",
        EXTENSION_DATE_REQUIRED = "msg_extension_date_required",
        TODAY_OR_LATER = "msg_today_or_later",
        AFTER_CURRENT_DEADLINE = "msg_after_current_deadline",
        WHY_MORE_TIME = "msg_why_more_time",
        IDEMPOTENCY_KEY = "msg_idempotency_key",
        ATTACHMENT_TWICE = "msg_attachment_twice",
        ATTACHMENTS_MAX = "msg_attachments_max",
        ATTACHMENT_NOT_YOURS = "msg_attachment_not_yours",
        COST = "msg_cost",
        NOT_ALLIANCE_MEMBER = "msg_not_alliance_member",
        SOURCE_FIXED = "msg_source_fixed",
        DEADLINE_REQUIRED = "msg_deadline_required",
        DEADLINE_ON_THE_SPOT = "msg_deadline_on_the_spot",
        FROM_AFTER_TO = "msg_from_after_to",
        CURSOR_INVALID = "msg_cursor_invalid",
        CURSOR_SORT = "msg_cursor_sort",
        CURSOR_PAGE = "msg_cursor_page",
        CHECKLIST_EMPTY = "msg_checklist_empty",
        TOO_MANY = "msg_too_many",
        NO_SUCH_CHECKLIST = "msg_no_such_checklist",
        CHECKLIST_SUPERSEDED = "msg_checklist_superseded",
        LISTED_TWICE = "msg_listed_twice",
        NOT_A_MEMBER_ID = "msg_not_a_member_id",
        TWO_PARTICIPANTS = "msg_two_participants",
        CONFLICT_SAME = "msg_conflict_same",
        WINDOW_ENDS_BEFORE = "msg_window_ends_before",
        DATES_OUTSIDE_WINDOW = "msg_dates_outside_window",
        WITHIN_WINDOW = "msg_within_window",
        STATE_NOT_SETTABLE = "msg_state_not_settable",
        NOT_IN_BATCH = "msg_not_in_batch",
        PAIR_SELF = "msg_pair_self",
        PAIR_TWICE = "msg_pair_twice",
        PAIR_RECIPROCAL = "msg_pair_reciprocal",
        PAIR_CONFLICT = "msg_pair_conflict",
        ITEM_NOT_IN_CHECKLIST = "msg_item_not_in_checklist",
        FAILED_ONLY = "msg_failed_only",
        ITEMS_MISSING = "msg_items_missing",
        CONFLICT_LINE = "msg_conflict_line",
        LINK = "msg_link",
        ENDS_BEFORE_START = "msg_ends_before_start",
        QUOTA_ABOVE_CAPACITY = "msg_quota_above_capacity",
        REQUIRED_ALL_OR_LIST = "msg_required_all_or_list",
        NOT_A_LESSON = "msg_not_a_lesson",
        CAPACITY_BELOW_REGISTERED = "msg_capacity_below_registered",
        NOT_ENTERPRISE_USER = "msg_not_enterprise_user",
        ALREADY_REGISTERED = "msg_already_registered",
        CHECK_IN_CODE_INVALID = "msg_check_in_code_invalid",
        CHECK_IN_CODE_OTHER_EVENT = "msg_check_in_code_other_event",
        USER_OR_WALK_IN = "msg_user_or_walk_in",
        CHOOSE_ENTERPRISES = "msg_choose_enterprises",
        WARNING_EDUCATION_ONLY = "msg_warning_education_only",
        QUOTA_BELOW_REGISTERED = "msg_quota_below_registered",
        LESSON_KEEPS_KIND = "msg_lesson_keeps_kind",
        NOT_EVENT_FILE = "msg_not_event_file",
        REQUIRED_ABOVE_CAPACITY = "msg_required_above_capacity",
        NOT_IN_FUTURE = "msg_not_in_future",
        WEIGHTS_ALL_ZERO = "msg_weights_all_zero",
        MANDATORY_NOTICE = "msg_mandatory_notice",
        ALLIANCE_OR_REGION = "msg_alliance_or_region",
        ROBOT_URL = "msg_robot_url",
        PERIOD = "msg_period",
        PERIOD_AHEAD = "msg_period_ahead",
        CORRECTION_REASON = "msg_correction_reason",
        OUTSIDE_CODE_LIST = "msg_outside_code_list",
        BUNDLE_CELL = "msg_bundle_cell",
        NOT_A_KEY = "msg_not_a_key",
        CODE_LIST = "msg_code_list",
    }
}

/// A serde failure as a message: numbers, dates and choices get their own words; the English
/// keeps serde's detail for API clients.
pub fn from_serde(detail: &str) -> Text {
    let d = detail.to_ascii_lowercase();
    let text = if d.contains("unknown variant") {
        msg::NOT_LISTED
    } else if d.contains("invalid digit")
        || d.contains("invalid float")
        || d.contains("number too large")
        || d.contains("number too small")
        || d.contains("cannot parse integer")
    {
        msg::NOT_NUMBER
    } else if d.contains("premature end of input")
        || d.contains("input contains invalid characters")
        || d.contains("trailing input")
        || d.contains("input is out of range")
        || d.contains("input is not enough")
        || d.contains("date")
    {
        msg::NOT_DATE
    } else {
        msg::INVALID
    };
    text.detailed(detail)
}
