//! `RetryIntervalInMinutes` re-pages after a failed send, and the acknowledgement timeout
//! (Tocsin extension) re-triggers an acknowledged plan.

use super::*;

/// `alias` with one channel target per stage, each retried every `retry` minutes.
fn retried(alias: &str, stages: &[u32], retry: u32) -> Contact {
    let mut c = personal(alias, stages);
    for stage in &mut c.plan.stages {
        for t in &mut stage.targets {
            if let Some(info) = &mut t.channel_target_info {
                info.retry_interval_in_minutes = Some(retry);
            }
        }
    }
    c
}

impl World {
    /// The send of `alias`'s latest page failed.
    fn fail_latest(&mut self, alias: &str) {
        let page = self
            .pages
            .iter()
            .rev()
            .find(|p| p.contact_arn == contact_arn(alias))
            .cloned()
            .unwrap();
        self.apply(
            &page.engagement_arn,
            Command::PageFailed {
                page_arn: page.page_arn,
                contact_channel_arn: page.contact_channel_arn,
            },
        );
    }
}

#[test]
fn a_failed_page_is_sent_again_after_the_retry_interval() {
    let mut w = World::new(vec![retried("alice", &[20, 20], 3)]);
    w.engage("alice");
    w.fail_latest("alice");
    assert_eq!(w.count(timeline_types::PAGE_RETRY_SCHEDULED), 1);
    w.advance(Duration::minutes(2));
    assert_eq!(w.pages_to("alice"), 1, "not before the interval");
    w.advance(Duration::minutes(1));
    assert_eq!(w.pages_to("alice"), 2, "retried after 3 minutes");
    let ids: std::collections::BTreeSet<_> = w.pages.iter().map(|p| &p.page_arn).collect();
    assert_eq!(ids.len(), 2, "the retry is a page of its own");
    assert_ne!(w.pages[0].accept_code, "", "with an accept code");
    // A delivered retry needs nothing more: no failure, no further page until stage 2.
    w.advance(Duration::minutes(16));
    assert_eq!(w.pages_to("alice"), 2);
    w.advance(Duration::minutes(1));
    assert_eq!(w.pages_to("alice"), 3, "stage 2 at 20 minutes");
}

#[test]
fn retries_stop_after_the_last_attempt() {
    let mut w = World::new(vec![retried("alice", &[30], 1)]);
    w.engage("alice");
    for _ in 0..10 {
        w.fail_latest("alice");
        w.advance(Duration::minutes(1));
    }
    assert_eq!(w.pages_to("alice"), MAX_PAGE_ATTEMPTS as usize);
}

#[test]
fn a_retry_of_a_finished_stage_or_an_acknowledged_plan_sends_nothing() {
    // The stage moved on before the failure was known.
    let mut w = World::new(vec![retried("alice", &[1, 30], 5)]);
    w.engage("alice");
    let first = w.pages[0].clone();
    w.advance(Duration::minutes(1));
    w.apply(
        &first.engagement_arn,
        Command::PageFailed {
            page_arn: first.page_arn.clone(),
            contact_channel_arn: first.contact_channel_arn.clone(),
        },
    );
    w.advance(Duration::minutes(10));
    assert_eq!(w.pages_to("alice"), 2, "only stage 2's page");

    // Acknowledged between the failure and the retry.
    let mut w = World::new(vec![retried("bob", &[30], 5)]);
    w.engage("bob");
    w.fail_latest("bob");
    w.ack("bob");
    w.advance(Duration::minutes(10));
    assert_eq!(w.pages_to("bob"), 1);
}

#[test]
fn the_last_zero_minute_stage_is_still_retried_and_no_interval_means_no_retry() {
    let mut w = World::new(vec![retried("alice", &[0], 2)]);
    let e = w.engage("alice");
    w.advance(Duration::seconds(1));
    assert_eq!(w.status(&e), EngagementStatus::Completed);
    w.fail_latest("alice");
    w.advance(Duration::minutes(2));
    assert_eq!(w.pages_to("alice"), 2);

    let mut w = World::new(vec![personal("bob", &[30])]);
    w.engage("bob");
    w.fail_latest("bob");
    w.advance(Duration::minutes(29));
    assert_eq!(w.pages_to("bob"), 1);
    assert_eq!(w.count(timeline_types::PAGE_RETRY_SCHEDULED), 0);
}

#[test]
fn an_acknowledgement_that_times_out_re_triggers_the_plan() {
    let mut plan = escalation("esc", &[(5, &[("ann", true)]), (5, &[("bob", true)])]);
    plan.tocsin.ack_timeout_in_minutes = Some(30);
    let mut w = World::new(vec![plan, personal("ann", &[30]), personal("bob", &[30])]);
    let e = w.engage("esc");
    w.ack("ann");
    assert_eq!(w.status(&e), EngagementStatus::Acknowledged);
    w.advance(Duration::minutes(29));
    assert_eq!(w.pages_to("ann"), 1);
    w.advance(Duration::minutes(1));
    assert_eq!(w.count(timeline_types::ACK_TIMED_OUT), 1);
    assert_eq!(w.status(&e), EngagementStatus::Active);
    assert_eq!(w.pages_to("ann"), 2, "stage 1 again, with a new page");
    let ids: std::collections::BTreeSet<_> = w.pages.iter().map(|p| &p.page_arn).collect();
    assert_eq!(ids.len(), 2);
    // Nobody acknowledges this round: it escalates to bob as the first run would have.
    w.advance(Duration::minutes(5));
    assert_eq!(w.pages_to("bob"), 1);
    // Acknowledged again: the timeout runs again from this acknowledgement.
    w.ack("bob");
    w.advance(Duration::minutes(30));
    assert_eq!(w.count(timeline_types::ACK_TIMED_OUT), 2);
    assert_eq!(w.pages_to("ann"), 3);
}

#[test]
fn a_stopped_engagement_never_re_triggers() {
    let mut plan = escalation("esc", &[(5, &[("ann", true)])]);
    plan.tocsin.ack_timeout_in_minutes = Some(10);
    let mut w = World::new(vec![plan, personal("ann", &[30])]);
    let e = w.engage("esc");
    w.ack("ann");
    // The incident was resolved: its engagements are stopped.
    w.apply(
        &e,
        Command::Stop {
            reason: "incident resolved".into(),
        },
    );
    w.advance(Duration::hours(2));
    assert_eq!(w.count(timeline_types::ACK_TIMED_OUT), 0);
    assert_eq!(w.pages_to("ann"), 1);
}
