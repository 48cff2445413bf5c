//! How long pairing a mutual-inspection batch takes, up to 5,000 members (`cargo bench --bench
//! pairing`). Medians of 7 runs; each run on a fresh seed, with a history in which every member
//! met one other last time, three industries and a template tied to one of them.

use std::time::Instant;

use safety_alliance::inspections::pairing::{pair, Participant, Request};

fn request(n: i64, per_target: usize, seed: u64) -> Request {
    Request {
        participants: (1..=n)
            .map(|id| Participant {
                id,
                industry: Some(id % 3),
            })
            .collect(),
        per_target,
        recent: (1..n).step_by(2).map(|i| (i, i + 1)).collect(),
        conflicts: (1..n).step_by(97).map(|i| (i, i + 2)).collect(),
        industry: Some(0),
        seed,
    }
}

fn main() {
    println!(
        "{:>8} {:>4} {:>12} {:>10} {:>8}",
        "members", "k", "median ms", "pairs", "relaxed"
    );
    for n in [50, 500, 5_000] {
        for k in [1, 2] {
            let mut times = Vec::new();
            let mut last = None;
            for seed in 0..7 {
                let req = request(n, k, seed);
                let start = Instant::now();
                let plan = pair(&req);
                times.push(start.elapsed().as_secs_f64() * 1000.0);
                last = Some(plan);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let plan = last.expect("seven runs");
            println!(
                "{n:>8} {k:>4} {:>12.1} {:>10} {:>8}",
                times[times.len() / 2],
                plan.pairs.len(),
                plan.relaxed.len()
            );
        }
    }
}
