//! Scenario tests of the engine through a small in-memory executor of its effects, with time
//! moved by hand.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tocsin_proto::arn;
use tocsin_proto::records::*;

use super::*;

mod retries;

const ACCT: &str = "123456789012";

fn contact_arn(alias: &str) -> String {
    arn::contact("us-east-1", ACCT, alias)
}

fn channel_arn(alias: &str) -> String {
    arn::contact_channel("us-east-1", ACCT, alias, "hook")
}

fn personal(alias: &str, stages: &[u32]) -> Contact {
    Contact {
        contact_arn: contact_arn(alias),
        alias: alias.into(),
        display_name: None,
        contact_type: ContactType::Personal,
        tocsin: Default::default(),
        plan: Plan {
            stages: stages
                .iter()
                .map(|d| Stage {
                    duration_in_minutes: *d,
                    targets: vec![Target {
                        channel_target_info: Some(ChannelTargetInfo {
                            contact_channel_id: channel_arn(alias),
                            retry_interval_in_minutes: None,
                        }),
                        contact_target_info: None,
                    }],
                })
                .collect(),
            rotation_ids: vec![],
        },
    }
}

fn escalation(alias: &str, stages: &[(u32, &[(&str, bool)])]) -> Contact {
    Contact {
        contact_arn: contact_arn(alias),
        alias: alias.into(),
        display_name: None,
        contact_type: ContactType::Escalation,
        tocsin: Default::default(),
        plan: Plan {
            stages: stages
                .iter()
                .map(|(d, targets)| Stage {
                    duration_in_minutes: *d,
                    targets: targets
                        .iter()
                        .map(|(t, e)| Target {
                            channel_target_info: None,
                            contact_target_info: Some(ContactTargetInfo {
                                contact_id: Some(contact_arn(t)),
                                is_essential: *e,
                            }),
                        })
                        .collect(),
                })
                .collect(),
            rotation_ids: vec![],
        },
    }
}

fn schedule(alias: &str) -> Contact {
    Contact {
        contact_arn: contact_arn(alias),
        alias: alias.into(),
        display_name: None,
        contact_type: ContactType::OncallSchedule,
        tocsin: Default::default(),
        plan: Plan {
            stages: vec![],
            rotation_ids: vec!["r".into()],
        },
    }
}

fn channel(alias: &str) -> ContactChannel {
    ContactChannel {
        contact_channel_arn: channel_arn(alias),
        contact_arn: contact_arn(alias),
        name: "hook".into(),
        channel_type: ChannelType::Webhook,
        delivery_address: ContactChannelAddress {
            simple_address: format!("http://127.0.0.1/{alias}"),
        },
        activation_status: ActivationStatus::Activated,
    }
}

/// Carries effects out in memory, like the engagement service does with Redis and RabbitMQ.
struct World {
    now: DateTime<Utc>,
    contacts: BTreeMap<String, Contact>,
    on_call: Vec<String>,
    engagements: BTreeMap<String, Engagement>,
    timers: BTreeMap<String, (DateTime<Utc>, EngagementTimer)>,
    pages: Vec<Page>,
    timeline: Vec<TimelineEvent>,
}

impl World {
    fn new(contacts: Vec<Contact>) -> Self {
        Self {
            now: Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap(),
            contacts: contacts
                .into_iter()
                .map(|c| (c.contact_arn.clone(), c))
                .collect(),
            on_call: vec![],
            engagements: BTreeMap::new(),
            timers: BTreeMap::new(),
            pages: vec![],
            timeline: vec![],
        }
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            account: ACCT.into(),
            region: "us-east-1".into(),
            now: self.now,
            actor: "test".into(),
        }
    }

    fn engage(&mut self, alias: &str) -> String {
        let e = root(
            &self.ctx(),
            "inc-1",
            &arn::incident_record(ACCT, "p", "inc-1"),
            "plan",
            "subject",
            "content",
            &contact_arn(alias),
        );
        let arn = e.engagement_arn.clone();
        self.engagements.insert(arn.clone(), e);
        self.apply(&arn, Command::Start);
        arn
    }

    fn apply(&mut self, engagement_arn: &str, command: Command) {
        let mut work = vec![(engagement_arn.to_string(), command)];
        while let Some((arn, cmd)) = work.pop() {
            let mut e = self.engagements[&arn].clone();
            let contact = self.contacts.get(&e.contact_arn).cloned();
            let chans: Vec<ContactChannel> = contact.iter().map(|c| channel(&c.alias)).collect();
            let on_call = self.on_call.clone();
            let on_call_fn = move |_: DateTime<Utc>| on_call.clone();
            let mut n = 0;
            let mut code = || {
                n += 1;
                format!("{n:06}")
            };
            step(
                &self.ctx(),
                &mut e,
                cmd,
                Inputs {
                    contact: contact.as_ref(),
                    channels: &chans,
                    on_call: &on_call_fn,
                    accept_code: &mut code,
                },
            );
            for effect in std::mem::take(&mut e.tocsin.outbox) {
                match effect {
                    EngagementEffect::SendPage { page, .. } => self.pages.push(page),
                    EngagementEffect::StartChild { engagement } => {
                        let child = engagement.engagement_arn.clone();
                        self.engagements.entry(child.clone()).or_insert(*engagement);
                        work.push((child, Command::Start));
                    }
                    EngagementEffect::StopChild {
                        engagement_arn,
                        reason,
                    } => work.push((engagement_arn, Command::Stop { reason })),
                    EngagementEffect::NotifyParent {
                        engagement_arn,
                        child_arn,
                        acknowledged_by,
                        is_essential,
                    } => work.push((
                        engagement_arn,
                        Command::ChildAcknowledged {
                            child_arn,
                            acknowledged_by,
                            is_essential,
                        },
                    )),
                    EngagementEffect::Schedule { due, timer } => {
                        self.timers.insert(timer_key(&timer), (due, timer));
                    }
                    EngagementEffect::Timeline { event, .. } => self.timeline.push(event),
                }
            }
            self.engagements.insert(arn, e);
        }
    }

    /// Moves time forward, firing due timers in order.
    fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        loop {
            let next = self
                .timers
                .values()
                .filter(|(d, _)| *d <= until)
                .min_by_key(|(d, _)| *d)
                .cloned();
            let Some((due, timer)) = next else { break };
            self.timers.remove(&timer_key(&timer));
            self.now = self.now.max(due);
            let arn = self
                .engagements
                .keys()
                .find(|k| k.ends_with(&timer.engagement_id))
                .cloned()
                .unwrap();
            self.apply(&arn, Command::Timer(timer));
        }
        self.now = until;
    }

    fn pages_to(&self, alias: &str) -> usize {
        self.pages
            .iter()
            .filter(|p| p.contact_arn == contact_arn(alias))
            .count()
    }

    fn ack(&mut self, alias: &str) {
        let page = self
            .pages
            .iter()
            .rev()
            .find(|p| p.contact_arn == contact_arn(alias))
            .cloned()
            .unwrap();
        self.apply(
            &page.engagement_arn,
            Command::Acknowledged {
                contact_arn: contact_arn(alias),
                page_arn: page.page_arn,
            },
        );
    }

    fn count(&self, event_type: &str) -> usize {
        self.timeline
            .iter()
            .filter(|e| e.event_type == event_type)
            .count()
    }

    fn status(&self, arn: &str) -> EngagementStatus {
        self.engagements[arn].tocsin.status
    }
}

#[test]
fn a_personal_plan_pages_stage_after_stage_until_acknowledged() {
    let mut w = World::new(vec![personal("alice", &[5, 10, 0])]);
    let e = w.engage("alice");
    assert_eq!(w.pages_to("alice"), 1);
    w.advance(Duration::minutes(4));
    assert_eq!(
        w.pages_to("alice"),
        1,
        "stage 2 starts after 5 minutes, not before"
    );
    w.advance(Duration::minutes(1));
    assert_eq!(w.pages_to("alice"), 2);
    w.ack("alice");
    assert_eq!(w.status(&e), EngagementStatus::Acknowledged);
    w.advance(Duration::hours(1));
    assert_eq!(w.pages_to("alice"), 2, "no page after the acknowledgement");
    assert_eq!(w.count(timeline_types::ACKNOWLEDGED), 1);
    let ids: std::collections::BTreeSet<_> = w.pages.iter().map(|p| &p.page_arn).collect();
    assert_eq!(ids.len(), 2, "each stage has its own page id");
}

#[test]
fn without_acknowledgement_the_plan_ends_and_says_so() {
    let mut w = World::new(vec![personal("alice", &[1, 1])]);
    let e = w.engage("alice");
    w.advance(Duration::minutes(10));
    assert_eq!(w.pages_to("alice"), 2);
    assert_eq!(w.status(&e), EngagementStatus::Completed);
    assert_eq!(w.count(timeline_types::ENGAGEMENT_ENDED), 1);
}

#[test]
fn escalation_stops_at_the_first_essential_acknowledgement() {
    let plan = escalation(
        "sre-escalation",
        &[
            (5, &[("ann", true)]),
            (5, &[("bob", true)]),
            (5, &[("cid", true)]),
        ],
    );
    let mut w = World::new(vec![
        plan,
        personal("ann", &[30]),
        personal("bob", &[30]),
        personal("cid", &[30]),
    ]);
    let e = w.engage("sre-escalation");
    assert_eq!(
        (w.pages_to("ann"), w.pages_to("bob")),
        (1, 0),
        "stage 1: ann only"
    );
    w.advance(Duration::minutes(5));
    assert_eq!(w.pages_to("bob"), 1, "stage 2 after ann ignored it");
    w.advance(Duration::seconds(90));
    w.ack("bob");
    assert_eq!(w.status(&e), EngagementStatus::Acknowledged);
    let root_ack = w
        .timeline
        .iter()
        .filter(|t| t.event_type == timeline_types::ACKNOWLEDGED)
        .find(|t| t.event_data.contains("contact/sre-escalation"))
        .map(|t| serde_json::from_str::<serde_json::Value>(&t.event_data).unwrap())
        .expect("the escalation's acknowledgement");
    assert_eq!(
        root_ack["secondsToAcknowledge"], 390.0,
        "5 minutes of stage 1 and 90 s of stage 2"
    );
    w.advance(Duration::hours(2));
    assert_eq!(w.pages_to("cid"), 0, "stage 3 never paged");
    assert_eq!(
        w.pages_to("ann"),
        1,
        "ann's engagement was stopped by bob's acknowledgement"
    );
    assert_eq!(w.count(timeline_types::ESCALATION_STAGE), 2);
    let ann = w
        .engagements
        .values()
        .find(|x| x.contact_arn == contact_arn("ann"))
        .unwrap();
    assert_eq!(ann.tocsin.status, EngagementStatus::Stopped);
}

#[test]
fn a_non_essential_acknowledgement_lets_the_plan_continue() {
    let plan = escalation("esc", &[(5, &[("ann", false)]), (5, &[("bob", true)])]);
    let mut w = World::new(vec![plan, personal("ann", &[30]), personal("bob", &[30])]);
    let e = w.engage("esc");
    w.ack("ann");
    assert_eq!(w.status(&e), EngagementStatus::Active);
    w.advance(Duration::minutes(5));
    assert_eq!(w.pages_to("bob"), 1);
}

#[test]
fn a_coverage_gap_is_recorded_and_the_plan_goes_on() {
    let plan = escalation("esc", &[(5, &[("rota", true)]), (5, &[("bob", true)])]);
    let mut w = World::new(vec![plan, schedule("rota"), personal("bob", &[30])]);
    w.engage("esc");
    assert_eq!(w.count(timeline_types::COVERAGE_GAP), 1);
    w.advance(Duration::minutes(5));
    assert_eq!(w.pages_to("bob"), 1);
}

#[test]
fn whoever_is_on_call_is_engaged_and_speaks_for_the_schedule() {
    let plan = escalation("esc", &[(5, &[("rota", true)]), (5, &[("bob", true)])]);
    let mut w = World::new(vec![
        plan,
        schedule("rota"),
        personal("ann", &[30]),
        personal("bob", &[30]),
    ]);
    w.on_call = vec![contact_arn("ann")];
    let e = w.engage("esc");
    assert_eq!(w.pages_to("ann"), 1);
    w.ack("ann");
    assert_eq!(
        w.status(&e),
        EngagementStatus::Acknowledged,
        "schedule member's ack is essential through the schedule"
    );
    w.advance(Duration::minutes(30));
    assert_eq!(w.pages_to("bob"), 0);
}

#[test]
fn repeat_runs_the_plan_again_with_new_pages() {
    let mut plan = escalation("esc", &[(5, &[("ann", true)])]);
    plan.tocsin.repeat = 1;
    let mut w = World::new(vec![plan, personal("ann", &[30])]);
    let e = w.engage("esc");
    w.advance(Duration::minutes(5));
    assert_eq!(w.pages_to("ann"), 2, "second cycle engages ann again");
    w.advance(Duration::minutes(5));
    assert_eq!(w.status(&e), EngagementStatus::Completed);
    assert_eq!(w.count(timeline_types::ENGAGEMENT_ENDED), 1);
}

#[test]
fn stop_stops_the_nested_engagements_and_stale_timers_do_nothing() {
    let plan = escalation("esc", &[(5, &[("ann", true)]), (5, &[("bob", true)])]);
    let mut w = World::new(vec![plan, personal("ann", &[1, 1]), personal("bob", &[30])]);
    let e = w.engage("esc");
    w.apply(
        &e,
        Command::Stop {
            reason: "resolved".into(),
        },
    );
    w.advance(Duration::hours(1));
    assert_eq!((w.pages_to("ann"), w.pages_to("bob")), (1, 0));
    assert!(
        w.engagements
            .values()
            .all(|x| x.tocsin.status == EngagementStatus::Stopped)
    );
}

#[test]
fn a_missing_contact_is_said_on_the_timeline() {
    let mut w = World::new(vec![
        escalation("esc", &[(5, &[("ghost", true)]), (5, &[("bob", true)])]),
        personal("bob", &[30]),
    ]);
    w.engage("esc");
    assert_eq!(w.count(timeline_types::ENGAGEMENT_FAILED), 1);
    w.advance(Duration::minutes(5));
    assert_eq!(w.pages_to("bob"), 1, "the plan goes on");
}

#[test]
fn start_and_duplicate_commands_are_idempotent() {
    let mut w = World::new(vec![personal("alice", &[5, 5])]);
    let e = w.engage("alice");
    w.apply(&e, Command::Start);
    assert_eq!(w.pages_to("alice"), 1, "a second Start changes nothing");
    let t = w.timers.values().next().unwrap().1.clone();
    w.advance(Duration::minutes(5));
    w.apply(&e, Command::Timer(t));
    assert_eq!(
        w.pages_to("alice"),
        2,
        "a replayed stage timer pages no more"
    );
}
