//! A finding's way through its closed loop (see [`crate::findings::lifecycle`]), drawn step by
//! step from its report on: every step the real service would record, with the actor, note,
//! states and deadline it records, up to "now". An old finding has mostly been closed by now, a
//! recent one is still open; a few are voided, a few stall (and pass their deadline), a few are
//! rejected once, ask for more time, or are shared with the alliance.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::Rng;

use super::Clock;

/// Who takes part: the reporter, a user of the enterprise (rectifies), the reviewer (accepts,
/// rejects, decides extensions) and who may void it.
pub(super) struct Parties {
    pub reporter: i64,
    pub owner: i64,
    pub reviewer: i64,
    pub voider: i64,
}

/// A finding as reported.
pub(super) struct Report {
    pub id: i64,
    pub at: NaiveDateTime,
    /// The (Beijing) day it was reported.
    pub day: NaiveDate,
    /// 限期整改: its deadline (`None`: fixed on the spot).
    pub deadline: Option<NaiveDate>,
    /// Its enterprise is in an alliance to share it with.
    pub can_share: bool,
}

/// One `finding_events` row.
pub(super) struct Step {
    pub finding: i64,
    pub action: &'static str,
    pub actor: i64,
    pub at: NaiveDateTime,
    pub note: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub deadline: Option<NaiveDate>,
}

/// Where the finding stands now.
pub(super) struct Life {
    pub state: &'static str,
    pub deadline: Option<NaiveDate>,
    pub requested: Option<NaiveDate>,
    pub shared: bool,
    pub updated: NaiveDateTime,
    pub closed: Option<NaiveDateTime>,
}

/// A step to take.
struct Move {
    action: &'static str,
    actor: i64,
    note: &'static str,
    to: &'static str,
    deadline: Option<NaiveDate>,
}

fn go(action: &'static str, actor: i64, note: &'static str, to: &'static str) -> Move {
    Move {
        action,
        actor,
        note,
        to,
        deadline: None,
    }
}

/// The steps taken so far.
struct Track<'s> {
    id: i64,
    now: NaiveDateTime,
    state: &'static str,
    last: NaiveDateTime,
    steps: &'s mut Vec<Step>,
}

impl Track<'_> {
    /// Takes `m` at `at` (at least a minute after the last step), unless that is not before now.
    fn take(&mut self, at: NaiveDateTime, m: Move) -> bool {
        let at = at.max(self.last + Duration::minutes(1));
        if at >= self.now {
            return false;
        }
        self.steps.push(Step {
            finding: self.id,
            action: m.action,
            actor: m.actor,
            at,
            note: m.note,
            from: self.state,
            to: m.to,
            deadline: m.deadline,
        });
        self.state = m.to;
        self.last = at;
        true
    }

    /// Some minutes after the last step.
    fn later(&self, rng: &mut StdRng, minutes: std::ops::Range<i64>) -> NaiveDateTime {
        self.last + Duration::minutes(rng.gen_range(minutes))
    }
}

const HOUR: i64 = 60;
const DAY: i64 = 24 * HOUR;

/// Follows a finding from its report to now, pushing its timeline onto `steps`.
pub(super) fn follow(
    rng: &mut StdRng,
    r: &Report,
    p: &Parties,
    now: NaiveDateTime,
    steps: &mut Vec<Step>,
) -> Life {
    steps.push(Step {
        finding: r.id,
        action: "report",
        actor: p.reporter,
        at: r.at,
        note: "",
        from: "reported",
        to: "reported",
        deadline: r.deadline,
    });
    let mut t = Track {
        id: r.id,
        now,
        state: "reported",
        last: r.at,
        steps,
    };
    let mut life = Life {
        state: "reported",
        deadline: r.deadline,
        requested: None,
        shared: false,
        updated: r.at,
        closed: None,
    };
    if rng.gen_bool(0.025) {
        if r.deadline.is_some() && rng.gen_bool(0.3) {
            let at = t.later(rng, HOUR..2 * DAY);
            t.take(
                at,
                go(
                    "start_rectification",
                    p.owner,
                    "已制定整改方案",
                    "rectifying",
                ),
            );
        }
        const WHY: [&str; 3] = ["与已上报隐患重复", "经核实不属于隐患", "重复上报"];
        let (at, why) = (
            t.later(rng, 2 * HOUR..4 * DAY),
            WHY[rng.gen_range(0..WHY.len())],
        );
        t.take(at, go("void", p.voider, why, "voided"));
    } else if r.deadline.is_some() {
        by_deadline(rng, &mut t, &mut life, p, r);
    } else {
        let at = t.later(rng, 10..4 * HOUR);
        if t.take(
            at,
            go(
                "submit_rectification",
                p.owner,
                "已现场整改完毕",
                "awaiting_review",
            ),
        ) {
            review(rng, &mut t, &mut life, p, r.can_share);
        }
    }
    life.state = t.state;
    life.updated = t.last;
    life
}

/// 限期整改: starts, sometimes stalls, sometimes asks for more time, and is done mostly before
/// its deadline, sometimes after.
fn by_deadline(rng: &mut StdRng, t: &mut Track<'_>, life: &mut Life, p: &Parties, r: &Report) {
    let Some(mut due) = r.deadline else {
        return;
    };
    let at = t.later(rng, 30..3 * DAY);
    let started = t.take(
        at,
        go(
            "start_rectification",
            p.owner,
            "已制定整改方案",
            "rectifying",
        ),
    );
    // A stalled one stays open, and is overdue once its deadline passes.
    if !started || rng.gen_bool(0.04) {
        return;
    }
    if rng.gen_bool(0.06) {
        let asked = due + Duration::days(if rng.gen_bool(0.5) { 15 } else { 30 });
        let period = (due - r.day).num_days().max(1);
        let at = Clock::at(r.day, 600) + Duration::minutes(period * DAY * 7 / 10);
        let state = t.state;
        let note = "设备采购周期较长，申请延期";
        let ask = Move {
            deadline: Some(asked),
            ..go("request_extension", p.owner, note, state)
        };
        if !t.take(at, ask) {
            return;
        }
        life.requested = Some(asked);
        let grant = rng.gen_bool(0.8);
        let (action, note) = if grant {
            ("grant_extension", "同意延期")
        } else {
            ("refuse_extension", "请按原期限完成整改")
        };
        let at = t.later(rng, 4 * HOUR..3 * DAY);
        let decide = Move {
            deadline: Some(asked),
            ..go(action, p.reviewer, note, state)
        };
        if !t.take(at, decide) {
            return;
        }
        life.requested = None;
        if grant {
            due = asked;
            life.deadline = Some(asked);
        }
    }
    let period = (due - r.day).num_days().max(1);
    let share = if rng.gen_bool(0.15) {
        rng.gen_range(1.05..1.6)
    } else {
        rng.gen_range(0.2..0.95)
    };
    let at = Clock::at(r.day, 540) + Duration::minutes((period as f64 * DAY as f64 * share) as i64);
    let note = "已按要求完成整改，请复查";
    if t.take(
        at,
        go("submit_rectification", p.owner, note, "awaiting_review"),
    ) {
        review(rng, t, life, p, r.can_share);
    }
}

/// Reviewed: sometimes rejected once and rectified again, then accepted (closed); a few closed
/// ones are shared with the alliance as a lesson.
fn review(rng: &mut StdRng, t: &mut Track<'_>, life: &mut Life, p: &Parties, can_share: bool) {
    if rng.gen_bool(0.06) {
        let at = t.later(rng, 2 * HOUR..4 * DAY);
        if !t.take(
            at,
            go("reject", p.reviewer, "整改不到位，请重新整改", "rectifying"),
        ) {
            return;
        }
        let at = t.later(rng, DAY..10 * DAY);
        let note = "已重新整改";
        if !t.take(
            at,
            go("submit_rectification", p.owner, note, "awaiting_review"),
        ) {
            return;
        }
    }
    let at = t.later(rng, HOUR..5 * DAY);
    if !t.take(at, go("accept", p.reviewer, "整改到位，同意销号", "closed")) {
        return;
    }
    life.closed = Some(t.last);
    if can_share && rng.gen_bool(0.01) {
        let at = t.later(rng, DAY..10 * DAY);
        life.shared = t.take(at, go("share", p.owner, "", "closed"));
    }
}
