//! Who inspects whom in a mutual-inspection batch (互查配对), under rules people can trust and
//! explain.
//!
//! Hard rules, always kept: nobody inspects itself; no pair twice; never A→B together with B→A;
//! no two enterprises declared in conflict. Balance, kept whenever the hard rules allow it: every
//! participant is inspected `per_target` times and inspects as many. Soft rules, kept where they
//! can be: no pair that met in the alliance's recent batches; for a template tied to an industry,
//! inspectors of the target's own industry. What could not be kept is reported, pair by pair.
//!
//! How: the participants are shuffled (by the seed), and each inspects the ones `d` places after
//! it for `per_target` distinct offsets `d` ≤ (n−1)/2 — a circulant that is balanced by
//! construction and can hold no reciprocal pair (two such offsets never add up to n). Then targets
//! are swapped between pairs, which keeps every count, to remove conflicts first, recent pairs
//! next, industry mismatches last. The same request and seed give the same plan.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// One enterprise taking part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Participant {
    pub id: i64,
    pub industry: Option<i64>,
}

/// What a batch asks of the pairing.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub participants: Vec<Participant>,
    /// How many times each participant is inspected (and so inspects).
    pub per_target: usize,
    /// Pairs that met in the alliance's recent batches, either way round.
    pub recent: Vec<(i64, i64)>,
    /// Pairs that must not inspect each other, either way round.
    pub conflicts: Vec<(i64, i64)>,
    /// The checklist template's industry, when it is tied to one.
    pub industry: Option<i64>,
    pub seed: u64,
}

/// One inspection: `inspector` inspects `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Pair {
    pub inspector: i64,
    pub target: i64,
}

/// A rule the plan could not keep, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Relaxed {
    /// The two met in a recent batch, and no arrangement avoided it.
    RecentPair { inspector: i64, target: i64 },
    /// The inspector is not of the target's industry (the template is tied to an industry).
    OtherIndustry { inspector: i64, target: i64 },
    /// The target is inspected `missing` times fewer than asked: the hard rules left no inspector.
    Uninspected { target: i64, missing: usize },
}

/// The pairings of a batch and what they could not keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub pairs: Vec<Pair>,
    pub relaxed: Vec<Relaxed>,
}

/// SplitMix64: small, fast, and the same sequence on every platform and version (a pairing must
/// be reproducible from its seed years later).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Costs of a pair: a conflict outweighs any number of recent pairs, which outweigh any number
/// of industry mismatches.
const CONFLICT: u64 = 1 << 40;
const RECENT: u64 = 1 << 20;
const INDUSTRY: u64 = 1;

struct Board<'a> {
    people: &'a [Participant],
    recent: HashSet<(usize, usize)>,
    conflicts: HashSet<(usize, usize)>,
    industry: Option<i64>,
    /// Pairs in the plan, by index into `people`.
    taken: HashSet<(usize, usize)>,
}

/// The participants by id, each once.
fn participants(req: &Request) -> Vec<Participant> {
    let mut people = req.participants.clone();
    people.sort_by_key(|p| p.id);
    people.dedup_by_key(|p| p.id);
    people
}

impl<'a> Board<'a> {
    /// An empty board for `people` (as [`participants`] gives them), with the request's recent
    /// pairs and conflicts by index; also the index of each id.
    fn new(req: &Request, people: &'a [Participant]) -> (Self, HashMap<i64, usize>) {
        let index: HashMap<i64, usize> =
            people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let unordered = |pairs: &[(i64, i64)]| -> HashSet<(usize, usize)> {
            pairs
                .iter()
                .filter_map(|(a, b)| Some((*index.get(a)?, *index.get(b)?)))
                .map(|(a, b)| (a.min(b), a.max(b)))
                .collect()
        };
        let board = Board {
            people,
            recent: unordered(&req.recent),
            conflicts: unordered(&req.conflicts),
            industry: req.industry,
            taken: HashSet::new(),
        };
        (board, index)
    }

    fn cost(&self, inspector: usize, target: usize) -> u64 {
        let key = (inspector.min(target), inspector.max(target));
        let mut c = 0;
        if self.conflicts.contains(&key) {
            c += CONFLICT;
        }
        if self.recent.contains(&key) {
            c += RECENT;
        }
        if self.industry.is_some()
            && self.people[inspector].industry != self.people[target].industry
        {
            c += INDUSTRY;
        }
        c
    }

    /// Whether `inspector → target` may be added: not itself, not already there, not the
    /// reverse of one there.
    fn allowed(&self, inspector: usize, target: usize) -> bool {
        inspector != target
            && !self.taken.contains(&(inspector, target))
            && !self.taken.contains(&(target, inspector))
    }
}

/// Pairs a batch's participants (see the module's documentation).
pub fn pair(req: &Request) -> Plan {
    let mut rng = Rng(req.seed);
    let people = participants(req);
    let n = people.len();
    let (mut board, _) = Board::new(req, &people);
    // Several starts (many for small batches, where each is cheap and a dense plan may need a
    // different ring); the cheapest plan wins, the first one without a conflict or a recent pair
    // at once.
    let starts = if n <= 64 {
        48
    } else if n <= 1_000 {
        8
    } else {
        2
    };
    let mut best: Option<(u64, Vec<(usize, usize)>)> = None;
    for _ in 0..starts {
        let pairs = ring(&mut board, req.per_target, &mut rng);
        let cost: u64 = pairs.iter().map(|&(i, t)| board.cost(i, t)).sum();
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, pairs));
        }
        // Industry is a preference: starts again only for a conflict or a recent pair.
        if cost < RECENT {
            break;
        }
    }
    let mut pairs = best.map(|(_, p)| p).unwrap_or_default();
    // A conflict left over is dropped: the hard rules come before balance.
    pairs.retain(|&(i, t)| board.cost(i, t) < CONFLICT);
    board.taken = pairs.iter().copied().collect();
    // Nobody can be inspected more often than there are others.
    fill(
        &mut board,
        &mut pairs,
        req.per_target.min(n.saturating_sub(1)),
        &mut rng,
    );
    explain(&board, pairs, req.per_target)
}

/// A hard rule a set of pairs breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// An inspector or target that is not a participant.
    Stranger,
    SelfInspection,
    Twice,
    Reciprocal,
    Conflict,
}

/// Checks pairs changed by hand (a lead's swap) against the hard rules, and reports what they
/// relax like [`pair`] does.
pub fn review(req: &Request, pairs: &[Pair]) -> Result<Vec<Relaxed>, Broken> {
    let people = participants(req);
    let (mut board, index) = Board::new(req, &people);
    let mut indexed = Vec::with_capacity(pairs.len());
    for p in pairs {
        let (Some(&i), Some(&t)) = (index.get(&p.inspector), index.get(&p.target)) else {
            return Err(Broken::Stranger);
        };
        if i == t {
            return Err(Broken::SelfInspection);
        }
        if board.taken.contains(&(i, t)) {
            return Err(Broken::Twice);
        }
        if board.taken.contains(&(t, i)) {
            return Err(Broken::Reciprocal);
        }
        if board.cost(i, t) >= CONFLICT {
            return Err(Broken::Conflict);
        }
        board.taken.insert((i, t));
        indexed.push((i, t));
    }
    Ok(explain(&board, indexed, req.per_target).relaxed)
}

/// One start: a shuffled circulant (each participant inspects the ones `d` places after it, for
/// distinct offsets `d` ≤ (n−1)/2), improved by swaps.
fn ring(board: &mut Board<'_>, per_target: usize, rng: &mut Rng) -> Vec<(usize, usize)> {
    let n = board.people.len();
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut offsets: Vec<usize> = (1..=n.saturating_sub(1) / 2).collect();
    rng.shuffle(&mut offsets);
    offsets.truncate(per_target);
    let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(n * offsets.len());
    for &d in &offsets {
        for p in 0..n {
            pairs.push((order[p], order[(p + d) % n]));
        }
    }
    board.taken = pairs.iter().copied().collect();
    improve(board, &mut pairs, rng);
    pairs
}

/// Swaps targets between pairs while that lowers the plan's cost. A swap keeps every
/// participant's counts, so balance is never lost.
fn improve(board: &mut Board<'_>, pairs: &mut [(usize, usize)], rng: &mut Rng) {
    let m = pairs.len();
    if m < 2 {
        return;
    }
    // Small plans try every partner; large ones a sample (enough for sparse rules).
    let tries = if m <= 2_000 { m } else { 64 };
    for _round in 0..8 {
        let mut improved = false;
        for a in 0..m {
            let (ia, ta) = pairs[a];
            let here = board.cost(ia, ta);
            if here == 0 {
                continue;
            }
            let start = rng.below(m);
            for step in 0..tries {
                let b = if tries == m {
                    (start + step) % m
                } else {
                    rng.below(m)
                };
                let (ib, tb) = pairs[b];
                if b == a || ta == tb {
                    continue;
                }
                let before = here + board.cost(ib, tb);
                let after = board.cost(ia, tb) + board.cost(ib, ta);
                if after >= before {
                    continue;
                }
                // Try the swap: (ia→tb, ib→ta) must be allowed once the old two are gone.
                board.taken.remove(&(ia, ta));
                board.taken.remove(&(ib, tb));
                if board.allowed(ia, tb) && board.allowed(ib, ta) {
                    board.taken.insert((ia, tb));
                    board.taken.insert((ib, ta));
                    pairs[a] = (ia, tb);
                    pairs[b] = (ib, ta);
                    improved = true;
                    break;
                }
                board.taken.insert((ia, ta));
                board.taken.insert((ib, tb));
            }
        }
        if !improved {
            break;
        }
    }
}

/// Adds inspections for targets still short of `per_target` (small batches, or pairs dropped
/// for a conflict), from the least-loaded inspectors the hard rules allow.
fn fill(board: &mut Board<'_>, pairs: &mut Vec<(usize, usize)>, per_target: usize, rng: &mut Rng) {
    let n = board.people.len();
    let mut inspected = vec![0usize; n];
    let mut inspects = vec![0usize; n];
    for &(i, t) in pairs.iter() {
        inspects[i] += 1;
        inspected[t] += 1;
    }
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    for &t in &order {
        while inspected[t] < per_target {
            let best = order
                .iter()
                .copied()
                .filter(|&i| board.allowed(i, t) && board.cost(i, t) < CONFLICT)
                .min_by_key(|&i| (inspects[i], board.cost(i, t)));
            let Some(i) = best else { break };
            board.taken.insert((i, t));
            pairs.push((i, t));
            inspects[i] += 1;
            inspected[t] += 1;
        }
    }
}

/// The plan as ids, with what it could not keep.
fn explain(board: &Board<'_>, pairs: Vec<(usize, usize)>, per_target: usize) -> Plan {
    let people = board.people;
    let mut inspected = vec![0usize; people.len()];
    let mut relaxed = Vec::new();
    let mut out = Vec::with_capacity(pairs.len());
    for (i, t) in pairs {
        inspected[t] += 1;
        let (inspector, target) = (people[i].id, people[t].id);
        if board.recent.contains(&(i.min(t), i.max(t))) {
            relaxed.push(Relaxed::RecentPair { inspector, target });
        }
        if board.industry.is_some() && people[i].industry != people[t].industry {
            relaxed.push(Relaxed::OtherIndustry { inspector, target });
        }
        out.push(Pair { inspector, target });
    }
    for (t, count) in inspected.iter().enumerate() {
        if *count < per_target {
            relaxed.push(Relaxed::Uninspected {
                target: people[t].id,
                missing: per_target - count,
            });
        }
    }
    out.sort();
    relaxed.sort_by_key(|r| match r {
        Relaxed::RecentPair { inspector, target } => (0, *inspector, *target),
        Relaxed::OtherIndustry { inspector, target } => (1, *inspector, *target),
        Relaxed::Uninspected { target, .. } => (2, *target, 0),
    });
    Plan {
        pairs: out,
        relaxed,
    }
}

#[cfg(test)]
mod tests;
