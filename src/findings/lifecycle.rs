//! The closed loop (闭环) of a hazard, as one function used by the API and the pages.
//!
//! ```text
//!            start_rectification      submit_rectification        accept
//! reported ───────────────────► rectifying ──────────────► awaiting_review ──────► closed (销号)
//!    │                              ▲                           │
//!    │                              └────────── reject ─────────┘  (reason required)
//!    ├─ submit_rectification (即查即改: fixed on the spot) ──► awaiting_review
//!    └─ void (duplicate / not a hazard; reason required; lead or regulator) ──► voided
//! ```
//! Extension requests and sharing are recorded on the timeline and leave the state alone.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::text_enum! {
    /// Where a finding stands in its closed loop.
    pub enum FindingState {
        Reported = "reported",
        Rectifying = "rectifying",
        AwaitingReview = "awaiting_review",
        Closed = "closed",
        Voided = "voided",
    }
}

crate::text_enum! {
    /// What someone does to a finding.
    pub enum Action {
        Report = "report",
        StartRectification = "start_rectification",
        SubmitRectification = "submit_rectification",
        Accept = "accept",
        Reject = "reject",
        Void = "void",
        RequestExtension = "request_extension",
        GrantExtension = "grant_extension",
        RefuseExtension = "refuse_extension",
        Share = "share",
    }
}

/// The parts the caller plays for this finding; one person can play several.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Parts {
    /// A user of the enterprise the hazard is at.
    pub owner: bool,
    /// May accept or reject its rectification (see [`crate::findings::service`] for who).
    pub reviewer: bool,
    /// A user of the lead enterprise of the finding's alliance.
    pub lead: bool,
    /// A regulator whose scope covers the enterprise (or an admin).
    pub regulator: bool,
}

/// What else about the finding decides whether an action applies, besides its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// 限期整改: it has a deadline that can be extended.
    pub has_deadline: bool,
    /// An extension request waits for a decision.
    pub extension_pending: bool,
    /// Already shared with the alliance as a lesson.
    pub shared: bool,
    /// The enterprise belongs to an alliance (to share with, and whose lead reviews).
    pub has_alliance: bool,
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller plays no part that may take this action (403).
    NotAllowed,
    /// The action does not apply in the current state (409).
    WrongState,
    /// An extension of a finding fixed on the spot, which has no deadline (409).
    NoDeadline,
    /// A second extension request while one waits for a decision (409).
    ExtensionPending,
    /// A decision on an extension nobody asked for (409).
    NoExtensionRequest,
    /// Sharing a finding that is shared already (409).
    AlreadyShared,
    /// Sharing a finding of an enterprise in no alliance (409).
    NoAlliance,
}

/// The one rule of the closed loop: what `action` by someone playing `parts` does to a finding
/// in `state` with these `facts`. `Ok` carries the state afterwards (unchanged for
/// timeline-only actions). The pages offer exactly the actions this allows ([`available`]).
pub fn transition(
    state: FindingState,
    action: Action,
    parts: Parts,
    facts: Facts,
) -> Result<FindingState, Refusal> {
    use Action::*;
    use FindingState::*;
    let allowed = match action {
        Report => false,
        StartRectification | SubmitRectification | RequestExtension => parts.owner,
        Accept | Reject | GrantExtension | RefuseExtension => parts.reviewer,
        // A lead voids only what it reviews (general findings); a major one only a regulator.
        Void => parts.regulator || (parts.lead && parts.reviewer),
        Share => parts.owner || parts.lead,
    };
    if !allowed {
        return Err(Refusal::NotAllowed);
    }
    let to = match (state, action) {
        (Reported, StartRectification) => Rectifying,
        (Reported | Rectifying, SubmitRectification) => AwaitingReview,
        (AwaitingReview, Accept) => Closed,
        (AwaitingReview, Reject) => Rectifying,
        (Reported | Rectifying | AwaitingReview, Void) => Voided,
        (Reported | Rectifying, RequestExtension | GrantExtension | RefuseExtension) => state,
        (Reported | Rectifying | AwaitingReview | Closed, Share) => state,
        _ => return Err(Refusal::WrongState),
    };
    let guard = match action {
        RequestExtension if !facts.has_deadline => Some(Refusal::NoDeadline),
        RequestExtension if facts.extension_pending => Some(Refusal::ExtensionPending),
        GrantExtension | RefuseExtension if !facts.extension_pending => {
            Some(Refusal::NoExtensionRequest)
        }
        Share if facts.shared => Some(Refusal::AlreadyShared),
        Share if !facts.has_alliance => Some(Refusal::NoAlliance),
        _ => None,
    };
    match guard {
        Some(refusal) => Err(refusal),
        None => Ok(to),
    }
}

/// The actions someone playing `parts` may take now (for showing only those on a page).
pub fn available(state: FindingState, parts: Parts, facts: Facts) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| transition(state, *a, parts, facts).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use FindingState::*;

    const OWNER: Parts = Parts {
        owner: true,
        reviewer: false,
        lead: false,
        regulator: false,
    };
    const REVIEWER: Parts = Parts {
        owner: false,
        reviewer: true,
        lead: false,
        regulator: false,
    };
    const LEAD: Parts = Parts {
        owner: false,
        reviewer: true,
        lead: true,
        regulator: false,
    };
    const REGULATOR: Parts = Parts {
        owner: false,
        reviewer: true,
        lead: false,
        regulator: true,
    };
    const NOBODY: Parts = Parts {
        owner: false,
        reviewer: false,
        lead: false,
        regulator: false,
    };
    /// The lead of a major finding's alliance: sees and may share it, neither reviews nor voids it.
    const LEAD_OF_MAJOR: Parts = Parts {
        owner: false,
        reviewer: false,
        lead: true,
        regulator: false,
    };

    /// Every allowed (state, action, part) and where it leads. Everything not listed is refused.
    const ALLOWED: &[(FindingState, Action, Parts, FindingState)] = &[
        (Reported, StartRectification, OWNER, Rectifying),
        (Reported, SubmitRectification, OWNER, AwaitingReview),
        (Rectifying, SubmitRectification, OWNER, AwaitingReview),
        (AwaitingReview, Accept, REVIEWER, Closed),
        (AwaitingReview, Accept, LEAD, Closed),
        (AwaitingReview, Accept, REGULATOR, Closed),
        (AwaitingReview, Reject, REVIEWER, Rectifying),
        (AwaitingReview, Reject, LEAD, Rectifying),
        (AwaitingReview, Reject, REGULATOR, Rectifying),
        (Reported, Void, LEAD, Voided),
        (Rectifying, Void, LEAD, Voided),
        (AwaitingReview, Void, LEAD, Voided),
        (Reported, Void, REGULATOR, Voided),
        (Rectifying, Void, REGULATOR, Voided),
        (AwaitingReview, Void, REGULATOR, Voided),
        (Reported, RequestExtension, OWNER, Reported),
        (Rectifying, RequestExtension, OWNER, Rectifying),
        (Reported, GrantExtension, REVIEWER, Reported),
        (Rectifying, GrantExtension, REVIEWER, Rectifying),
        (Reported, GrantExtension, LEAD, Reported),
        (Rectifying, GrantExtension, LEAD, Rectifying),
        (Reported, GrantExtension, REGULATOR, Reported),
        (Rectifying, GrantExtension, REGULATOR, Rectifying),
        (Reported, RefuseExtension, REVIEWER, Reported),
        (Rectifying, RefuseExtension, REVIEWER, Rectifying),
        (Reported, RefuseExtension, LEAD, Reported),
        (Rectifying, RefuseExtension, LEAD, Rectifying),
        (Reported, RefuseExtension, REGULATOR, Reported),
        (Rectifying, RefuseExtension, REGULATOR, Rectifying),
        (Reported, Share, OWNER, Reported),
        (Rectifying, Share, OWNER, Rectifying),
        (AwaitingReview, Share, OWNER, AwaitingReview),
        (Closed, Share, OWNER, Closed),
        (Reported, Share, LEAD, Reported),
        (Rectifying, Share, LEAD, Rectifying),
        (AwaitingReview, Share, LEAD, AwaitingReview),
        (Closed, Share, LEAD, Closed),
        (Reported, Share, LEAD_OF_MAJOR, Reported),
        (Rectifying, Share, LEAD_OF_MAJOR, Rectifying),
        (AwaitingReview, Share, LEAD_OF_MAJOR, AwaitingReview),
        (Closed, Share, LEAD_OF_MAJOR, Closed),
    ];

    /// Facts under which the guards of `action` pass (the table above is about parts and states).
    fn passing(action: Action) -> Facts {
        Facts {
            has_deadline: true,
            extension_pending: matches!(action, GrantExtension | RefuseExtension),
            shared: false,
            has_alliance: true,
        }
    }

    #[test]
    fn every_state_action_and_part_is_allowed_or_refused_as_the_table_says() {
        for &state in FindingState::ALL {
            for &action in Action::ALL {
                for parts in [OWNER, REVIEWER, LEAD, REGULATOR, NOBODY, LEAD_OF_MAJOR] {
                    let expected = ALLOWED
                        .iter()
                        .find(|(s, a, p, _)| *s == state && *a == action && *p == parts)
                        .map(|(_, _, _, to)| *to);
                    let got = transition(state, action, parts, passing(action));
                    match expected {
                        Some(to) => assert_eq!(got, Ok(to), "{state} {action} {parts:?}"),
                        None => assert!(
                            got.is_err(),
                            "{state} {action} {parts:?} should be refused, got {got:?}"
                        ),
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_say_whether_the_part_or_the_state_is_wrong() {
        let f = Facts::default();
        assert_eq!(
            transition(Reported, Accept, OWNER, f),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            transition(Closed, Accept, REVIEWER, f),
            Err(Refusal::WrongState)
        );
        assert_eq!(
            transition(Voided, Void, REGULATOR, f),
            Err(Refusal::WrongState)
        );
        assert_eq!(
            transition(Closed, SubmitRectification, OWNER, f),
            Err(Refusal::WrongState)
        );
    }

    /// Every guard, and the refusal it gives; the same facts decide what the pages offer.
    #[test]
    fn guards_refuse_what_the_facts_rule_out() {
        let ok = |a| passing(a);
        let cases: &[(Action, Parts, Facts, Refusal)] = &[
            (
                RequestExtension,
                OWNER,
                Facts {
                    has_deadline: false,
                    ..ok(RequestExtension)
                },
                Refusal::NoDeadline,
            ),
            (
                RequestExtension,
                OWNER,
                Facts {
                    extension_pending: true,
                    ..ok(RequestExtension)
                },
                Refusal::ExtensionPending,
            ),
            (
                GrantExtension,
                REVIEWER,
                Facts {
                    extension_pending: false,
                    ..ok(GrantExtension)
                },
                Refusal::NoExtensionRequest,
            ),
            (
                RefuseExtension,
                LEAD,
                Facts {
                    extension_pending: false,
                    ..ok(RefuseExtension)
                },
                Refusal::NoExtensionRequest,
            ),
            (
                Share,
                OWNER,
                Facts {
                    shared: true,
                    ..ok(Share)
                },
                Refusal::AlreadyShared,
            ),
            (
                Share,
                OWNER,
                Facts {
                    has_alliance: false,
                    ..ok(Share)
                },
                Refusal::NoAlliance,
            ),
        ];
        for &(action, parts, facts, refusal) in cases {
            assert_eq!(
                transition(Reported, action, parts, facts),
                Err(refusal),
                "{action} {facts:?}"
            );
            assert!(
                !available(Reported, parts, facts).contains(&action),
                "{action} offered"
            );
        }
    }

    #[test]
    fn nothing_leaves_closed_or_voided() {
        for &action in Action::ALL {
            for parts in [OWNER, REVIEWER, LEAD, REGULATOR] {
                for from in [Closed, Voided] {
                    if let Ok(to) = transition(from, action, parts, passing(action)) {
                        assert_eq!(to, from, "{action} moved a {from} finding");
                    }
                }
            }
        }
    }

    #[test]
    fn available_lists_only_what_may_be_done() {
        let f = passing(RequestExtension);
        assert_eq!(
            available(Reported, OWNER, f),
            vec![
                StartRectification,
                SubmitRectification,
                RequestExtension,
                Share
            ]
        );
        assert_eq!(available(AwaitingReview, REVIEWER, f), vec![Accept, Reject]);
        assert!(available(Closed, NOBODY, f).is_empty());
    }
}
