//! Rotations, overrides, shifts, previews and on-call schedules.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use tocsin_testkit::Kind;

use crate::{Server, on_both_backends, personal};

on_both_backends!(rotations_overrides_and_shifts);

fn secs(h: i64) -> i64 {
    // 2026-03-02 00:00 UTC plus `h` hours, in epoch seconds.
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .unwrap()
        .timestamp()
        + h * 3600
}

async fn rotations_overrides_and_shifts(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    let a = personal(&s, "ann").await;
    let b = personal(&s, "ben").await;
    let recurrence = json!({ "DailySettings": [ { "HourOfDay": 9, "MinuteOfHour": 0 } ], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1 });
    let create = json!({
        "Name": "primary", "ContactIds": [a, b], "StartTime": secs(9), "TimeZoneId": "UTC",
        "Recurrence": recurrence, "Tags": [ { "Key": "team", "Value": "db" } ], "IdempotencyToken": "rot-1"
    });
    let rot = s.call("CreateRotation", create.clone()).await.ok()["RotationArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        s.call("CreateRotation", create).await.ok()["RotationArn"],
        rot.as_str()
    );
    assert!(rot.contains(":rotation/"), "{rot}");
    let got = s
        .call("GetRotation", json!({ "RotationId": rot }))
        .await
        .ok();
    assert_eq!(
        got,
        json!({ "RotationArn": rot, "Name": "primary", "ContactIds": [a, b], "StartTime": secs(9), "TimeZoneId": "UTC", "Recurrence": recurrence })
    );
    let tags = s
        .call("ListTagsForResource", json!({ "ResourceARN": rot }))
        .await
        .ok();
    assert_eq!(tags["Tags"], json!([ { "Key": "team", "Value": "db" } ]));
    let listed = s
        .call("ListRotations", json!({ "RotationNamePrefix": "pri" }))
        .await
        .ok();
    assert_eq!(listed["Rotations"].as_array().unwrap().len(), 1);

    let shifts = s
        .call(
            "ListRotationShifts",
            json!({ "RotationId": rot, "StartTime": secs(9), "EndTime": secs(57) }),
        )
        .await
        .ok();
    assert_eq!(
        shifts["RotationShifts"],
        json!([
            { "ContactIds": [a], "StartTime": secs(9), "EndTime": secs(33), "Type": "REGULAR" },
            { "ContactIds": [b], "StartTime": secs(33), "EndTime": secs(57), "Type": "REGULAR" }
        ])
    );

    // Ben covers Ann's first afternoon.
    let o = s
        .call(
            "CreateRotationOverride",
            json!({ "RotationId": rot, "NewContactIds": [b], "StartTime": secs(12), "EndTime": secs(18) }),
        )
        .await
        .ok()["RotationOverrideId"]
        .as_str()
        .unwrap()
        .to_string();
    let got = s
        .call(
            "GetRotationOverride",
            json!({ "RotationId": rot, "RotationOverrideId": o }),
        )
        .await
        .ok();
    assert_eq!(
        (&got["RotationArn"], &got["NewContactIds"]),
        (&json!(rot), &json!([b]))
    );
    let listed = s
        .call(
            "ListRotationOverrides",
            json!({ "RotationId": rot, "StartTime": secs(0), "EndTime": secs(48) }),
        )
        .await
        .ok();
    assert_eq!(
        listed["RotationOverrides"][0]["RotationOverrideId"],
        o.as_str()
    );
    let shifts = s
        .call("ListRotationShifts", json!({ "RotationId": rot, "StartTime": secs(9), "EndTime": secs(33), "MaxResults": 2 }))
        .await
        .ok();
    assert_eq!(shifts["RotationShifts"][1]["Type"], "OVERRIDDEN");
    assert_eq!(
        shifts["RotationShifts"][1]["ShiftDetails"],
        json!({ "OverriddenContactIds": [a] })
    );
    let rest = s
        .call(
            "ListRotationShifts",
            json!({ "RotationId": rot, "StartTime": secs(9), "EndTime": secs(33), "MaxResults": 2, "NextToken": shifts["NextToken"] }),
        )
        .await
        .ok();
    assert_eq!(rest["RotationShifts"][0]["StartTime"], secs(18));
    s.call(
        "DeleteRotationOverride",
        json!({ "RotationId": rot, "RotationOverrideId": o }),
    )
    .await
    .ok();
    s.call(
        "GetRotationOverride",
        json!({ "RotationId": rot, "RotationOverrideId": o }),
    )
    .await
    .err(404, "ResourceNotFoundException");

    let preview = s
        .call(
            "ListPreviewRotationShifts",
            json!({
                "RotationStartTime": secs(9), "StartTime": secs(9), "EndTime": secs(33),
                "Members": ["x", "y"], "TimeZoneId": "UTC", "Recurrence": recurrence,
                "Overrides": [ { "NewMembers": ["y"], "StartTime": secs(10), "EndTime": secs(11) } ]
            }),
        )
        .await
        .ok();
    assert_eq!(preview["RotationShifts"][0]["ContactIds"], json!(["x"]));
    assert_eq!(preview["RotationShifts"][1]["ContactIds"], json!(["y"]));

    s.call(
        "UpdateRotation",
        json!({ "RotationId": rot, "ContactIds": [b, a], "Recurrence": recurrence }),
    )
    .await
    .ok();
    let got = s
        .call("GetRotation", json!({ "RotationId": rot }))
        .await
        .ok();
    assert_eq!(got["ContactIds"], json!([b, a]));

    // A schedule uses the rotation: it cannot be deleted until the schedule goes.
    let sched = s
        .call("CreateContact", json!({ "Alias": "db-oncall", "Type": "ONCALL_SCHEDULE", "Plan": { "RotationIds": [rot] } }))
        .await
        .ok()["ContactArn"]
        .as_str()
        .unwrap()
        .to_string();
    s.call("DeleteRotation", json!({ "RotationId": rot }))
        .await
        .err(409, "ConflictException");
    s.call("DeleteContact", json!({ "ContactId": sched }))
        .await
        .ok();
    s.clock.advance(Duration::minutes(1));
    s.call("DeleteRotation", json!({ "RotationId": rot }))
        .await
        .ok();
    s.call("GetRotation", json!({ "RotationId": rot }))
        .await
        .err(404, "ResourceNotFoundException");
    Ok(())
}
