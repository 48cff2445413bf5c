//! The district's organizations: its streets, the platform's industries, enterprises with their
//! users, street and industry alliances with their members, regulators, experts and the logins.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::Rng;

use super::names::{self, DISTRICT, STREETS};
use super::{Clock, Ids};
use crate::db::schema::industries;
use crate::db::AnyConnection;
use crate::seed::DemoLogin;

/// Where every synthetic account's email is.
pub(super) const DOMAIN: &str = "synthetic.example";
/// The share of each street's enterprises in a street alliance, and of each industry's in a
/// district industry alliance (drawn independently: some are in both).
const IN_STREET_ALLIANCE: f64 = 0.6;
const IN_INDUSTRY_ALLIANCE: f64 = 0.2;

pub(super) struct Street {
    pub id: i64,
    pub name: &'static str,
    /// The user regulating it (its street regulator).
    pub regulator: i64,
}

pub(super) struct Industry {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub department: String,
    /// Not in the database yet.
    pub new: bool,
}

pub(super) struct Enterprise {
    pub id: i64,
    pub street: usize,
    pub industry: usize,
    pub above: bool,
    /// Its users' ids are `first_user..first_user + users`.
    pub first_user: i64,
    pub users: u8,
    /// Its street alliance and industry alliance (indexes of `alliances`), with the day it
    /// joined each.
    pub street_alliance: Option<(usize, NaiveDate)>,
    pub district_alliance: Option<(usize, NaiveDate)>,
}

pub(super) struct Alliance {
    pub id: i64,
    /// `None`: a district industry alliance.
    pub street: Option<usize>,
    pub industry: Option<usize>,
    pub name: String,
    /// The lead enterprise (an index of `enterprises`), also the first member.
    pub lead: usize,
    pub founded: NaiveDate,
    /// Members (indexes of `enterprises`) and the day each joined.
    pub members: Vec<(usize, NaiveDate)>,
    /// The expert assigned to it.
    pub expert: i64,
}

/// A user who is not one of the enterprises' ordinary staff.
pub(super) struct Account {
    pub id: i64,
    pub label: Option<&'static str>,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub region: Option<i64>,
    pub industry: Option<i64>,
    pub enterprise: Option<i64>,
}

pub(super) struct District {
    pub id: i64,
    pub streets: Vec<Street>,
    pub industries: Vec<Industry>,
    pub enterprises: Vec<Enterprise>,
    pub alliances: Vec<Alliance>,
    /// Names people go by (users, contacts, inspectors, speakers).
    pub people: Vec<String>,
    /// The name (an index of `people`) of each enterprise user, from `first_staff` on.
    pub staff_names: Vec<u16>,
    pub first_staff: i64,
    pub accounts: Vec<Account>,
    /// (user, alliance)
    pub assignments: Vec<(i64, i64)>,
    /// Scrambles the enterprises' credit codes.
    pub credit_offset: u64,
}

impl District {
    /// The name (an index of `people`) of an enterprise user.
    pub fn staff_person(&self, user: i64) -> u16 {
        let index = usize::try_from(user - self.first_staff).unwrap_or(0);
        self.staff_names.get(index).copied().unwrap_or(0)
    }

    /// The name of an enterprise user.
    pub fn staff_name(&self, user: i64) -> &str {
        &self.people[self.staff_person(user) as usize]
    }

    pub fn user_count(&self) -> usize {
        self.accounts.len() + self.staff_names.len()
    }

    /// The logins of the roles (the password is filled in by the caller).
    pub fn logins(&self) -> Vec<DemoLogin> {
        self.accounts
            .iter()
            .filter_map(|a| {
                a.label.map(|label| DemoLogin {
                    label: label.to_string(),
                    email: a.email.clone(),
                    password: String::new(),
                })
            })
            .collect()
    }
}

pub(super) fn weighted(weights: &[f64], what: &str) -> Result<WeightedIndex<f64>, String> {
    WeightedIndex::new(weights).map_err(|e| format!("cannot weigh the {what}: {e}"))
}

/// Lays the district out in memory (no text yet: names and addresses are drawn as they are
/// written). Reads the industries already in the database (they are kept).
pub(super) fn build(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    n: usize,
    clock: &Clock,
    ids: &Ids,
) -> Result<District, String> {
    let demo: crate::seed::Demo = serde_json::from_str(crate::seed::DEMO)
        .map_err(|e| format!("cannot read the demo industries: {e}"))?;
    let existing: HashMap<String, i64> = industries::table
        .select((industries::code, industries::id))
        .load::<(String, i64)>(conn)
        .map_err(|e| format!("cannot read the industries: {e}"))?
        .into_iter()
        .collect();
    let mut next_industry = ids.industry;
    let industries: Vec<Industry> = demo
        .industries
        .into_iter()
        .map(|i| {
            let known = existing.get(&i.code).copied();
            let id = known.unwrap_or_else(|| {
                next_industry += 1;
                next_industry - 1
            });
            Industry {
                id,
                code: i.code,
                name: i.name,
                department: i.department,
                new: known.is_none(),
            }
        })
        .collect();
    let streets: Vec<Street> = (0..(n / 500).clamp(3, STREETS.len()))
        .map(|s| Street {
            id: ids.region + 1 + s as i64,
            name: STREETS[s],
            regulator: 0,
        })
        .collect();
    let surnames: Vec<char> = names::SURNAMES.chars().collect();
    let people: Vec<String> = (0..2000)
        .map(|_| {
            let surname = surnames[rng.gen_range(0..surnames.len())];
            format!(
                "{surname}{}",
                names::GIVEN[rng.gen_range(0..names::GIVEN.len())]
            )
        })
        .collect();
    let street_weights: Vec<f64> = streets.iter().map(|_| rng.gen_range(0.4..1.6)).collect();
    let mix: Vec<(f64, f64)> = industries
        .iter()
        .map(|i| names::industry_mix(&i.code))
        .collect();
    let pick_street = weighted(&street_weights, "streets")?;
    let pick_industry = weighted(&mix.iter().map(|m| m.0).collect::<Vec<_>>(), "industries")?;
    let enterprises: Vec<Enterprise> = (0..n)
        .map(|i| {
            let industry = pick_industry.sample(rng);
            Enterprise {
                id: ids.enterprise + i as i64,
                street: pick_street.sample(rng),
                industry,
                above: rng.gen_bool(mix[industry].1),
                first_user: 0,
                users: if rng.gen_bool(0.35) { 2 } else { 1 },
                street_alliance: None,
                district_alliance: None,
            }
        })
        .collect();
    let mut d = District {
        id: ids.region,
        streets,
        industries,
        enterprises,
        alliances: Vec::new(),
        people,
        staff_names: Vec::new(),
        first_staff: 0,
        accounts: Vec::new(),
        assignments: Vec::new(),
        credit_offset: rng.gen_range(0..27_512_614_111),
    };
    found_alliances(rng, &mut d, clock, ids);
    open_accounts(rng, &mut d, ids.user);
    Ok(d)
}

/// Cuts a pool of enterprises into alliances of 15 to 80 (a pool under 15 makes one, if it has
/// three enterprises).
fn groups(rng: &mut StdRng, pool: &[usize]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut rest = pool;
    while rest.len() >= 3 {
        let size = if rest.len() <= 80 {
            rest.len()
        } else {
            rng.gen_range(15..=80).min(rest.len() - 15)
        };
        out.push(rest[..size].to_vec());
        rest = &rest[size..];
    }
    out
}

pub(super) fn numeral(n: u32) -> String {
    const DIGITS: [&str; 11] = [
        "", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    ];
    DIGITS
        .get(n as usize)
        .map_or_else(|| n.to_string(), |d| d.to_string())
}

/// `base`, or `base（二）`, `base（三）`… when the name is taken.
fn unique(taken: &mut HashMap<String, u32>, base: String) -> String {
    let n = taken.entry(base.clone()).or_insert(0);
    *n += 1;
    if *n == 1 {
        base
    } else {
        format!("{base}（{}）", numeral(*n))
    }
}

fn found_alliances(rng: &mut StdRng, d: &mut District, clock: &Clock, ids: &Ids) {
    let mut by_street: Vec<Vec<usize>> = vec![Vec::new(); d.streets.len()];
    for (i, e) in d.enterprises.iter().enumerate() {
        if rng.gen_bool(IN_STREET_ALLIANCE) {
            by_street[e.street].push(i);
        }
    }
    if by_street.iter().all(|p| p.len() < 3) {
        // A tiny district still gets one alliance: its largest street's enterprises.
        let mut counts = vec![0usize; d.streets.len()];
        d.enterprises.iter().for_each(|e| counts[e.street] += 1);
        let largest = (0..counts.len())
            .max_by_key(|&s| (counts[s], usize::MAX - s))
            .unwrap_or(0);
        by_street[largest] = (0..d.enterprises.len())
            .filter(|&i| d.enterprises[i].street == largest)
            .collect();
    }
    let mut by_industry: Vec<Vec<usize>> = vec![Vec::new(); d.industries.len()];
    for (i, e) in d.enterprises.iter().enumerate() {
        if rng.gen_bool(IN_INDUSTRY_ALLIANCE) {
            by_industry[e.industry].push(i);
        }
    }
    let mut taken = HashMap::new();
    for (s, mut pool) in by_street.into_iter().enumerate() {
        // Neighbours of one trade band together: most street alliances are of one industry.
        pool.sort_by_key(|&i| d.enterprises[i].industry);
        for group in groups(rng, &pool) {
            let mut count = vec![0usize; d.industries.len()];
            group
                .iter()
                .for_each(|&i| count[d.enterprises[i].industry] += 1);
            let top = (0..count.len())
                .max_by_key(|&k| (count[k], usize::MAX - k))
                .unwrap_or(0);
            let industry = (count[top] * 10 >= group.len() * 8).then_some(top);
            let label = match industry {
                Some(k) => d.industries[k].name.replace(['(', ')', '（', '）'], ""),
                None => "小微企业".to_string(),
            };
            let name = unique(&mut taken, format!("{}{label}安全联盟", d.streets[s].name));
            add_alliance(rng, d, clock, ids, (Some(s), industry, name), group);
        }
    }
    for (k, pool) in by_industry.into_iter().enumerate() {
        for group in groups(rng, &pool) {
            let label = d.industries[k].name.replace(['(', ')', '（', '）'], "");
            let name = unique(&mut taken, format!("{DISTRICT}{label}行业安全联盟"));
            add_alliance(rng, d, clock, ids, (None, Some(k), name), group);
        }
    }
}

fn add_alliance(
    rng: &mut StdRng,
    d: &mut District,
    clock: &Clock,
    ids: &Ids,
    (street, industry, name): (Option<usize>, Option<usize>, String),
    group: Vec<usize>,
) {
    let index = d.alliances.len();
    let lead = group
        .iter()
        .copied()
        .find(|&i| d.enterprises[i].above)
        .unwrap_or(group[0]);
    let founded = clock.day(rng.gen_range(60..=3 * 365));
    let latest = (clock.day(30) - founded).num_days().max(0);
    let mut members = vec![(lead, founded)];
    for &i in group.iter().filter(|&&i| i != lead) {
        let joined = if rng.gen_bool(0.75) {
            founded
        } else {
            founded + Duration::days(rng.gen_range(0..=latest))
        };
        members.push((i, joined));
    }
    for &(i, joined) in &members {
        let e = &mut d.enterprises[i];
        match street {
            Some(_) => e.street_alliance = e.street_alliance.or(Some((index, joined))),
            None => e.district_alliance = e.district_alliance.or(Some((index, joined))),
        }
    }
    d.alliances.push(Alliance {
        id: ids.alliance + index as i64,
        street,
        industry,
        name,
        lead,
        founded,
        members,
        expert: 0,
    });
}

/// Users: one login per role, a regulator per street and per industry, an expert per eight
/// alliances, then one or two users per enterprise.
fn open_accounts(rng: &mut StdRng, d: &mut District, first: i64) {
    let mut next = first;
    let person = |rng: &mut StdRng| d.people[rng.gen_range(0..d.people.len())].clone();
    let mut account = |label, email: String, name, role, place: (Option<i64>, Option<i64>)| {
        next += 1;
        Account {
            id: next - 1,
            label,
            email,
            name,
            role,
            region: place.0,
            industry: place.1,
            enterprise: None,
        }
    };
    let hazchem = d
        .industries
        .iter()
        .position(|i| i.code == "hazchem")
        .unwrap_or(0);
    let logins = [
        ("admin", "admin", (None, None)),
        ("district-regulator", "regulator", (Some(d.id), None)),
        (
            "street-regulator",
            "regulator",
            (Some(d.streets[0].id), None),
        ),
        (
            "industry-regulator",
            "regulator",
            (None, Some(d.industries[hazchem].id)),
        ),
        ("lead", "enterprise", (None, None)),
        ("member", "enterprise", (None, None)),
        ("expert", "expert", (None, None)),
    ];
    let first_alliance = d.alliances.first();
    let lead = first_alliance.map(|a| a.lead);
    let member = first_alliance.and_then(|a| a.members.get(1)).map(|m| m.0);
    let mut accounts = Vec::new();
    let mut assignments = Vec::new();
    for (label, role, place) in logins {
        let name = if role == "admin" {
            "系统管理员".to_string()
        } else {
            person(rng)
        };
        let mut a = account(Some(label), format!("{label}@{DOMAIN}"), name, role, place);
        let enterprise = match label {
            "lead" => lead,
            "member" => member,
            _ => None,
        };
        if role == "enterprise" {
            let Some(e) = enterprise else { continue };
            a.enterprise = Some(d.enterprises[e].id);
        }
        if role == "expert" {
            // The first street alliance and the first industry alliance.
            assignments.extend(first_alliance.map(|al| (a.id, al.id)));
            let industry = d.alliances.iter().find(|al| al.street.is_none());
            assignments.extend(industry.map(|al| (a.id, al.id)));
        }
        accounts.push(a);
    }
    for (s, street) in d.streets.iter_mut().enumerate() {
        let email = format!("street-{:02}@{DOMAIN}", s + 1);
        let a = account(
            None,
            email,
            person(rng),
            "regulator",
            (Some(street.id), None),
        );
        street.regulator = a.id;
        accounts.push(a);
    }
    for industry in &d.industries {
        let email = format!("industry-{}@{DOMAIN}", industry.code.replace('_', "-"));
        let place = (None, Some(industry.id));
        accounts.push(account(None, email, person(rng), "regulator", place));
    }
    let mut experts = Vec::new();
    for k in 0..(d.alliances.len() / 8).max(1) {
        let email = format!("expert-{:03}@{DOMAIN}", k + 1);
        let a = account(None, email, person(rng), "expert", (None, None));
        experts.push(a.id);
        accounts.push(a);
    }
    for (k, a) in d.alliances.iter_mut().enumerate() {
        a.expert = experts[k % experts.len()];
        assignments.push((a.expert, a.id));
    }
    d.first_staff = next;
    for e in &mut d.enterprises {
        e.first_user = next;
        next += i64::from(e.users);
        for _ in 0..e.users {
            d.staff_names.push(rng.gen_range(0..d.people.len()) as u16);
        }
    }
    d.accounts = accounts;
    d.assignments = assignments;
}
