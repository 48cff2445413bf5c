//! What findings' timelines say, read for many findings at once (for lists and lessons).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use crate::db::schema::{attachments, finding_attachments, finding_events};
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::findings::model::*;

/// The attachments of each of the given findings of the given content types, in the order they
/// were added.
pub fn photos_of(
    conn: &mut AnyConnection,
    ids: &[FindingId],
    types: &[&str],
) -> AppResult<HashMap<FindingId, Vec<AttachmentId>>> {
    let rows: Vec<(FindingId, AttachmentId)> = finding_attachments::table
        .inner_join(attachments::table)
        .filter(finding_attachments::finding_id.eq_any(ids.to_vec()))
        .filter(attachments::content_type.eq_any(types.to_vec()))
        .order((
            finding_attachments::event_id.asc(),
            finding_attachments::attachment_id.asc(),
        ))
        .select((
            finding_attachments::finding_id,
            finding_attachments::attachment_id,
        ))
        .load(conn)?;
    let mut out: HashMap<FindingId, Vec<AttachmentId>> = HashMap::new();
    for (finding, attachment) in rows {
        out.entry(finding).or_default().push(attachment);
    }
    Ok(out)
}

/// The findings of `ids` sent back by their reviewer and not yet submitted again, with the
/// reason given: their last rectification event is a rejection.
pub fn returned(
    conn: &mut AnyConnection,
    ids: &[FindingId],
) -> AppResult<HashMap<FindingId, String>> {
    let rows: Vec<(FindingId, Action, String)> = finding_events::table
        .filter(finding_events::finding_id.eq_any(ids.to_vec()))
        .filter(finding_events::action.eq_any([Action::Reject, Action::SubmitRectification]))
        .order((finding_events::finding_id.asc(), finding_events::id.desc()))
        .select((
            finding_events::finding_id,
            finding_events::action,
            finding_events::note,
        ))
        .load(conn)?;
    let mut out = HashMap::new();
    let mut seen = HashSet::new();
    for (finding, action, note) in rows {
        if seen.insert(finding) && action == Action::Reject {
            out.insert(finding, note);
        }
    }
    Ok(out)
}
