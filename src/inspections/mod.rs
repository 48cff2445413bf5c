//! Mutual inspection (互查): alliances inspect their members, enterprise by enterprise. So far:
//! the pairing of a batch ([`pairing`]).

pub mod pairing;
