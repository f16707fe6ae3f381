use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tocsin_proto::records::{ActivationStatus, ChannelActivation, ChannelType};

use super::channel;
use crate::contacts::activation::{
    CODE_LIFETIME, MAX_CODES_PER_WINDOW, MAX_FAILED_ATTEMPTS, MIN_RESEND_INTERVAL, SEND_WINDOW,
    code_hash,
};
use crate::contacts::errors::exception_fields;
use crate::contacts::{
    ActivationCode, ActivationError, ActivationState, ContactsException, ValidationExceptionReason,
    activate, can_engage, deactivate, issue_code, validation_reason,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn code(s: &str) -> ActivationCode {
    ActivationCode::parse(s).unwrap()
}

/// A fresh, not activated channel's state with `c` issued at `t0`.
fn issued(c: &str) -> ActivationState {
    let ch = channel(ChannelType::Sms, "+15551234567");
    issue_code(&ActivationState::of(&ch, None), t0(), &code(c)).unwrap()
}

fn error(r: Result<ActivationState, crate::contacts::Rejected>) -> ActivationError {
    r.unwrap_err().error
}

#[test]
fn the_right_code_activates_and_engagement_follows() {
    let s = issued("466136");
    let mut ch = channel(ChannelType::Sms, "+15551234567");
    assert!(!can_engage(&ch));
    let s = activate(&s, "466136", t0() + TimeDelta::minutes(3)).unwrap();
    assert_eq!(s.status, ActivationStatus::Activated);
    assert_eq!(
        s.record.activation_code_hash, None,
        "the code is burned once used"
    );
    assert_eq!(s.record.activation_code_expires_at, None);
    s.apply_to(&mut ch);
    assert!(can_engage(&ch));
}

#[test]
fn presented_codes() {
    let expires = t0() + CODE_LIFETIME;
    // (case, presented code, when, outcome, failed attempts counted)
    type Row = (
        &'static str,
        &'static str,
        DateTime<Utc>,
        Result<(), ActivationError>,
        u32,
    );
    let cases: &[Row] = &[
        ("right", "466136", t0(), Ok(()), 0),
        (
            "right, last second",
            "466136",
            expires - TimeDelta::seconds(1),
            Ok(()),
            0,
        ),
        (
            "right, at expiry",
            "466136",
            expires,
            Err(ActivationError::Expired),
            0,
        ),
        (
            "right, a day late",
            "466136",
            t0() + TimeDelta::days(1),
            Err(ActivationError::Expired),
            0,
        ),
        (
            "wrong",
            "466137",
            t0(),
            Err(ActivationError::WrongCode { attempts_left: 4 }),
            1,
        ),
        (
            "wrong and expired",
            "000000",
            expires,
            Err(ActivationError::Expired),
            0,
        ),
        (
            "10 digits",
            "4661360000",
            t0(),
            Err(ActivationError::WrongCode { attempts_left: 4 }),
            1,
        ),
        (
            "5 digits",
            "46613",
            t0(),
            Err(ActivationError::Malformed),
            0,
        ),
        (
            "11 digits",
            "46613600000",
            t0(),
            Err(ActivationError::Malformed),
            0,
        ),
        ("letter", "46613a", t0(), Err(ActivationError::Malformed), 0),
        ("empty", "", t0(), Err(ActivationError::Malformed), 0),
        (
            "padded",
            " 466136",
            t0(),
            Err(ActivationError::Malformed),
            0,
        ),
    ];
    for (case, presented, now, want, failed) in cases {
        let got = activate(&issued("466136"), presented, *now);
        match (got, want) {
            (Ok(s), Ok(())) => assert_eq!(s.status, ActivationStatus::Activated, "{case}"),
            (Err(r), Err(e)) => {
                assert_eq!(&r.error, e, "{case}");
                assert_eq!(r.state.status, ActivationStatus::NotActivated, "{case}");
                assert_eq!(r.state.record.failed_attempts, *failed, "{case}");
            }
            (got, want) => panic!("{case}: expected {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn attempts_are_exhausted_after_five_wrong_codes() {
    let mut s = issued("466136");
    for left in (1..MAX_FAILED_ATTEMPTS).rev() {
        let r = activate(&s, "111111", t0()).unwrap_err();
        assert_eq!(
            r.error,
            ActivationError::WrongCode {
                attempts_left: left
            }
        );
        s = r.state;
    }
    let r = activate(&s, "111111", t0()).unwrap_err();
    assert_eq!(r.error, ActivationError::AttemptsExhausted);
    assert_eq!(r.state.record.failed_attempts, MAX_FAILED_ATTEMPTS);
    s = r.state;
    // Burned: even the right code is refused now, and nothing more is counted.
    let r = activate(&s, "466136", t0()).unwrap_err();
    assert_eq!(r.error, ActivationError::AttemptsExhausted);
    assert_eq!(r.state, s);
    // A new code starts over.
    let s = issue_code(&s, t0() + MIN_RESEND_INTERVAL, &code("222222")).unwrap();
    assert_eq!(s.record.failed_attempts, 0);
    assert!(activate(&s, "222222", t0() + MIN_RESEND_INTERVAL).is_ok());
}

#[test]
fn a_resent_code_replaces_the_old_one() {
    let first = issued("111111");
    let wrong = activate(&first, "999999", t0()).unwrap_err().state;
    let later = t0() + TimeDelta::minutes(5);
    let second = issue_code(&wrong, later, &code("222222")).unwrap();
    assert_eq!(
        second.record.failed_attempts, 0,
        "attempts reset with a new code"
    );
    assert_eq!(
        second.record.activation_code_expires_at,
        Some(later + CODE_LIFETIME),
        "the new code lives from its own issue time"
    );
    assert_eq!(
        error(activate(&second, "111111", later)),
        ActivationError::WrongCode { attempts_left: 4 }
    );
    assert!(activate(&second, "222222", later).is_ok());
}

#[test]
fn resending_is_throttled() {
    let s = issued("111111");
    assert_eq!(
        issue_code(&s, t0() + TimeDelta::seconds(59), &code("222222")),
        Err(ActivationError::ResendTooSoon {
            retry_at: t0() + MIN_RESEND_INTERVAL
        })
    );
    let mut s = s;
    let mut now = t0();
    for _ in 1..MAX_CODES_PER_WINDOW {
        now += MIN_RESEND_INTERVAL;
        s = issue_code(&s, now, &code("333333")).unwrap();
    }
    assert_eq!(s.record.codes_sent_in_window, MAX_CODES_PER_WINDOW);
    now += MIN_RESEND_INTERVAL;
    let refused = issue_code(&s, now, &code("444444"));
    assert_eq!(
        refused,
        Err(ActivationError::TooManyCodes {
            retry_at: t0() + SEND_WINDOW
        })
    );
    assert_eq!(
        refused.unwrap_err().exception(),
        ContactsException::ServiceQuotaExceeded
    );
    // Deactivating does not reset the count.
    assert!(issue_code(&deactivate(&s), now, &code("444444")).is_err());
    // A new window does.
    let s = issue_code(&s, t0() + SEND_WINDOW, &code("555555")).unwrap();
    assert_eq!(s.record.codes_sent_in_window, 1);
    assert_eq!(s.record.send_window_started_at, Some(t0() + SEND_WINDOW));
}

#[test]
fn deactivated_channels_are_not_engaged() {
    let mut ch = channel(ChannelType::Voice, "+15551234567");
    let s = activate(&issued("466136"), "466136", t0()).unwrap();
    s.apply_to(&mut ch);
    assert!(can_engage(&ch));

    let off = deactivate(&s);
    off.apply_to(&mut ch);
    assert_eq!(ch.activation_status, ActivationStatus::NotActivated);
    assert!(!can_engage(&ch), "a deactivated channel is never paged");
    assert_eq!(deactivate(&off), off, "deactivating twice changes nothing");
    // The old code does not bring it back; a new one does.
    assert_eq!(
        error(activate(&off, "466136", t0())),
        ActivationError::NoCodeIssued
    );
    let later = t0() + TimeDelta::hours(1);
    let again = issue_code(&off, later, &code("777777")).unwrap();
    assert!(activate(&again, "777777", later).is_ok());
}

#[test]
fn deactivating_a_pending_channel_withdraws_its_code() {
    let off = deactivate(&issued("466136"));
    assert_eq!(off.record.activation_code_hash, None);
    assert_eq!(
        error(activate(&off, "466136", t0())),
        ActivationError::NoCodeIssued
    );
}

#[test]
fn refusals_on_state() {
    let ch = channel(ChannelType::Email, "a@example.com");
    let fresh = ActivationState::of(&ch, None);
    assert_eq!(fresh.record.contact_channel_arn, ch.contact_channel_arn);
    assert_eq!(
        error(activate(&fresh, "466136", t0())),
        ActivationError::NoCodeIssued
    );
    let active = activate(&issued("466136"), "466136", t0()).unwrap();
    assert_eq!(
        error(activate(&active, "466136", t0())),
        ActivationError::AlreadyActive
    );
    assert_eq!(
        issue_code(&active, t0() + TimeDelta::hours(1), &code("123456")),
        Err(ActivationError::AlreadyActive)
    );
}

#[test]
fn codes_are_stored_hashed_and_salted() {
    let s = issued("466136");
    let hash = s.record.activation_code_hash.clone().unwrap();
    assert_eq!(hash, code_hash(&s.record.contact_channel_arn, "466136"));
    assert_ne!(
        hash,
        code_hash(
            "arn:aws:ssm-contacts:us-east-1:123456789012:contact-channel/bob/c1",
            "466136"
        )
    );
    let json = serde_json::to_string(&s.record).unwrap();
    assert!(!json.contains("466136"), "{json}");
    assert!(json.contains("\"ActivationCodeHash\""), "{json}");
    let back: ChannelActivation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s.record);
    assert_eq!(format!("{:?}", code("466136")), "ActivationCode(******)");
}

#[test]
fn an_empty_record_serializes_to_its_channel_only() {
    let json = serde_json::to_value(ChannelActivation {
        contact_channel_arn: "x".into(),
        ..ChannelActivation::default()
    })
    .unwrap();
    assert_eq!(json, serde_json::json!({ "ContactChannelArn": "x" }));
}

#[test]
fn issued_codes_are_six_digits() {
    assert_eq!(ActivationCode::from_number(7).unwrap().as_str(), "000007");
    assert_eq!(
        ActivationCode::from_number(999_999).unwrap().as_str(),
        "999999"
    );
    assert_eq!(ActivationCode::from_number(1_000_000), None);
    for bad in ["12345", "1234567", "12345a", "１２３４５６"] {
        assert_eq!(ActivationCode::parse(bad), None, "{bad}");
    }
}

#[test]
fn errors_map_onto_the_api() {
    use ValidationExceptionReason::{FieldValidationFailed, Other};
    let cases = [
        (
            ActivationError::Malformed,
            Some(FieldValidationFailed),
            "ActivationCode",
        ),
        (
            ActivationError::WrongCode { attempts_left: 2 },
            Some(FieldValidationFailed),
            "ActivationCode",
        ),
        (
            ActivationError::Expired,
            Some(FieldValidationFailed),
            "ActivationCode",
        ),
        (
            ActivationError::AttemptsExhausted,
            Some(FieldValidationFailed),
            "ActivationCode",
        ),
        (
            ActivationError::NoCodeIssued,
            Some(Other),
            "ContactChannelId",
        ),
        (
            ActivationError::AlreadyActive,
            Some(Other),
            "ContactChannelId",
        ),
        (
            ActivationError::ResendTooSoon { retry_at: t0() },
            None,
            "ContactChannelId",
        ),
        (
            ActivationError::TooManyCodes { retry_at: t0() },
            None,
            "ContactChannelId",
        ),
    ];
    for (e, reason, field) in cases {
        let want = reason.map_or(
            ContactsException::ServiceQuotaExceeded,
            ContactsException::Validation,
        );
        assert_eq!(e.exception(), want, "{e:?}");
        let v = e.to_validation_error();
        assert_eq!(v.0[0].field, field);
        assert_eq!(v.to_string(), format!("{field}: {e}"));
        assert_eq!(
            exception_fields(&v),
            vec![(field.to_string(), e.to_string())]
        );
    }
    assert_eq!(
        ActivationError::WrongCode { attempts_left: 2 }.to_string(),
        "is not the code sent to this channel (2 attempts left)"
    );
}

#[test]
fn validation_exception_reasons_are_the_model_values() {
    use ValidationExceptionReason::*;
    let wire: Vec<&str> = [UnknownOperation, CannotParse, FieldValidationFailed, Other]
        .iter()
        .map(|r| r.as_str())
        .collect();
    assert_eq!(
        wire,
        [
            "UNKNOWN_OPERATION",
            "CANNOT_PARSE",
            "FIELD_VALIDATION_FAILED",
            "OTHER"
        ]
    );
    let e = crate::contacts::validate_tags(&[]).err();
    assert!(e.is_none());
    let e = crate::validate::ValidationError(vec![]);
    assert_eq!(validation_reason(&e), FieldValidationFailed);
}
