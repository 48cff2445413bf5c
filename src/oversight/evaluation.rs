//! The monthly evaluation's rule (月度评估): what is measured of an alliance (or a street) in a
//! month, how each measure becomes a score out of 100, and how the weighted scores rank. Pure:
//! the figures come in, scores and ranks go out.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::oversight::model::rate;

/// What was measured of one alliance or street in a month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Metrics {
    /// Member enterprises (current).
    pub members: i64,
    /// Inspections of the month's batches: planned, and submitted.
    pub inspections_planned: i64,
    pub inspections_completed: i64,
    pub inspection_rate: Option<f64>,
    /// Hazards reported in the month; of them rectified, and rectified by their deadline.
    pub found: i64,
    pub rectified: i64,
    pub rectification_rate: Option<f64>,
    pub on_time: i64,
    pub on_time_rate: Option<f64>,
    /// Hazards past their deadline and not rectified (when evaluated).
    pub overdue: i64,
    /// Events held in the month; people registered for them, and of those, checked in.
    pub events_held: i64,
    pub registered: i64,
    pub attended: i64,
    pub attendance_rate: Option<f64>,
}

impl Metrics {
    /// The rates, from the counts.
    pub fn finish(mut self) -> Self {
        self.inspection_rate = rate(self.inspections_completed, self.inspections_planned);
        self.rectification_rate = rate(self.rectified, self.found);
        self.on_time_rate = rate(self.on_time, self.rectified);
        self.attendance_rate = rate(self.attended, self.registered);
        self
    }

    pub fn add(&mut self, o: &Metrics) {
        self.members += o.members;
        self.inspections_planned += o.inspections_planned;
        self.inspections_completed += o.inspections_completed;
        self.found += o.found;
        self.rectified += o.rectified;
        self.on_time += o.on_time;
        self.overdue += o.overdue;
        self.events_held += o.events_held;
        self.registered += o.registered;
        self.attended += o.attended;
    }
}

/// How much each measure counts (any non-negative numbers; they are divided by their sum).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Inspections completed of those planned.
    pub inspections: f64,
    /// Hazards found per member, against the most of any.
    pub found: f64,
    /// Rectified of those found.
    pub rectification: f64,
    /// Rectified by the deadline of those rectified.
    pub on_time: f64,
    /// Fewer overdue hazards, against the most of any.
    pub overdue: f64,
    /// Events held, against the most of any.
    pub events: f64,
    /// People checked in of those registered.
    pub attendance: f64,
}

impl Default for Weights {
    /// Inspections and rectification first, as the district's own evaluation weighs them.
    fn default() -> Self {
        Self {
            inspections: 25.0,
            found: 10.0,
            rectification: 25.0,
            on_time: 15.0,
            overdue: 10.0,
            events: 10.0,
            attendance: 5.0,
        }
    }
}

impl Weights {
    pub fn named(&self) -> [(&'static str, f64); 7] {
        [
            ("inspections", self.inspections),
            ("found", self.found),
            ("rectification", self.rectification),
            ("on_time", self.on_time),
            ("overdue", self.overdue),
            ("events", self.events),
            ("attendance", self.attendance),
        ]
    }
}

/// The score out of 100 of each measure, for every subject (an absent rate scores 0: an
/// alliance that did nothing is not spared by having nothing to divide).
pub fn components(all: &[Metrics]) -> Vec<[f64; 7]> {
    let per_member = |m: &Metrics| m.found as f64 / m.members.max(1) as f64;
    let most_found = all.iter().map(per_member).fold(0.0, f64::max);
    let most_overdue = all.iter().map(|m| m.overdue).max().unwrap_or(0);
    let most_events = all.iter().map(|m| m.events_held).max().unwrap_or(0);
    let pct = |r: Option<f64>| r.unwrap_or(0.0) * 100.0;
    let relative = |v: f64, most: f64| if most > 0.0 { v / most * 100.0 } else { 0.0 };
    all.iter()
        .map(|m| {
            [
                pct(m.inspection_rate),
                relative(per_member(m), most_found),
                pct(m.rectification_rate),
                pct(m.on_time_rate),
                match most_overdue {
                    0 => 100.0,
                    most => 100.0 * (1.0 - m.overdue as f64 / most as f64),
                },
                relative(m.events_held as f64, most_events as f64),
                pct(m.attendance_rate),
            ]
        })
        .collect()
}

/// The weighted score out of 100 (one decimal) of each subject.
pub fn scores(all: &[Metrics], w: &Weights) -> Vec<f64> {
    let weights = w.named().map(|(_, v)| v);
    let total: f64 = weights.iter().sum();
    components(all)
        .into_iter()
        .map(|c| {
            let sum: f64 = c.iter().zip(weights).map(|(s, w)| s * w).sum();
            let score = if total > 0.0 { sum / total } else { 0.0 };
            (score * 10.0).round() / 10.0
        })
        .collect()
}

/// Ranks by score, highest first; equal scores share a rank (1, 2, 2, 4).
pub fn ranks(scores: &[f64]) -> Vec<i32> {
    scores
        .iter()
        .map(|s| 1 + scores.iter().filter(|o| *o > s).count() as i32)
        .collect()
}

/// The measures an evaluation is weak in (scored under 60), for a warning notice.
pub fn weaknesses(all: &[Metrics]) -> Vec<Vec<&'static str>> {
    let names = Weights::default().named().map(|(n, _)| n);
    components(all)
        .into_iter()
        .map(|c| {
            c.iter()
                .zip(names)
                .filter(|(s, _)| **s < 60.0)
                .map(|(_, n)| n)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(f: impl FnOnce(&mut Metrics)) -> Metrics {
        let mut x = Metrics {
            members: 10,
            ..Default::default()
        };
        f(&mut x);
        x.finish()
    }

    #[test]
    fn scores_weigh_each_measure_and_ranks_share_ties() {
        let busy = m(|x| {
            x.inspections_planned = 10;
            x.inspections_completed = 10;
            x.found = 20;
            x.rectified = 20;
            x.on_time = 20;
            x.events_held = 2;
            x.registered = 10;
            x.attended = 10;
        });
        let idle = m(|_| {});
        let late = m(|x| {
            x.inspections_planned = 10;
            x.inspections_completed = 5;
            x.found = 10;
            x.rectified = 5;
            x.on_time = 0;
            x.overdue = 4;
            x.events_held = 1;
        });
        let all = [busy.clone(), idle.clone(), late.clone()];
        let s = scores(&all, &Weights::default());
        assert_eq!(s[0], 100.0);
        // Idle: only "no overdue hazards" scores (its 10 weight points of 100).
        assert_eq!(s[1], 10.0);
        // Late: 25×50 + 10×50 + 25×50 + 15×0 + 10×0 + 10×50 + 5×0, over 100.
        assert_eq!(s[2], 35.0);
        assert_eq!(ranks(&s), [1, 3, 2]);
        assert_eq!(ranks(&[50.0, 70.0, 50.0, 90.0]), [3, 2, 3, 1]);
        // Only rectification counts: the idle alliance has nothing rectified.
        let only = Weights {
            inspections: 0.0,
            found: 0.0,
            rectification: 1.0,
            on_time: 0.0,
            overdue: 0.0,
            events: 0.0,
            attendance: 0.0,
        };
        assert_eq!(scores(&all, &only), [100.0, 0.0, 50.0]);
        assert!(weaknesses(&all)[1].contains(&"inspections"));
    }
}
