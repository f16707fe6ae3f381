//! The seed 002 walkthrough over the API: a contact with channels, activation, an escalation
//! plan, engagements, pages with their accept codes, acknowledgement, receipts, resolutions.

use serde_json::{Value, json};
use tocsin_proto::messages::NotifyCommand;
use tocsin_testkit::Kind;

use crate::{Server, activated_sms, on_both_backends, personal};

on_both_backends!(a_contact_is_engaged_paged_and_acknowledged);

/// The accept code of the page sent for `page_arn`.
async fn accept_code(s: &Server, page_arn: &str) -> anyhow::Result<String> {
    s.next_command("the page's send command", |c| match c {
        NotifyCommand::SendPage(p) if p.page_arn == page_arn => Some(p.accept_code.clone()),
        _ => None,
    })
    .await
}

fn pages(v: &Value) -> Vec<String> {
    v["Pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PageArn"].as_str().unwrap().to_string())
        .collect()
}

async fn a_contact_is_engaged_paged_and_acknowledged(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    let alice = personal(&s, "alice").await;
    let sms = activated_sms(&s, &alice, "+15555550101").await?;
    let mail = s
        .call(
            "CreateContactChannel",
            json!({ "ContactId": alice, "Name": "mail", "Type": "EMAIL", "DeliveryAddress": { "SimpleAddress": "alice@example.com" }, "DeferActivation": true }),
        )
        .await
        .ok()["ContactChannelArn"]
        .as_str()
        .unwrap()
        .to_string();
    s.call(
        "UpdateContact",
        json!({ "ContactId": alice, "Plan": { "Stages": [ { "DurationInMinutes": 0, "Targets": [
            { "ChannelTargetInfo": { "ContactChannelId": sms, "RetryIntervalInMinutes": 5 } },
            { "ChannelTargetInfo": { "ContactChannelId": mail } }
        ] } ] } }),
    )
    .await
    .ok();
    let esc = s
        .call(
            "CreateContact",
            json!({ "Alias": "db-escalation", "Type": "ESCALATION", "Plan": { "Stages": [
                { "DurationInMinutes": 10, "Targets": [ { "ContactTargetInfo": { "ContactId": alice, "IsEssential": true } } ] }
            ] } }),
        )
        .await
        .ok()["ContactArn"]
        .as_str()
        .unwrap()
        .to_string();

    // Engage Alice; a retry with the same token is the same engagement.
    let start = json!({
        "ContactId": alice, "Sender": "cli", "Subject": "Database down", "Content": "Primary unreachable",
        "PublicSubject": "Page", "PublicContent": "You are paged", "IncidentId": "inc-42",
        "IdempotencyToken": "engage-alice-1"
    });
    let eng = s.call("StartEngagement", start.clone()).await.ok()["EngagementArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        s.call("StartEngagement", start).await.ok()["EngagementArn"],
        eng.as_str()
    );
    assert!(eng.contains(":engagement/alice/"), "{eng}");
    let d = s
        .call("DescribeEngagement", json!({ "EngagementId": eng }))
        .await
        .ok();
    assert_eq!(
        (
            &d["ContactArn"],
            &d["Sender"],
            &d["Subject"],
            &d["Content"],
            &d["PublicSubject"],
            &d["IncidentId"]
        ),
        (
            &json!(alice),
            &json!("cli"),
            &json!("Database down"),
            &json!("Primary unreachable"),
            &json!("Page"),
            &json!("inc-42")
        )
    );
    assert!(
        d["StartTime"].is_number() && d.get("StopTime").is_none(),
        "{d}"
    );

    // One page per activated channel: the deferred email is not paged.
    let listed = s
        .call("ListPagesByEngagement", json!({ "EngagementId": eng }))
        .await
        .ok();
    let page_arns = pages(&listed);
    assert_eq!(page_arns.len(), 1, "{listed}");
    let page = page_arns[0].clone();
    let code = accept_code(&s, &page).await?;
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    let p = s.call("DescribePage", json!({ "PageId": page })).await.ok();
    assert_eq!(
        (
            &p["EngagementArn"],
            &p["ContactArn"],
            &p["Subject"],
            &p["PublicContent"]
        ),
        (
            &json!(eng),
            &json!(alice),
            &json!("Database down"),
            &json!("You are paged")
        )
    );

    // A wrong code under ENFORCE changes nothing.
    let receipts_before = s
        .call("ListPageReceipts", json!({ "PageId": page }))
        .await
        .ok();
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let e = s
        .call(
            "AcceptPage",
            json!({ "PageId": page, "AcceptType": "READ", "AcceptCode": wrong, "AcceptCodeValidation": "ENFORCE" }),
        )
        .await
        .err(400, "ValidationException");
    assert_eq!(e["Fields"][0]["Name"], "AcceptCode");
    assert_eq!(
        s.call("ListPageReceipts", json!({ "PageId": page }))
            .await
            .ok(),
        receipts_before
    );
    assert!(
        s.call("DescribePage", json!({ "PageId": page }))
            .await
            .ok()
            .get("ReadTime")
            .is_none()
    );

    // IGNORE takes any code; ENFORCE the right one.
    s.call(
        "AcceptPage",
        json!({ "PageId": page, "ContactChannelId": sms, "AcceptType": "DELIVERED", "AcceptCode": "000000", "AcceptCodeValidation": "IGNORE" }),
    )
    .await
    .ok();
    s.call(
        "AcceptPage",
        json!({ "PageId": page, "AcceptType": "READ", "AcceptCode": code, "AcceptCodeValidation": "ENFORCE", "Note": "on it" }),
    )
    .await
    .ok();
    let r = s
        .call("ListPageReceipts", json!({ "PageId": page }))
        .await
        .ok();
    let kinds: Vec<&str> = r["Receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["ReceiptType"].as_str().unwrap())
        .collect();
    assert!(kinds.ends_with(&["DELIVERED", "READ"]), "{r}");
    let p = s.call("DescribePage", json!({ "PageId": page })).await.ok();
    assert!(
        p["ReadTime"].is_number() && p["DeliveryTime"].is_number(),
        "{p}"
    );
    let res = s
        .call("ListPageResolutions", json!({ "PageId": page }))
        .await
        .ok();
    assert_eq!(
        res,
        json!({ "PageResolutions": [ { "ContactArn": alice, "Type": "PERSONAL" } ] })
    );

    // The escalation plan pages Alice through a nested engagement.
    let esc_eng = s
        .call("StartEngagement", json!({ "ContactId": esc, "Sender": "cli", "Subject": "Again", "Content": "Still down" }))
        .await
        .ok()["EngagementArn"]
        .as_str()
        .unwrap()
        .to_string();
    let esc_pages = pages(
        &s.call("ListPagesByEngagement", json!({ "EngagementId": esc_eng }))
            .await
            .ok(),
    );
    assert_eq!(esc_pages.len(), 1);
    let res = s
        .call("ListPageResolutions", json!({ "PageId": esc_pages[0] }))
        .await
        .ok();
    assert_eq!(
        res,
        json!({ "PageResolutions": [
            { "ContactArn": esc, "Type": "ESCALATION", "StageIndex": 0 },
            { "ContactArn": alice, "Type": "PERSONAL" }
        ] })
    );
    s.call(
        "StopEngagement",
        json!({ "EngagementId": esc_eng, "Reason": "fixed" }),
    )
    .await
    .ok();
    let d = s
        .call("DescribeEngagement", json!({ "EngagementId": esc_eng }))
        .await
        .ok();
    assert!(d["StopTime"].is_number(), "{d}");

    let all = s.call("ListEngagements", json!({})).await.ok();
    assert_eq!(all["Engagements"].as_array().unwrap().len(), 3, "{all}");
    let of_incident = s
        .call("ListEngagements", json!({ "IncidentId": "inc-42" }))
        .await
        .ok();
    assert_eq!(of_incident["Engagements"][0]["EngagementArn"], eng.as_str());
    assert_eq!(of_incident["Engagements"].as_array().unwrap().len(), 1);
    let by_alice = s
        .call("ListPagesByContact", json!({ "ContactId": alice }))
        .await
        .ok();
    assert_eq!(pages(&by_alice).len(), 2);
    Ok(())
}
