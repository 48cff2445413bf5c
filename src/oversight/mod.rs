//! Oversight (监管): what regulators read of the alliances' work — figures of hazards, mutual
//! inspections and events in their scope, broken down and drilled into.

pub mod figures;
