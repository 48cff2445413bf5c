//! The alliances' events of the year, laid out in memory: trainings, warning education and
//! experience exchanges about monthly (a few still ahead), with registrations and attendance.

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::Rng;

use super::activity::Activity;
use super::district::District;
use super::names;
use super::{Clock, Ids};

pub(super) struct Event {
    pub id: i64,
    pub alliance: usize,
    /// An index of [`names::EVENTS`].
    pub kind: usize,
    pub title: &'static str,
    pub starts: NaiveDateTime,
    pub ends: NaiveDateTime,
    pub place: String,
    pub speaker: String,
    pub capacity: i32,
    pub quota: i32,
    pub required_all: bool,
    pub summary: String,
    pub created_by: i64,
    pub created: NaiveDateTime,
    pub updated: NaiveDateTime,
}

pub(super) struct Registration {
    pub event: i64,
    pub enterprise: i64,
    pub user: i64,
    pub at: NaiveDateTime,
}

pub(super) struct Attendance {
    pub event: i64,
    pub enterprise: i64,
    /// `None`: a walk-in without an account, checked in by the organizer.
    pub user: Option<i64>,
    /// An index of the district's people.
    pub name: u16,
    pub method: &'static str,
    pub at: NaiveDateTime,
    pub by: i64,
}

/// About one event a month (trainings, warning education, experience exchanges), a few still
/// ahead; most members register, most registered people attend, and a few walk in.
pub(super) fn plan_events(
    rng: &mut StdRng,
    d: &District,
    clock: &Clock,
    ids: &Ids,
    act: &mut Activity,
    a: usize,
) {
    let alliance = &d.alliances[a];
    let organizer = d.enterprises[alliance.lead].first_user;
    for k in 0..13 {
        let day = clock.day(365 - 30 * k - rng.gen_range(0..25));
        if day < alliance.founded + Duration::days(14) || !rng.gen_bool(0.7) {
            continue;
        }
        let roll: f64 = rng.gen();
        let kind = if roll < 0.5 {
            0
        } else if roll < 0.75 {
            1
        } else {
            2
        };
        let starts = Clock::at(day, if rng.gen_bool(0.5) { 540 } else { 870 });
        let ends = starts + Duration::minutes(if rng.gen_bool(0.5) { 120 } else { 180 });
        let created = starts
            - Duration::days(rng.gen_range(7..=20))
            - Duration::minutes(rng.gen_range(0..600));
        if created >= clock.now {
            continue;
        }
        let id = ids.event + act.events.len() as i64;
        let members: Vec<usize> = alliance
            .members
            .iter()
            .filter(|m| m.1 <= day)
            .map(|m| m.0)
            .collect();
        let quota = 2;
        let required_all = kind == 1 || (kind == 0 && rng.gen_bool(0.2));
        let window = (starts.min(clock.now) - created).num_seconds().max(1);
        let mut registered = Vec::new();
        for &e in &members {
            if !rng.gen_bool(if required_all { 0.9 } else { 0.55 }) {
                continue;
            }
            let enterprise = &d.enterprises[e];
            let people = rng.gen_range(1..=i64::from(enterprise.users).min(quota));
            for user in enterprise.first_user..enterprise.first_user + people {
                let at = created + Duration::seconds(rng.gen_range(0..window));
                act.registrations.push(Registration {
                    event: id,
                    enterprise: enterprise.id,
                    user,
                    at,
                });
                registered.push((e, user));
            }
        }
        let past = ends <= clock.now;
        // Registrations come enterprise by enterprise: a new one starts a new firm.
        let (mut firms, mut present, mut last) = (0usize, 0usize, None);
        let attending = if past { registered.as_slice() } else { &[] };
        for &(e, user) in attending {
            if !rng.gen_bool(0.88) {
                continue;
            }
            present += 1;
            if last != Some(e) {
                firms += 1;
                last = Some(e);
            }
            let at = starts - Duration::minutes(15) + Duration::seconds(rng.gen_range(0..2400));
            act.attendances.push(Attendance {
                event: id,
                enterprise: d.enterprises[e].id,
                user: Some(user),
                name: d.staff_person(user),
                method: "code",
                at,
                by: user,
            });
        }
        if past && !members.is_empty() && rng.gen_bool(0.15) {
            for _ in 0..rng.gen_range(1..=2) {
                let e = members[rng.gen_range(0..members.len())];
                present += 1;
                act.attendances.push(Attendance {
                    event: id,
                    enterprise: d.enterprises[e].id,
                    user: None,
                    name: rng.gen_range(0..d.people.len()) as u16,
                    method: "organizer",
                    at: starts + Duration::minutes(rng.gen_range(0..60)),
                    by: organizer,
                });
            }
        }
        let person = &d.people[rng.gen_range(0..d.people.len())];
        act.events.push(Event {
            id,
            alliance: a,
            kind,
            title: names::EVENTS[kind].1[rng.gen_range(0..4)],
            starts,
            ends,
            place: match alliance.street {
                Some(s) => format!("{}便民服务中心三楼会议室", d.streets[s].name),
                None => "区应急管理局培训中心".to_string(),
            },
            speaker: match kind {
                0 => format!("注册安全工程师 {person}"),
                1 => format!("区应急管理局 {person}"),
                _ => format!("{}（牵头企业）", d.staff_name(organizer)),
            },
            capacity: (members.len() as i32 * quota as i32).max(10),
            quota: quota as i32,
            required_all,
            summary: if past {
                format!("共{firms}家企业{present}人签到参加。")
            } else {
                String::new()
            },
            created_by: organizer,
            created,
            updated: if past {
                (ends + Duration::minutes(30)).min(clock.now)
            } else {
                created
            },
        });
    }
}
