//! Writes the district laid out by [`super::district`]: regions, new industries, enterprises
//! (their names, credit codes and addresses drawn as they are written), users, alliances,
//! memberships and expert assignments.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::Rng;

use super::district::{numeral, District, DOMAIN};
use super::names::{self, DISTRICT, DIVISION};
use super::Clock;
use crate::db::schema::{
    alliances, enterprises, expert_assignments, industries, memberships, regions, users,
};
use crate::db::AnyConnection;

/// What an enterprise is written with.
struct Text {
    name: String,
    code: String,
    address: String,
    contact: usize,
    phone: String,
    at: NaiveDateTime,
}

/// A mobile number.
pub(super) fn phone(rng: &mut StdRng) -> String {
    const PREFIXES: [&str; 4] = ["13", "15", "18", "17"];
    let prefix = PREFIXES[rng.gen_range(0..PREFIXES.len())];
    format!("{prefix}{:09}", rng.gen_range(0..1_000_000_000u32))
}

/// A valid unified social credit code, unique per enterprise: `91`, the division, `MA`, seven
/// characters (the index scrambled: injective below 31^7) and the check character.
fn credit_code(d: &District, i: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut x = (i as u64 * 1_000_003 + d.credit_offset) % 27_512_614_111;
    let mut code = format!("91{DIVISION}MA");
    for _ in 0..7 {
        code.push(ALPHABET[(x % 31) as usize] as char);
        x /= 31;
    }
    let check = crate::org::credit_code::check_char(&code).expect("17 characters of the alphabet");
    code.push(check);
    code
}

/// Brand characters, drawn two at a time (宏达, 华泰, …).
struct Brands {
    first: Vec<char>,
    second: Vec<char>,
}

/// An enterprise's name (unique: a name drawn again becomes a branch, 分店 or 分公司), code,
/// address, contact and registration time.
fn enterprise_text(
    rng: &mut StdRng,
    d: &District,
    clock: &Clock,
    brands: &Brands,
    i: usize,
    taken: &mut HashMap<u64, u32>,
) -> Text {
    let e = &d.enterprises[i];
    let (trades, suffix) = names::trades(&d.industries[e.industry].code);
    let mut draw = (0, 0, 0, 0u64);
    for _ in 0..4 {
        let a = rng.gen_range(0..brands.first.len());
        let b = rng.gen_range(0..brands.second.len());
        let t = rng.gen_range(0..trades.len());
        let key = [e.street, e.industry, a, b, t]
            .iter()
            .fold(0u64, |k, &v| k * 256 + v as u64);
        draw = (a, b, t, key);
        if !taken.contains_key(&key) {
            break;
        }
    }
    let (a, b, t, key) = draw;
    let count = taken.entry(key).or_insert(0);
    *count += 1;
    let street = d.streets[e.street].name;
    let short = street.trim_end_matches("街道").trim_end_matches('镇');
    let (first, second, trade) = (brands.first[a], brands.second[b], trades[t]);
    let mut name = format!(
        "{}{short}{first}{second}{trade}{suffix}",
        names::DISTRICT_SHORT
    );
    if *count > 1 {
        let unit = if suffix.is_empty() { "店" } else { "公司" };
        name = format!("{name}（{}分{unit}）", numeral(*count));
    }
    let road = names::ROADS[rng.gen_range(0..names::ROADS.len())];
    let address = format!("{street}{road}{}号", rng.gen_range(1..=999));
    let contact = rng.gen_range(0..d.people.len());
    let phone = phone(rng);
    let registered = clock.day(rng.gen_range(1100..2500));
    Text {
        name,
        code: credit_code(d, i),
        address,
        contact,
        phone,
        at: Clock::at(registered, rng.gen_range(540..1020)),
    }
}

/// Writes the organizations and users (every user with the one password `hash`).
pub(super) fn insert(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    d: &District,
    clock: &Clock,
    hash: &str,
) -> Result<(), String> {
    let mut places = vec![(d.id, None, "district", DISTRICT, DIVISION.to_string())];
    places.extend(d.streets.iter().enumerate().map(|(s, street)| {
        let code = format!("{DIVISION}{:03}", s + 1);
        (street.id, Some(d.id), "street", street.name, code)
    }));
    insert_rows!(conn, regions::table, places, 1000, |p| (
        regions::id.eq(p.0),
        regions::parent_id.eq(p.1),
        regions::level.eq(p.2),
        regions::name.eq(p.3),
        regions::code.eq(p.4.as_str()),
    ))?;
    let new: Vec<_> = d.industries.iter().filter(|i| i.new).collect();
    insert_rows!(conn, industries::table, new, 1000, |i| (
        industries::id.eq(i.id),
        industries::code.eq(i.code.as_str()),
        industries::name.eq(i.name.as_str()),
        industries::department.eq(i.department.as_str()),
    ))?;
    insert_enterprises(conn, rng, d, clock)?;
    insert_users(conn, rng, d, clock, hash)?;
    insert_alliances(conn, d)
}

fn insert_enterprises(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    d: &District,
    clock: &Clock,
) -> Result<(), String> {
    let brands = Brands {
        first: names::BRAND_FIRST.chars().collect(),
        second: names::BRAND_SECOND.chars().collect(),
    };
    let mut taken = HashMap::new();
    let all: Vec<usize> = (0..d.enterprises.len()).collect();
    for chunk in all.chunks(10_000) {
        let texts: Vec<(usize, Text)> = chunk
            .iter()
            .map(|&i| (i, enterprise_text(rng, d, clock, &brands, i, &mut taken)))
            .collect();
        insert_rows!(conn, enterprises::table, texts, 2500, |(i, t)| {
            let e = &d.enterprises[*i];
            (
                enterprises::id.eq(e.id),
                enterprises::name.eq(t.name.as_str()),
                enterprises::credit_code.eq(t.code.as_str()),
                enterprises::region_id.eq(d.streets[e.street].id),
                enterprises::industry_id.eq(d.industries[e.industry].id),
                enterprises::scale.eq(if e.above {
                    "above_scale"
                } else {
                    "small_micro"
                }),
                enterprises::address.eq(t.address.as_str()),
                enterprises::contact_name.eq(d.people[t.contact].as_str()),
                enterprises::contact_phone.eq(t.phone.as_str()),
                enterprises::created_at.eq(t.at),
                enterprises::updated_at.eq(t.at),
            )
        })?;
    }
    Ok(())
}

/// One user row: id, email, name, phone, role, (region, industry, enterprise), created.
type UserRow<'a> = (
    i64,
    String,
    &'a str,
    String,
    &'static str,
    (Option<i64>, Option<i64>, Option<i64>),
    NaiveDateTime,
);

fn write_users(conn: &mut AnyConnection, rows: &[UserRow<'_>], hash: &str) -> Result<(), String> {
    insert_rows!(conn, users::table, rows, 2500, |u| (
        users::id.eq(u.0),
        users::email.eq(u.1.as_str()),
        users::name.eq(u.2),
        users::phone.eq(u.3.as_str()),
        users::password_hash.eq(hash),
        users::role.eq(u.4),
        users::region_id.eq(u.5 .0),
        users::industry_id.eq(u.5 .1),
        users::enterprise_id.eq(u.5 .2),
        users::active.eq(true),
        users::created_at.eq(u.6),
        users::updated_at.eq(u.6),
    ))
}

fn insert_users(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    d: &District,
    clock: &Clock,
    hash: &str,
) -> Result<(), String> {
    let opened = Clock::at(clock.day(1200), 540);
    let accounts: Vec<UserRow<'_>> = d
        .accounts
        .iter()
        .map(|a| {
            let place = (a.region, a.industry, a.enterprise);
            (
                a.id,
                a.email.clone(),
                a.name.as_str(),
                String::new(),
                a.role,
                place,
                opened,
            )
        })
        .collect();
    write_users(conn, &accounts, hash)?;
    let mut staff: Vec<UserRow<'_>> = Vec::with_capacity(10_000);
    for e in &d.enterprises {
        for id in e.first_user..e.first_user + i64::from(e.users) {
            let email = format!("user{:07}@{DOMAIN}", id - d.first_staff + 1);
            let joined = clock.day(rng.gen_range(400..1000));
            let at = Clock::at(joined, rng.gen_range(480..1080));
            let place = (None, None, Some(e.id));
            staff.push((
                id,
                email,
                d.staff_name(id),
                phone(rng),
                "enterprise",
                place,
                at,
            ));
        }
        if staff.len() >= 10_000 {
            write_users(conn, &staff, hash)?;
            staff.clear();
        }
    }
    write_users(conn, &staff, hash)
}

fn insert_alliances(conn: &mut AnyConnection, d: &District) -> Result<(), String> {
    insert_rows!(conn, alliances::table, d.alliances, 2000, |a| {
        let (level, region) = match a.street {
            Some(s) => ("street", d.streets[s].id),
            None => ("district", d.id),
        };
        let at = Clock::at(a.founded, 600);
        (
            alliances::id.eq(a.id),
            alliances::name.eq(a.name.as_str()),
            alliances::level.eq(level),
            alliances::region_id.eq(region),
            alliances::industry_id.eq(a.industry.map(|k| d.industries[k].id)),
            alliances::lead_enterprise_id.eq(d.enterprises[a.lead].id),
            alliances::founded_on.eq(a.founded),
            alliances::created_at.eq(at),
            alliances::updated_at.eq(at),
        )
    })?;
    let members: Vec<(i64, i64, &str, NaiveDate)> = d
        .alliances
        .iter()
        .flat_map(|a| {
            a.members.iter().map(move |&(e, joined)| {
                let role = if e == a.lead { "lead" } else { "member" };
                (a.id, d.enterprises[e].id, role, joined)
            })
        })
        .collect();
    insert_rows!(conn, memberships::table, members, 5000, |m| (
        memberships::alliance_id.eq(m.0),
        memberships::enterprise_id.eq(m.1),
        memberships::role.eq(m.2),
        memberships::joined_on.eq(m.3),
    ))?;
    insert_rows!(conn, expert_assignments::table, d.assignments, 5000, |a| (
        expert_assignments::user_id.eq(a.0),
        expert_assignments::alliance_id.eq(a.1),
    ))
}
